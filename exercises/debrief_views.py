"""Faces of the live debrief, the hot wash and the improvement plan (thin: check, call, render).

Included from config/urls.py at ``debrief/``. The facilitator's debrief page polls its panel;
the projector and the players' rooms get theirs pushed over the WebSocket (``pushed``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, engine, inputs, push, selectors, services, throttle
from . import debrief as domain
from .access import staff_view
from .debrief_panels import page_panel, panel_html, pushed  # noqa: F401 - re-exported for templates and push
from .engine import debrief as d
from .forms import PLAN_STATUS_LABELS, PlanStatusFormSet
from .models import Exercise

facilitator_required = user_passes_test(selectors.is_facilitator)


def _lang(request: HttpRequest) -> str:
    return translation.get_language() or "en"


# --------------------------------------------------------------------------- writes (through services)


def start(exercise: Exercise) -> services.Result:
    """Switch a paused or ended exercise into debrief mode (the moments are picked here, server side)."""
    command = d.StartDebrief(moments=domain.moments_for(exercise))
    return services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)


def set_status(*, exercise: Exercise, key: str, status: str, by: Any) -> services.Result:
    """Record a plan row's new status (who: the account; when: the event's time)."""
    item = next((i for i in domain.items_of(exercise) if i.key == key), None)
    if item is None:
        raise engine.InvalidCommand("key: no such improvement-plan row in this exercise's report")
    command = d.SetImprovementStatus(
        key=key, status=status, by=getattr(by, "username", "")[:150], issue=item.issue, action=item.action
    )
    return services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)


# --------------------------------------------------------------------------- the facilitator


@require_GET
@staff_view("view")
def console(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    lang = _lang(request)
    state = engine.State.model_validate(exercise.state)
    st = state.debrief
    shown_keys = set()
    if st.active or st.ended:
        from .models import Event

        for payload in Event.objects.filter(exercise=exercise, type=d.DEBRIEF_STEP).values_list("payload", flat=True):
            shown_keys.add(payload["moment"]["key"])
    plan = [st.moments[k] for k in st.order if k in st.moments]
    skipped = [m for k, m in st.moments.items() if k not in st.order]
    return render(
        request,
        "debrief/console.html",
        {
            "exercise": exercise,
            "state": state,
            "debrief": st,
            "plan": plan,
            "skipped": skipped,
            "shown_keys": shown_keys,
            "lang": lang,
            "can_run": access.allows(request.access, "run"),  # type: ignore[attr-defined]
            "can_start": state.status in ("paused", "ended") and not st.active,
            "panel_html": panel_html(exercise, state, engine.FACILITATOR_VIEW, lang, request=request),
            "projector_url": reverse("projector", args=[exercise.code]),
        },
    )


@require_GET
@staff_view("view")
def console_panel(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    state = engine.State.model_validate(exercise.state)
    return HttpResponse(panel_html(exercise, state, engine.FACILITATOR_VIEW, _lang(request), request=request))


def _poll_from(post: Any) -> d.Poll | None:
    """The facilitator's own poll for a step (question + options, one a line), or None."""
    question = (post.get("question") or "").strip()
    if not question:
        return None
    options = [line.strip()[:300] for line in (post.get("options") or "").splitlines() if line.strip()]
    if len(options) > d.MAX_OPTIONS or len(options) == 1:
        raise engine.InvalidCommand(_("Give 2 to 5 options, one a line, or none for a free answer."))
    return d.Poll(question=d.Text(en=question[:300], es=question[:300]), options=[d.Text(en=o, es=o) for o in options])


