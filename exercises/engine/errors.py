"""The three ways the engine says no."""

from __future__ import annotations

from typing import Any

from .refusals import Refusal


class InvalidCommand(ValueError):
    """Malformed or impossible input (unknown id, wrong shape). Nothing is recorded."""


class Rejected(Exception):
    """A rule of the exercise refused the command. Recorded as ``command_rejected``.

    ``rule`` is the scenario's rule tag (``R1``…) or an engine rule (``refusals.Rule``);
    ``code`` says what kind of refusal (``refusals.Refusal``) and ``data`` the facts a player
    needs to try again: what is missing, when it becomes possible, who must act. No words:
    ``exercises/wording.py`` writes them.
    """

    def __init__(self, rule: str, code: Refusal, **data: Any) -> None:
        super().__init__(f"[{rule}] {code}")
        self.rule = str(rule)
        self.code = code
        self.data = data

    def __str__(self) -> str:
        return f"[{self.rule}] {self.code} {self.data}" if self.data else f"[{self.rule}] {self.code}"


class Forbidden(InvalidCommand):
    """Not this actor's command: a player sending a facilitator command, or acting as a role
    they do not hold. The UI never offers it, so it is a forged frame (an attack, not play):
    nothing is recorded, the service logs it on the security log and slows the sender.
    """
