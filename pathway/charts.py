"""Accessible SVG charts drawn on the server. Every chart is paired with a data table on the
page; the SVG carries a title and description for screen readers. All text is escaped."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 260
CHART_WIDTH = 640
BAR_COLOUR = "#005eb8"


def _number(value) -> float | None:
    try:
        return float(str(value).rstrip("%"))
    except (TypeError, ValueError):
        return None


def horizontal_bars(
    *, chart_id: str, title: str, description: str, bars: list[tuple[str, object]], unit: str = ""
) -> SafeString:
    """Bars for (label, value) pairs. Values that are not numbers (suppressed '*', '–') draw no
    bar and are labelled as such."""
    numbers = [_number(v) for _, v in bars]
    top = max([n for n in numbers if n is not None] or [0]) or 1
    plot_width = CHART_WIDTH - LABEL_WIDTH - 70
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="app-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, ((label, value), number) in enumerate(zip(bars, numbers, strict=True)):
        y = GAP + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 6
        parts.append(
            f'<text x="0" y="{text_y}" font-size="14" fill="#212b32">{escape(label)}</text>'
        )
        if number is None:
            shown = "suppressed" if str(value) == "*" else "no data"
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{text_y}" font-size="14" fill="#4c6272">{shown}</text>'
            )
            continue
        width = max(1, round(plot_width * number / top)) if number > 0 else 0
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {escape(value)} {escape(unit)}</title>'
            f"</rect>"
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6}" y="{text_y}" font-size="14" fill="#212b32">'
            f"{escape(value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  every interpolated value is escaped above
