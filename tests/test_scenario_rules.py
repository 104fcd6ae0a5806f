"""The paper's constraints bite in the shipped scenarios (issue 3, "Done means").

Engine-level: the real scenario files, no database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises import engine
from exercises.engine import commands as c
from scenarios.loader import load_file
from scenarios.schema import Scenario

from .harness import Table

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios" / "library"


def scenario(slug: str) -> Scenario:
    return load_file(LIBRARY / f"{slug}.yaml")[0]


def to_phase(table: Table, phase: str) -> None:
    while table.state.phase != phase:
        table.do(engine.FACILITATOR, c.AdvancePhase())


def released(table: Table, inject: str) -> bool:
    return inject in table.state.released


# --------------------------------------------------------------------------- september-2001


@pytest.fixture(scope="module")
def sept() -> Scenario:
    return scenario("september-2001")


def test_it_keeps_the_president_home_until_the_senate_votes_r1(sept: Scenario) -> None:
    outcomes = set()
    for seed in range(20):
        table = Table(sept, seed=seed)
        fox = table.seat("fox", "mx_president")
        table.start()
        to_phase(table, "washington_pilgrimage")
        table.do(fox, c.ProposeAction(action="mx_president_travel_washington", rationale="Solidarity in person"))
        assert not released(table, "fox_in_washington"), "he left before Congress answered"
        assert not table.state.executed.get("mx_president_travel_washington")
        table.advance(13 * 3600)
        vote = next(e for e in table.log if e.type == "approval_resolved")
        assert vote.payload["approver"] == "mx_senate" and vote.payload["rule"] == "R1"
        assert sum(vote.payload["tally"].values()) == 128
        if vote.payload["status"] == "granted":
            outcomes.add("granted")
            assert released(table, "fox_in_washington")
            trip = next(
                e for e in table.log if e.type == "inject_released" and e.payload["inject"] == "fox_in_washington"
            )
            assert trip.seq > vote.seq
        else:
            outcomes.add("refused")
            assert not released(table, "fox_in_washington")
            assert table.state.refused["mx_president_travel_washington"] == 1
    assert "refused" in outcomes, "a refusal must be possible"


def test_it_binds_the_advisers_order_only_with_endorsement_r4(sept: Scenario) -> None:
    table = Table(sept, seed=1)
    fox = table.seat("fox", "mx_president")
    adolfo = table.seat("adolfo", "mx_adviser")
    table.start()
    to_phase(table, "first_day")
    before = dict(table.state.indicators)
    table.do(adolfo, c.ProposeAction(action="mx_adviser_assign_tasks", rationale="Vulnerability list"))
    assert table.state.indicators["security"] == before["security"]
    (proposal,) = [p for p in table.state.pending_proposals() if p.action == "mx_adviser_assign_tasks"]
    assert proposal.approvals[0].approver == "mx_president" and proposal.approvals[0].kind == "endorsement"
    table.do(fox, c.RespondApproval(proposal=proposal.id, grant=False, reason="Not now"))
    assert table.state.refused["mx_adviser_assign_tasks"] == 1
    assert not table.state.executed.get("mx_adviser_assign_tasks")


def test_it_has_no_northcom_channel_in_2001(sept: Scenario) -> None:
    assert "sedena_northcom" not in sept.channels_by_id


# --------------------------------------------------------------------------- pipeline-2007


@pytest.fixture(scope="module")
def pipeline() -> Scenario:
    return scenario("pipeline-2007")


def test_it_refuses_sedena_talking_to_northcom_directly_r6(pipeline: Scenario) -> None:
    table = Table(pipeline, seed=2)
    sedena = table.seat("gal", "mx_sedena")
    table.start()
    refusal = table.rejection(table.do(sedena, c.SendMessage(channel="sedena_northcom", text="Training offer?")))
    assert refusal["rule"] == "R6"
    assert table.state.channels["sedena_northcom"] is False


def test_it_opens_the_northcom_channel_only_at_a_sovereignty_cost_r6(pipeline: Scenario) -> None:
    action = pipeline.action("mx_sedena_open_northcom_channel")
    table = Table(pipeline, seed=2)
    sedena = table.seat("gal", "mx_sedena")
    table.seat("cal", "mx_president")
    table.start()
    if action.phases:
        to_phase(table, action.phases[0])
    sovereignty = table.state.indicators["sovereignty"]
    table.do(sedena, c.ProposeAction(action="mx_sedena_open_northcom_channel", rationale="We need the training"))
    for proposal in table.state.pending_proposals():  # an approval by a played role: the facilitator answers
        for approval in proposal.approvals:
            if approval.status == "pending":
                if pipeline.role(approval.approver).institution:
                    table.do(
                        engine.FACILITATOR,
                        c.ResolveApproval(proposal=proposal.id, approver=approval.approver, grant=True),
                    )
                else:
                    holder = table.state.holders.get(approval.approver)
                    actor = engine.Actor(kind="participant", participant=holder) if holder else engine.FACILITATOR
                    table.do(
                        actor,
                        c.RespondApproval(
                            proposal=proposal.id, grant=True, as_role=None if holder else approval.approver
                        ),
                    )
    assert table.state.channels["sedena_northcom"] is True
    assert table.state.indicators["sovereignty"] < sovereignty
    assert table.do(sedena, c.SendMessage(channel="sedena_northcom", text="Agreed"))[0].type == "message_sent"


def test_it_makes_the_unilateral_card_cost_sovereignty_and_legitimacy_r7(pipeline: Scenario) -> None:
    action = pipeline.action("us_unilateral_option")
    table = Table(pipeline, seed=3)
    actor = table.seat("ren", action.roles[0])
    table.start()
    if action.phases:
        to_phase(table, action.phases[0])
    before = dict(table.state.indicators)
    table.do(
        actor, c.ProposeAction(action="us_unilateral_option", option=action.options[0].id if action.options else None)
    )
    for proposal in table.state.pending_proposals():
        for approval in proposal.approvals:
            table.do(engine.FACILITATOR, c.RespondApproval(proposal=proposal.id, grant=True, as_role=approval.approver))
    assert table.state.executed.get("us_unilateral_option")
    assert table.state.indicators["sovereignty"] < before["sovereignty"]
    assert table.state.indicators["legitimacy"] < before["legitimacy"]


def test_it_forbids_us_troops_in_2007_r9(pipeline: Scenario) -> None:
    action = pipeline.action("us_deploy_troops")
    assert action.forbidden is not None and action.forbidden.rule == "R9"
    for role in action.roles:
        table = Table(pipeline, seed=4)
        actor = table.seat("usr", role)
        table.start()
        refusal = table.rejection(table.do(actor, c.ProposeAction(action="us_deploy_troops")))
        assert refusal["rule"] == "R9"
        assert not table.state.executed.get("us_deploy_troops")


def test_it_shows_the_cisen_warning_to_cisen_alone_r12(pipeline: Scenario) -> None:
    inject = pipeline.inject("cisen_warning")
    assert inject.hidden and pipeline.roles_of(inject.recipients) == ["mx_cisen"]
    for seed in range(30):
        table = Table(pipeline, seed=seed)
        table.start()
        table.do(engine.FACILITATOR, c.ReleaseInject(inject="cisen_warning"))
        events = [e for e in table.log if e.payload.get("inject") == "cisen_warning"]
        if events[0].type != "inject_released":
            continue  # lost on the way (R12): seen by nobody but the facilitator
        card = events[0]
        assert engine.can_see(card, engine.Viewer(role="mx_cisen"))
        for role in pipeline.roles:
            if role.id != "mx_cisen":
                assert not engine.can_see(card, engine.Viewer(role=role.id)), role.id
        assert not engine.can_see(card, engine.PUBLIC_VIEW)
        return
    pytest.fail("the CISEN warning never got through in 30 seeds")


def test_it_needs_a_presidential_order_before_the_army_deploys_r5(pipeline: Scenario) -> None:
    table = Table(pipeline, seed=5)
    sedena = table.seat("gal", "mx_sedena")
    table.start()
    action = pipeline.action("mx_sedena_deploy_army")
    if action.phases:
        to_phase(table, action.phases[0])
    refusal = table.rejection(table.do(sedena, c.ProposeAction(action="mx_sedena_deploy_army")))
    assert refusal["rule"] == "R5"


# --------------------------------------------------------------------------- katrina-2005


@pytest.fixture(scope="module")
def katrina() -> Scenario:
    return scenario("katrina-2005")


def _propose_convoy(katrina: Scenario, seed: int) -> tuple[Table, engine.Actor, int]:
    table = Table(katrina, seed=seed)
    sedena = table.seat("gen", "mx_sedena")
    for role in ("mx_president",):
        table.seat("pres", role)
    table.start()
    action = katrina.action("mx_sedena_send_convoy")
    if action.phases:
        to_phase(table, action.phases[0])
    table.do(sedena, c.ProposeAction(action="mx_sedena_send_convoy", rationale="Aid to Texas"))
    pending = [p for p in table.state.pending_proposals() if p.action == "mx_sedena_send_convoy"]
    assert pending, "the convoy must wait for approval"
    return table, sedena, pending[0].id


def test_it_holds_the_convoy_for_the_senate_r2(katrina: Scenario) -> None:
    spec = katrina.action("mx_sedena_send_convoy").approvals
    assert any(a.by == "mx_senate" and a.rule == "R2" for a in spec)
    table, _, _ = _propose_convoy(katrina, seed=1)
    assert not table.state.executed.get("mx_sedena_send_convoy")


def test_it_lets_the_convoy_go_without_the_senate_at_a_cost_r2(katrina: Scenario) -> None:
    table, sedena, proposal = _propose_convoy(katrina, seed=1)
    before = dict(table.state.indicators)
    events = table.do(sedena, c.Decide(proposal=proposal))
    executed = [e for e in events if e.type == "action_executed"]
    if not executed:  # another approval without bypass (e.g. the president) must come first
        pytest.fail(f"bypass refused: {table.rejection(events)}")
    assert any(b["approver"] == "mx_senate" for b in executed[0].payload["bypassed"])
    costs = {k: before[k] - v for k, v in table.state.indicators.items() if v < before[k]}
    assert costs, "going without the Senate must cost something"
