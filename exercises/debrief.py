"""The live debrief, the hot wash and the improvement plan: reads and service calls.

Domain logic only (views in ``debrief_views``): picking the key moments from the log (through
``engine.debrief.pick_moments``), the debrief panel each screen shows, the report's debrief
section, the hot-wash form's storage, and the improvement-plan items across exercises.
Every change to an exercise goes through ``services.execute`` (called from ``debrief_views``); the hot wash is the one thing
stored outside the log, on purpose (anonymous answers have no place in an attributed,
sequenced record: see docs/what-if.md, "Hot wash").
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cachetools import LRUCache, cached
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import review.analytics
import review.log
import review.replay

from . import access, engine, wording
from .engine import debrief as d
from .engine.events import EventType
from .models import Event, Exercise

# --------------------------------------------------------------------------- starting


def counterfactual_results(exercise: Exercise) -> list[dict[str, Any]]:
    """Finished counterfactual jobs on this exercise, as moments' raw material (none is fine)."""
    try:
        from jobs.models import Job
    except ImportError:  # pragma: no cover - the jobs app is installed with the project
        return []
    out = []
    jobs = Job.objects.filter(kind__icontains="counterfactual", status="done").order_by("created_at")
    for job in jobs[:50]:
        params, result = job.params or {}, job.result or {}
        if params.get("code") != exercise.code or not isinstance(result, dict):
            continue
        rates = [o for o in result.get("objectives", []) if isinstance(o, dict)]
        met = sum(1 for o in rates if (o.get("rate") or 0) >= 0.5)
        changes = ", ".join(str(s) for s in params.get("changes") or params.get("set") or []) or "-"
        out.append(
            {
                "seq": params.get("at") or params.get("at_seq") or 0,
                "title_en": f"Counterfactual from #{params.get('at') or params.get('at_seq')}: {changes}"[:300],
                "title_es": f"Contrafáctico desde #{params.get('at') or params.get('at_seq')}: {changes}"[:300],
                "detail_en": f"{met} of {len(rates)} objectives met in most runs",
                "detail_es": f"{met} de {len(rates)} objetivos cumplidos en la mayoría de las corridas",
            }
        )
    return out[:3]


def moments_for(exercise: Exercise) -> list[d.Moment]:
    """The key moments the app proposes for this exercise's debrief."""
    log = review.log.load(exercise, lang="en")
    analysis = review.analytics.analyse(log)
    met = {r.id: (r.first_seq or 0) if r.met else None for ro in analysis.objectives for r in ro.results}
    events = [e.event() for e in log.entries]
    moments = d.pick_moments(
        log.scenario,
        events,
        analysis.final,
        objectives_met=met,
        counterfactuals=counterfactual_results(exercise),
    )
    return [_worded(m, log) for m in moments]


def _worded(moment: d.Moment, log: Any) -> d.Moment:
    """A refusal's reason in words (the engine's refusals are data: ``exercises/wording.py``)."""
    entry = log.by_seq.get(moment.seq)
    if moment.kind != "refusal" or entry is None or entry.type != EventType.COMMAND_REJECTED:
        return moment
    en = wording.rejection(entry.payload, log.scenario, "en")
    es = wording.rejection(entry.payload, log.scenario, "es")
    rule = entry.payload.get("rule", "")
    return moment.model_copy(update={"detail": d.Text(en=f"{rule}: {en}"[:300], es=f"{rule}: {es}"[:300])})


# --------------------------------------------------------------------------- the panel


@dataclass
class SideView:
    name: str
    role: str
    indicators: list[tuple[str, int, int]]
    feed: list[str]


@dataclass
class Panel:
    """What one screen shows of the debrief."""

    active: bool
    ended: bool
    step: int
    total: int
    moment: d.Moment | None
    title: str
    detail: str
    when: str
    question_id: str
    question: str  # the scenario's debrief question (q1..q10)
    poll_question: str
    options: list[tuple[int, str, int, int]]  # n, label, count, percent
    free: bool
    answers: int
    free_count: int
    shown: list[str]
    sides: list[SideView] = field(default_factory=list)
    private: list[dict[str, Any]] = field(default_factory=list)  # facilitator: free answers, with seq
    mine: dict[str, Any] | None = None  # a player's own answer to this step


@cached(
    cache=LRUCache(maxsize=32),
    key=lambda exercise, seq, lang: (exercise.pk, exercise.share_token, seq, lang),
    lock=threading.Lock(),  # cachetools' caches are not thread-safe
)
def then(exercise: Exercise, seq: int, lang: str) -> list[SideView]:
    """What each side saw right after event ``seq`` (the review's replay), cached per step.

    The share token is in the key with the primary key: a reused id never returns another
    exercise's screens."""
    log = review.log.load(exercise, lang=lang)
    out = []
    sc = log.scenario
    for side in sc.sides:
        role = next((r.id for r in sc.roles if r.side == side.id and not r.institution), "")
        if not role:
            continue
        screen = review.replay.screen(exercise, log, role=role, seq=max(seq, 1), lang=lang)
        indicators = [(i.name, i.value, i.percent) for i in screen.context["indicators"][:4]]
        feed = [item.title for item in screen.context["items"][:3]]
        out.append(SideView(side.name.get(lang), screen.title, indicators, feed))
    return out


