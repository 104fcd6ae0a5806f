"""Seat bots in the engine: role-policy bots play their roles, pace themselves, keep the rules.

Everything here drives the engine in memory (no database): the clock, ticked or caught up
at once, wakes the seated bots (``exercises.engine.policy``).
"""

from __future__ import annotations

import copy
import functools
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from exercises import engine
from exercises.engine import commands as c
from exercises.engine.conditions import holds
from exercises.engine.policy.turn import WAKE
from scenarios.loader import ScenarioError, load_file, parse
from scenarios.schema import Scenario

LIBRARY = Path(__file__).parents[1] / "scenarios" / "library"
FIXTURES = Path(__file__).parent / "fixtures"
SLUGS = ["september-2001", "pipeline-2007", "katrina-2005"]
SEEDS = range(1, 21)
W0 = 1_000_000_000.0
F = engine.FACILITATOR


@functools.cache
def library(slug: str) -> Scenario:
    return load_file(LIBRARY / f"{slug}.yaml")[0]


@functools.cache
def mini() -> Scenario:
    return load_file(FIXTURES / "mini.yaml")[0]


def table(sc: Scenario, seed: int, *, policy: str = "role", roles=None, orders=None) -> engine.State:
    """An exercise with bots in ``roles`` (default: every played role), started at ``W0``."""
    state = engine.initial_state(sc)
    engine.apply(state, engine.opening_event(sc, content_hash="test", seed=seed, title="t"))
    for role in roles if roles is not None else [r.id for r in sc.roles if not r.institution]:
        kind = "script" if sc.role(role).institution and policy == "role" and orders else policy
        cmd = c.SeatBot(role=role, policy=kind, orders=(orders or {}).get(role, {}))
        events, state = engine.run(sc, state, F, cmd, seed=seed, wall=W0)
        assert events[-1].type == "bot_seated", events[-1]
    _events, state = engine.run(sc, state, F, c.Start(), seed=seed, wall=W0)
    return state


def play(sc: Scenario, seed: int, *, policy: str = "role", step: float | None = None, **kwargs):
    """Bots play to the scenario's end; (final state, every event). ``step``: tick every so many seconds."""
    state = table(sc, seed, policy=policy, **kwargs)
    events: list[engine.Event] = []
    if step is None:  # one catch-up to the end: what the counterfactual runner does
        new, state = engine.run(sc, state, engine.SYSTEM, c.Tick(), seed=seed, wall=W0 + 10**8)
        events += new
    else:  # a worker's ticker
        wall = W0
        while state.status == "running":
            wall += step
            new, state = engine.run(sc, state, engine.SYSTEM, c.Tick(), seed=seed, wall=wall)
            events += new
    return state, events


def objective_share(sc: Scenario, state: engine.State) -> float:
    met = sum(o.points for r in sc.roles for o in r.objectives if holds(o.done_when, state, sc))
    return met / sum(o.points for r in sc.roles for o in r.objectives)


def bot_refusals(events: list[engine.Event]) -> Counter[str]:
    return Counter(e.actor for e in events if e.type == "command_rejected" and e.actor.startswith(c.BOT_PREFIX))


@functools.cache
def outcomes(slug: str, policy: str) -> list[tuple[float, int]]:
    """(objective share, most rule refusals of one bot) for each of the 20 seeds."""
    sc = library(slug)
    out = []
    for seed in SEEDS:
        state, events = play(sc, seed, policy=policy)
        out.append((objective_share(sc, state), max(bot_refusals(events).values(), default=0)))
    return out


# --------------------------------------------------------------------------- playing well


