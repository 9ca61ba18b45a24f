"""The wait clock as the triage queue, the waiting list and the referral page show it."""

from datetime import UTC, datetime, timedelta

from django.template import Context, Template

from referrals.rules import wait_clock
from referrals.templatetags.clocks import wait_clock as clock_html

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _clock(days_ago: float, target: int):
    return wait_clock(started_at=NOW - timedelta(days=days_ago), target_days=target, now=NOW)


def test_no_target():
    assert clock_html(None) == '<span class="nhsuk-body-s">No target set</span>'


def test_within_target_shows_days_left_and_the_due_day():
    assert clock_html(_clock(1, 5)) == (
        '1 of 5 days <span class="nhsuk-body-s">(4 days left, due 24 Mar)</span>'
    )


def test_due_within_a_day_is_tagged_orange():
    assert clock_html(_clock(4, 5)) == (
        '<strong class="nhsuk-tag nhsuk-tag--orange">Due 21 Mar</strong> 4 of 5 days'
    )


def test_breached_counts_whole_days_over():
    breached = '<strong class="nhsuk-tag nhsuk-tag--red">Breached</strong> '
    assert clock_html(_clock(5.5, 5)) == breached + "5 of 5 days"
    assert clock_html(_clock(6, 5)) == breached + "6 of 5 days, 1 day over"
    assert clock_html(_clock(7, 5)) == breached + "7 of 5 days, 2 days over"


def test_due_day_is_the_local_day():
    # Due at 23:30 UTC on 29 March 2026, after the clocks went forward: 00:30 on 30 March in London.
    clock = wait_clock(
        started_at=datetime(2026, 3, 22, 23, 30, tzinfo=UTC),
        target_days=7,
        now=datetime(2026, 3, 23, 9, 0, tzinfo=UTC),
    )
    assert "due 30 Mar" in clock_html(clock)


def test_tag_in_a_template():
    rendered = Template("{% load clocks %}<span>{% wait_clock clock %}</span>").render(
        Context({"clock": _clock(1, 5)})
    )
    assert rendered == (
        '<span>1 of 5 days <span class="nhsuk-body-s">(4 days left, due 24 Mar)</span></span>'
    )
