"""Every problem message the loader, the schema and the MSEL import can write, marked for translation.

The loader is plain Python and writes English (``scenarios.messages.Msg``); the studio shows
each message in the reader's language by looking its template up in gettext. This list is
what ``makemessages`` extracts from; ``tests/test_studio_i18n.py`` fails when a message is
missing here or untranslated.
"""

from django.utils.translation import gettext_noop

TEMPLATES = [
    gettext_noop("invalid YAML: {what}"),
    gettext_noop("invalid YAML"),
    gettext_noop(" (got {value})"),
    gettext_noop("a {kind} value cannot be stored; write text, a number or a list"),
    gettext_noop("a list"),
    gettext_noop("a {kind}"),
    gettext_noop("unknown key {key!r}{extra}"),
    gettext_noop("missing required key {key!r}"),
    gettext_noop("text in both languages, {{en: ..., es: ...}}"),
    gettext_noop("a mapping of keys (a {name})"),
    gettext_noop("expected {expected} (got {got})"),
    gettext_noop("aliases (*{anchor}) are not allowed in scenario files; write the value out"),
    gettext_noop("invalid YAML at line {line}, column {column}: {what}"),
    gettext_noop("{value!r} is not a finite number"),
    gettext_noop(" (allowed: {keys})"),
    gettext_noop("unknown {what} {value!r}{hint}"),
    gettext_noop("{what} {time} is outside the exercise, from the first phase ({start}) to clock.end ({end})"),
    gettext_noop("floor {floor} is above ceiling {ceiling}"),
    gettext_noop("{version}: versions count from 1"),
    gettext_noop("must include {required} (missing {missing})"),
    gettext_noop("at least one role must be played (institution: false)"),
    gettext_noop("clock.end {end} must come after the first phase starts ({start})"),
    gettext_noop("a statement action (kind: statement) needs 'statement: <topic>'"),
    gettext_noop("slug {slug!r} must match the file name ({stem!r})"),
    gettext_noop("duplicate key {key!r} (first at line {line})"),
    gettext_noop("the file is empty"),
    gettext_noop("the top level must be a mapping of keys (slug, title, ...), not {kind}"),
    gettext_noop("duplicate {what} id {id!r} (also at {other})"),
    gettext_noop("'op' and 'value' belong to an indicator condition"),
    gettext_noop("'outcome' and 'option' belong to an action condition"),
    gettext_noop("{topic!r} is not a topic in consistency.topics{hint}"),
    gettext_noop("'stance' and 'by_side' belong to a statement condition"),
    gettext_noop("{t0!r} is not an ISO 8601 date and time such as '2001-09-11T08:46:00-04:00'"),
    gettext_noop("{all!r} is reserved: it means every role"),
    gettext_noop(
        "{start} must come after phases[{previous}] ({id}, {previous_start}); phases are listed in the order they happen"
    ),
    gettext_noop("{id!r} cannot wait for itself"),
    gettext_noop("{id!r} cannot trigger itself"),
    gettext_noop("a vote (kind: vote) needs 'vote: {{members: N}}'"),
    gettext_noop("delay cannot be negative"),
    gettext_noop("each option of a statement action needs a stance"),
    gettext_noop("{topic!r} is not declared in consistency.topics{hint}"),
    gettext_noop("a statement action needs options, each with a stance"),
    gettext_noop("{every}: the period must be positive"),
    gettext_noop("the top level must be a mapping, not a {kind}"),
    gettext_noop("key {key!r} must be text"),
    gettext_noop("{value} is outside {indicator}'s range {low}..{high}"),
    gettext_noop("{action!r} has no option {option!r}{hint}"),
    gettext_noop("none"),
    gettext_noop("no statement option on {topic!r} takes stance {stance!r} (stances: {known})"),
    gettext_noop("unknown time zone {zone!r} (use a name such as 'America/Mexico_City')"),
    gettext_noop("{id!r} is also a side id; recipients and members would be ambiguous"),
    gettext_noop("{start} is at or after clock.end ({end})"),
    gettext_noop("{role!r} is an institution (nobody plays it); it can approve an action but not take one"),
    gettext_noop("'vote' needs kind: vote (this approval is kind: {kind})"),
    gettext_noop("a stance only counts on a statement action (set 'statement: <topic>')"),
    gettext_noop("no such file"),
    gettext_noop("not UTF-8 text (byte {byte})"),
    gettext_noop("cannot read: {reason}"),
    gettext_noop("expected a duration such as '1h30m' or '-6d'"),
    gettext_noop("{value!r} is not a duration such as '1h30m' or '-6d'"),
    gettext_noop(
        "a condition needs exactly one of indicator, action, inject, phase, after, channel_open, statement, all, any, not (found {found})"
    ),
    gettext_noop("an indicator condition needs 'op' and 'value'"),
    gettext_noop("a played role needs a private_brief"),
    gettext_noop("only an institution (a chamber) has seats"),
    gettext_noop("a channel closed at start needs a closed_reason"),
    gettext_noop("min must be below max"),
    gettext_noop("start {start} is outside {low}..{high}"),
    gettext_noop("an inject has either 'at' or 'trigger', not both"),
    gettext_noop("an inject cannot be both public and hidden"),
    gettext_noop(" (did you mean {close!r}?)"),
    gettext_noop("the sheet is empty"),
    gettext_noop("the sheet needs an 'id' column"),
    gettext_noop("an inject needs an id"),
    gettext_noop("unknown column {name!r}"),
    gettext_noop("id {id!r} is also on row {row}"),
    gettext_noop("this cell holds a formula; type the value itself"),
    gettext_noop("write true or false (got {value!r})"),
    gettext_noop("column {name!r} is now {new} (the note in both languages)"),
    gettext_noop(" (an inject's controller note is 'instructor: {{en: ..., es: ...}}', in both languages)"),
    # Chambers and votes (issue #13's content), seat bots' lines (issue #15).
    gettext_noop("party {party!r} is listed twice (also at seats[{other}])"),
    gettext_noop("{members} members, but {role!r} has {seats} seats in its blocs (roles[].seats)"),
    gettext_noop("{count} characters: keep a bot line to {limit}"),
    gettext_noop("{role!r} cannot take {action} (on: {on})"),
    gettext_noop("{role!r} cannot answer {action} (on: {on})"),
    gettext_noop("{role!r} cannot take statements on {topic} (on: {on})"),
    gettext_noop("{role!r} cannot answer statements on {topic} (on: {on})"),
    gettext_noop("a bot line names exactly one of 'action' or 'topic'"),
]

# The names a message puts in its {what}: kinds of things in a scenario.
WORDS = [
    gettext_noop("side"),
    gettext_noop("role"),
    gettext_noop("objective"),
    gettext_noop("channel"),
    gettext_noop("indicator"),
    gettext_noop("phase"),
    gettext_noop("inject"),
    gettext_noop("action"),
    gettext_noop("option"),
    gettext_noop("pressure"),
    gettext_noop("topic"),
    gettext_noop("question"),
    gettext_noop("role or side"),
    gettext_noop("debrief question"),
    gettext_noop("at"),
    gettext_noop("time"),
]

# Words of the facilitator's pages outside this app that point to it (base.html, the facilitator home).
ELSEWHERE = [
    gettext_noop("Studio"),
    gettext_noop("Adapt or import a scenario in the studio"),
    gettext_noop("from: %(who)s"),  # an inject's sender, on the players' cards (exercises/screens/describe.py)
]