@pytest.mark.parametrize("slug", SLUGS)
def test_role_bots_beat_random_bots_on_their_own_objectives(slug: str) -> None:
    """Across 20 seeds, role bots meet more of their objectives than random bots, nearly every time.

    Figures (docs/what-if.md): mean share of objective points met, role vs random —
    September 0.87 vs 0.27, Pipeline 0.89 vs 0.27, Katrina 0.94 vs 0.23; role bots win 20/20 in each.
    Mutation: ``initiative`` scoring moves by minus their value (bots chase what hurts them) →
    role bots win 0 of 20 in every scenario.
    """
    role, chance = outcomes(slug, "role"), outcomes(slug, "random")
    wins = sum(r[0] > b[0] for r, b in zip(role, chance, strict=True))
    mean_role = sum(r[0] for r in role) / len(role)
    mean_random = sum(b[0] for b in chance) / len(chance)
    assert wins >= 18, f"role bots won only {wins} of 20"
    assert mean_role >= 2 * mean_random, (mean_role, mean_random)


@pytest.mark.parametrize("slug", SLUGS)
def test_role_bots_keep_the_rules(slug: str) -> None:
    """At most a couple of rule refusals per bot per exercise (they are 0 today; random bots: up to 26).

    Mutation: drop the ``turn.check(action)`` filter in ``initiative`` → forbidden and out-of-phase
    proposals are refused by the dozen.
    """
    worst = max(refused for _share, refused in outcomes(slug, "role"))
    assert worst <= 2, f"a role bot had {worst} rule refusals in one exercise"
    assert max(refused for _share, refused in outcomes(slug, "random")) > worst  # the test can tell them apart


def test_it_plays_the_same_game_for_the_same_seed() -> None:
    sc = library("katrina-2005")
    first = [e.as_dict() for e in play(sc, 3)[1]]
    assert first == [e.as_dict() for e in play(sc, 3)[1]]
    assert first != [e.as_dict() for e in play(sc, 4)[1]]


def test_it_decides_the_same_however_often_the_clock_is_ticked() -> None:
    """One catch-up to the end and a tick every 2 s give the same log: bots act at their own
    wake times, under whatever command catches the clock up, so workers' ticks cannot make a
    bot act twice or skip a move.

    Mutation: wake times drawn from ``state.seq`` instead of the seat's ``mark`` (they then move
    with every event) → the two logs part within the first game day.
    """
    sc = library("katrina-2005")
    once = [e.as_dict() for e in play(sc, 5)[1]]
    ticked = [e.as_dict() for e in play(sc, 5, step=2.0)[1]]
    assert any(e["actor"].startswith(c.BOT_PREFIX) for e in once)
    assert ticked == once


def test_the_fold_of_a_bots_game_is_its_live_state() -> None:
    sc = library("september-2001")
    state = table(sc, 2)
    opening = engine.State.model_validate(state.model_dump())
    events, state = engine.run(sc, state, engine.SYSTEM, c.Tick(), seed=2, wall=W0 + 10**8)
    replayed = opening
    for event in events:
        engine.apply(replayed, event)
    assert replayed == state
    assert state.bots and all(seat.mark for seat in state.bots.values())


def test_a_bot_sees_only_the_indicators_its_role_may_see() -> None:
    """Mutation: drop ``hidden`` from ``Board`` → the US president's bot reads Mexico's Congress."""
    from exercises.engine.policy.value import board_for

    sc = library("september-2001")
    state = table(sc, 1)
    state.indicators["congress"] = 3  # visible to Mexico only
    assert board_for(sc, "mx_president", state).base.indicators["congress"] == 3
    assert board_for(sc, "us_president", state).base.indicators["congress"] == sc.indicator("congress").start


# --------------------------------------------------------------------------- like a person


def real_seconds(sc: Scenario, start: int, end: int) -> float:
    """Real time between two game times, phase by phase at each one's rate."""
    total = 0.0
    for n, phase in enumerate(sc.phases):
        top = sc.phases[n + 1].start if n + 1 < len(sc.phases) else sc.clock.end
        low, high = max(start, phase.start), min(end, top)
        if high > low:
            total += (high - low) / phase.rate
    return total


