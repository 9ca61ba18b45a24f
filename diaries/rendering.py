"""The diary calendar's weeks written in Python: the same markup as the template loop they stand
for, character for character (tests/diaries/test_rendering.py compares the two, the loop being
kept in tests/diaries/reference/calendar_weeks.html).

The staff diary tab shows three or four months: about 170 days, each running a dozen template
variables and a date filter through the template engine, 3.6 ms of the tab's 16.
"""

from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe

from diaries.calendars import CalendarDay, CalendarMonth
from pathway.renderers import template_text

_WEEK = "\n    <tr>\n      {days}\n    </tr>\n    "
_MARK = '<span class="app-diary-calendar__mark" aria-hidden="true">{}</span>'
_MEDICATION = '<span class="app-diary-calendar__med" aria-hidden="true">med</span>'
_PAIN = '<span class="app-diary-calendar__pain" aria-hidden="true">{}</span>'
# The whitespace the template's tags left around each day.
_CELL = "\n      \n      {}\n      \n      "
_OUTSIDE = '<td class="app-diary-calendar__day app-diary-calendar__day--outside"></td>'
_DAY = (
    '<td class="app-diary-calendar__day app-diary-calendar__day--{state}">{open}'
    '<span class="app-diary-calendar__number">{number}</span>'
    '<span class="nhsuk-u-visually-hidden"> {month}: {description}</span>{mark}{medication}'
    "{pain}{close}</td>"
)


def _day(day: CalendarDay, month_name: str) -> str:
    if not day.in_month:
        return _OUTSIDE
    if day.url:
        opening = f'<a class="app-diary-calendar__link" href="{template_text(day.url)}">'
        closing = "</a>"
    else:
        opening, closing = "<span>", "</span>"
    mark = day.mark
    return _DAY.format(
        state=template_text(day.state),
        open=opening,
        number=day.day.day,
        month=month_name,
        description=template_text(day.description),
        mark=_MARK.format(template_text(mark)) if mark else "",
        medication=_MEDICATION if day.medication else "",
        pain=_PAIN.format(template_text(day.pain)) if day.pain else "",
        close=closing,
    )


def calendar_weeks(month: CalendarMonth) -> SafeString:
    """The <tr> of each week of `month`, escaped as the template escaped them."""
    month_name = template_text(date_format(month.first, "F"))
    body = "".join(
        _WEEK.format(days="".join(_CELL.format(_day(day, month_name)) for day in week))
        for week in month.weeks
    )
    return mark_safe(f"    {body}\n")  # noqa: S308 - every value is escaped by template_text