def panel(
    exercise: Exercise,
    state: engine.State,
    viewer: engine.Viewer,
    lang: str,
    *,
    participant: str = "",
    with_sides: bool = False,
) -> Panel:
    """The debrief as ``viewer`` sees it: counts for all, free answers' words only when shown
    (the facilitator sees them all), a player's own answer only on their own screen."""
    from scenarios.library import scenario_for

    st = state.debrief
    moment, poll = st.current, st.poll
    total_answers = sum(st.counts) + st.free
    options = []
    if poll is not None:
        for n, option in enumerate(poll.options):
            count = st.counts[n] if n < len(st.counts) else 0
            options.append((n, option.get(lang), count, round(100 * count / total_answers) if total_answers else 0))
    question, qid = "", moment.question if moment else ""
    if qid:
        sc = scenario_for(exercise.scenario)
        q = next((q for q in sc.debrief if q.id == qid), None)
        question = q.text.get(lang) if q else ""
    result = Panel(
        active=st.active,
        ended=st.ended,
        step=st.step,
        total=len(st.order),
        moment=moment,
        title=moment.title.get(lang) if moment else "",
        detail=moment.detail.get(lang) if moment else "",
        when=review.log.offset_label(moment.game_time) if moment else "",
        question_id=qid,
        question=question,
        poll_question=poll.question.get(lang) if poll else "",
        options=options,
        free=bool(poll and poll.free),
        answers=total_answers,
        free_count=st.free,
        shown=[s["text"] for s in st.shown],
    )
    if viewer.facilitator:
        shown = {s["seq"] for s in st.shown}
        result.private = [
            {"seq": a["seq"], "text": a["text"], "shown": a["seq"] in shown}
            for a in st.answers.values()
            if a.get("option") is None
        ]
    if participant:
        result.mine = st.answers.get(f"p:{participant}")
    if with_sides and moment is not None and st.active:
        result.sides = then(exercise, moment.seq, lang)
    return result


# --------------------------------------------------------------------------- the report section


@dataclass
class StepResult:
    step: int
    title: str
    question: str
    poll_question: str
    options: list[tuple[str, int]]
    free: list[tuple[str, bool]]  # text, shown to the room
    notes: list[str]


def report_section(exercise: Exercise, lang: str) -> list[StepResult]:
    """Every debrief step with its poll results, the free answers and the facilitator's notes."""
    from scenarios.library import scenario_for

    sc = scenario_for(exercise.scenario)
    types = [d.DEBRIEF_STEP, d.POLL_ANSWERED, d.POLL_ANSWER_SHOWN, d.DEBRIEF_NOTED]
    rows = Event.objects.filter(exercise=exercise, type__in=types).order_by("seq").values_list("type", "payload", "seq")
    steps: dict[int, dict[str, Any]] = {}
    questions = {q.id: q.text.get(lang) for q in sc.debrief}
    for type_, payload, seq in rows:
        n = payload.get("step", 0)
        if type_ == d.DEBRIEF_STEP:
            steps[n] = {
                "moment": d.Moment.model_validate(payload["moment"]),
                "poll": d.Poll.model_validate(payload["poll"]),
            }
            steps[n].update(answers=[], shown=set(), notes=[])
        elif n in steps:
            if type_ == d.POLL_ANSWERED:
                steps[n]["answers"].append({**payload, "seq": seq})
            elif type_ == d.POLL_ANSWER_SHOWN:
                steps[n]["shown"].add(payload.get("answer"))
            else:
                steps[n]["notes"].append(payload.get("text", ""))
    out = []
    for n, s in sorted(steps.items()):
        poll, moment = s["poll"], s["moment"]
        counts, _free = d.tally(poll, s["answers"])
        out.append(
            StepResult(
                step=n,
                title=moment.title.get(lang),
                question=f"{moment.question}: {questions.get(moment.question, '')}" if moment.question else "",
                poll_question=poll.question.get(lang),
                options=[(o.get(lang), counts[i]) for i, o in enumerate(poll.options)],
                free=[(a["text"], a["seq"] in s["shown"]) for a in s["answers"] if a.get("option") is None],
                notes=s["notes"],
            )
        )
    return out


# --------------------------------------------------------------------------- hot wash

HOTWASH_SCALE = (1, 2, 3, 4, 5)


def hotwash_done(exercise: Exercise, participant: str) -> bool:
    from hotwash.models import Receipt

    return Receipt.objects.filter(exercise=exercise, participant_id=participant).exists()


def submit_hotwash(*, exercise: Exercise, participant: Any, answers: dict[str, Any], language: str, sign: bool) -> bool:
    """Store one player's feedback. Anonymous unless ``sign``: the answer row has no participant,
    no timestamp and a random id; the receipt (that they answered, not what) has no timestamp
    either, so the two cannot be matched by time or by number. False when already answered."""
    from hotwash.models import Receipt, Response

    try:
        with transaction.atomic():
            Receipt.objects.create(exercise=exercise, participant=participant)
            Response.objects.create(
                exercise=exercise,
                language=language,
                useful=answers.get("useful"),
                realistic=answers.get("realistic"),
                went_well=answers.get("went_well", ""),
                to_improve=answers.get("to_improve", ""),
                signed=participant if sign else None,
                signed_name=participant.name if sign else "",
            )
    except IntegrityError:
        return False
    return True