def test_it_paces_itself_like_a_person() -> None:
    """A bot moves at most once per glance (≥ WAKE/4 real seconds apart) and proposes at most once
    per 45 s of real time — over a whole exercise, not every tick.

    Mutation: ``SPACING = (0, 0)`` → proposals a few seconds apart.
    """
    sc = library("september-2001")
    for seed in (1, 2, 3):
        _state, events = play(sc, seed)
        moves: dict[str, list[int]] = defaultdict(list)
        proposals: dict[str, list[int]] = defaultdict(list)
        for e in events:
            if e.actor.startswith(c.BOT_PREFIX):
                if not moves[e.actor] or moves[e.actor][-1] != e.game_time:
                    moves[e.actor].append(e.game_time)
                if e.type == "action_proposed":
                    proposals[e.actor].append(e.game_time)
        assert sum(len(m) for m in moves.values()) > 30
        for times in moves.values():
            gaps = [real_seconds(sc, a, b) for a, b in zip(times, times[1:], strict=False)]
            assert min(gaps, default=WAKE) >= WAKE / 4 - 1, gaps
        for times in proposals.values():
            gaps = [real_seconds(sc, a, b) for a, b in zip(times, times[1:], strict=False)]
            assert min(gaps, default=60) >= 45 - 1, gaps  # the policy's SPACING, written out: a mutation must show


def test_it_speaks_only_where_its_role_may_and_in_both_languages() -> None:
    sc = library("september-2001")
    said = 0
    for seed in (1, 2):
        state = table(sc, seed)
        channels = dict(state.channels)
        events, _ = engine.run(sc, state, engine.SYSTEM, c.Tick(), seed=seed, wall=W0 + 10**8)
        for e in events:
            if e.type in ("channel_opened", "channel_closed"):
                channels[e.payload["channel"]] = e.type == "channel_opened"
            if e.type == "message_sent" and e.actor.startswith(c.BOT_PREFIX):
                said += 1
                channel = sc.channel(e.payload["channel"])
                assert e.role in sc.roles_of(channel.members)
                assert channels[channel.id] and not channel.public
                assert e.payload["text_es"] and e.payload["text_es"] != e.payload["text"]
        assert not bot_refusals(events)
    assert said >= 10


def _mini_with_lines() -> Scenario:
    raw = copy.deepcopy(load_file(FIXTURES / "mini.yaml")[1])
    raw["bot_lines"] = [
        {"action": "travel", "text": {"en": "I must stand beside Bush.", "es": "Debo estar junto a Bush."}},
    ]
    return parse(raw, source="mini+lines")


def test_it_says_the_scenarios_own_line_for_an_action() -> None:
    """Mutation: ``words`` ignoring ``scenario_lines`` → the stock phrase is said instead."""
    sc = _mini_with_lines()
    lines = []
    for seed in range(1, 9):
        _state, events = play(sc, seed, roles=["president"])
        lines += [e.payload for e in events if e.type == "message_sent" and e.actor == "bot:president"]
    travel = [p for p in lines if "Bush" in p["text"] or "Washington" in p["text"]]
    assert travel, lines
    assert all(p["text"] == "I must stand beside Bush." and p["text_es"] == "Debo estar junto a Bush." for p in travel)


# --------------------------------------------------------------------------- institutions and orders


def test_a_bot_in_an_institution_answers_instead_of_the_dice_and_not_before_its_delay() -> None:
    """Mutation: drop the ``policy.answers`` skip in ``next_due`` → the engine answers first (by="engine")."""
    sc = mini()
    answered = 0
    for seed in range(1, 6):
        _state, events = play(sc, seed, roles=["president", "senate"])
        asked = {e.seq: e.game_time for e in events if e.type == "action_proposed" and e.payload["action"] == "travel"}
        for e in events:
            if e.type == "approval_resolved" and e.payload["approver"] == "senate":
                assert e.actor == "bot:senate" and e.payload["by"] == "senate", e
                assert e.game_time >= asked[e.payload["proposal"]] + 3600  # the Senate still takes its hour
                answered += 1
    assert answered


