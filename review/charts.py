"""The indicator charts: one SVG step line per indicator over game time, drawn from the log."""

from __future__ import annotations

from dataclasses import dataclass

from exercises.engine.clock import offset_label
from scenarios.schema import ALL

from .log import Entry, Log
from .wording import describe

# --------------------------------------------------------------------------- charts

CHART_W, CHART_H = 640, 170
PAD_L, PAD_R, PAD_T, PAD_B = 40, 12, 12, 34


def charts(log: Log, series: dict[str, list[Entry]], *, public: bool = False) -> list[Chart]:
    """One step chart per indicator over game time, with a marker at every event that moved it."""
    sc = log.scenario
    start = sc.phases[0].start
    end = max([log.entries[-1].game_time if log.entries else start, start + 1])
    span = end - start
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x_of(game_time: int) -> float:
        return round(PAD_L + (game_time - start) / span * plot_w, 1)

    x_ticks = []  # phases are numbered on the axis and named in a legend: their names would overlap
    for n, p in enumerate(sc.phases, start=1):
        if start <= p.start <= end:
            x_ticks.append((x_of(p.start), str(n), f"{n}. {p.title.get(log.lang)} ({offset_label(p.start)})"))
    out = []
    for spec in sc.indicators:
        if public and ALL not in spec.visible_to:
            continue
        low, high = spec.min, spec.max

        def y_of(value: int, low: int = low, high: int = high) -> float:
            return round(PAD_T + (high - value) / (high - low) * plot_h, 1)

        value = spec.start
        points = [(x_of(start), y_of(value))]
        markers = []
        for e in series.get(spec.id, []):
            if public and not e.public:
                continue
            x = x_of(e.game_time)
            points.append((x, y_of(value)))
            value = e.payload.get("value", value)
            points.append((x, y_of(value)))
            markers.append(
                ChartMarker(
                    x=x,
                    y=y_of(value),
                    seq=e.seq,
                    delta=e.payload.get("delta", 0),
                    value=value,
                    label=f"#{e.seq} {offset_label(e.game_time)}: {describe(log, e, public=public)}",
                )
            )
        points.append((x_of(end), y_of(value)))
        out.append(
            Chart(
                indicator=spec.id,
                name=spec.name.get(log.lang),
                meaning=spec.meaning.get(log.lang),
                start=spec.start,
                final=value,
                low=low,
                high=high,
                points=" ".join(f"{x},{y}" for x, y in points),
                markers=markers,
                y_ticks=[(y_of(v), v) for v in (low, (low + high) // 2, high)],
                x_ticks=x_ticks,
                width=CHART_W,
                height=CHART_H,
                left=PAD_L,
                top=PAD_T,
                plot_w=plot_w,
                plot_h=plot_h,
                public=ALL in spec.visible_to,
            )
        )
    return out


@dataclass
class ChartMarker:
    x: float
    y: float
    seq: int
    delta: int
    value: int
    label: str


@dataclass
class Chart:
    indicator: str
    name: str
    meaning: str
    start: int
    final: int
    low: int
    high: int
    points: str  # SVG polyline points
    markers: list[ChartMarker]
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str, str]]  # x, phase title, clock label
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    public: bool

    @property
    def right(self) -> int:
        return self.left + self.plot_w

    @property
    def bottom(self) -> int:
        return self.top + self.plot_h
