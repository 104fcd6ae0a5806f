"""The review's forms that write: the report's written parts and its improvement plan.

A form only turns a POST into clean values; the engine's command (``EditReport``, with its length
limits) stays the rule of record, so its errors are the ones shown.
"""

from __future__ import annotations

from typing import Any

from django import forms

BLANK_ACTIONS = 3  # empty improvement-plan rows offered below the filled ones
ACTION_FIELDS = ("issue", "action", "owner", "due", "status")


class ReportForm(forms.Form):
    """The written parts of the after-action report (trimmed; empty is allowed)."""

    summary = forms.CharField(required=False)
    strengths = forms.CharField(required=False)
    improvements = forms.CharField(required=False)
    share = forms.BooleanField(required=False)  # show them on the players' link


class CorrectiveActionForm(forms.Form):
    """One row of the improvement plan: what to fix, how, who, by when, where it stands."""

    issue = forms.CharField(required=False)
    action = forms.CharField(required=False)
    owner = forms.CharField(required=False)
    due = forms.CharField(required=False)
    status = forms.CharField(required=False)


CorrectiveActionFormSet = forms.formset_factory(CorrectiveActionForm, extra=BLANK_ACTIONS)
ACTIONS_PREFIX = "actions"


def action_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None) -> Any:
    """The plan's rows as a formset (prefix ``actions``): bound to ``data`` if given, else ``initial``
    and three blank rows."""
    if data is not None:
        return CorrectiveActionFormSet(data, prefix=ACTIONS_PREFIX)
    return CorrectiveActionFormSet(initial=initial or [], prefix=ACTIONS_PREFIX)


def filled_rows(formset: Any) -> list[dict[str, str]]:
    """The rows with anything written in them (blank rows are ignored), in order."""
    rows = [{name: form.cleaned_data.get(name, "") for name in ACTION_FIELDS} for form in formset]
    return [row for row in rows if any(row.values())]
