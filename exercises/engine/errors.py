"""The three ways the engine says no."""

from __future__ import annotations


class InvalidCommand(ValueError):
    """Malformed or impossible input (unknown id, wrong shape). Nothing is recorded."""


class Rejected(Exception):
    """A rule of the exercise refused the command. Recorded as ``command_rejected``.

    ``rule`` is the scenario's rule tag (``R1``…) or an engine rule (``once``, ``phase``…).
    """

    def __init__(self, rule: str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class Forbidden(InvalidCommand):
    """Not this actor's command: a player sending a facilitator command, or acting as a role
    they do not hold. The UI never offers it, so it is a forged frame (an attack, not play):
    nothing is recorded, the service logs it on the security log and slows the sender.
    """
