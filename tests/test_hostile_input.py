"""People paste anything: property-based tests on every door input comes in by.

- The scenario loader: any raw dict or YAML text gives a ``Scenario`` or a ``ScenarioError``
  listing problems, never another exception, and a rejected file stores nothing.
- Every command payload, as a WebSocket frame or a form brings it: ``parse_command`` and
  ``services.execute`` answer with ``InvalidCommand`` (nothing recorded) or a
  ``command_rejected`` event (nothing else changed), or the command happens and the cached
  state stays the fold of the log.
- Oversized and flooding clients are refused per participant without slowing anyone else.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from exercises import consumers, engine, selectors, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise
from scenarios import loader
from scenarios.library import latest, scenario_for, sync_library
from scenarios.loader import Problem, ScenarioError
from scenarios.models import ScenarioVersion

FIXTURES = Path(__file__).parent / "fixtures"
MINI_RAW = loader.load_file(FIXTURES / "mini.yaml")[1]
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --------------------------------------------------------------------------- values people paste

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1h", "-6d", "all", "true", "no", "\x00", "<script>", "ñ" * 3, "9" * 40]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
    max_leaves=12,
)


def _paths(node: Any, here: tuple = ()) -> list[tuple]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += _paths(value, (*here, n))
    return found


MINI_PATHS = _paths(MINI_RAW)[1:]


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> Any:
    """mini.yaml with one to four places replaced, removed or grown an unknown key."""
    raw = copy.deepcopy(MINI_RAW)
    for path in draw(st.lists(st.sampled_from(MINI_PATHS), min_size=1, max_size=4)):
        parent = raw
        try:
            for part in path[:-1]:
                parent = parent[part]
            how = draw(st.sampled_from(["replace", "delete", "extra", "duplicate"]))
            if how == "replace":
                parent[path[-1]] = draw(values)
            elif how == "delete":
                del parent[path[-1]]
            elif how == "extra" and isinstance(parent[path[-1]], dict):
                parent[path[-1]][draw(st.text(min_size=1, max_size=8))] = draw(values)
            elif how == "duplicate" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[path[-1]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this place
    return draw(st.one_of(st.just(raw), st.just(raw), values))  # now and then not a mapping at all


def assert_problems(exc: ScenarioError) -> None:
    assert exc.problems, "a ScenarioError must name at least one problem"
    for problem in exc.problems:
        assert isinstance(problem, Problem) and problem.message and problem.location and problem.file


@FUZZ
@given(raw=mutated_scenarios())
def test_it_parses_or_names_the_problems_of_any_scenario_dict(raw: Any) -> None:
    try:
        scenario = loader.parse(raw, source="fuzz.yaml")
    except ScenarioError as exc:
        assert_problems(exc)
    else:
        assert scenario.slug


yaml_text = st.one_of(
    st.text(alphabet=st.sampled_from(list("abc01:-[]{}#&*!|>'\"%@`,?\n\t ")), max_size=200),
    mutated_scenarios().map(lambda raw: yaml.safe_dump(raw, allow_unicode=True)),
    st.just("slug: mini\nslug: mini\n"),
    st.just("!!python/object:os.system 'true'\n"),
    st.just("- " * 60 + "x\n"),
)


@FUZZ
@given(text=yaml_text)
def test_it_loads_or_names_the_problems_of_any_yaml_text(text: str) -> None:
    try:
        loader.load_text(text, source="fuzz.yaml")
    except ScenarioError as exc:
        assert_problems(exc)


def test_it_names_the_problem_of_a_self_referencing_alias() -> None:
    with pytest.raises(ScenarioError, match="aliases"):
        loader.load_text("a: &x [*x]\n", source="fuzz.yaml")


def test_it_refuses_exponential_aliases_quickly() -> None:
    levels = "".join(f"l{n}: &l{n} [*l{n - 1}, *l{n - 1}, *l{n - 1}]\n" for n in range(1, 12))
    with pytest.raises(ScenarioError, match="aliases"):
        loader.load_text("l0: &l0 [x]\n" + levels, source="laughs.yaml")


@pytest.mark.django_db
@settings(
    deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(text=yaml_text)
def test_it_stores_nothing_from_a_rejected_file(tmp_path: Path, text: str) -> None:
    folder = tmp_path / f"lib{time.monotonic_ns()}"
    folder.mkdir()
    (folder / "mini.yaml").write_text(text, encoding="utf-8")
    before = ScenarioVersion.objects.count()
    report = sync_library([folder])
    if report.rejected:
        assert ScenarioVersion.objects.count() == before
        assert all(problems for problems in report.rejected.values())
    else:
        assert report.added or report.unchanged or report.stale


# --------------------------------------------------------------------------- command payloads

MEMBERS = c.Command.__origin__.__args__  # type: ignore[attr-defined]
COMMAND_TYPES = sorted(member.model_fields["type"].default for member in MEMBERS)
ids = st.sampled_from(
    ["president", "adviser", "defence", "senate", "us_command", "cabinet", "direct", "cable", "press", "trust",
     "sovereignty", "attack", "warning", "leak_story", "travel", "deploy_abroad", "statement", "total", "mx", "all",
     "nobody", "Président", "a" * 65]
)  # fmt: skip
field_values = st.one_of(  # plausible values weigh more, so many payloads reach the rules
    ids, ids, st.integers(min_value=1, max_value=80), st.booleans(), st.lists(ids, min_size=1, max_size=3),
    scalars, st.text(min_size=1900, max_size=2100), values,
)  # fmt: skip


def _shaped(member: Any) -> st.SearchStrategy[dict]:
    """A payload with this command's type and fields, any of them missing or holding anything."""
    fields = {name: field_values for name in member.model_fields if name != "type"}
    return st.fixed_dictionaries({"type": st.just(member.model_fields["type"].default)}, optional=fields)


