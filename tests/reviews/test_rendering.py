"""The worklist's rows written in Python (reviews.rendering) are what the template loop they
stand for wrote, character for character: the loop is kept in reference/worklist_rows.html."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from reviews.rendering import worklist_rows
from reviews.worklist import Reason, Row
from tests.factories import PatientFactory
from tests.reviews import builders

REFERENCE = engines["django"].from_string(
    (Path(__file__).parent / "reference" / "worklist_rows.html").read_text().rstrip("\n")
)
LONDON = ZoneInfo("Europe/London")


def _reference(rows) -> str:
    return REFERENCE.render({"rows": rows})


def _rows(world):
    awkward = PatientFactory(
        registered_practice=world.practice_a, given_name="Zoë <b>", family_name="O'Brien & Co"
    )
    # A late-evening UTC time that is the next day in London in summer.
    summer_night = datetime(2026, 7, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    return [
        Row(
            world.patient.pk,
            [
                Reason(
                    "safety_alert",
                    'PHQ-9 item 9 answered "several days"',
                    timezone.now(),
                    "/reviews/alerts/x/?a=1&b=2",
                ),
                Reason("target_breach", "Waiting 40 days (target 28)", date(2026, 10, 1)),
            ],
            world.patient,
            "/reviews/patients/1/",
            "Practice A",
        ),
        Row(
            awkward.pk,
            [
                Reason("questionnaire_outstanding", "HIT-6 <due> & overdue", summer_night, ""),
                Reason("questionnaire_outstanding", "GAD-7", None, "/reviews/q/2/"),
            ],
            awkward,
            "/reviews/patients/2/?x=<y>",
            "Smith & Jones <Surgery>",
        ),
        Row(
            world.other_patient.pk,
            [Reason("target_breach", "Waiting 40 days", date(2026, 10, 1))],
            world.other_patient,
        ),
        Row(world.patient_in_b.pk, [Reason("diary_pattern", "Undated", None)], world.patient_in_b),
    ]


@pytest.mark.django_db
def test_the_rows_are_written_as_the_template_wrote_them(world):
    rows = _rows(world)
    ours, theirs = str(worklist_rows(rows)), _reference(rows)
    assert ours == theirs
    # The rows cover what a row can show.
    for marker in (
        "nhsuk-tag--red",
        "nhsuk-tag--orange",
        "nhsuk-tag--blue",
        "Zoë &lt;b&gt; O&#x27;Brien &amp; Co",
        "Smith &amp; Jones &lt;Surgery&gt;",
        'href="/reviews/alerts/x/?a=1&amp;b=2"',
        "HIT-6 &lt;due&gt; &amp; overdue",
        "1 Aug 2026",  # 23:30 UTC on 31 July is 1 August in London
        "1 Oct 2026",
        'aria-hidden="true">Since </span></td>',  # no date
    ):
        assert marker in ours, marker
    assert "<b>" not in ours


@pytest.mark.django_db
def test_every_worklist_category_is_written_as_the_template_wrote_it(world):
    from reviews import rules

    reasons = [
        Reason(code, f"Reason {code}", timezone.now() - timedelta(days=n), f"/x/{n}/" * (n % 2))
        for n, (code, _) in enumerate(rules.WORKLIST_CATEGORIES)
    ]
    rows = [Row(world.patient.pk, reasons, world.patient, "/p/", "Practice A")]
    assert str(worklist_rows(rows)) == _reference(rows)
    assert str(worklist_rows([])) == _reference([]) == ""


@pytest.mark.django_db
def test_the_worklist_page_shows_the_rows(world, login, settings):
    settings.WORKLIST_CACHE_SECONDS = 0
    builders.safety_alert(world.patient)
    builders.questionnaire_request(world.patient_in_b, days_ago=10)
    page = login(world.clinician).get(reverse("reviews:worklist"))
    rows = page.context["rows"]
    assert len(rows) == 2
    html = page.content.decode()
    assert f'<tbody class="nhsuk-table__body">\n    {_reference(rows)}\n  </tbody>' in html
