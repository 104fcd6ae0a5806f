"""Refusals and action constraints in words, in English and Spanish (usted).

The engine says no as data (``engine/refusals.py``: a rule, a ``Refusal`` code, what is missing
and when it becomes possible). This module is the one place those facts become sentences, for
the player's toast, the feed, the action cards, the review and the exports. Explicit catalogues
(not gettext) so a text can be written in any language without switching the active one, and
every id is shown by its label (a role's, action's, phase's or channel's title), never raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios.glossary import gloss
from scenarios.schema import Scenario

from .engine.clock import game_datetime
from .engine.refusals import Refusal, Rule

Lang = str

# What each refusal says: what is missing, and when or through whom it becomes possible.
REFUSALS: dict[Refusal, dict[Lang, str]] = {
    Refusal.NO_ROLE: {
        "en": "Take a role first: commands are given by a role.",
        "es": "Tome primero un rol: las órdenes las da un rol.",
    },
    Refusal.ROLE_HELD: {
        "en": "{role} is held by {holder}: only a free role can be taken or played for.",
        "es": "{role} lo ocupa {holder}: solo se puede tomar o jugar un rol libre.",
    },
    Refusal.ROLE_BOT: {
        "en": "A bot plays {role}: the facilitator must take it out first.",
        "es": "Un bot juega {role}: el facilitador debe retirarlo primero.",
    },
    Refusal.INSTITUTION: {
        "en": "{role} is an institution: the facilitator or the engine answers for it.",
        "es": "{role} es una institución: responde por ella el facilitador o el motor.",
    },
    Refusal.ONE_ROLE: {
        "en": "You already hold {role}: release it first.",
        "es": "Usted ya ocupa {role}: libérelo primero.",
    },
    Refusal.NOT_YOUR_ROLE: {
        "en": "Only {roles} may take “{action}”.",
        "es": "Solo {roles} puede tomar «{action}».",
    },
    Refusal.FORBIDDEN: {"en": "“{action}”: {reason}", "es": "«{action}»: {reason}"},
    Refusal.REQUIRES: {
        "en": "“{action}” is not possible yet: {reason}",
        "es": "«{action}» aún no es posible: {reason}",
    },
    Refusal.NOT_STARTED: {
        "en": "The exercise has not started: this becomes possible when the facilitator starts it.",
        "es": "El ejercicio no ha comenzado: será posible cuando el facilitador lo inicie.",
    },
    Refusal.NOT_MEMBER: {
        "en": "{role} is not a member of {channel}.",
        "es": "{role} no es miembro de {channel}.",
    },
    Refusal.NOT_APPROVER: {
        "en": "{approver} has no approval pending on this proposal.",
        "es": "{approver} no tiene una aprobación pendiente en esta propuesta.",
    },
    Refusal.MUST_ANSWER: {
        "en": "{approver} must answer first: “{action}” cannot go ahead without it.",
        "es": "Primero debe responder {approver}: «{action}» no puede seguir adelante sin esa respuesta.",
    },
    Refusal.INVALID: {
        "en": "The bot tried something impossible; it will not try again.",
        "es": "El bot intentó algo imposible; no lo volverá a intentar.",
    },
}
PHASE_LATER = {
    "en": "“{action}” is possible only in {phases}; now it is “{phase}”. It becomes possible in “{opens}”, from {at}.",
    "es": "«{action}» solo es posible en {phases}; ahora es «{phase}». Será posible en «{opens}», a partir del {at}.",
}
PHASE_PASSED = {
    "en": "“{action}” was possible only in {phases}; that time has passed.",
    "es": "«{action}» solo era posible en {phases}; ese momento ya pasó.",
}
ONCE_PENDING = {
    "en": "“{action}” is already waiting for approval: it becomes possible again if it is refused or withdrawn.",
    "es": "«{action}» ya espera aprobación: volverá a ser posible si se rechaza o se retira.",
}
ONCE_DONE = {
    "en": "“{action}” has already been taken, and it can be taken only once.",
    "es": "«{action}» ya se tomó, y solo se puede tomar una vez.",
}
CHANNEL_CLOSED = {
    "en": "{channel} is closed: {reason}",
    "es": "{channel} está cerrado: {reason}",
}
CHANNEL_CLOSED_PLAIN = {
    "en": "{channel} is closed until it is opened again.",
    "es": "{channel} está cerrado hasta que se vuelva a abrir.",
}
A_PLAYER = {"en": "a player", "es": "un jugador"}
UNKNOWN = {"en": "A rule of the scenario does not allow this.", "es": "Una regla del escenario no lo permite."}
AND = {"en": " or ", "es": " o "}

# The one-line meaning of each engine rule (scenario rules R1..R14 are in ``scenarios/glossary``).
ENGINE_RULE_LINES: dict[str, dict[Lang, str]] = {
    Rule.ROLE: {
        "en": "Each action belongs to the roles the scenario names.",
        "es": "Cada acción corresponde a los roles que nombra el escenario.",
    },
    Rule.AUTH: {
        "en": "Only the facilitator gives the exercise's own commands.",
        "es": "Solo el facilitador da las órdenes propias del ejercicio.",
    },
    Rule.ONCE: {"en": "Some actions can be taken only once.", "es": "Algunas acciones solo se pueden tomar una vez."},
    Rule.PHASE: {
        "en": "Some actions are possible only in certain phases of the crisis.",
        "es": "Algunas acciones solo son posibles en ciertas fases de la crisis.",
    },
    Rule.MEMBERSHIP: {
        "en": "Only a channel's members write in it.",
        "es": "Solo los miembros de un canal escriben en él.",
    },
    Rule.CHANNEL_CLOSED: {
        "en": "A closed channel carries no messages until it reopens.",
        "es": "Un canal cerrado no transmite mensajes hasta que se reabre.",
    },
    Rule.ROLE_TAKEN: {"en": "Each role has one player.", "es": "Cada rol tiene un solo jugador."},
    Rule.ROLE_FILLED: {
        "en": "A role with a player (or a bot) answers for itself.",
        "es": "Un rol con jugador (o con bot) responde por sí mismo.",
    },
    Rule.NO_ROLE: {
        "en": "Commands are given by a role: take one first.",
        "es": "Las órdenes las da un rol: tome uno primero.",
    },
    Rule.ONE_ROLE: {"en": "Each player holds one role at a time.", "es": "Cada jugador ocupa un solo rol a la vez."},
    Rule.INSTITUTION: {
        "en": "Institutions are played by the facilitator or the engine.",
        "es": "Las instituciones las juega el facilitador o el motor.",
    },
    Rule.NOT_APPROVER: {
        "en": "Only the institution asked may answer an approval.",
        "es": "Solo la institución consultada puede responder una aprobación.",
    },
    Rule.CLOCK: {
        "en": "Nothing is decided before the exercise starts.",
        "es": "Nada se decide antes de que el ejercicio comience.",
    },
    Rule.INVALID: {
        "en": "A bot's impossible move is recorded and never tried again.",
        "es": "La jugada imposible de un bot se registra y no se vuelve a intentar.",
    },
}

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}

# Spanish needs the article with an institution's title: "votación del Senado", "de la Cámara".
_MASCULINE = {"Presidente", "Secretario", "Senado", "Director", "Comandante", "Congreso", "Gobierno", "Consejo"}
_FEMININE = {"Cámara", "Comisión", "Secretaria", "Embajada", "Procuraduría", "Suprema"}
_FEMININE_PLURAL = {"Agencias", "Fuerzas"}
_MASCULINE_PLURAL = {"Estados"}


def _lang(lang: str) -> str:
    return "es" if lang == "es" else "en"


def article(title: str) -> tuple[str, str]:
    """Spanish ``(el, del)`` forms for an institution's title: ``("el ", "del ")``, ``("la ", "de la ")``…"""
    first = title.split(" ", 1)[0]
    if first in _MASCULINE:
        return "el ", "del "
    if first in _FEMININE:
        return "la ", "de la "
    if first in _FEMININE_PLURAL:
        return "las ", "de las "
    if first in _MASCULINE_PLURAL:
        return "los ", "de los "
    return "", "de "