payloads = st.one_of(
    *(_shaped(member) for member in MEMBERS),
    st.builds(
        lambda d, k, v: {**d, k: v},
        st.one_of(*(_shaped(m) for m in MEMBERS)),
        st.sampled_from(["HEADERS", "actor", "seq", "x"]),
        values,
    ),
    st.dictionaries(st.text(max_size=10), values, max_size=5),
    values,
)


@pytest.fixture
def running(db):
    """A running mini exercise at wall time T0: a president, an unseated player, the facilitator."""
    sync_library([FIXTURES])
    exercise = services.create_exercise(scenario=latest("mini"), title="Hostile", seed=3)
    president, _ = services.join(exercise=exercise, name="Pres", now=T0)
    services.execute(
        exercise_id=exercise.pk, actor=_participant(president.pk), command=c.ClaimRole(role="president"), now=T0
    )
    bystander, _ = services.join(exercise=exercise, name="Bystander", now=T0)
    services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start(), now=T0)
    return exercise, [engine.FACILITATOR, _participant(president.pk), _participant(bystander.pk)]


T0 = 1_000_000.0


def _participant(pid: str) -> engine.Actor:
    return engine.Actor(kind="participant", participant=pid)


def _snapshot(exercise_id: int) -> tuple[int, int, dict]:
    ex = Exercise.objects.get(pk=exercise_id)
    return ex.last_seq, Event.objects.filter(exercise_id=exercise_id).count(), ex.state


@settings(FUZZ, max_examples=400)
@given(payload=payloads, who=st.integers(min_value=0, max_value=2), later=st.sampled_from([0.0, 0.0, 0.0, 30.0, 200.0]))
def test_it_answers_any_command_payload_clearly_and_changes_nothing_when_malformed(
    running, payload, who, later
) -> None:
    exercise, actors = running
    with transaction.atomic():  # each example starts from the same exercise
        before = _snapshot(exercise.pk)
        try:
            command = engine.parse_command(payload)
            result = services.execute(exercise_id=exercise.pk, actor=actors[who], command=command, now=T0 + later)
        except engine.InvalidCommand as exc:
            event("invalid")
            assert str(exc).strip(), "an InvalidCommand must say what is wrong"
            assert _snapshot(exercise.pk) == before, "malformed input changed the exercise"
        else:
            last_seq, count, _ = before
            ex = Exercise.objects.get(pk=exercise.pk)
            assert [e.seq for e in result.events] == list(range(last_seq + 1, ex.last_seq + 1))
            assert Event.objects.filter(exercise=ex).count() == count + len(result.events)
            event("rejected" if result.rejection is not None else "accepted")
            if result.rejection is not None:
                assert result.rejection.payload["rule"] and result.rejection.payload["code"]
                assert result.events[-1] is result.rejection, "a refused command did something after its refusal"
                if later == 0:  # no clock to catch up: the refusal is all that happened
                    assert result.events == [result.rejection]
            # Whatever happened, the cached state is still the fold of the log.
            assert engine.fold(scenario_for(ex.scenario), selectors.log(ex.pk)) == selectors.state_of(ex)
        transaction.set_rollback(True)


@FUZZ
@given(payload=payloads)
def test_it_refuses_unknown_shapes_before_the_engine_sees_them(payload) -> None:
    known = isinstance(payload, dict) and payload.get("type") in COMMAND_TYPES
    try:
        command = engine.parse_command(payload)
    except engine.InvalidCommand as exc:
        assert str(exc).strip()
    else:
        assert known and set(payload) - {"type"} <= set(type(command).model_fields)


