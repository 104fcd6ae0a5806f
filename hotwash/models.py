"""The hot wash: the players' short feedback at the end, anonymous by default.

Kept outside the event log on purpose: every event is attributed and numbered in time, so an
anonymous answer there could be matched to its author by its neighbours. Here an answer has a
random id and no timestamp, and is linked to a participant only if they chose to sign; the
receipt (who answered, to refuse a second answer) has no timestamp either. Its own app, so its
migrations never collide with the exercises app's.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from exercises.models import Exercise, Participant

SCALE = [MinValueValidator(1), MaxValueValidator(5)]


class Response(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="hotwash")
    language = models.CharField(max_length=8, default="en")
    useful = models.PositiveSmallIntegerField(null=True, blank=True, validators=SCALE)
    realistic = models.PositiveSmallIntegerField(null=True, blank=True, validators=SCALE)
    went_well = models.CharField(max_length=1000, blank=True)
    to_improve = models.CharField(max_length=1000, blank=True)
    # Only when the player chose to sign.
    signed = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    signed_name = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"hot wash answer to {self.exercise_id}"


class Receipt(models.Model):
    """That a participant answered (not what): one answer each."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exercise", "participant"], name="one_hotwash_each")]

    def __str__(self) -> str:
        return f"{self.participant_id} answered the hot wash of {self.exercise_id}"
