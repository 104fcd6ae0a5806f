"""Problem messages that remember how they were made, so a reader can translate them.

Plain Python (no Django). A ``Msg`` *is* the English text (a ``str``), so everything that
prints, compares or stores a problem message sees exactly what it saw before. It also keeps
its ``template`` (``str.format`` syntax) and ``params``: the studio looks the template up in
its Spanish catalogue and formats the translation with the same parameters. A parameter
may itself be a ``Msg`` ("unknown {what} ..." with ``what=Msg("indicator")``), translated in
turn.

Messages that come from pydantic itself (``Input should be a valid integer``) are wrapped
with ``code="pydantic:<error type>"`` and pydantic's context as ``params``.
"""

from __future__ import annotations

from typing import Any


class Msg(str):
    template: str
    params: dict[str, Any]
    code: str

    def __new__(cls, template: str, /, *, code: str = "", **params: Any) -> Msg:
        text = template.format(**params)
        obj = super().__new__(cls, text)
        obj.template = template
        obj.params = params
        obj.code = code
        return obj

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (and deep-copies) as the plain text
        return (str, (str(self),))


def hint(close: str | None) -> Msg:
    """`` (did you mean 'trust'?)`` after an unknown name, or nothing."""
    return Msg(" (did you mean {close!r}?)", close=close) if close else Msg("")
