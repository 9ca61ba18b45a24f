"""How a wait against its target reads on a page: `{% load clocks %}{% wait_clock clock %}`.

A tag rather than an included template: the triage queue and the waiting list show a clock on
every row, and an include cost about as much to render as the rest of the row.
"""

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def wait_clock(clock) -> str:
    """`clock` (a referrals.rules.WaitClock, or None when no target is set) as text with an
    NHS.UK tag when the wait is breached or due within a day."""
    if not clock:
        return format_html('<span class="nhsuk-body-s">{}</span>', "No target set")
    waited = f"{clock.days_waited} of {clock.target_days} days"
    if clock.breached:
        over = clock.days_over
        return format_html(
            '<strong class="nhsuk-tag nhsuk-tag--red">Breached</strong> {}{}',
            waited,
            f", {over} day{'' if over == 1 else 's'} over" if over else "",
        )
    due = dateformat.format(timezone.localtime(clock.due_at), "j M")
    if clock.days_left <= 1:
        return format_html(
            '<strong class="nhsuk-tag nhsuk-tag--orange">Due {}</strong> {}', due, waited
        )
    return format_html(
        '{} <span class="nhsuk-body-s">({} days left, due {})</span>', waited, clock.days_left, due
    )
