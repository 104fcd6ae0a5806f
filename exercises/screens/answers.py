"""What one socket or one htmx request is told: toasts, command acknowledgements, error and
refusal texts, and the console's presence badges."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from exercises import engine, presence, selectors, wording
from exercises.models import Exercise, Participant
from scenarios.schema import Scenario

from .labels import is_scenario_rule, rule_label
from .partials import P, render
from .roster import presence_of


def presence_frame(exercise_id: int, lang: str, seen_upto: int | None = None) -> str:
    """The presence badge of every participant, swapped by id on the console.

    With ``seen_upto`` (the last seq that console has been sent), a participant whose join
    came later is left out: their row is not on that console yet (the batch that draws it may
    still be rendering), and a badge with no target is an htmx ``oobErrorNoTarget``."""
    found = Participant.objects.filter(exercise_id=exercise_id, removed_at=None)
    if seen_upto is not None:
        found = found.exclude(pk__in=selectors.joined_after(exercise_id, seen_upto))
    rows = list(found.only("pk", "connections", "last_seen_at"))
    seen = presence.last_seen(exercise_id, rows)
    with translation.override(lang):
        badges = [(p.pk, presence_of(p, seen[p.pk]), seen[p.pk]) for p in rows]
        # Only an "away" badge shows its last-seen time: the others render once and are reused.
        return "".join(
            render(
                "presence.html", {"pid": pid, "presence": status, "seen": when if status == "away" else None}, oob=True
            )
            for pid, status, when in badges
        )


def toast(text: str, level: str = "error", rule: str = "", lang: str = "") -> str:
    """A toast; a refusal's ``rule`` shows its short name, which opens its one-line explanation."""
    context = {
        "text": text,
        "level": level,
        "rule": rule_label(rule) if rule else "",
        "explain": wording.rule_explanation(rule, lang or translation.get_language() or "en") if rule else "",
        "scenario_rule": is_scenario_rule(rule),
        "oob": True,
    }
    return render_to_string(P + "toast.html", context)


def error_text(code: str, lang: str) -> str:
    with translation.override(lang):
        texts = {
            "too_large": _("That was too long to send."),
            "rate": _("Slow down: too many commands in a short time."),
            "malformed": _("The server could not read that request."),
            "too_deep": _("The server could not read that request: it nests too deeply."),
            "binary": _("Binary messages are not supported."),
            "server": _("Something went wrong on the server. Try again."),
            "forbidden": _("You are not allowed to do this."),
            "observer": _("Evaluators watch: they cannot act in the exercise."),
            "removed": _("The facilitator removed you from this table."),
            "unavailable": _(
                "The server has lost its connection to the other servers: nothing was sent. Try again in a moment."
            ),
        }
        return texts.get(code, code)


def ack(cid: str, status: str) -> str:
    """Tells the page's composer what became of the command it numbered ``cid``
    (ok | rejected | error: done or refused, do not resend; retry: not done, resend)."""
    if not cid:
        return ""
    return render_to_string(P + "ack.html", {"cid": cid, "status": status})


def rejection_message(payload: dict[str, Any], lang: str, scenario: Scenario | None = None) -> str:
    """The reason a rule gave (a ``command_rejected`` payload) in ``lang`` (``exercises/wording.py``)."""
    return wording.rejection(payload, scenario, lang)


def rejection_text(event: engine.Event, lang: str, scenario: Scenario | None = None) -> str:
    return f"[{event.payload['rule']}] {rejection_message(event.payload, lang, scenario)}"


def rejection_toast(event: engine.Event, lang: str, scenario: Scenario | None = None) -> str:
    with translation.override(lang):
        return toast(
            rejection_message(event.payload, lang, scenario), "error", str(event.payload.get("rule", "")), lang
        )


def rejection_toast_for(exercise_id: int, event: engine.Event, lang: str) -> str:
    """``rejection_toast`` with the exercise's scenario, for labels (a socket knows only the id)."""
    exercise = Exercise.objects.select_related("scenario").get(pk=exercise_id)
    return rejection_toast(event, lang, selectors.scenario_of(exercise))
