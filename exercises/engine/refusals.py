"""Why the engine says no, as data: a rule id, a ``Refusal`` code and what is missing.

The engine holds no English or Spanish: ``Rejected(rule, code, **data)`` says which rule refused,
what kind of refusal it is and the facts a player needs (the role that must act, the phase and
in-game time when it becomes possible, the approval outstanding). ``exercises/wording.py`` puts
it into words in the viewer's language, for the toast, the feed, the review and the exports.
"""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """Rules the engine itself enforces (scenario rules are tagged R1..R14 in the files)."""

    ROLE = "role"  # not this role's action
    AUTH = "auth"  # not this actor's command: raised as Forbidden, never recorded
    ONCE = "once"
    PHASE = "phase"
    MEMBERSHIP = "membership"
    CHANNEL_CLOSED = "channel_closed"  # (shares its name with the event type; kept for old logs)
    ROLE_TAKEN = "role_taken"
    ROLE_FILLED = "role_filled"
    NO_ROLE = "no_role"
    ONE_ROLE = "one_role"
    INSTITUTION = "institution"
    NOT_APPROVER = "not_approver"
    CLOCK = "clock"
    INVALID = "invalid"  # a seat bot's policy bug, recorded so it never tries again


class Refusal(StrEnum):
    """What kind of no; each code's ``data`` keys are listed beside it."""

    NO_ROLE = "no_role"  # -
    ROLE_HELD = "role_held"  # role, holder (a player's name, or "" for a bot)
    ROLE_BOT = "role_bot"  # role: a bot plays it
    INSTITUTION = "institution"  # role
    ONE_ROLE = "one_role"  # role (the one already held)
    NOT_YOUR_ROLE = "not_your_role"  # action, roles (who may take it)
    FORBIDDEN = "forbidden"  # action, reason {en, es} (the scenario's words)
    WRONG_PHASE = "wrong_phase"  # action, phase (now), phases (allowed), opens (next allowed phase), at (its start)
    ONCE = "once"  # action, pending (True: waiting for approval; False: already taken)
    REQUIRES = "requires"  # action, reason {en, es}
    NOT_STARTED = "not_started"  # -
    NOT_MEMBER = "not_member"  # role, channel
    CHANNEL_CLOSED = "channel_closed"  # channel, reason {en, es} | absent
    NOT_APPROVER = "not_approver"  # approver
    MUST_ANSWER = "must_answer"  # approver, action: it must answer first (no bypass)
    INVALID = "invalid"  # error (a developer's message: a bot's policy bug)
