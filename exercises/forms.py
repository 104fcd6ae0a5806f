"""Django forms for the staff's free-text posts: parsing and field errors in one place.

The engine's command models (``engine.commands``) stay the rules of record; a form only turns a
POST into typed values (or says which field is wrong) before ``services.execute`` is called.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .engine import commands as c
from .engine import debrief as d


def first_error(form: forms.Form) -> str:
    """``field: message`` of the first error, as the pydantic errors are shown (``_short_error``)."""
    for field, errors in form.errors.items():
        return f"{field}: {errors[0]}" if field != "__all__" else str(errors[0])
    return ""


class NoteForm(forms.Form):
    """An evaluator's note (``review:add_note``): text, and what it is about."""

    text = forms.CharField(max_length=c.MAX_MESSAGE)
    event = forms.IntegerField(required=False, min_value=1)
    role = forms.CharField(required=False, max_length=64)
    objective = forms.CharField(required=False, max_length=64)

    def command(self, *, role: str | None) -> c.AddNote:
        """The ``add_note`` command; ``role`` as the view resolved it (an objective implies one)."""
        data = self.cleaned_data
        return c.AddNote(text=data["text"], event=data["event"], role=role, objective=data["objective"] or None)


PLAN_STATUS_LABELS = {
    "open": gettext_lazy("open"),
    "in_progress": gettext_lazy("in progress"),
    "closed": gettext_lazy("closed"),
}


class PlanStatusForm(forms.Form):
    """One row of the improvement plan (``/debrief/plan/``): its exercise, its key, its status.

    The status carries the value it was shown with (``show_hidden_initial``), so only the rows whose
    status was changed are recorded (``"status" in changed_data``)."""

    exercise = forms.CharField(widget=forms.HiddenInput, max_length=32)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    status = forms.ChoiceField(choices=[(s, PLAN_STATUS_LABELS[s]) for s in d.STATUSES], show_hidden_initial=True)


PlanStatusFormSet = forms.formset_factory(PlanStatusForm, extra=0)