def test_orders_change_a_decision_and_nothing_else() -> None:
    """The Senate ordered to refuse never lets the president travel; ordered to grant, always does."""
    sc = mini()
    for seed in range(1, 6):
        refused, _ = play(sc, seed, roles=["president", "senate"], orders={"senate": {"travel@senate": "refuse"}})
        granted, _ = play(sc, seed, roles=["president", "senate"], orders={"senate": {"travel@senate": "grant"}})
        assert not refused.executed.get("travel")
        assert granted.executed.get("travel")


def test_an_order_to_go_is_carried_out_at_the_first_glance_and_never_means_never() -> None:
    """Ordered to go, the bot proposes the action within one glance of its becoming possible
    (here: the first moment of the first phase that allows it), whatever its own interests."""
    sc = library("september-2001")
    action = "mx_president_offer_military_support"
    possible = min(sc.phases[sc.phase_index[p]].start for p in sc.action(action).phases)
    for seed in (1, 2, 3):
        _forced, events = play(sc, seed, orders={"mx_president": {action: "go"}})
        first = next(e for e in events if e.type == "action_proposed" and e.payload["action"] == action)
        # A glance's grid cell is sized at the rate of the phase the bot last moved in; across a
        # boundary into a slower phase one glance can stretch a little past WAKE real seconds.
        assert 0 <= real_seconds(sc, possible, first.game_time) <= WAKE * 1.25
        never, _ = play(sc, seed, orders={"mx_president": {action: "never"}})
        assert action not in never.proposed


# --------------------------------------------------------------------------- seats and their rules


def _rejected(events: list[engine.Event]) -> str:
    rejected = [e for e in events if e.type == "command_rejected"]
    return rejected[-1].payload["rule"] if rejected else ""


def test_seats_a_bot_only_in_an_empty_seat_and_keeps_players_out_of_it() -> None:
    """Mutation: remove the bots check from ``_check_claimable`` → bob claims the bot's seat."""
    sc = mini()
    state = engine.initial_state(sc)
    engine.apply(state, engine.opening_event(sc, content_hash="t", seed=1, title="t"))
    bob = engine.Actor(kind="participant", participant="bob")
    for actor, cmd in [(bob, c.Join(name="Bob")), (bob, c.ClaimRole(role="president"))]:
        _events, state = engine.run(sc, state, actor, cmd, seed=1, wall=W0)
    events, state = engine.run(sc, state, F, c.SeatBot(role="president"), seed=1, wall=W0)
    assert _rejected(events) == "role_taken"
    with pytest.raises(engine.Forbidden):  # only the facilitator seats bots: a forged frame, not play
        engine.run(sc, state, bob, c.SeatBot(role="adviser"), seed=1, wall=W0)
    events, state = engine.run(sc, state, F, c.SeatBot(role="adviser"), seed=1, wall=W0)
    assert events[-1].type == "bot_seated" and events[-1].audience == (engine.EVERYONE,)
    assert state.bots["adviser"].policy == "role"
    with pytest.raises(engine.InvalidCommand):
        engine.run(sc, state, F, c.SeatBot(role="adviser"), seed=1, wall=W0)
    events, state = engine.run(sc, state, bob, c.ReleaseRole(), seed=1, wall=W0)
    events, state = engine.run(sc, state, bob, c.ClaimRole(role="adviser"), seed=1, wall=W0)
    assert _rejected(events) == "role_taken"
    events, state = engine.run(
        sc, state, F, c.SendMessage(channel="cabinet", text="x", as_role="adviser"), seed=1, wall=W0
    )
    assert _rejected(events) == "role_filled"  # the facilitator does not play a bot's role
    events, state = engine.run(sc, state, F, c.UnseatBot(role="adviser"), seed=1, wall=W0)
    assert events[-1].type == "bot_unseated" and "adviser" not in state.bots
    events, state = engine.run(sc, state, bob, c.ClaimRole(role="adviser"), seed=1, wall=W0)
    assert events[-1].type == "role_claimed"


