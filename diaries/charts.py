"""Server-side SVG chart geometry for the diary trend: grouped bars per 30-day month.

Templates draw the shapes this module places; no JavaScript, no inline styles (CSP), and a data
table always sits beside the chart with the same numbers.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from diaries import rules

WIDTH = 480
HEIGHT = 300
LEFT = 36
RIGHT = 8
TOP = 20
BOTTOM = 56
# A 30-day month has at most 30 headache days, so the axis is fixed: months compare at a glance.
Y_MAX = rules.DAYS_PER_MONTH
Y_TICKS = (0, 5, 10, 15, 20, 25, 30)

# (key, legend label, colour): NHS palette colours with at least 3:1 contrast on white.
SERIES = (
    ("headache_days", "Headache days", "#005eb8"),
    ("migraine_days", "Migraine days", "#ae2573"),
    ("acute_medication_days", "Days with painkillers or migraine medicines", "#007f3b"),
)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    value: int
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Group:
    x: float
    label: str
    sublabel: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    right: float
    bars: list[Bar]
    ticks: list[Tick]
    groups: list[Group]
    chronic_line_y: float
    legend: list[tuple[str, str]]
    baseline_y: float


def _y(value: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot * (1 - value / Y_MAX), 1)


def month_bar_chart(months: Sequence[rules.MonthCounts]) -> BarChart:
    """Place one group of three bars (headache, migraine, medication days) per month."""
    plot_width = WIDTH - LEFT - RIGHT
    group_width = plot_width / max(len(months), 1)
    bar_width = min(group_width * 0.8 / len(SERIES), 48)
    bars, groups = [], []
    for index, month in enumerate(months):
        centre = LEFT + group_width * (index + 0.5)
        first_x = centre - bar_width * len(SERIES) / 2
        for position, (key, _label, colour) in enumerate(SERIES):
            value = getattr(month, key)
            top = _y(min(value, Y_MAX))
            bars.append(
                Bar(
                    x=round(first_x + position * bar_width, 1),
                    y=top,
                    width=round(bar_width - 4, 1),
                    height=round(_y(0) - top, 1),
                    colour=colour,
                    value=value,
                    label_x=round(first_x + position * bar_width + (bar_width - 4) / 2, 1),
                    label_y=round(top - 4, 1),
                )
            )
        groups.append(
            Group(
                x=round(centre, 1),
                label=f"Month {index + 1}",
                sublabel=f"{month.first_day:%-d %b} to {month.last_day:%-d %b}",
            )
        )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        bars=bars,
        ticks=[Tick(y=_y(value), label=str(value)) for value in Y_TICKS],
        groups=groups,
        chronic_line_y=_y(rules.CHRONIC_HEADACHE_DAYS_PER_MONTH),
        legend=[(label, colour) for _key, label, colour in SERIES],
        baseline_y=_y(0),
    )