def game_clock(scenario: Scenario | None, at: int | None, lang: str) -> str:
    """An in-game moment in words: ``11 September, 08:46`` / ``11 de septiembre, 08:46``."""
    if scenario is None or at is None:
        return ""
    moment = game_datetime(scenario.clock.t0, int(at))
    month = MONTHS[_lang(lang)][moment.month - 1]
    if _lang(lang) == "es":
        return f"{moment.day} de {month}, {moment:%H:%M}"
    return f"{moment.day} {month}, {moment:%H:%M}"


class _Labels:
    """Ids to titles in one language; an id the scenario does not know stays as it is."""

    def __init__(self, scenario: Scenario | None, lang: str) -> None:
        self.sc = scenario
        self.lang = _lang(lang)

    def role(self, rid: Any) -> str:
        if self.sc is not None and rid in self.sc.roles_by_id:
            return self.sc.role(rid).title.get(self.lang)
        return str(rid or "")

    def action(self, aid: Any) -> str:
        if self.sc is not None and aid in self.sc.actions_by_id:
            return self.sc.action(aid).title.get(self.lang)
        return str(aid or "")

    def phase(self, pid: Any) -> str:
        if self.sc is not None and pid in self.sc.phase_index:
            return self.sc.phases[self.sc.phase_index[pid]].title.get(self.lang)
        return str(pid or "")

    def channel(self, cid: Any) -> str:
        if self.sc is not None and cid in self.sc.channels_by_id:
            return self.sc.channel(cid).name.get(self.lang)
        return str(cid or "")


