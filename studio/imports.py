"""What an uploaded or pasted file must be before the studio stores it at all.

A file that is a scenario with mistakes is stored as a draft, with its problems (nothing is
lost). A file that is not a scenario text at all is refused with a sentence saying why:
too large, binary, not UTF-8, or using YAML aliases (which can expand without limit).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from scenarios.loader import uses_aliases

BINARY_MAGIC = (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x7fELF", b"\xd0\xcf\x11\xe0")


class Refused(Exception):
    """A file the studio will not store; the message says why, for the person who sent it."""


def max_bytes() -> int:
    return int(settings.CRISIS_TABLE.get("STUDIO_MAX_BYTES", 1024 * 1024))


def limit_label() -> str:
    size = max_bytes()
    return f"{size // (1024 * 1024)} MB" if size % (1024 * 1024) == 0 else f"{size // 1024} KB"


def check(data: bytes) -> str:
    """The text of an acceptable file; raises ``Refused`` otherwise."""
    if len(data) > max_bytes():
        raise Refused(
            _("The file is %(size)s KB; the limit is %(limit)s. Scenario files are text and much smaller.")
            % {"size": f"{len(data) / 1024:.0f}", "limit": limit_label()}
        )
    head = data[:8192]
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        raise Refused(
            _(
                "This is a binary file (a spreadsheet, a document or an image), not YAML text. "
                "For a spreadsheet of injects, use the MSEL import."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(
            _("The file is not UTF-8 text (byte %(byte)s cannot be read). Save it as UTF-8 and try again.")
            % {"byte": exc.start}
        ) from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r")
    if controls > 8:
        raise Refused(_("This file is full of control characters: it is not a YAML text."))
    if uses_aliases(text):
        raise Refused(
            _(
                "The file uses YAML aliases (*name). Scenario files may not, because an alias can "
                "expand without limit; write the repeated values out."
            )
        )
    return text
