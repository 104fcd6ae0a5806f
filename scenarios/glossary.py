"""One line per rule tag: what R1–R14 (and ``consent``) mean, in both languages.

The rules are the fact brief's constraints (``scenario-facts.md`` §2); scenario files tag
actions, approvals, channels and pressures with them. This is the one place their meaning is
written for screens: the review shows the line wherever a tag appears. Plain data, no Django.
"""

from __future__ import annotations

from .schema import Text

RULES: dict[str, Text] = {
    "R1": Text(
        en="The President may leave the country only with Congress's permission (Art. 88): before the 2008 "
        "reform both chambers voted, or the Permanent Commission in recess, and either chamber could refuse.",
        es="El Presidente solo puede salir del país con permiso del Congreso (art. 88): antes de la reforma de "
        "2008 votaban ambas cámaras, o la Comisión Permanente en receso, y cualquiera de las dos podía negarlo.",
    ),
    "R2": Text(
        en="Mexican troops leaving the country, and foreign forces entering it, need the Senate (Art. 76).",
        es="La salida de tropas mexicanas y la entrada de fuerzas extranjeras requieren al Senado (art. 76).",
    ),
    "R3": Text(
        en="The foreign minister can speak without the President's sign-off; public lines that contradict "
        "each other cost consistency and cohesion.",
        es="El canciller puede hablar sin el visto bueno del Presidente; las posturas públicas que se "
        "contradicen cuestan coherencia y cohesión.",
    ),
    "R4": Text(
        en="No security law and no coordinator with authority (2001); from 2005 a council chaired by the "
        "President meets on Gobernación's agenda.",
        es="Sin ley de seguridad ni coordinador con autoridad (2001); desde 2005, un consejo que preside el "
        "Presidente sesiona con la agenda de Gobernación.",
    ),
    "R5": Text(
        en="The armed forces act at home only on an explicit presidential order (Art. 89-VI; Art. 129 limits "
        "them in peacetime), and they resist civilian coordinators.",
        es="Las fuerzas armadas actúan dentro del país solo por orden presidencial explícita (art. 89-VI; el "
        "art. 129 las limita en tiempo de paz) y se resisten a los coordinadores civiles.",
    ),
    "R6": Text(
        en="SEDENA does not recognise NORTHCOM as a counterpart: the command's messages go through the "
        "Embassy and SRE.",
        es="La SEDENA no reconoce al Comando Norte como contraparte: los mensajes del comando pasan por la "
        "Embajada y la SRE.",
    ),
    "R7": Text(
        en="Washington keeps the right to act alone (the 2001 turn, NORTHCOM's mission); acting alone brings "
        "a sovereignty backlash.",
        es="Washington se reserva el derecho de actuar solo (el giro de 2001, la misión del Comando Norte); "
        "actuar solo provoca una reacción soberanista.",
    ),
    "R8": Text(
        en="Mexico's radar covers about three hours a day; US radar data raise the chance of detection at a "
        "cost in sovereignty.",
        es="El radar mexicano cubre unas tres horas al día; los datos de radar de EE. UU. elevan la "
        "probabilidad de detección a costa de soberanía.",
    ),
    "R9": Text(
        en="US aid means money and equipment, never troops; the equipment arrives months later.",
        es="La ayuda de EE. UU. es dinero y equipo, nunca tropas; el equipo llega meses después.",
    ),
    "R10": Text(
        en="The President's party has no majority in Congress: every vote needs a coalition, and the tally "
        "follows the party blocs.",
        es="El partido del Presidente no tiene mayoría en el Congreso: cada votación requiere una coalición y "
        "el recuento sigue a los bloques partidistas.",
    ),
    "R11": Text(
        en="The disputed 2006 election left a legitimacy deficit that weighs on every vote and every offer.",
        es="La elección disputada de 2006 dejó un déficit de legitimidad que pesa en cada votación y en cada oferta.",
    ),
    "R12": Text(
        en="Intelligence is overwhelmed, perhaps penetrated: warnings may be lost and plans may leak.",
        es="La inteligencia está rebasada, quizá infiltrada: las alertas pueden perderse y los planes, filtrarse.",
    ),
    "R13": Text(
        en="Ministers pursue their own ambitions: private objectives reward their personal visibility.",
        es="Los secretarios persiguen sus propias ambiciones: los objetivos privados premian su visibilidad personal.",
    ),
    "R14": Text(
        en="A cold or ambiguous first answer costs trust; only a clear statement of solidarity stops the loss.",
        es="Una primera respuesta fría o ambigua cuesta confianza; solo una declaración clara de solidaridad "
        "detiene la pérdida.",
    ),
    "consent": Text(
        en="Another party's agreement (the other government, an agency, Pemex, Canada); not one of R1–R14.",
        es="El acuerdo de otra parte (el otro gobierno, una dependencia, Pemex, Canadá); no es una de las "
        "reglas R1–R14.",
    ),
}


def gloss(rule: str, lang: str) -> str:
    """The one-line meaning of a rule tag, or "" for a tag without one (engine rules have words)."""
    text = RULES.get(str(rule))
    return text.get(lang) if text else ""