@dataclass
class HotwashSummary:
    count: int
    useful: list[tuple[int, int]]  # value, count
    realistic: list[tuple[int, int]]
    useful_mean: float | None
    realistic_mean: float | None
    comments: list[tuple[str, str, str]]  # went well, to improve, signed name ("" = anonymous)


def hotwash_summary(exercise: Exercise) -> HotwashSummary:
    from hotwash.models import Response

    rows = list(Response.objects.filter(exercise=exercise).order_by("id"))  # random ids: no order of arrival
    random.Random(exercise.pk).shuffle(rows)

    def dist(name: str) -> tuple[list[tuple[int, int]], float | None]:
        values = [getattr(r, name) for r in rows if getattr(r, name)]
        return [(v, values.count(v)) for v in HOTWASH_SCALE], (round(sum(values) / len(values), 1) if values else None)

    useful, useful_mean = dist("useful")
    realistic, realistic_mean = dist("realistic")
    return HotwashSummary(
        count=len(rows),
        useful=useful,
        realistic=realistic,
        useful_mean=useful_mean,
        realistic_mean=realistic_mean,
        comments=[(r.went_well, r.to_improve, r.signed_name) for r in rows if r.went_well or r.to_improve],
    )


# --------------------------------------------------------------------------- improvement plan


def status_of(row: dict[str, Any]) -> str:
    """A plan row's own status field read as open / in_progress / closed."""
    text = (row.get("status") or "").strip().lower().replace(" ", "_").replace("-", "_")
    if text in ("closed", "done", "cerrado", "cerrada", "hecho"):
        return "closed"
    if text in ("in_progress", "en_curso", "started", "en_progreso"):
        return "in_progress"
    return "open"


@dataclass
class Item:
    key: str
    exercise: Exercise
    issue: str
    action: str
    owner: str
    due: str
    due_date: date | None
    status: str
    changed_by: str = ""
    changed_at: Any = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.status != "closed" and self.due_date is not None and self.due_date < timezone.localdate()


def _parse_due(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def items_of(exercise: Exercise) -> list[Item]:
    """The plan rows of the exercise's latest written report, with their tracked status."""
    latest = Event.objects.filter(exercise=exercise, type=EventType.REPORT_EDITED).order_by("-seq").first()
    if latest is None:
        return []
    changes: dict[str, list[dict[str, Any]]] = {}
    for payload, created in (
        Event.objects.filter(exercise=exercise, type=d.IMPROVEMENT_STATUS)
        .order_by("seq")
        .values_list("payload", "created_at")
    ):
        changes.setdefault(payload.get("key", ""), []).append({**payload, "at": created})
    out = []
    for row in latest.payload.get("actions") or []:
        if not any((row.get(k) or "").strip() for k in ("issue", "action")):
            continue
        key = d.improvement_key(row.get("issue", ""), row.get("action", ""))
        history = changes.get(key, [])
        last = history[-1] if history else None
        out.append(
            Item(
                key=key,
                exercise=exercise,
                issue=row.get("issue", ""),
                action=row.get("action", ""),
                owner=row.get("owner", ""),
                due=row.get("due", ""),
                due_date=_parse_due(row.get("due", "")),
                status=last["status"] if last else status_of(row),
                changed_by=last.get("by", "") if last else "",
                changed_at=last["at"] if last else None,
                history=history,
            )
        )
    return out


@dataclass
class PlanFilters:
    status: str = "open"  # open = open or in progress; "all"; or one status
    exercise: str = ""
    owner: str = ""
    due: str = ""  # "overdue", "30" (within 30 days), ""


def plan_for(user: Any, filters: PlanFilters) -> tuple[list[Item], list[Exercise]]:
    """The improvement-plan items of every exercise (and workshop table) the user may see."""
    exercises = list(access.visible_exercises(user).filter(events__type=EventType.REPORT_EDITED).distinct())
    items: list[Item] = []
    for exercise in exercises:
        if filters.exercise and exercise.code != filters.exercise:
            continue
        items.extend(items_of(exercise))
    if filters.status == "open":
        items = [i for i in items if i.status != "closed"]
    elif filters.status in d.STATUSES:
        items = [i for i in items if i.status == filters.status]
    if filters.owner:
        items = [i for i in items if filters.owner.lower() in i.owner.lower()]
    if filters.due == "overdue":
        items = [i for i in items if i.overdue]
    elif filters.due.isdigit():
        horizon = timezone.localdate().toordinal() + int(filters.due)
        items = [i for i in items if i.due_date is not None and i.due_date.toordinal() <= horizon]
    items.sort(key=lambda i: (i.due_date is None, i.due_date or date.max, i.exercise.code, i.issue))
    return items, exercises


__all__ = ["Q"]
