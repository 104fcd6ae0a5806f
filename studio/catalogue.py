"""Every problem message the loader, the schema and the MSEL import can write, marked for translation.

The loader is plain Python and writes English (``scenarios.messages.Msg``); the studio shows
each message in the reader's language by looking its template up in gettext. This list is
what ``makemessages`` extracts from; ``tests/test_studio_i18n.py`` fails when a message is
missing here or untranslated.
"""

from django.utils.translation import gettext_noop as N_

TEMPLATES = [
    N_("invalid YAML: {what}"),
    N_("invalid YAML"),
    N_("a {kind} value cannot be stored; write text, a number or a list"),
    N_("a list"),
    N_("a {kind}"),
    N_("unknown key {key!r}{extra}"),
    N_("missing required key {key!r}"),
    N_("text in both languages, {{en: ..., es: ...}}"),
    N_("a mapping of keys (a {name})"),
    N_("expected {expected} (got {got})"),
    N_("aliases (*{anchor}) are not allowed in scenario files; write the value out"),
    N_("invalid YAML at line {line}, column {column}: {what}"),
    N_("{value!r} is not a finite number"),
    N_(" (allowed: {keys})"),
    N_("unknown {what} {value!r}{hint}"),
    N_("{what} {time} is outside the exercise, from the first phase ({start}) to clock.end ({end})"),
    N_("floor {floor} is above ceiling {ceiling}"),
    N_("{version}: versions count from 1"),
    N_("must include {required} (missing {missing})"),
    N_("at least one role must be played (institution: false)"),
    N_("clock.end {end} must come after the first phase starts ({start})"),
    N_("a statement action (kind: statement) needs 'statement: <topic>'"),
    N_("slug {slug!r} must match the file name ({stem!r})"),
    N_("duplicate key {key!r} (first at line {line})"),
    N_("the file is empty"),
    N_("the top level must be a mapping of keys (slug, title, ...), not {kind}"),
    N_("duplicate {what} id {id!r} (also at {other})"),
    N_("'op' and 'value' belong to an indicator condition"),
    N_("'outcome' and 'option' belong to an action condition"),
    N_("{topic!r} is not a topic in consistency.topics{hint}"),
    N_("'stance' and 'by_side' belong to a statement condition"),
    N_("{t0!r} is not an ISO 8601 date and time such as '2001-09-11T08:46:00-04:00'"),
    N_("{all!r} is reserved: it means every role"),
    N_(
        "{start} must come after phases[{previous}] ({id}, {previous_start}); phases are listed in the order they happen"
    ),
    N_("{id!r} cannot wait for itself"),
    N_("{id!r} cannot trigger itself"),
    N_("a vote (kind: vote) needs 'vote: {{members: N}}'"),
    N_("delay cannot be negative"),
    N_("each option of a statement action needs a stance"),
    N_("{topic!r} is not declared in consistency.topics{hint}"),
    N_("a statement action needs options, each with a stance"),
    N_("{every}: the period must be positive"),
    N_("the top level must be a mapping, not a {kind}"),
    N_("key {key!r} must be text"),
    N_("{value} is outside {indicator}'s range {low}..{high}"),
    N_("{action!r} has no option {option!r}{hint}"),
    N_("none"),
    N_("no statement option on {topic!r} takes stance {stance!r} (stances: {known})"),
    N_("unknown time zone {zone!r} (use a name such as 'America/Mexico_City')"),
    N_("{id!r} is also a side id; recipients and members would be ambiguous"),
    N_("{start} is at or after clock.end ({end})"),
    N_("{role!r} is an institution (nobody plays it); it can approve an action but not take one"),
    N_("'vote' needs kind: vote (this approval is kind: {kind})"),
    N_("a stance only counts on a statement action (set 'statement: <topic>')"),
    N_("no such file"),
    N_("not UTF-8 text (byte {byte})"),
    N_("cannot read: {reason}"),
    N_("expected a duration such as '1h30m' or '-6d'"),
    N_("{value!r} is not a duration such as '1h30m' or '-6d'"),
    N_(
        "a condition needs exactly one of indicator, action, inject, phase, after, channel_open, statement, all, any, not (found {found})"
    ),
    N_("an indicator condition needs 'op' and 'value'"),
    N_("a played role needs a private_brief"),
    N_("a channel closed at start needs a closed_reason"),
    N_("min must be below max"),
    N_("start {start} is outside {low}..{high}"),
    N_("an inject has either 'at' or 'trigger', not both"),
    N_("an inject cannot be both public and hidden"),
    N_(" (did you mean {close!r}?)"),
    N_("the sheet is empty"),
    N_("the sheet needs an 'id' column"),
    N_("an inject needs an id"),
    N_("unknown column {name!r}"),
    N_("id {id!r} is also on row {row}"),
    N_("this cell holds a formula; type the value itself"),
    N_("write true or false (got {value!r})"),
]

# The names a message puts in its {what}: kinds of things in a scenario.
WORDS = [
    N_("side"),
    N_("role"),
    N_("objective"),
    N_("channel"),
    N_("indicator"),
    N_("phase"),
    N_("inject"),
    N_("action"),
    N_("option"),
    N_("pressure"),
    N_("topic"),
    N_("question"),
    N_("role or side"),
    N_("debrief question"),
    N_("at"),
    N_("time"),
]

# Words of the facilitator's pages outside this app that point to it (base.html, the facilitator home).
ELSEWHERE = [N_("Studio"), N_("Adapt or import a scenario in the studio")]
