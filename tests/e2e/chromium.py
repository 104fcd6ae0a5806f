"""Debian's chromium, launched the way this machine needs (stack notes: no downloads, no sandbox)."""

import os

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