def test_a_bot_in_an_institution_takes_its_answers_from_the_facilitator() -> None:
    sc = mini()
    state = table(sc, 1, roles=["senate"])
    bob = engine.Actor(kind="participant", participant="bob")
    for cmd in (c.Join(name="Bob"), c.ClaimRole(role="president"), c.ProposeAction(action="travel")):
        events, state = engine.run(sc, state, bob, cmd, seed=1, wall=W0)
    proposal = next(e.seq for e in events if e.type == "action_proposed")
    events, state = engine.run(
        sc, state, F, c.ResolveApproval(proposal=proposal, approver="senate", grant=True), seed=1, wall=W0
    )
    assert _rejected(events) == "role_filled"


def test_orders_that_do_not_fit_the_role_are_refused_with_the_reason() -> None:
    sc = mini()
    state = engine.initial_state(sc)
    for orders, words in [
        ({"travel": "go"}, "adviser does not take travel"),
        ({"nope": "go"}, "no action 'nope'"),
        ({"travel@senate": "grant"}, "adviser does not approve travel"),
        ({"assign_tasks": "maybe"}, "choose one of go, never"),
    ]:
        with pytest.raises(engine.InvalidCommand, match=words):
            engine.run(sc, state, F, c.SeatBot(role="adviser", orders=orders), seed=1, wall=W0)


def test_no_client_can_speak_as_a_bot() -> None:
    """A bot's two-language line is an internal command: a frame carrying ``text_es`` is refused."""
    with pytest.raises(engine.InvalidCommand, match="text_es"):
        engine.parse_command({"type": "send_message", "channel": "cabinet", "text": "hi", "text_es": "hola"})
    with pytest.raises(engine.InvalidCommand):
        engine.parse_command({"type": "seat_bot", "role": "president", "policy": "genius"})


# --------------------------------------------------------------------------- the scenario field


def _problems(raw: dict) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse(raw, source="x.yaml")
    return "\n".join(str(p) for p in caught.value.problems)


def test_the_loader_checks_bot_lines() -> None:
    raw = load_file(FIXTURES / "mini.yaml")[1]
    text = {"en": "Go.", "es": "Vamos."}
    cases = [
        ({"action": "travl", "text": text}, "bot_lines[0].action: unknown action 'travl' (did you mean 'travel'?)"),
        ({"topic": "nothing", "text": text}, "bot_lines[0].topic: 'nothing' is not a topic"),
        ({"action": "travel", "role": "adviser", "text": text}, "'adviser' cannot take travel"),
        ({"action": "travel", "on": "grant", "role": "president", "text": text}, "'president' cannot answer travel"),
        ({"action": "travel", "text": {"en": "x" * 201, "es": "y"}}, "bot_lines[0].text.en: 201 characters"),
        ({"action": "travel", "topic": "support", "text": text}, "exactly one of 'action' or 'topic'"),
        ({"action": "travel", "text": {"en": "Only English"}}, "bot_lines[0].text.es: missing required key"),
    ]
    for line, expected in cases:
        assert expected in _problems({**copy.deepcopy(raw), "bot_lines": [line]}), line
    ok = {**copy.deepcopy(raw), "bot_lines": [{"action": "travel", "on": "grant", "role": "senate", "text": text}]}
    assert parse(ok, source="x.yaml").bot_lines[0].role == "senate"


def test_the_september_scenario_writes_a_few_lines_for_its_bots() -> None:
    sc = library("september-2001")
    assert len(sc.bot_lines) >= 3
    assert all(line.text.en and line.text.es for line in sc.bot_lines)