def _quoted_list(items: list[str], lang: str) -> str:
    q = ("«", "»") if _lang(lang) == "es" else ("“", "”")
    quoted = [f"{q[0]}{i}{q[1]}" for i in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + AND[_lang(lang)] + quoted[-1]


def _reason(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(_lang(lang)) or value.get("en") or "")
    return str(value or "")


def refusal(code: str, data: Mapping[str, Any], scenario: Scenario | None, lang: str) -> str:
    """One refusal in words: what is missing, and when or through whom it becomes possible."""
    lang = _lang(lang)
    names = _Labels(scenario, lang)
    try:
        kind = Refusal(code)
    except ValueError:
        return UNKNOWN[lang]
    action = names.action(data.get("action"))
    if kind is Refusal.WRONG_PHASE:
        phases = _quoted_list([names.phase(p) for p in data.get("phases", [])], lang)
        if data.get("opens"):
            return PHASE_LATER[lang].format(
                action=action,
                phases=phases,
                phase=names.phase(data.get("phase")),
                opens=names.phase(data["opens"]),
                at=game_clock(scenario, data.get("at"), lang),
            )
        return PHASE_PASSED[lang].format(action=action, phases=phases)
    if kind is Refusal.ONCE:
        return (ONCE_PENDING if data.get("pending") else ONCE_DONE)[lang].format(action=action)
    if kind is Refusal.CHANNEL_CLOSED:
        channel = names.channel(data.get("channel"))
        reason = _reason(data.get("reason"), lang)
        if reason:
            return CHANNEL_CLOSED[lang].format(channel=channel, reason=reason)
        return CHANNEL_CLOSED_PLAIN[lang].format(channel=channel)
    roles = [names.role(r) for r in data.get("roles", [])]
    return REFUSALS[kind][lang].format(
        role=names.role(data.get("role")),
        holder=data.get("holder") or A_PLAYER[lang],
        roles=(AND[lang].join(roles)),
        action=action,
        reason=_reason(data.get("reason"), lang),
        channel=names.channel(data.get("channel")),
        approver=names.role(data.get("approver")),
    )


def rejection(payload: Mapping[str, Any], scenario: Scenario | None, lang: str) -> str:
    """A ``command_rejected`` payload in words. Logs from before the structured refusals carry
    an English ``message`` and a ``detail``: the scenario's own words when they have them, else
    the English message (in English) or a general line."""
    if payload.get("code"):
        return refusal(str(payload["code"]), payload.get("data") or {}, scenario, lang)
    detail = payload.get("detail") or {}
    reason = _reason(detail.get("reason"), lang)
    if reason:
        return reason
    if _lang(lang) == "en" and payload.get("message"):
        return str(payload["message"])
    rule = str(payload.get("rule", ""))
    if rule in ENGINE_RULE_LINES:
        return ENGINE_RULE_LINES[rule][_lang(lang)]
    return UNKNOWN[_lang(lang)]


def rule_explanation(rule: Any, lang: str) -> str:
    """The rule's one-line explanation: the glossary's for R1..R14, ours for the engine's rules."""
    rule = str(rule or "")
    if rule in ENGINE_RULE_LINES:
        return ENGINE_RULE_LINES[rule][_lang(lang)]
    return gloss(rule, _lang(lang))


APPROVAL_KINDS = {
    "approval": {"en": "needs approval from {title}", "es": "requiere aprobación {de}{title}"},
    "endorsement": {"en": "binds only if endorsed by {title}", "es": "solo obliga si lo respalda {el}{title}"},
    "vote": {"en": "needs a vote of {title}", "es": "requiere votación {de}{title}"},
    "bypass": {"en": "can go ahead without it, at a cost", "es": "puede actuar sin ella, con un costo"},
}
PHASE_CONSTRAINT = {
    "en": "only in: {phases}",
    "es": "solo en: {phases}",
}
PHASE_CONSTRAINT_NEXT = {
    "en": "only in: {phases} (next: “{opens}”, from {at})",
    "es": "solo en: {phases} (próxima: «{opens}», a partir del {at})",
}


def constraint(kind: str, data: Mapping[str, Any], scenario: Scenario | None, lang: str) -> str:
    """An action card's constraint (``engine.Constraint``) in words."""
    lang = _lang(lang)
    names = _Labels(scenario, lang)
    if kind in APPROVAL_KINDS:
        title = names.role(data.get("approver"))
        el, de = article(title) if lang == "es" else ("", "")
        return APPROVAL_KINDS[kind][lang].format(title=title, el=el, de=de)
    if kind == "phase":
        phases = _quoted_list([names.phase(p) for p in data.get("phases", [])], lang)
        if data.get("opens"):
            return PHASE_CONSTRAINT_NEXT[lang].format(
                phases=phases, opens=names.phase(data["opens"]), at=game_clock(scenario, data.get("at"), lang)
            )
        return PHASE_CONSTRAINT[lang].format(phases=phases)
    if kind in ("forbidden", "requires"):
        return _reason(data.get("reason"), lang) or UNKNOWN[lang]
    if data.get("code"):
        return refusal(str(data["code"]), data, scenario, lang)
    return UNKNOWN[lang]
