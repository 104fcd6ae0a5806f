"""Debian's chromium, launched the way this machine needs (stack notes: no downloads, no sandbox)."""

import os
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("CT_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The journeys save a screenshot of every main screen. Into docs/screenshots/ when asked
# (CT_SCREENSHOTS=1, to refresh the docs), elsewhere a temporary folder: a test run leaves
# the working tree as it found it.
SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("CT_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "crisis-table-screenshots"
)
