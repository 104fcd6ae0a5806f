"""The test browser of a player seated at a table (``tests/conftest.py``'s ``_seat``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.test import Client

if TYPE_CHECKING:
    from exercises.models import Participant


class SeatedClient(Client):
    """A Django test client that joined a table: the participant it became and the role it claimed."""

    participant: Participant
    role: str
