"""Logging pieces the settings refer to (no model imports: loaded before the apps)."""

from __future__ import annotations

import json
import logging
from typing import Any

security = logging.getLogger("crisis_table.security")


class QuietForbidden(logging.Filter):
    """A 403 is an answer, not a crash: log its line without the traceback Django attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True


def security_event(kind: str, **fields: Any) -> None:
    """One structured line on the security log: ``{"event": kind, ...}``."""
    security.warning(json.dumps({"event": kind, **fields}, ensure_ascii=False, sort_keys=True, default=str))
