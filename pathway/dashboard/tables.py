"""The shape every dashboard figure takes: a titled table with its definition, ready to show,
chart or export. Cells are already published (suppressed and rounded)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chart:
    """Which column to draw as bars against which label column; `unit` labels the axis, and
    `shows` says what the bars are for a screen reader (the table's title by default)."""

    label_column: int
    value_column: int
    unit: str = ""
    shows: str = ""
    # The value a full-width bar stands for: 100 for percentages; the largest value if None.
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    definition: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chart: Chart | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # For a table not limited to the period chosen: the time it covers instead.
    covers: str = ""
    # Whether each row's first cell names the row (a month, a step): read out as the header of
    # the figures beside it. False for a table of figures only.
    row_headers: bool = True
