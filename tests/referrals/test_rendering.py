"""The triage queue's rows written in Python (referrals.rendering) are what the template loop
they stand for wrote, character for character: the loop is kept in reference/triage_rows.html."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from referrals.rendering import triage_rows
from referrals.rules.clocks import triage_clock
from tests.factories import PatientFactory
from tests.referrals import builders

pytestmark = pytest.mark.django_db

REFERENCE = engines["django"].from_string(
    (Path(__file__).parent / "reference" / "triage_rows.html").read_text().rstrip("\n")
)
UTC = ZoneInfo("UTC")


def _reference(rows, adult_age=18) -> str:
    return REFERENCE.render({"rows": rows, "adult_age": adult_age})


def _row(referral, *, clock=None, risky=False, under_age=False, url="/referrals/x/"):
    return {
        "referral": referral,
        "url": url,
        "risky_answer": risky,
        "under_age": under_age,
        "condition": "Headache <migraine> & co",
        "source": "GP",
        "clock": clock,
    }


def _rows(world):
    now = timezone.now()
    targets = {"urgent": 5, "routine": 20}
    awkward = PatientFactory(
        registered_practice=world.practice_a, given_name="Zoë <b>", family_name="O'Brien & Co"
    )
    plain = builders.referral(world.patient, world.gp)
    urgent = builders.referral(awkward, world.gp)
    urgent.urgency = "urgent"
    # A late-evening UTC time that is the next day in London in summer.
    urgent.submitted_at = datetime(2026, 7, 31, 23, 30, tzinfo=UTC)
    unmatched = builders.referral(world.other_patient, world.gp)
    unmatched.patient, unmatched.patient_id = None, None
    unmatched.stated_given_name, unmatched.stated_family_name = "Sam <i>", "Self"
    resent = builders.referral(world.patient_in_b, world.gp)
    resent.resends_id = plain.pk
    return [
        _row(plain, url="/referrals/a/?x=1&y=2"),
        _row(
            urgent,
            clock=triage_clock(
                submitted_at=now - timedelta(days=9), urgency="urgent", targets=targets, now=now
            ),
            risky=True,
            under_age=True,
        ),
        _row(
            unmatched,
            clock=triage_clock(
                submitted_at=now - timedelta(hours=2), urgency="routine", targets=targets, now=now
            ),
        ),
        _row(
            resent,
            clock=triage_clock(
                submitted_at=now - timedelta(days=19, hours=12),
                urgency="routine",
                targets=targets,
                now=now,
            ),
        ),
    ]


def test_the_rows_are_written_as_the_template_wrote_them(world):
    rows = _rows(world)
    ours, theirs = str(triage_rows(rows, adult_age=18)), _reference(rows)
    assert ours == theirs
    # The rows cover what a row can show.
    for marker in (
        "app-row--breached",
        "Breached",
        "Due ",
        "No target set",
        "Self-referral to match",
        "Sam &lt;i&gt; Self",
        "Zoë &lt;b&gt; O&#x27;Brien &amp; Co",
        "Headache &lt;migraine&gt; &amp; co",
        'href="/referrals/a/?x=1&amp;y=2"',
        "Self-harm answer",
        "Under 18",
        "Sent again",
        "1 Aug 2026",  # 23:30 UTC on 31 July is 1 August in London
        world.patient.registered_practice.name,
    ):
        assert marker in ours, marker
    assert "<b>" not in ours and "<i>" not in ours


def test_no_rows_write_nothing():
    assert str(triage_rows([], adult_age=18)) == _reference([]) == ""


def test_the_queue_page_shows_the_rows(world, login):
    builders.referral(world.patient, world.gp)
    builders.referral(world.patient_in_b, world.gp)
    page = login(world.clinician).get(reverse("referrals:triage-queue"))
    rows = page.context["rows"]
    assert len(rows) == 2
    html = page.content.decode()
    assert f'<tbody class="nhsuk-table__body">\n  {_reference(rows)}\n  </tbody>' in html
