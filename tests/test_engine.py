"""Engine unit tests: no database, no Django. Every command and every rule kind, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from exercises import engine
from exercises.engine import commands as c
from scenarios.schema import Scenario

from .harness import Table

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(yaml.safe_load(MINI.read_text()))


@pytest.fixture
def table(scenario: Scenario) -> Table:
    return Table(scenario)


# --------------------------------------------------------------------------- lobby


def test_it_joins_and_claims_a_role(table: Table) -> None:
    ann = table.seat("ann", "president")
    assert table.state.participants["ann"].role == "president"
    assert table.state.holders["president"] == "ann"
    assert ann.label == "p:ann"


def test_it_refuses_a_taken_role_naming_the_holder(table: Table) -> None:
    table.seat("ann", "president")
    bob = engine.Actor(kind="participant", participant="bob")
    table.do(bob, c.Join(name="Bob"))
    refusal = table.rejection(table.do(bob, c.ClaimRole(role="president")))
    assert refusal["rule"] == "role_taken"
    assert refusal["code"] == "role_held" and refusal["data"] == {"role": "president", "holder": "Ann"}


def test_it_refuses_an_institution_role(table: Table) -> None:
    bob = engine.Actor(kind="participant", participant="bob")
    table.do(bob, c.Join(name="Bob"))
    assert table.rejection(table.do(bob, c.ClaimRole(role="senate")))["rule"] == "institution"


def test_it_refuses_a_second_role_and_releases(table: Table) -> None:
    ann = table.seat("ann", "president")
    assert table.rejection(table.do(ann, c.ClaimRole(role="defence")))["rule"] == "one_role"
    table.do(ann, c.ReleaseRole())
    assert "president" not in table.state.holders
    table.do(ann, c.ClaimRole(role="defence"))
    assert table.state.holders["defence"] == "ann"


def test_it_lets_the_facilitator_assign_and_move_a_player(table: Table) -> None:
    bob = engine.Actor(kind="participant", participant="bob")
    table.do(bob, c.Join(name="Bob"))
    table.do(engine.FACILITATOR, c.AssignRole(participant="bob", role="foreign"))
    table.do(engine.FACILITATOR, c.AssignRole(participant="bob", role="defence"))
    assert table.state.holders == {"defence": "bob"}


def test_it_rejects_unknown_ids_as_invalid_without_an_event(table: Table) -> None:
    bob = engine.Actor(kind="participant", participant="bob")
    table.do(bob, c.Join(name="Bob"))
    before = table.state.seq
    with pytest.raises(engine.InvalidCommand):
        table.do(bob, c.ClaimRole(role="nobody"))
    assert table.state.seq == before


def test_it_stops_players_giving_facilitator_commands(table: Table) -> None:
    """An authorization refusal is Forbidden, not a recorded rule refusal (issue 9, item 10).

    Mutation: raising ``Rejected(RULE_AUTH, ...)`` again gives a ``command_rejected`` event here.
    """
    ann = table.seat("ann", "president")
    before = table.state.seq
    with pytest.raises(engine.Forbidden):
        table.do(ann, c.Start())
    assert table.state.status == "lobby"
    assert table.state.seq == before


# --------------------------------------------------------------------------- clock


def test_it_starts_releasing_what_is_due_at_the_first_phase(table: Table) -> None:
    table.start()
    assert table.state.status == "running"
    assert "background" in table.state.released
    assert table.state.game_time == -3600


def test_it_runs_the_clock_changes_phase_and_fires_scheduled_injects(table: Table) -> None:
    table.start()
    events = table.advance(3600)
    types = table.types(events)
    assert types.index("phase_changed") < types.index("inject_released")
    assert table.state.phase == "impact"
    assert "attack" in table.state.released
    assert table.state.indicators["trust"] < 60


def test_it_pauses_and_resumes_without_losing_game_time(table: Table) -> None:
    table.start()
    table.advance(600)
    table.do(engine.FACILITATOR, c.Pause())
    paused_at = table.state.game_time
    assert paused_at == -3000
    table.do(engine.SYSTEM, c.Tick(), at=table.wall + 10_000)
    assert engine.game_now(table.sc, table.state, table.wall) == paused_at
    table.do(engine.FACILITATOR, c.Resume())
    assert engine.game_now(table.sc, table.state, table.wall + 1) == paused_at + 60


def test_it_advances_a_phase_on_demand_releasing_what_lies_between(table: Table) -> None:
    table.start()
    table.do(engine.FACILITATOR, c.AdvancePhase())
    assert table.state.phase == "impact"
    assert "attack" in table.state.released
    table.do(engine.FACILITATOR, c.AdvancePhase())
    assert table.state.phase == "response"
    with pytest.raises(engine.InvalidCommand):
        table.do(engine.FACILITATOR, c.AdvancePhase())


def test_it_stops_the_clock_at_the_scenario_end(table: Table) -> None:
    table.start()
    table.do(engine.FACILITATOR, c.AdvancePhase())
    table.do(engine.FACILITATOR, c.AdvancePhase())
    table.advance(10 * 3600)
    assert table.state.game_time == table.sc.clock.end
    assert table.state.status == "paused"


def test_it_ends_and_then_refuses_play(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    table.do(engine.FACILITATOR, c.End())
    assert table.state.status == "ended"
    with pytest.raises(engine.InvalidCommand):
        table.do(ann, c.SendMessage(channel="cabinet", text="too late"))


# --------------------------------------------------------------------------- channels


def test_it_delivers_a_message_to_channel_members_only(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    (event,) = table.do(ann, c.SendMessage(channel="cabinet", text="hello"))
    assert event.type == "message_sent"
    assert engine.can_see(event, engine.Viewer(role="defence"))
    assert not engine.can_see(event, engine.Viewer(role="us_command"))
    assert not engine.can_see(event, engine.PUBLIC_VIEW)


def test_it_refuses_a_non_member(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    assert table.rejection(table.do(ann, c.SendMessage(channel="cable", text="x")))["rule"] == "membership"


def test_it_refuses_a_closed_channel_naming_its_rule_and_opens_it_at_a_cost(table: Table) -> None:
    dee = table.seat("dee", "defence")
    table.start()
    refusal = table.rejection(table.do(dee, c.SendMessage(channel="direct", text="hi")))
    assert refusal["rule"] == "R6"
    sovereignty = table.state.indicators["sovereignty"]
    table.do(dee, c.ProposeAction(action="open_direct"))
    assert table.state.channels["direct"] is True
    assert table.state.indicators["sovereignty"] == sovereignty - 8
    assert table.do(dee, c.SendMessage(channel="direct", text="hi"))[0].type == "message_sent"


def test_it_delays_an_embassy_cable(table: Table) -> None:
    fay = table.seat("fay", "foreign")
    table.start()
    (sent,) = table.do(fay, c.SendMessage(channel="cable", text="cable"))
    assert not engine.can_see(sent, engine.Viewer(role="us_command"))
    delivered = [e for e in table.advance(1800) if e.type == "message_delivered"]
    assert delivered and delivered[0].payload["text"] == "cable"
    assert engine.can_see(delivered[0], engine.Viewer(role="us_command"))


def test_it_lets_the_facilitator_close_and_open_a_channel(table: Table) -> None:
    table.do(engine.FACILITATOR, c.SetChannel(channel="cabinet", open=False, reason="blackout"))
    assert table.state.channels["cabinet"] is False
    table.do(engine.FACILITATOR, c.SetChannel(channel="cabinet", open=True))
    assert table.state.channels["cabinet"] is True


def test_it_makes_the_press_channel_public(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    (event,) = table.do(ann, c.SendMessage(channel="press", text="statement"))
    assert engine.can_see(event, engine.PUBLIC_VIEW)


# --------------------------------------------------------------------------- actions and rules


def test_it_needs_the_senate_vote_before_travel_r1(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    table.do(ann, c.ProposeAction(action="travel", rationale="Show solidarity"))
    assert not table.state.executed.get("travel")
    (proposal,) = table.state.pending_proposals()
    assert proposal.approvals[0].approver == "senate"
    table.advance(3600)
    resolved = [e for e in table.log if e.type == "approval_resolved"]
    assert resolved and "tally" in resolved[0].payload
    tally = resolved[0].payload["tally"]
    assert tally["yes"] + tally["no"] == 128
    granted = resolved[0].payload["status"] == "granted"
    assert bool(table.state.executed.get("travel")) is granted


def test_it_can_refuse_travel_and_the_refusal_costs_r1(scenario: Scenario) -> None:
    outcomes = set()
    for seed in range(12):
        table = Table(scenario, seed=seed)
        ann = table.seat("ann", "president")
        table.start()
        table.do(engine.FACILITATOR, c.AdjustIndicator(indicator="legitimacy", delta=-20, reason="disputed"))
        table.do(ann, c.ProposeAction(action="travel"))
        table.advance(3600)
        if table.state.refused.get("travel"):
            outcomes.add("refused")
            refused = next(e for e in table.log if e.type == "action_refused")
            assert refused.payload["rule"] == "R1"
            assert table.state.indicators["legitimacy"] == 27
        elif table.state.executed.get("travel"):
            outcomes.add("granted")
    assert "refused" in outcomes


def test_it_lets_a_deployment_bypass_the_senate_at_a_cost_r2(table: Table) -> None:
    dee = table.seat("dee", "defence")
    table.start()
    table.do(dee, c.ProposeAction(action="deploy_abroad"))
    (proposal,) = table.state.pending_proposals()
    sovereignty = table.state.indicators["sovereignty"]
    events = table.do(dee, c.Decide(proposal=proposal.id))
    executed = next(e for e in events if e.type == "action_executed")
    assert executed.payload["bypassed"] == [{"approver": "senate", "rule": "R2"}]
    assert table.state.indicators["sovereignty"] == sovereignty - 10


def test_it_refuses_to_bypass_an_approval_without_a_bypass(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    table.do(ann, c.ProposeAction(action="travel"))
    (proposal,) = table.state.pending_proposals()
    assert table.rejection(table.do(ann, c.Decide(proposal=proposal.id)))["rule"] == "R1"


def test_it_binds_an_adviser_order_only_when_the_president_endorses_r4(table: Table) -> None:
    ann = table.seat("ann", "president")
    ada = table.seat("ada", "adviser")
    table.start()
    cohesion = table.state.indicators["cohesion"]
    table.do(ada, c.ProposeAction(action="assign_tasks", rationale="Vulnerability list"))
    assert table.state.indicators["cohesion"] == cohesion
    (proposal,) = table.state.pending_proposals()
    table.do(ann, c.RespondApproval(proposal=proposal.id, grant=False, reason="Not now"))
    assert table.state.refused["assign_tasks"] == 1
    assert table.state.indicators["cohesion"] == cohesion


def test_it_executes_an_endorsed_adviser_order_r4(table: Table) -> None:
    ann = table.seat("ann", "president")
    ada = table.seat("ada", "adviser")
    table.start()
    table.do(ada, c.ProposeAction(action="assign_tasks"))
    (proposal,) = table.state.pending_proposals()
    table.do(ann, c.RespondApproval(proposal=proposal.id, grant=True))
    assert table.state.executed["assign_tasks"] == 1
    assert table.state.indicators["cohesion"] == 70


def test_it_refuses_an_approval_from_someone_else(table: Table) -> None:
    dee = table.seat("dee", "defence")
    ada = table.seat("ada", "adviser")
    table.start()
    table.do(ada, c.ProposeAction(action="assign_tasks"))
    (proposal,) = table.state.pending_proposals()
    assert table.rejection(table.do(dee, c.RespondApproval(proposal=proposal.id, grant=True)))["rule"] == "not_approver"


def test_it_needs_a_presidential_order_first_r5(table: Table) -> None:
    ann = table.seat("ann", "president")
    dee = table.seat("dee", "defence")
    table.start()
    assert table.rejection(table.do(dee, c.ProposeAction(action="deploy_home")))["rule"] == "R5"
    table.do(ann, c.ProposeAction(action="order_army"))
    table.do(dee, c.ProposeAction(action="deploy_home"))
    assert table.state.executed["deploy_home"] == 1


def test_it_moves_several_indicators_with_a_unilateral_card_r7_and_fires_a_threshold_inject(table: Table) -> None:
    una = table.seat("una", "us_command")
    table.start()
    table.do(una, c.ProposeAction(action="unilateral"))
    assert table.state.indicators["sovereignty"] == 55
    assert table.state.indicators["trust"] == 65
    assert "backlash" not in table.state.released
    table.do(engine.FACILITATOR, c.AdjustIndicator(indicator="sovereignty", delta=-10, reason="editorials"))
    assert "backlash" in table.state.released  # trigger: sovereignty < 50
    assert table.state.indicators["legitimacy"] == 40


def test_it_draws_detection_with_its_probability_r8(scenario: Scenario) -> None:
    successes = 0
    for seed in range(40):
        table = Table(scenario, seed=seed)
        dee = table.seat("dee", "defence")
        table.start()
        events = table.do(dee, c.ProposeAction(action="detect"))
        chance = next(e for e in events if e.type == "action_executed").payload["chance"]
        assert chance["probability"] == 0.125
        successes += chance["success"]
    assert 0 < successes < 15


def test_it_refuses_a_forbidden_action_r9(table: Table) -> None:
    una = table.seat("una", "us_command")
    table.start()
    refusal = table.rejection(table.do(una, c.ProposeAction(action="send_troops_us")))
    assert refusal["rule"] == "R9"
    assert refusal["code"] == "forbidden" and "not troops" in refusal["data"]["reason"]["en"]


def test_it_checks_public_statements_for_consistency_r3(table: Table) -> None:
    ann = table.seat("ann", "president")
    fay = table.seat("fay", "foreign")
    table.start()
    table.do(fay, c.ProposeAction(action="statement", option="total"))
    events = table.do(ann, c.ProposeAction(action="statement", option="constitutional"))
    contradiction = next(e for e in events if e.type == "contradiction")
    assert contradiction.payload["stances"] == ["total", "constitutional"]
    assert table.state.indicators["cohesion"] == 50
    executed = next(e for e in events if e.type == "action_executed")
    assert engine.can_see(executed, engine.PUBLIC_VIEW)


def test_it_charges_silence_until_a_statement_r14(table: Table) -> None:
    fay = table.seat("fay", "foreign")
    table.start()
    table.advance(3600)
    charged = [e for e in table.log if e.type == "pressure_checked" and e.payload["applied"]]
    assert charged
    table.do(fay, c.ProposeAction(action="statement", option="total"))
    table.do(engine.FACILITATOR, c.AdvancePhase())
    before = table.state.indicators["trust"]
    table.advance(3600)
    assert table.state.indicators["trust"] == before


def test_it_can_lose_noisy_intelligence_r12(scenario: Scenario) -> None:
    seen = {"inject_released": 0, "inject_lost": 0}
    for seed in range(16):
        table = Table(scenario, seed=seed)
        table.start()
        table.do(engine.FACILITATOR, c.AdvancePhase())
        table.advance(3600)
        warning = next(e for e in table.log if e.payload.get("inject") == "warning")
        seen[warning.type] += 1
    assert seen["inject_released"] and seen["inject_lost"]


def test_it_shows_a_hidden_card_to_its_recipient_only(scenario: Scenario) -> None:
    for seed in range(16):
        table = Table(scenario, seed=seed)
        table.start()
        table.do(engine.FACILITATOR, c.ReleaseInject(inject="warning"))
        released = [e for e in table.log if e.type == "inject_released" and e.payload["inject"] == "warning"]
        if released:
            event = released[0]
            assert engine.can_see(event, engine.Viewer(role="defence"))
            for role in ("president", "foreign", "us_command"):
                assert not engine.can_see(event, engine.Viewer(role=role))
            assert not engine.can_see(event, engine.PUBLIC_VIEW)
            assert engine.can_see(event, engine.FACILITATOR_VIEW)
            return
    pytest.fail("the warning was never delivered")


def test_it_limits_an_action_to_its_phase_and_to_once(table: Table) -> None:
    fay = table.seat("fay", "foreign")
    dee = table.seat("dee", "defence")
    table.start()
    assert table.rejection(table.do(fay, c.ProposeAction(action="late_only")))["rule"] == "phase"
    table.do(dee, c.ProposeAction(action="open_direct"))
    assert table.rejection(table.do(dee, c.ProposeAction(action="open_direct")))["rule"] == "once"


def test_it_refuses_another_roles_action_and_a_forged_role(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    assert table.rejection(table.do(ann, c.ProposeAction(action="unilateral")))["rule"] == "role"
    forged = c.SendMessage(channel="direct", text="x", as_role="defence")
    with pytest.raises(engine.Forbidden):
        table.do(ann, forged)


def test_it_lets_the_facilitator_act_for_an_unfilled_role_only(table: Table) -> None:
    table.seat("ann", "president")
    table.start()
    table.do(engine.FACILITATOR, c.ProposeAction(action="order_army", as_role="president"))
    assert table.state.rejections.get("role_filled") == 1
    table.do(engine.FACILITATOR, c.ProposeAction(action="unilateral", as_role="us_command"))
    assert table.state.executed["unilateral"] == 1


def test_it_lets_the_facilitator_resolve_an_institution(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    table.do(ann, c.ProposeAction(action="travel"))
    (proposal,) = table.state.pending_proposals()
    table.do(engine.FACILITATOR, c.ResolveApproval(proposal=proposal.id, approver="senate", grant=True, reason="whip"))
    assert table.state.executed["travel"] == 1


def test_it_withdraws_a_pending_proposal(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    table.do(ann, c.ProposeAction(action="travel"))
    (proposal,) = table.state.pending_proposals()
    table.do(ann, c.Withdraw(proposal=proposal.id))
    assert table.state.proposals[proposal.id].status == "withdrawn"
    table.advance(4 * 3600)
    assert not table.state.executed.get("travel")


def test_it_adjusts_an_indicator_with_a_reason_within_range(table: Table) -> None:
    (event,) = table.do(engine.FACILITATOR, c.AdjustIndicator(indicator="trust", delta=90, reason="test"))
    assert event.payload == {
        "indicator": "trust",
        "value": 100,
        "delta": 40,
        "cause": {"facilitator": True},
        "reason": "test",
    }


def test_it_releases_an_inject_now_and_an_adhoc_one(table: Table) -> None:
    table.start()
    table.do(engine.FACILITATOR, c.ReleaseInject(inject="leak_story"))
    assert "leak_story" in table.state.released
    (adhoc,) = table.do(engine.FACILITATOR, c.AdhocInject(title="Rumour", text="A rumour", recipients=["us"]))
    assert adhoc.audience == ("us_command",)


def test_it_records_receipts_once(table: Table) -> None:
    ann = table.seat("ann", "president")
    table.start()
    seq = table.state.released["background"]
    table.do(ann, c.MarkSeen(seq=seq))
    table.do(ann, c.MarkSeen(seq=seq))
    assert table.state.receipts[seq] == ["ann"]


def test_it_records_facilitator_notes_for_the_facilitator_only(table: Table) -> None:
    (note,) = table.do(engine.FACILITATOR, c.AddNote(text="slow start", role="president"))
    assert note.audience == ()
    assert not engine.can_see(note, engine.Viewer(role="president"))


def test_it_shows_constraints_before_the_player_tries(table: Table) -> None:
    table.seat("dee", "defence")
    table.start()
    views = {v.action.id: v for v in engine.action_views(table.sc, table.state, "defence")}
    assert not views["deploy_home"].available
    assert views["deploy_home"].constraints[0].rule == "R5"
    assert views["deploy_abroad"].available
    assert {k.kind for k in views["deploy_abroad"].constraints} == {"approval", "bypass"}


def test_it_parses_frames_strictly() -> None:
    with pytest.raises(engine.InvalidCommand, match="text"):
        engine.parse_command({"type": "send_message", "channel": "cabinet", "text": "x" * 5000})
    with pytest.raises(engine.InvalidCommand):
        engine.parse_command({"type": "send_message", "channel": "cabinet", "text": "x", "actor": "facilitator"})
    with pytest.raises(engine.InvalidCommand):
        engine.parse_command({"type": "drop_tables"})


# --------------------------------------------------------------------------- the record


def _play(scenario: Scenario, seed: int) -> Table:
    table = Table(scenario, seed=seed)
    ann = table.seat("ann", "president")
    dee = table.seat("dee", "defence")
    ada = table.seat("ada", "adviser")
    fay = table.seat("fay", "foreign")
    table.start()
    table.do(ann, c.ProposeAction(action="travel"))
    table.do(ada, c.ProposeAction(action="assign_tasks"))
    table.do(ann, c.RespondApproval(proposal=table.state.pending_proposals()[-1].id, grant=True))
    table.do(dee, c.ProposeAction(action="detect"))
    table.do(fay, c.SendMessage(channel="cable", text="note"))
    table.advance(2 * 3600)
    table.do(fay, c.ProposeAction(action="statement", option="total"))
    table.do(ann, c.ProposeAction(action="statement", option="constitutional"))
    table.advance(5 * 3600)
    table.do(engine.FACILITATOR, c.End())
    return table


def test_it_folds_the_log_into_the_live_state(scenario: Scenario) -> None:
    table = _play(scenario, seed=3)
    assert engine.fold(scenario, table.log) == table.state


def test_it_numbers_events_without_gaps(scenario: Scenario) -> None:
    table = _play(scenario, seed=3)
    assert [e.seq for e in table.log] == list(range(1, len(table.log) + 1))


def test_it_gives_the_same_log_for_the_same_seed(scenario: Scenario) -> None:
    first = [e.as_dict() for e in _play(scenario, seed=11).log]
    second = [e.as_dict() for e in _play(scenario, seed=11).log]
    assert first == second


def test_it_tells_when_the_clock_next_has_work(table: Table) -> None:
    assert engine.next_due(table.sc, table.state) is None
    table.start()
    assert engine.next_due(table.sc, table.state) == 0  # the attack inject and the impact phase
    table.advance(3600)
    assert engine.next_due(table.sc, table.state) == 3600  # the warning and the silence pressure


def test_it_tests_the_option_chosen_and_ignores_lost_injects(table: Table) -> None:
    from exercises.engine.conditions import holds
    from scenarios.schema import Condition

    fay = table.seat("fay", "foreign")
    table.start()
    table.do(fay, c.ProposeAction(action="statement", option="constitutional"))
    assert holds(Condition(action="statement", option="constitutional"), table.state, table.sc)
    assert not holds(Condition(action="statement", option="total"), table.state, table.sc)
    table.state.lost.append("background")
    assert not holds(Condition(inject="background"), table.state, table.sc)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "add_note", "text": "before\x00after"}, "add_note.text"),
        ({"type": "join", "name": "Ana\x00"}, "join.name"),
        ({"type": "send_message", "channel": "cabinet", "text": "\x00"}, "send_message.text"),
    ],
)
def test_a_nul_character_is_refused_with_its_field(data, field):
    """PostgreSQL cannot store a NUL in text or jsonb (a DataError mid-command, found by the hostile
    input property test on PostgreSQL); the command is refused before anything is written, naming
    the field. Mutation: dropping ``Cmd._no_nul`` turns this red."""
    with pytest.raises(engine.InvalidCommand, match=rf"^{field}: .*NUL"):
        engine.parse_command(data)