@require_POST
@staff_view("run")
def console_do(request: HttpRequest, exercise: Exercise) -> HttpResponse:  # noqa: C901 - one branch per debrief button
    back = reverse("debrief:console", args=[exercise.code])
    action = request.POST.get("action", "")
    try:
        if action == "start":
            result = start(exercise)
        else:
            state = engine.State.model_validate(exercise.state)
            order = list(state.debrief.order)
            key = request.POST.get("key", "")
            command: Any
            if action in ("up", "down", "skip", "restore"):
                if action == "restore" and key in state.debrief.moments and key not in order:
                    order.append(key)
                elif key in order:
                    i = order.index(key)
                    if action == "skip":
                        order.remove(key)
                    elif action == "up" and i > 0:
                        order[i - 1], order[i] = order[i], order[i - 1]
                    elif action == "down" and i + 1 < len(order):
                        order[i + 1], order[i] = order[i], order[i + 1]
                command = d.PlanDebrief(order=order)
            elif action == "show":
                command = d.ShowStep(key=key, poll=_poll_from(request.POST))
            elif action == "next":
                shown = [k for k in order if k not in _shown(exercise)]
                if not shown:
                    raise engine.InvalidCommand(_("Every moment of the plan has been shown."))
                command = d.ShowStep(key=shown[0])
            elif action == "reveal":
                command = d.ShowAnswer(answer=int(request.POST.get("answer", "0") or 0))
            elif action == "note":
                command = d.NoteDebrief(text=(request.POST.get("text") or "").strip())
            elif action == "end":
                command = d.EndDebrief()
            else:
                raise engine.InvalidCommand(_("Unknown debrief action."))
            result = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)
    except (engine.InvalidCommand, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect(back)
    except Exception as exc:  # pydantic's ValidationError for a note too long, a poll too big
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        messages.error(request, _("That was not a valid debrief step: %(error)s") % {"error": exc.errors()[0]["msg"]})
        return redirect(back)
    if result.rejection is not None:
        payload = result.rejection.payload
        messages.error(request, f"[{payload['rule']}] {push.rejection_message(payload, _lang(request))}")
    return redirect(back)


def _shown(exercise: Exercise) -> set[str]:
    from .models import Event

    return {
        p["moment"]["key"]
        for p in Event.objects.filter(exercise=exercise, type=d.DEBRIEF_STEP).values_list("payload", flat=True)
    }


# --------------------------------------------------------------------------- the players


@require_POST
def answer(request: HttpRequest, code: str) -> HttpResponse:
    """A player's poll answer (an htmx post from their room): the same command a ws-send frame gives."""
    exercise = selectors.exercise_by_code(code)
    participant = selectors.participant_for(request.session, exercise)
    if participant is None:
        return HttpResponseForbidden(_("Join this exercise first."))
    lang = _lang(request)
    limit = throttle.limit_of(exercise)
    if not throttle.allow_local(exercise.pk, participant.pk, limit):
        return HttpResponse(push.toast(push.error_text("rate", lang), "error"), status=429)
    actor = engine.Actor(kind="participant", participant=participant.pk)
    toast = ""
    try:
        command = inputs.command_from({**inputs.from_post(request.POST), "type": "poll_answer"})
        result = services.perform(
            exercise_id=exercise.pk,
            actor=actor,
            command=command,
            who=participant.pk,
            limit=limit,
            ip=throttle.client_ip(request),
        )
        if result.rejection is not None:
            toast = push.rejection_toast(result.rejection, lang)
        else:
            toast = push.toast(_("Your answer is in."), "ok")
    except engine.Forbidden:
        return HttpResponse(push.toast(push.error_text("forbidden", lang), "error"), status=403)
    except engine.InvalidCommand as exc:
        toast = push.toast(str(exc), "error")
    except (services.Throttled, services.Unavailable):
        return HttpResponse(push.toast(push.error_text("rate", lang), "error"), status=429)
    exercise.refresh_from_db()
    state = engine.State.model_validate(exercise.state)
    viewer = engine.Viewer(role=state.role_of(participant.pk), participant=participant.pk)
    return HttpResponse(panel_html(exercise, state, viewer, lang, participant=participant, request=request) + toast)


class HotwashForm(forms.Form):
    SCALE = [(n, str(n)) for n in domain.HOTWASH_SCALE]
    useful = forms.TypedChoiceField(
        label=gettext_lazy("How useful was this exercise for your work?"),
        choices=SCALE,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
        help_text=gettext_lazy("1 = not at all, 5 = very"),
    )
    realistic = forms.TypedChoiceField(
        label=gettext_lazy("How realistic did the crisis feel?"),
        choices=SCALE,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
        help_text=gettext_lazy("1 = not at all, 5 = very"),
    )
    went_well = forms.CharField(
        label=gettext_lazy("What went well?"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    to_improve = forms.CharField(
        label=gettext_lazy("What should we improve?"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sign = forms.BooleanField(
        label=gettext_lazy("Sign my answers with my name"),
        required=False,
        help_text=gettext_lazy("Off by default: your answers are stored without your name or seat."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) for k in ("useful", "realistic", "went_well", "to_improve")):
            raise forms.ValidationError(_("Answer at least one question."))
        return data


@require_http_methods(["GET", "POST"])
def hotwash(request: HttpRequest, code: str) -> HttpResponse:
    exercise = selectors.exercise_by_code(code)
    participant = selectors.participant_for(request.session, exercise)
    if participant is None:
        return redirect("join", code=exercise.code)
    done = domain.hotwash_done(exercise, participant.pk)
    form = HotwashForm(request.POST or None)
    if request.method == "POST" and not done:
        if not throttle.allow_local(exercise.pk, participant.pk, throttle.limit_of(exercise)):
            return HttpResponse(status=429)
        if form.is_valid():
            done = domain.submit_hotwash(
                exercise=exercise,
                participant=participant,
                answers=form.cleaned_data,
                language=_lang(request),
                sign=form.cleaned_data["sign"],
            )
            return redirect("debrief:hotwash", code=exercise.code)
    return render(request, "debrief/hotwash.html", {"exercise": exercise, "form": form, "done": done})


# --------------------------------------------------------------------------- improvement plan


@require_http_methods(["GET", "POST"])
@facilitator_required
def plan(request: HttpRequest) -> HttpResponse:
    """Every improvement-plan item the user may see; the rows of the exercises they may run are a
    formset whose changed statuses are recorded (``improvement_status``) on POST."""
    filters = domain.PlanFilters(
        status=request.GET.get("status", "open"),
        exercise=request.GET.get("exercise", ""),
        owner=request.GET.get("owner", "")[:100],
        due=request.GET.get("due", ""),
    )
    items, exercises = domain.plan_for(request.user, filters)
    runs = {e.pk for e in exercises if access.allows(access.level_of(request.user, e), "run")}
    if request.method == "POST":
        return _save_plan(request, PlanStatusFormSet(request.POST), {e.code: e for e in exercises if e.pk in runs})
    editable = [i for i in items if i.exercise.pk in runs]
    formset = PlanStatusFormSet(
        initial=[{"exercise": i.exercise.code, "key": i.key, "status": i.status} for i in editable]
    )
    form_of = {(i.exercise.pk, i.key): form for i, form in zip(editable, formset, strict=True)}
    return render(
        request,
        "debrief/plan.html",
        {
            "rows": [(i, form_of.get((i.exercise.pk, i.key))) for i in items],
            "formset": formset,
            "exercises": exercises,
            "filters": filters,
            "statuses": [(s, PLAN_STATUS_LABELS[s]) for s in d.STATUSES],
        },
    )


def _save_plan(request: HttpRequest, formset: Any, runnable: dict[str, Exercise]) -> HttpResponse:
    """Record each changed row's status, in the exercise's log; then back to the same filtered page."""
    if not formset.is_valid():
        raise Http404("no such status")  # the selects offer only valid statuses: a forged post
    for form in formset:
        if "status" not in form.changed_data:  # compared with the hidden value it was shown with
            continue
        exercise = runnable.get(form.cleaned_data["exercise"])
        if exercise is None:
            raise Http404("no such exercise")
        try:
            set_status(
                exercise=exercise, key=form.cleaned_data["key"], status=form.cleaned_data["status"], by=request.user
            )
        except engine.InvalidCommand as exc:
            messages.error(request, str(exc))
    return redirect(request.get_full_path())


@require_POST
@staff_view("run")
def plan_status(request: HttpRequest, exercise: Exercise, key: str) -> HttpResponse:
    status = request.POST.get("status", "")
    try:
        set_status(exercise=exercise, key=key, status=status, by=request.user)
    except engine.InvalidCommand as exc:
        messages.error(request, str(exc))
    except Exception as exc:
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        raise Http404("no such status") from None
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/debrief/plan/") else reverse("debrief:plan"))
