from django import template

from diaries.rendering import calendar_weeks as render_weeks

register = template.Library()


@register.filter
def calendar_weeks(month):
    """The <tr> of each week of a calendar month (diaries.rendering.calendar_weeks)."""
    return render_weeks(month)
