"""Summarise py-spy's collapsed stacks (``py-spy record --format raw --threads``) as text.

    .venv/bin/python benchmarks/profile_summary.py PROFILE.txt [--top 25] [--per N]

Prints, for one recorded worker: the samples per thread (the event loop's ``MainThread`` and the
``ThreadPoolExecutor`` on which Channels' ``database_sync_to_async`` runs every ORM call and,
here, every render), the functions with the largest inclusive ("cumulative") and self shares,
and the time split by what the worker was doing (the categories below, first match from the
leaf up, so each sample counts once). ``--per N`` divides the sampled time by N (e.g. the number
of table-injects in the recorded rounds) to give milliseconds per unit, at the sampling rate
given by ``--rate`` (py-spy's default in ``workshop.py --profile`` is 100 Hz).
The raw files are kept out of git; this summary is what goes into docs/performance.md.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")

# (category, markers): a sample belongs to the first category with a marker in its stack,
# looking from the leaf towards the root (so a render inside a replay counts as the replay).
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("connect: identify (session, exercise, viewer)", ("_identify (exercises/consumers.py",)),
    (
        "connect: presence write (+1/-1)",
        ("presence_changes (exercises/push.py", "connections_changed (exercises/presence.py"),
    ),
    ("console: presence frame", ("presence_frame (exercises/screens/answers.py",)),
    ("catch-up: replay render", ("replay (exercises/screens/audiences.py",)),
    ("clock: tick", ("tick (exercises/services.py", "due (exercises/ticks.py")),
    ("command: services.execute", ("execute (exercises/services.py",)),
    ("render: snapshot load (row, state, proposals)", ("snapshot_at (exercises/screens/audiences.py",)),
    ("render: batch frame", ("batch_frame (exercises/screens/audiences.py",)),
    ("session / auth middleware", ("channels/sessions.py", "channels/auth.py", "django/contrib/sessions")),
    ("hub: dispatch and socket writes", ("exercises/fanout.py", "deliver (exercises/consumers.py")),
    ("websocket protocol (uvicorn/websockets)", ("uvicorn/", "websockets/")),
    ("channels consumer dispatch", ("channels/",)),
    ("asgiref thread hand-off", ("asgiref/",)),
    ("asyncio / event loop", ("asyncio/", "uvloop")),
]

# Inside a render: which fragment (first match from the leaf up).
FRAGMENTS: list[tuple[str, tuple[str, ...]]] = [
    ("actions panel (engine.action_views + template)", ("actions (exercises/screens/contexts.py",)),
    ("approvals/decisions panels", ("proposals (exercises/screens/contexts.py",)),
    ("indicators panel", ("indicators (exercises/screens/contexts.py",)),
    ("console: injects panel", ("injects (exercises/screens/contexts.py",)),
    ("console: institutions panel", ("institutions (exercises/screens/contexts.py",)),
    ("console: controls panel", ("controls (exercises/screens/contexts.py",)),
    ("roster / seats", ("roster (exercises/screens/contexts.py", "seats (exercises/screens/contexts.py")),
    ("clock", ("clock (exercises/screens/contexts.py",)),
    ("feed items", ("feed (exercises/screens/feed.py", "FEED_ITEM")),
    ("channel messages / chrome", ("messages (exercises/screens/feed.py", "channels (exercises/screens/panels.py")),
    (
        "template rendering (partials.render/append)",
        ("render (exercises/screens/partials.py", "append (exercises/screens/partials.py"),
    ),
    ("log read (selectors.log)", ("log (exercises/selectors.py",)),
    (
        "row + state load (Snapshot.load)",
        ("Snapshot.load (exercises/screens/snapshot.py", "snapshot_at (exercises/screens/audiences.py"),
    ),
    ("other database queries (the exercise row, ...)", ("django/db/",)),
    ("pydantic (state validation)", ("pydantic", "model_validate")),
]


CONNECTION = [("database connection open/close", ("get_new_connection", "close_old_connections", "_close (django"))]


def parse(path: Path) -> list[tuple[str, list[str], int]]:
    """(thread, frames root→leaf, samples) per distinct stack."""
    out = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1] if frames[0].startswith("thread") else "?"
        out.append((thread, frames[1:] if frames[0].startswith("thread") else frames, n))
    return out


def name(frame: str) -> str:
    """``func (path/file.py:123)`` → ``func (path/file.py)`` (lines merged)."""
    m = FRAME.match(frame)
    return f"{m['func']} ({m['file']})" if m else frame


def classify(frames: list[str], table: list[tuple[str, tuple[str, ...]]]) -> str | None:
    for frame in reversed(frames):
        for category, markers in table:
            if any(marker in frame for marker in markers):
                return category
    return None


def classify_root_first(frames: list[str], table: list[tuple[str, tuple[str, ...]]]) -> str | None:
    """The outermost match (a category that contains others counts them)."""
    for frame in frames:
        for category, markers in table:
            if any(marker in frame for marker in markers):
                return category
    return None


def summarise(path: Path, *, top: int, per: float | None, rate: float) -> str:
    stacks = parse(path)
    total = sum(n for _, _, n in stacks)
    if not total:
        return f"{path}: no samples"
    lines = [f"# {path.name}: {total} samples ({total / rate:.1f} s of CPU at {rate:g} Hz)"]
    threads: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    outer: Counter[str] = Counter()
    fragments: Counter[str] = Counter()
    render_total = 0
    for thread, frames, n in stacks:
        threads[re.sub(r"_\d+$", "", thread)] += n
        for f in {name(f) for f in frames}:
            inclusive[f] += n
        if frames:
            own[name(frames[-1])] += n
        categories[classify(frames, CATEGORIES) or "other"] += n
        outer[classify_root_first(frames, CATEGORIES) or "other"] += n
        if any(
            "batch_frame (exercises/screens/audiences.py" in f or "replay (exercises/screens/audiences.py" in f
            for f in frames
        ):
            render_total += n
            # Opening a connection counts as such wherever it happens; the rest by the outermost fragment.
            opening = classify(frames, CONNECTION) or classify_root_first(frames, FRAGMENTS)
            fragments[opening or "frame assembly / other"] += n

    def pct(n: int, of: int = total) -> str:
        return f"{100 * n / of:5.1f} %"

    def ms(n: int) -> str:
        return f"{1000 * n / rate / per:7.2f} ms" if per else ""

    lines.append("\n## threads")
    lines += [f"{pct(n)}  {ms(n)}  {t}" for t, n in threads.most_common()]
    lines.append("\n## what the worker was doing (innermost match; each sample once)")
    lines += [f"{pct(n)}  {ms(n)}  {c}" for c, n in categories.most_common()]
    lines.append("\n## the same, outermost match (a command's or a replay's own renders count in it)")
    lines += [f"{pct(n)}  {ms(n)}  {c}" for c, n in outer.most_common()]
    if render_total:
        lines.append(f"\n## inside renders (batch frames and catch-ups: {pct(render_total)} of all samples)")
        lines += [f"{pct(n, render_total)}  {ms(n)}  {c}" for c, n in fragments.most_common()]
    lines.append(f"\n## top {top} functions, inclusive (cumulative)")
    lines += [f"{pct(n)}  {f}" for f, n in inclusive.most_common(top)]
    lines.append(f"\n## top {top} functions, self")
    lines += [f"{pct(n)}  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--per", type=float, default=None, help="divide the sampled time by this many units")
    parser.add_argument("--rate", type=float, default=100.0, help="py-spy's sampling rate (Hz)")
    args = parser.parse_args()
    for path in args.profiles:
        print(summarise(path, top=args.top, per=args.per, rate=args.rate))
        print()


if __name__ == "__main__":
    main()
