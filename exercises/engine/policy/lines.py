"""What a bot says, and where: short bilingual lines after its moves.

A bot speaks only on a channel its role belongs to that is open, and only to someone the
move concerns: the approvers of what it proposed (or its side, when nobody has to approve),
the proposer of what it answered. The words come from the scenario's ``bot_lines`` (per
action, or per statement topic); without one, a stock phrase naming the action.
"""

from __future__ import annotations

from scenarios.schema import Action, BotLine

from .. import commands as c
from .turn import Move, Turn

SAY = 0.6  # the chance a bot comments on a move of its own

# (en, es) with ``{title}``: the action's title in that language.
STOCK: dict[str, list[tuple[str, str]]] = {
    "propose": [
        ("We are going ahead with this: {title}.", "Seguimos adelante con esto: {title}."),
        ("I am putting this on the table: {title}.", "Pongo esto sobre la mesa: {title}."),
    ],
    "ask": [
        ("{title}: I need your answer.", "{title}: necesito su respuesta."),
        ("Please decide on this soon: {title}.", "Por favor, decidan pronto sobre esto: {title}."),
    ],
    "grant": [
        ("You have my backing: {title}.", "Cuenta con mi respaldo: {title}."),
        ("Agreed. Go ahead: {title}.", "De acuerdo. Adelante: {title}."),
    ],
    "refuse": [
        ("I cannot back this: {title}.", "No puedo respaldar esto: {title}."),
        ("Not like this: {title}.", "Así no: {title}."),
    ],
    "bypass": [
        ("We could not wait any longer: {title}.", "No podíamos esperar más: {title}."),
    ],
}
CHATTER: list[tuple[str, str]] = [  # the random bots' small talk
    ("What is our line on this?", "¿Cuál es nuestra postura?"),
    ("We need a decision within the hour.", "Necesitamos una decisión en menos de una hora."),
    ("Washington is asking for details.", "Washington pide detalles."),
    ("Can we coordinate before the press conference?", "¿Podemos coordinarnos antes de la conferencia?"),
    ("Noted. We will brief the president.", "Entendido. Informaremos al presidente."),
]


def scenario_lines(turn: Turn, action: Action, on: str) -> list[BotLine]:
    """The scenario's lines for this move: the action's own first, else its topic's."""
    lines = turn.scenario.bot_lines
    mine = [ln for ln in lines if ln.on == on and (ln.role is None or ln.role == turn.role)]
    by_action = [ln for ln in mine if ln.action == action.id]
    if by_action:
        return by_action
    return [ln for ln in mine if action.statement is not None and ln.topic == action.statement]


def words(turn: Turn, action: Action, kind: str) -> tuple[str, str]:
    """(en, es) for a move of ``kind`` on ``action``: a scenario line, else a stock phrase."""
    on = "propose" if kind == "ask" else kind
    written = scenario_lines(turn, action, on)
    if written:
        line = written[int(turn.draw("line", action.id) * len(written))]
        return line.text.en, line.text.es
    en, es = STOCK[kind][int(turn.draw("stock", action.id) * len(STOCK[kind]))]
    return en.format(title=action.title.en), es.format(title=action.title.es)


def channel_for(turn: Turn, wanted: list[str]) -> str | None:
    """The open channel of this role that reaches most of ``wanted``; the smallest of those; never the press."""
    sc = turn.scenario
    best: tuple[int, int, int] | None = None
    chosen = None
    for n, channel in enumerate(sc.channels):
        members = sc.roles_of(channel.members)
        if channel.public or turn.role not in members or not turn.state.channels.get(channel.id, channel.open):
            continue
        reach = len(set(wanted) & set(members) - {turn.role})
        if reach == 0:
            continue
        rank = (-reach, len(members), n)
        if best is None or rank < best:
            best, chosen = rank, channel.id
    return chosen


def comment(turn: Turn) -> Move | None:
    """A line about the bot's latest move, if it has one to say and somewhere to say it."""
    kind, _, ref = turn.seat.last_move.partition(":")
    if not ref or turn.draw("say") >= SAY:
        return None
    proposal = turn.state.proposals.get(int(ref))
    if proposal is None:
        return None
    sc = turn.scenario
    action = sc.action(proposal.action)
    if kind == "propose":
        approvers = [a.approver for a in proposal.approvals if not sc.role(a.approver).institution]
        wanted = approvers or sc.roles_of([turn.side])
        kind = "ask" if approvers else "propose"
    elif kind in ("granted", "refused"):
        wanted, kind = [proposal.role], "grant" if kind == "granted" else "refuse"
    elif kind == "bypassed":
        wanted, kind = [a.approver for a in proposal.approvals], "bypass"
    else:
        return None
    channel = channel_for(turn, wanted)
    if channel is None:
        return None
    key = f"say:{channel}:{ref}"
    if key in turn.seat.refused:
        return None
    en, es = words(turn, action, kind)
    return Move(c.BotMessage(channel=channel, text=en, text_es=es), key)
