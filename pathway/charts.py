"""Accessible SVG charts drawn on the server. Every chart is paired with a data table on the
page; the SVG carries a title and description for screen readers. All text is escaped."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 260
CHART_WIDTH = 640
# A phone's chart: labels above their bars, drawn about as wide as the screen shows it.
STACKED_WIDTH = 340
LABEL_LINE = 20
BAR_COLOUR = "#005eb8"


def _number(value) -> float | None:
    try:
        return float(str(value).rstrip("%"))
    except (TypeError, ValueError):
        return None


def horizontal_bars(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: list[tuple[str, object]],
    unit: str = "",
    maximum: float | None = None,
    stacked: bool = False,
) -> SafeString:
    """Bars for (label, value) pairs, the longest reaching `maximum` (100 for percentages), or
    the largest value when none is given. Values that are not numbers (suppressed '*', '–',
    "not defined") draw no bar and are labelled as such. Labels sit beside their bars, or above
    them when `stacked` (a phone's narrow screen, where a label beside would leave no room)."""
    numbers = [_number(v) for _, v in bars]
    top = maximum or max([n for n in numbers if n is not None] or [0]) or 1
    width_of_chart = STACKED_WIDTH if stacked else CHART_WIDTH
    bar_x = 0 if stacked else LABEL_WIDTH
    plot_width = width_of_chart - bar_x - 70
    row_height = BAR_HEIGHT + GAP + (LABEL_LINE if stacked else 0)
    height = len(bars) * row_height + GAP
    parts = [
        f'<svg class="app-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {width_of_chart} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, ((label, value), number) in enumerate(zip(bars, numbers, strict=True)):
        top_of_row = GAP + index * row_height
        y = top_of_row + (LABEL_LINE if stacked else 0)
        text_y = y + BAR_HEIGHT - 6
        label_y = top_of_row + LABEL_LINE - 6 if stacked else text_y
        parts.append(
            f'<text x="0" y="{label_y}" font-size="14" fill="#212b32">{escape(label)}</text>'
        )
        if number is None:
            shown = {"*": "suppressed", "not defined": "not defined"}.get(str(value), "no data")
            parts.append(
                f'<text x="{bar_x}" y="{text_y}" font-size="14" fill="#4c6272">{shown}</text>'
            )
            continue
        width = max(1, round(plot_width * number / top)) if number > 0 else 0
        parts.append(
            f'<rect x="{bar_x}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {escape(value)} {escape(unit)}</title>'
            f"</rect>"
        )
        parts.append(
            f'<text x="{bar_x + width + 6}" y="{text_y}" font-size="14" fill="#212b32">'
            f"{escape(value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  every interpolated value is escaped above
