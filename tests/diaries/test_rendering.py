"""The calendar's weeks written in Python (diaries.rendering) are what the template loop they
stand for wrote, character for character: the loop is kept in reference/calendar_weeks.html."""

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines
from django.template.loader import render_to_string

from diaries.calendars import month_grid
from diaries.rendering import calendar_weeks

REFERENCE = engines["django"].from_string(
    (Path(__file__).parent / "reference" / "calendar_weeks.html").read_text().split("\n", 1)[1]
)
TODAY = date(2026, 3, 20)


def _entry(day, *, headache=False, severity="", migraine=False, medication=False, pain=None):
    return SimpleNamespace(
        day=day,
        headache=headache,
        migraine=migraine,
        worst_severity=severity,
        medication=medication,
        pain_score=pain,
    )


ENTRIES = [
    _entry(date(2026, 3, 1)),
    _entry(date(2026, 3, 2), headache=True, severity="mild"),
    _entry(date(2026, 3, 3), headache=True, severity="moderate", medication=True),
    _entry(date(2026, 3, 4), headache=True, severity="severe", migraine=True, medication=True),
    _entry(date(2026, 3, 5), headache=True, severity="severe", migraine=True),
    _entry(date(2026, 3, 6), pain=0),
    _entry(date(2026, 3, 7), headache=True, severity="mild", pain=7),
    _entry(date(2026, 2, 27), headache=True, severity="mild"),  # outside the month
]


def _link(day):
    # Characters that must be escaped, as a crafted address would carry them.
    return f"/diary/day/{day:%Y-%m-%d}/?next=calendar&x=<y>\"'"


@pytest.mark.parametrize("pain_first", [False, True], ids=["headache", "pain first"])
@pytest.mark.parametrize("link_days", [None, _link], ids=["no links", "links"])
@pytest.mark.parametrize(("year", "month"), [(2026, 3), (2026, 2), (2025, 12), (2026, 6)])
def test_the_weeks_are_what_the_template_loop_wrote(year, month, link_days, pain_first):
    grid = month_grid(year, month, ENTRIES, today=TODAY, link_days=link_days, pain_first=pain_first)
    assert str(calendar_weeks(grid)) == REFERENCE.render({"month": grid})


def test_every_state_of_a_day_is_covered():
    grid = month_grid(2026, 3, ENTRIES, today=TODAY, link_days=_link)
    html = str(calendar_weeks(grid))
    for state in ("outside", "clear", "mild", "moderate", "severe", "none", "future"):
        assert f"app-diary-calendar__day--{state}" in html
    assert "March: severe headache, migraine, medicine taken" in html
    assert 'aria-hidden="true">sev</span><span class="app-diary-calendar__med"' in html
    assert "&lt;y&gt;&quot;&#x27;" in html and "<y>" not in html
    # A pain score, even 0, is read out and marked beside the day.
    assert "March: no headache, pain 0 out of 10" in html
    assert "March: mild headache, pain 7 out of 10" in html
    assert '<span class="app-diary-calendar__pain" aria-hidden="true">7/10</span>' in html
    assert html.count("app-diary-calendar__pain") == 2
    assert grid.pain_scored
    assert not month_grid(2026, 2, ENTRIES, today=TODAY).pain_scored


def test_a_pain_first_calendar_marks_days_filled_in_not_as_good_days():
    html = str(calendar_weeks(month_grid(2026, 3, ENTRIES, today=TODAY, pain_first=True)))
    assert "app-diary-calendar__day--clear" not in html
    assert html.count("app-diary-calendar__day--recorded") == 2  # 1 and 6 March
    assert "March: no headache</span>" in html  # no score: still said
    assert "March: pain 0 out of 10</span>" in html
    assert "March: mild headache, pain 7 out of 10</span>" in html


def test_the_month_page_shows_the_weeks_inside_the_table():
    grid = month_grid(2026, 3, ENTRIES, today=TODAY)
    page = render_to_string("diaries/includes/calendar_month.html", {"month": grid})
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body == "\n" + str(calendar_weeks(grid)) + "  "
    assert page.count("<tr>") == 1 + len(grid.weeks)