# --------------------------------------------------------------------------- floods and huge frames

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1")


async def _connect(code: str, cookie: str) -> WebsocketCommunicator:
    from config.asgi import application

    communicator = WebsocketCommunicator(
        application, f"/ws/exercise/{code}/", headers=[ORIGIN, HOST, (b"cookie", f"sessionid={cookie}".encode())]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _drain(communicator: WebsocketCommunicator, quiet: float = 0.5, limit: float = 10.0) -> list[str]:
    """Every frame until the socket has been quiet for ``quiet`` seconds (at most ``limit``)."""
    frames: list[str] = []
    deadline = time.monotonic() + limit
    # receive_nothing, not a timed-out receive_from: that would cancel the application.
    while time.monotonic() < deadline and not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_from())
    return frames


def _seated(exercise: Exercise, name: str, role: str) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    participant, _ = services.join(exercise=exercise, name=name)
    services.execute(exercise_id=exercise.pk, actor=_participant(participant.pk), command=c.ClaimRole(role=role))
    store = SessionStore()
    store[selectors.SESSION_KEY] = {str(exercise.pk): participant.pk}
    store.create()
    assert store.session_key is not None  # create() sets it
    return store.session_key


def _texts(exercise_id: int, role: str) -> list[str]:
    rows = Event.objects.filter(exercise_id=exercise_id, type="message_sent", role=role).order_by("seq")
    return [r.payload["text"] for r in rows]


@pytest.fixture
def table(transactional_db, settings):
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "RATE_LIMIT_PER_10S": 5}
    sync_library([FIXTURES])
    exercise = services.create_exercise(scenario=latest("mini"), title="Flood")
    return exercise, _seated(exercise, "Flood", "adviser"), _seated(exercise, "Calm", "president")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_limits_a_flooding_participant_across_all_their_sockets_and_not_the_others(table) -> None:
    exercise, flood_cookie, calm_cookie = table
    tabs = [await _connect(exercise.code, flood_cookie) for _ in range(2)]  # two tabs do not double the budget
    calm = await _connect(exercise.code, calm_cookie)
    try:
        for n in range(20):
            await tabs[n % 2].send_to(
                text_data=json.dumps({"type": "send_message", "channel": "cabinet", "text": f"flood-{n}"})
            )
        for n in range(3):
            await calm.send_to(
                text_data=json.dumps({"type": "send_message", "channel": "cabinet", "text": f"calm-{n}"})
            )
        refused = [f for tab in tabs for f in await _drain(tab) if "toast" in f]
        await _drain(calm)
    finally:
        for communicator in [*tabs, calm]:
            await communicator.disconnect()
    flooded = await database_sync_to_async(_texts)(exercise.pk, "adviser")
    assert 5 <= len(flooded) <= 6, flooded  # the bucket (5) and at most one token refilled meanwhile
    # Told, but not once per dropped frame: one "slow down" a second per socket (answering a flood
    # frame for frame is the amplification that slowed everyone else, issue 9 item 4).
    assert 1 <= len(refused) <= 4, refused
    assert await database_sync_to_async(_texts)(exercise.pk, "president") == ["calm-0", "calm-1", "calm-2"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_refuses_an_oversized_frame_and_records_nothing(table) -> None:
    exercise, flood_cookie, _ = table
    before = await database_sync_to_async(lambda: Exercise.objects.get(pk=exercise.pk).last_seq)()
    tab = await _connect(exercise.code, flood_cookie)
    try:
        huge = json.dumps({"type": "send_message", "channel": "cabinet", "text": "x" * consumers.MAX_FRAME_BYTES})
        await tab.send_to(text_data=huge)
        await tab.send_to(bytes_data=b"\x00" * 100)
        answers = await _drain(tab)
    finally:
        await tab.disconnect()
    assert len([a for a in answers if "toast" in a]) == 2
    assert await database_sync_to_async(lambda: Exercise.objects.get(pk=exercise.pk).last_seq)() == before


def test_it_refills_the_bucket_over_time(monkeypatch) -> None:
    from exercises import throttle

    clock = [100.0]
    monkeypatch.setattr(throttle.time, "monotonic", lambda: clock[0])
    limiter = throttle.Bucket(per_10s=3)
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    clock[0] += 3.34  # a little over one token's worth (0.3 a second)
    assert [limiter.allow(), limiter.allow()] == [True, False]
    clock[0] += 3600  # never more than the burst
    assert sum(limiter.allow() for _ in range(10)) == 3
