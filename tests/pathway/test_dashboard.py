"""Commissioner dashboard: correct aggregates, suppression, scope, no identifiers, constant
queries."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape

from pathway import tasks
from pathway.dashboard import metrics, scope, snapshots
from pathway.dashboard.rules import period_for
from pathway.models import (
    Assessment,
    DashboardSnapshot,
    Milestone,
    Organisation,
    Patient,
    Target,
)
from referrals import selectors as referral_selectors
from referrals.models import Referral
from reviews.models import QuestionnaireRequest
from reviews.services.questionnaires import submit_questionnaire
from tests.factories import (
    EpisodeFactory,
    OrganisationFactory,
    PatientFactory,
    UserFactory,
    urgent_triage_target,
)
from tests.pathway.pages import page_text
from tests.referrals import builders as referral_builders
from tests.reviews import builders as review_builders

pytestmark = pytest.mark.django_db


def _episode_with_wait(
    practice, *, referred_days_ago: int, triage_wait: int, priority="routine", **episode
):
    now = timezone.now()
    episode.setdefault("patient", PatientFactory(registered_practice=practice))
    episode = EpisodeFactory(
        priority=priority, opened_at=now - timedelta(days=referred_days_ago), **episode
    )
    received = now - timedelta(days=referred_days_ago)
    Milestone.objects.create(episode=episode, kind="referral_received", occurred_at=received)
    Milestone.objects.create(
        episode=episode, kind="triaged", occurred_at=received + timedelta(days=triage_wait)
    )
    return episode


def _period():
    today = timezone.localdate()
    return period_for("custom", today=today, start=today - timedelta(days=60), end=today)


def test_triage_waits_count_those_within_the_five_day_target(world):
    for wait in (1, 2, 3, 4, 5, 5, 6, 9, 10, 12):
        _episode_with_wait(world.practice_a, referred_days_ago=30, triage_wait=wait)
    n, within, median, longest, target, _ = metrics.completed_wait(
        practice_ids=[world.practice_a.id],
        period=_period(),
        frm="referral_received",
        to="triaged",
    )
    assert (n, within, target) == (10, 6, "5 days")
    assert median == pytest.approx(5.0)
    assert longest == pytest.approx(12.0)


def test_each_wait_for_triage_is_measured_against_its_urgencys_own_target(world):
    """An urgent referral triaged in 3 days breaches a 1-day urgent target, as the triage queue
    said while it waited; a routine one is within the 5 days for any referral."""
    urgent_triage_target(days=1)
    for index in range(20):
        urgency = "urgent" if index < 10 else "routine"
        episode = _episode_with_wait(
            world.practice_a, referred_days_ago=30, triage_wait=3, priority=urgency
        )
        made = referral_builders.referral(episode.patient, world.gp)
        Referral.objects.filter(pk=made.pk).update(episode=episode, urgency=urgency)
    n, within, median, longest, target, _ = metrics.completed_wait(
        practice_ids=[world.practice_a.id], period=_period(), frm="referral_received", to="triaged"
    )
    assert (n, within, target) == (20, 10, "urgent 1 day; routine 5 days")
    table = metrics.waits_table(practice_ids=[world.practice_a.id], period=_period())
    assert table.rows[0][:4] == (
        "Referral to triage",
        "urgent 1 day; routine 5 days",
        "20",
        "50.0%",
    )


def test_a_wait_of_one_priority_falls_back_to_the_target_for_any(world):
    Target.objects.create(
        name="Triage to first contact",
        from_milestone="triaged",
        to_milestone="first_contact",
        priority="any",
        days=1,
    )
    Target.objects.filter(from_milestone="triaged", priority="urgent").delete()
    assert (
        metrics.levels_text(
            metrics.levels_for(referral_selectors.target_days("triaged", "first_contact"), "urgent")
        )
        == "1 day"
    )


def test_the_waits_table_suppresses_small_numbers(world):
    for wait in (1, 2, 9):
        _episode_with_wait(world.practice_a, referred_days_ago=30, triage_wait=wait)
    table = metrics.waits_table(practice_ids=[world.practice_a.id], period=_period())
    assert table.rows[0] == ("Referral to triage", "5 days", "*", "*", "*", "*")


def test_a_suppressed_cell_says_so_to_a_screen_reader(world, login):
    for wait in (1, 2, 9):
        _episode_with_wait(world.practice_a, referred_days_ago=30, triage_wait=wait)
        seen = EpisodeFactory(
            patient=PatientFactory(registered_practice=world.practice_a), status="active"
        )
        Milestone.objects.create(episode=seen, kind="first_contact", occurred_at=timezone.now())
    html = login(world.commissioner).get("/dashboard/?period=month").content.decode()
    cell = (
        '<td class="nhsuk-table__cell"><span aria-hidden="true">*</span><span '
        'class="nhsuk-u-visually-hidden">suppressed, too few people to show</span></td>'
    )
    assert cell in html
    assert '<td class="nhsuk-table__cell">*</td>' not in html
    # Annual review coverage is one row of figures: its first figure is a cell, not the row's
    # header, and reads as suppressed like any other.
    coverage = html[html.index('id="reviews-heading"') :]
    coverage = coverage[: coverage.index("</table>")]
    assert 'scope="row"' not in coverage
    assert cell in coverage


def test_waiting_list_counts_breaches_by_priority(world):
    for _ in range(9):
        _episode_with_wait(world.practice_a, referred_days_ago=40, triage_wait=2)  # 38 days
    for _ in range(8):
        _episode_with_wait(world.practice_a, referred_days_ago=12, triage_wait=2)  # 10 days
    table = metrics.waiting_list_table(practice_ids=[world.practice_a.id])
    routine = table.rows[1]
    assert routine[0] == "Routine"
    assert routine[2] == "15"  # 17 waiting, rounded to the nearest 5
    assert routine[3] == "10"  # 9 breaches of the 28-day target, rounded


def test_an_urgent_wait_breaches_14_days_from_referral_even_if_triaged_late(world):
    for _ in range(8):  # referred 16 days ago, triaged 10 days later: 6 days since triage
        _episode_with_wait(
            world.practice_a, referred_days_ago=16, triage_wait=10, priority="urgent"
        )
    table = metrics.waiting_list_table(practice_ids=[world.practice_a.id])
    assert table.rows[0] == (
        "Urgent",
        "14 days from triage; 14 days from referral",
        "10",
        "10",
        "6.0",  # the longest wait is counted from triage
    )


def test_the_waits_table_measures_urgent_first_contact_from_referral_too(world):
    now = timezone.now()
    for _ in range(8):
        episode = _episode_with_wait(
            world.practice_a, referred_days_ago=20, triage_wait=10, priority="urgent"
        )
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=now)
    table = metrics.waits_table(practice_ids=[world.practice_a.id], period=_period())
    rows = {row[0]: row for row in table.rows}
    # 10 days from triage, within its target; 20 from referral, over its 14 days.
    assert rows["Triage to first contact (urgent)"][1:4] == ("14 days", "10", "100.0%")
    assert rows["Referral to first contact (urgent)"][1:4] == ("14 days", "10", "0.0%")


def test_outcomes_compare_first_and_latest_scores_six_weeks_apart(world):
    now = timezone.now()
    for index in range(10):
        patient = PatientFactory(registered_practice=world.practice_a)
        # HIT-6 66 -> 58 (a fall of 8: clinically important) for 8 patients, 66 -> 64 for two.
        latest = 58 if index < 8 else 64
        for total, days_ago in ((66, 80), (latest, 5)):
            Assessment.objects.create(
                patient=patient,
                instrument="HIT-6",
                answers=[],
                total=total,
                band="x",
                context="review",
                completed_at=now - timedelta(days=days_ago),
            )
    # Too close together to count (under 6 weeks apart).
    close = PatientFactory(registered_practice=world.practice_a)
    for total, days_ago in ((70, 20), (40, 2)):
        Assessment.objects.create(
            patient=close,
            instrument="HIT-6",
            answers=[],
            total=total,
            band="x",
            context="review",
            completed_at=now - timedelta(days=days_ago),
        )
    row = metrics.outcome_row(practice_ids=[world.practice_a.id], period=_period(), code="HIT-6")
    # 8 of 10 improved: 2 did not, too few to publish the share (10 of 10 would say 100%).
    assert row == ("HIT-6 (lower is better)", "10", "66.0", "59.2", "*")


def test_outcomes_leave_out_answers_sent_again_to_a_questionnaire_already_answered(world):
    now = timezone.now()
    for _ in range(10):
        patient = PatientFactory(registered_practice=world.practice_a)
        review_builders.assessment(patient, "HIT-6", ["always"] * 6, when=now - timedelta(days=80))
        # HIT-6 78 -> 76, then a second window sends 60 to the same questionnaire: not a later
        # completion, so no improvement of 18.
        request = review_builders.questionnaire_request(patient, instrument="HIT-6")
        stale = QuestionnaireRequest.objects.get(pk=request.pk)
        submit_questionnaire(
            actor=world.clinician, request=request, answers=["always"] * 5 + ["very often"]
        )
        submit_questionnaire(actor=world.clinician, request=stale, answers=["sometimes"] * 6)
        Assessment.objects.filter(patient=patient, completed_at__gte=now).update(
            completed_at=F("completed_at") - timedelta(days=5)
        )
    row = metrics.outcome_row(practice_ids=[world.practice_a.id], period=_period(), code="HIT-6")
    assert row == ("HIT-6 (lower is better)", "10", "78.0", "76.0", "0.0%")


def test_outcomes_without_a_defined_important_change_still_show_n_and_means(world):
    now = timezone.now()
    for _ in range(10):
        patient = PatientFactory(registered_practice=world.practice_a)
        for total, days_ago in ((15, 80), (9, 5)):
            Assessment.objects.create(
                patient=patient,
                instrument="PHQ-9",
                answers=[],
                total=total,
                band="x",
                context="review",
                completed_at=now - timedelta(days=days_ago),
            )
    row = metrics.outcome_row(practice_ids=[world.practice_a.id], period=_period(), code="PHQ-9")
    assert row == ("PHQ-9 (lower is better)", "10", "15.0", "9.0", "not defined")


def test_a_wait_without_a_target_is_still_counted(world):
    for wait in range(10):
        _episode_with_wait(world.practice_a, referred_days_ago=30, triage_wait=wait)
    n, within, median, longest, target, _ = metrics.completed_wait(
        practice_ids=[world.practice_a.id],
        period=_period(),
        frm="referral_received",
        to="triaged",
        priority="no-such-priority",
    )
    # No episode has that priority; its target would be the one for any.
    assert (n, within, target) == (0, 0, "5 days")
    Target.objects.filter(from_milestone="referral_received", to_milestone="triaged").delete()
    n, within, median, longest, target, _ = metrics.completed_wait(
        practice_ids=[world.practice_a.id], period=_period(), frm="referral_received", to="triaged"
    )
    assert (n, within, target) == (10, 0, "no target")
    assert longest == pytest.approx(9.0)


def test_review_coverage_counts_reviews_of_patients_seen_this_year(world):
    now = timezone.now()
    for index in range(10):
        episode = EpisodeFactory(
            patient=PatientFactory(registered_practice=world.practice_a), status="active"
        )
        Milestone.objects.create(
            episode=episode, kind="first_contact", occurred_at=now - timedelta(days=400)
        )
        if index < 8:
            Milestone.objects.create(
                episode=episode, kind="review_held", occurred_at=now - timedelta(days=30)
            )
    table = metrics.review_coverage_table(practice_ids=[world.practice_a.id])
    # 8 of 10 reviewed this year; the other 2 last seen over a year ago (shown as *: under 8).
    # 8 of 10: the 2 not reviewed are too few to publish the share. All ten in care for over a
    # year.
    assert table.rows == (("10", "*", "0", "*", "*"),)


def test_review_coverage_counts_a_first_contact_this_year_as_seen(world):
    now = timezone.now()
    for _ in range(10):
        episode = EpisodeFactory(
            patient=PatientFactory(registered_practice=world.practice_a), status="active"
        )
        # Newly in care: not yet due a yearly review.
        Milestone.objects.create(
            episode=episode, kind="first_contact", occurred_at=now - timedelta(days=60)
        )
    table = metrics.review_coverage_table(practice_ids=[world.practice_a.id], now=now)
    # None reviewed; all ten in care under a year, so none of those due has been missed.
    assert table.rows == (("10", "0.0%", "10", "–", "0"),)


def test_a_wait_of_too_few_patients_is_not_published(world):
    # Ten episodes of five patients, each on both pathways: the count is published; the share,
    # median and longest wait, which describe people, are not.
    for _ in range(5):
        patient = PatientFactory(registered_practice=world.practice_a)
        for condition in ("headache", "chronic_pain"):
            _episode_with_wait(
                world.practice_a,
                referred_days_ago=30,
                triage_wait=2,
                patient=patient,
                condition=condition,
            )
    table = metrics.waits_table(practice_ids=[world.practice_a.id], period=_period())
    label, target, n, within, median, longest = table.rows[0]
    assert (label, n, within, median, longest) == ("Referral to triage", "10", "*", "*", "*")


def test_review_coverage_counts_overdue_as_the_care_teams_worklist_does(world):
    from reviews.worklist.scans import reviews_overdue

    now = timezone.now()
    episodes = []
    for index in range(20):
        episode = EpisodeFactory(
            patient=PatientFactory(registered_practice=world.practice_a), status="active"
        )
        episodes.append(episode)
        Milestone.objects.create(
            episode=episode, kind="first_contact", occurred_at=now - timedelta(days=200)
        )
        Milestone.objects.create(
            episode=episode, kind="review_held", occurred_at=now - timedelta(days=100)
        )
        # The review set the next one 90 days on (passed) for the first 10; for the rest, a
        # date set by an earlier review was moved on by the latest.
        for days in (-10,) if index < 10 else (-10, 30):
            Milestone.objects.create(
                episode=episode,
                kind="annual_review_due",
                occurred_at=now + timedelta(days=days),
            )
    # Seen over a year ago, with no next review date: overdue too.
    for _ in range(8):
        episode = EpisodeFactory(
            patient=PatientFactory(registered_practice=world.practice_a), status="active"
        )
        Milestone.objects.create(
            episode=episode, kind="first_contact", occurred_at=now - timedelta(days=400)
        )
    table = metrics.review_coverage_table(practice_ids=[world.practice_a.id], now=now)
    on_worklist = reviews_overdue(
        Patient.objects.filter(registered_practice=world.practice_a), now=now
    )
    assert len(on_worklist) == 18
    # 28 episodes; 20 reviewed, all in care under a year; none of the 8 in care longer
    # reviewed; 18 overdue.
    assert table.rows == (("30", "66.7%", "20", "0.0%", "20"),)


def test_a_commissioner_sees_the_dashboard_without_any_patient_identifier(world, login):
    for wait in range(1, 12):
        _episode_with_wait(world.practice_a, referred_days_ago=20, triage_wait=wait)
    client = login(world.commissioner)
    responses = [
        client.get("/dashboard/"),
        client.get("/dashboard/print/"),
        client.get("/dashboard/export/waits.csv"),
        client.get("/dashboard/export/outcomes.csv"),
    ]
    from pathway.models import Patient

    identifiers = []
    for patient in Patient.objects.all():
        identifiers += [
            patient.nhs_number,
            patient.nhs_number_display,
            patient.given_name,
            patient.family_name,
            patient.date_of_birth.isoformat(),
            patient.date_of_birth.strftime("%-d %B %Y"),
        ]
    for response in responses:
        assert response.status_code == 200
        body = response.content.decode()
        leaked = [value for value in identifiers if value in body]
        assert leaked == []


def test_the_csv_export_has_the_table_with_its_headers(world, login):
    response = login(world.commissioner).get("/dashboard/export/waits.csv?period=month")
    # A byte order mark first, so that spreadsheet programs read the file as UTF-8.
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0].startswith("Waits against pathway targets - ")
    assert rows[1] == ["Step", "Target", "Episodes", "Within target", "Median days", "Longest days"]
    assert rows[2][0] == "Referral to triage"
    # What the figures mean travels with them, as beside the table on the page.
    assert rows[-3] == [
        f"Definition: {metrics.waits_table(practice_ids=[], period=_period()).definition}"
    ]
    assert rows[-2] == [
        "Counts of 1 to 7 are shown as *, other counts are rounded to the nearest 5, "
        "percentages are worked out from the rounded counts and suppressed when the count, its "
        "total or the rest of the total is from 1 to 7, and other figures built on a suppressed "
        "count are suppressed."
    ]
    assert rows[-1] == ["A dash (–) means there is no data to work the figure out from."]
    # The file's name says which table, area and months it holds.
    month = f"{timezone.localdate():%Y-%m}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="waits-test-icb-{month}-to-{month}.csv"'
    )


PERIOD_FREE = {
    "triage-waiting-list",
    "waiting-list",
    "reviews",
    "headache-days",
    "deprescribing",
    "gp-attendance",
}


def test_tables_not_limited_to_the_period_chosen_say_what_they_cover(world, login):
    client = login(world.commissioner)
    page = client.get("/dashboard/?period=month")
    tables = [item["table"] for item in page.context["tables"]]
    assert {t.key for t in tables if t.covers} == PERIOD_FREE
    html = page.content.decode()
    assert html.count("Not limited to the period chosen") == len(PERIOD_FREE)
    assert "Each patient&#x27;s diary from its first day to its latest." in html
    waits = client.get("/dashboard/export/waits.csv?period=month").content.decode("utf-8-sig")
    assert "not limited to" not in next(csv.reader(io.StringIO(waits)))[0]
    reviews = client.get("/dashboard/export/reviews.csv?period=month")
    reviews = reviews.content.decode("utf-8-sig")
    title = next(csv.reader(io.StringIO(reviews)))[0]
    month = timezone.localdate().strftime("%B %Y")
    assert f"not limited to {month}: Active episodes of care today" in title


def test_an_area_outside_the_commissioners_icb_is_refused(world, login):
    other_icb = OrganisationFactory(kind="icb", name="Elsewhere ICB", ods_code="QZZ", parent=None)
    response = login(world.commissioner).get(f"/dashboard/?organisation={other_icb.id}")
    assert response.status_code == 200
    assert "Choose an area from the list." in response.content.decode()
    assert "Waits against pathway targets" not in response.content.decode()


def test_an_unknown_period_is_refused_in_the_forms_own_words(world, login):
    body = login(world.commissioner).get("/dashboard/?period=zzz").content.decode()
    assert "Choose a period from the list." in body
    assert "Select a valid choice" not in body


def test_an_unknown_table_or_bad_period_never_errors(world, login):
    client = login(world.commissioner)
    assert client.get("/dashboard/export/nope.csv").status_code == 404
    bad = client.get("/dashboard/?period=custom&start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 200
    assert "The end date must be on or after the start date" in bad.content.decode()
    assert client.get("/dashboard/?period=custom&start=not-a-date").status_code == 200


@pytest.mark.parametrize(
    "page", ["/dashboard/", "/dashboard/print/", "/dashboard/export/waits.csv"]
)
def test_the_last_date_a_date_can_hold_is_refused_not_an_error(world, login, page):
    response = login(world.commissioner).get(
        f"{page}?period=custom&start=9999-12-31&end=9999-12-31"
    )
    assert response.status_code in (200, 400)
    assert "The end date must be in " in response.content.decode()


def test_an_export_link_with_bad_choices_says_what_is_wrong(world, login):
    response = login(world.commissioner).get(
        "/dashboard/export/waits.csv?period=custom&start=2026-02-01&end=2026-01-01"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "The end date must be on or after the start date" in body
    assert 'action="/dashboard/"' in body  # corrected choices show the figures, not a download


def test_choose_dates_asks_for_each_missing_or_wrong_date_beside_its_box(world, login):
    client = login(world.commissioner)
    page = client.get("/dashboard/?period=custom")
    form = page.context["form"]
    assert form.errors == {"start": ["Enter a start date"], "end": ["Enter an end date"]}
    html = page.content.decode()
    assert '<a href="#id_start">Enter a start date</a>' in html
    assert 'id="id_end-error"' in html
    assert "<title>Error: Pathway dashboard" in html
    assert "(optional)" not in html  # the dates are needed for "Choose dates"
    later = client.get("/dashboard/?period=custom&start=2026-02-01&end=2026-01-01")
    assert later.context["form"].errors == {
        "end": ["The end date must be on or after the start date"]
    }
    garbage = client.get("/dashboard/?period=custom&start=soon&end=2026-01-01")
    assert garbage.context["form"].errors == {"start": ["Enter the start date as a real date"]}


def test_dates_entered_beside_a_standard_period_are_said_not_to_be_used(world, login):
    client = login(world.commissioner)
    page = client.get("/dashboard/?period=quarter&start=2026-04-01&end=2026-06-30")
    assert page.context["form"].dates_not_used
    assert "The dates you entered were not used" in page.content.decode()
    plain = client.get("/dashboard/?period=quarter")
    assert not plain.context["form"].dates_not_used
    assert "The dates you entered were not used" not in plain.content.decode()
    custom = client.get("/dashboard/?period=custom&start=2026-04-01&end=2026-06-30")
    assert custom.context["period"].label == "April 2026 to June 2026"
    assert "The dates you entered were not used" not in custom.content.decode()
    assert "Figures cover whole months" not in custom.content.decode()


def test_custom_dates_inside_a_month_show_the_whole_month_and_say_so(world, login):
    client = login(world.commissioner)
    day = client.get("/dashboard/?period=custom&start=2026-11-22&end=2026-11-22")
    assert day.context["period"].label == "November 2026"
    assert day.context["form"].dates_widened
    assert (
        "Figures cover whole months, so these are for 1 November 2026 to 30 November 2026."
        in day.content.decode()
    )
    export = client.get(
        "/dashboard/export/referrals.csv?period=custom&start=2026-11-22&end=2026-11-22"
    )
    assert "November 2026" in export.content.decode()
    assert "22 November" not in export.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "organisation=abc",
        "period=decade",
        "period=custom",
        "period=custom&start=2026-09-30&end=2026-01-01",
        "organisation=999999",
    ],
)
def test_the_printable_view_of_bad_choices_says_what_is_wrong(world, login, query):
    page = login(world.commissioner).get(f"/dashboard/print/?{query}")
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html
    assert "figures as of" not in html
    assert 'href="/dashboard/"' in html


def test_computing_the_figures_runs_a_constant_number_of_queries(
    world, django_assert_num_queries, django_assert_max_num_queries
):
    period = period_for("quarter", today=timezone.localdate())
    _episode_with_wait(world.practice_a, referred_days_ago=20, triage_wait=3)
    with django_assert_max_num_queries(1000) as small:
        snapshots.refresh(world.icb, period)
    for wait in range(40):
        _episode_with_wait(world.practice_b, referred_days_ago=25, triage_wait=wait % 9)
        # Waiting for triage: matched, and self-referrals not yet matched to a patient.
        referral_builders.referral(PatientFactory(registered_practice=world.practice_a), world.gp)
        referral_builders.self_referral(world.practice_b, family_name=f"Self{wait}")
    with django_assert_num_queries(len(small.captured_queries)):
        snapshots.refresh(world.icb, period)


def test_the_page_reads_kept_figures_in_one_query_and_says_when_they_are_from(
    world, login, django_assert_max_num_queries
):
    client = login(world.commissioner)
    first = client.get("/dashboard/")
    assert "Figures as of" in first.content.decode()
    assert DashboardSnapshot.objects.count() == 1
    with django_assert_max_num_queries(1000) as again:
        client.get("/dashboard/")
    figures = [q["sql"] for q in again.captured_queries if "pathway_milestone" in q["sql"]]
    assert figures == []  # nothing recomputed
    snapshot_reads = [q for q in again.captured_queries if "dashboardsnapshot" in q["sql"]]
    assert len(snapshot_reads) == 1


def test_figures_older_than_the_limit_are_recomputed_when_viewed(world, login):
    client = login(world.commissioner)
    client.get("/dashboard/")
    old = timezone.now() - snapshots.MAX_AGE - timedelta(minutes=1)
    DashboardSnapshot.objects.update(computed_at=old)
    _episode_with_wait(world.practice_a, referred_days_ago=10, triage_wait=2)
    client.get("/dashboard/")
    snapshot = DashboardSnapshot.objects.get()
    assert snapshot.computed_at > old


def test_figures_kept_in_another_shape_are_recomputed_and_unknown_chart_fields_ignored(world):
    period = period_for("quarter", today=timezone.localdate())
    tables, computed_at = snapshots.refresh(world.icb, period)
    snapshot = DashboardSnapshot.objects.get()
    # As kept by the code before: no format, and a chart with a field this code does not know.
    older = [
        {key: value for key, value in data.items() if key != "format"} for data in snapshot.tables
    ]
    DashboardSnapshot.objects.update(tables=older)
    _, as_of = snapshots.tables_for(world.icb, period)
    assert as_of > computed_at
    newer = DashboardSnapshot.objects.get().tables
    charted = next(data for data in newer if data["chart"])
    charted["chart"]["drawn_with"] = "a later version"
    DashboardSnapshot.objects.update(tables=newer)
    kept, _ = snapshots.tables_for(world.icb, period)
    assert [table.key for table in kept] == [table.key for table in tables]


def test_kept_figures_read_back_unchanged_until_they_expire(world):
    period = period_for("quarter", today=timezone.localdate())
    for wait in range(12):
        _episode_with_wait(world.practice_a, referred_days_ago=20, triage_wait=wait % 4)
    tables, computed_at = snapshots.refresh(world.icb, period)
    _episode_with_wait(world.practice_a, referred_days_ago=20, triage_wait=30)
    kept, as_of = snapshots.tables_for(world.icb, period)
    assert kept == tables  # the stored form reads back as the same tables, as of then
    assert as_of == computed_at
    later = computed_at + snapshots.MAX_AGE + timedelta(seconds=1)
    fresh, fresh_as_of = snapshots.tables_for(world.icb, period, now=later)
    assert fresh_as_of == later and fresh != tables


def test_the_beat_job_refreshes_the_standard_periods_of_every_icb_and_pcn(world):
    areas = Organisation.objects.filter(kind__in=["icb", "pcn"]).count()
    assert tasks.refresh_dashboard_snapshots() == areas * 3
    assert DashboardSnapshot.objects.count() == areas * 3
    assert tasks.refresh_dashboard_snapshots() == areas * 3
    assert DashboardSnapshot.objects.count() == areas * 3  # replaced, not added


def test_the_beat_job_drops_figures_too_old_to_show(world):
    custom = period_for(
        "custom", today=timezone.localdate(), start=date(2025, 1, 1), end=date(2025, 3, 31)
    )
    _, viewed_at = snapshots.refresh(world.practice_a, custom)
    areas = Organisation.objects.filter(kind__in=["icb", "pcn"]).count()
    # Within MAX_AGE the practice's custom period is kept beside the standard periods...
    snapshots.refresh_standard_periods(now=viewed_at + snapshots.MAX_AGE)
    assert DashboardSnapshot.objects.count() == areas * 3 + 1
    # ...after it, only the standard periods, just written, are.
    snapshots.refresh_standard_periods(now=viewed_at + snapshots.MAX_AGE + timedelta(seconds=1))
    assert DashboardSnapshot.objects.count() == areas * 3
    assert not DashboardSnapshot.objects.filter(organisation=world.practice_a).exists()


def test_waiting_list_breaches_follow_the_any_target_and_none_without_a_target(world):
    for _ in range(10):
        _episode_with_wait(world.practice_a, referred_days_ago=40, triage_wait=2)  # 38 days
    first_contact = Target.objects.filter(from_milestone="triaged", to_milestone="first_contact")
    first_contact.delete()
    table = metrics.waiting_list_table(practice_ids=[world.practice_a.id])
    assert table.rows[1][:4] == ("Routine", "no target", "10", "0")
    Target.objects.create(
        name="Triage to first contact",
        from_milestone="triaged",
        to_milestone="first_contact",
        priority="any",
        days=30,
    )
    table = metrics.waiting_list_table(practice_ids=[world.practice_a.id])
    assert table.rows[1][:4] == ("Routine", "30 days from triage", "10", "10")


def test_the_triage_backlog_is_on_the_page_in_print_and_in_its_csv(world, login):
    """A referral received 120 days ago and never triaged: the page, the printable view and
    the CSV export all list it beside the first-contact waiting list, suppressed."""
    from referrals.models import Referral

    waiting = referral_builders.referral(world.patient, world.gp)
    Referral.objects.filter(pk=waiting.pk).update(submitted_at=timezone.now() - timedelta(days=120))
    client = login(world.commissioner)
    page = client.get("/dashboard/?period=year")
    keys = [item["table"].key for item in page.context["tables"]]
    assert keys.index("triage-waiting-list") == keys.index("waiting-list") - 1
    html = page.content.decode()
    assert '<h2 id="triage-waiting-list-heading">Waiting for triage now</h2>' in html
    assert "Referrals received and not yet triaged, today" in html
    assert "/dashboard/export/triage-waiting-list.csv?" in html
    printable = client.get("/dashboard/print/?period=year").content.decode()
    assert "Waiting for triage now" in printable
    assert "Referrals received and not yet triaged, today" in printable
    # The way back to the same figures, and a print button, neither of them printed.
    assert (
        '<div class="app-no-print app-print-actions">\n  <a class="nhsuk-back-link" '
        'href="/dashboard/?period=year">'
        "Back to the dashboard</a>" in printable
    )
    assert 'type="button" data-print hidden>Print this page</button>' in printable
    export = client.get("/dashboard/export/triage-waiting-list.csv?period=year")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0].startswith("Waiting for triage now - Test ICB - not limited to ")
    assert rows[1:4] == [
        ["Urgency", "Target", "Waiting", "Breaches", "Longest wait (days)"],
        ["Urgent", "5 days from referral", "0", "0", "–"],
        ["Routine", "5 days from referral", "*", "*", "*"],
    ]


def test_a_custom_period_over_60_whole_months_is_refused_even_if_five_years_to_the_day(
    world, login
):
    client = login(world.commissioner)
    page = client.get("/dashboard/?period=custom&start=2021-12-31&end=2026-12-31")
    assert page.context["form"].errors == {
        "end": [
            "Choose a period of 5 years or less: figures cover whole months, so these dates "
            "cover December 2021 to December 2026 (61 months)"
        ]
    }
    assert "tables" not in page.context
    printable = client.get("/dashboard/print/?period=custom&start=2021-12-31&end=2026-12-31")
    assert printable.status_code == 400
    # The dashboard's form, with the choices kept, and the error's link leads to its answer.
    body = printable.content.decode()
    assert 'href="#id_end"' in body and 'id="id_end"' in body and 'value="2021-12-31"' in body


def test_a_custom_period_that_has_not_started_is_refused_beside_its_start_date(world, login):
    today = timezone.localdate()
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)  # next month
    end = start + timedelta(days=150)
    client = login(world.commissioner)
    page = client.get(f"/dashboard/?period=custom&start={start}&end={end}")
    message = (
        f"The start date must be in {today:%B %Y} or earlier: a period that has not started "
        "yet has no figures"
    )
    assert page.context["form"].errors == {"start": [message]}
    assert f'<a href="#id_start">{message}</a>' in page.content.decode()
    assert "No referrals in this period" not in page.content.decode()
    # A start later this month is widened to the 1st, which has passed.
    later_this_month = today.replace(day=28)
    ok = client.get(f"/dashboard/?period=custom&start={later_this_month}&end={end}")
    assert ok.context["form"].is_valid()
    assert ok.context["period"].start == today.replace(day=1)


def test_a_table_too_long_for_a_printed_page_is_marked_so_its_rows_may_run_on(world, login):
    client = login(world.commissioner)
    quarter = client.get("/dashboard/print/?period=quarter").content.decode()
    assert quarter.count('<div class="app-dashboard-figure">') == 13  # every table, whole
    assert "app-dashboard-figure--long" not in quarter
    today = timezone.localdate()
    start = today.replace(year=today.year - 2)
    long = client.get(f"/dashboard/print/?period=custom&start={start}&end={today}")
    html = long.content.decode()
    # The referrals table lists 25 months; every other table is short.
    assert html.count("app-dashboard-figure--long") == 1
    assert '<div class="app-dashboard-figure app-dashboard-figure--long">' in html


def test_each_chart_says_what_its_bars_are_beside_its_table(world, login):
    page = login(world.commissioner).get("/dashboard/?period=month").content.decode()
    # The referrals chart draws the "All" column only, and says so.
    assert (
        "Bar chart of all referrals by month (the table also gives them by source); the same "
        "figures are in the table that follows." in page
    )
    assert "Bar chart of pathway activity; the same figures" in page
    assert "Bar chart of the share of each step done within its target; the same" in page
    assert "Bar chart of the share of patients with a clinically important improvement" in page


def test_a_chart_of_percentages_is_drawn_against_100():
    from pathway.charts import CHART_WIDTH, LABEL_WIDTH, horizontal_bars

    svg = horizontal_bars(
        chart_id="c",
        title="Waits",
        description="Bars",
        bars=[("Referral to triage", "50.0%"), ("HIT-6", "not defined"), ("Other", "*")],
        unit="within target",
        maximum=100,
    )
    plot_width = CHART_WIDTH - LABEL_WIDTH - 70
    assert f'width="{round(plot_width / 2)}"' in svg
    assert ">not defined</text>" in svg and ">suppressed</text>" in svg


def test_patient_records_entered_in_error_count_in_no_figure(db):
    """The demo data set fills every table; once each patient record is marked entered in error
    (and each self-referral not yet matched to one), every figure is what an area with no
    patients shows."""
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    icb = Organisation.objects.get(kind="icb")
    practice_ids = scope.practice_ids_under(icb)
    period = period_for("year", today=timezone.localdate())

    def figures(practices):
        tables = snapshots.build_tables(practice_ids=practices, period=period)
        return {table.key: table.rows for table in tables}

    empty, filled = figures([]), figures(practice_ids)
    assert len([key for key in empty if filled[key] != empty[key]]) >= 10

    Patient.objects.update(entered_in_error=True)
    Referral.objects.filter(patient__isnull=True).update(entered_in_error=True)
    assert figures(practice_ids) == empty


def _section(html: str, key: str) -> str:
    """The page's section for the table `key`, from its heading to its end."""
    section = html[html.index(f'id="{key}-heading"') :]
    return section[: section.index("</section>")]


def _row(html: str, label: str) -> str:
    row = html[html.index(f">{label}</th>") :]
    return row[: row.index("</tr>")]


NO_DATA_CELL = (
    '<td class="nhsuk-table__cell"><span aria-hidden="true">–</span>'
    '<span class="nhsuk-u-visually-hidden">no data</span></td>'
)
NOT_APPLICABLE_CELL = (
    '<td class="nhsuk-table__cell"><span aria-hidden="true">–</span>'
    '<span class="nhsuk-u-visually-hidden">not applicable</span></td>'
)


def test_a_dash_says_no_data_or_not_applicable_to_a_screen_reader(world, login):
    """With no appointments, the did-not-attend rate has nothing to be worked out from; the
    appointments due are what the rates are of, so have no rate of their own."""
    client = login(world.commissioner)
    for path in ("/dashboard/?period=month", "/dashboard/print/?period=month"):
        attendance = _section(client.get(path).content.decode(), "attendance")
        assert NOT_APPLICABLE_CELL in _row(attendance, "Appointments due")
        assert NO_DATA_CELL in _row(attendance, "Did not attend")
        assert NO_DATA_CELL not in _row(attendance, "Appointments due")
    html = client.get("/dashboard/?period=month").content.decode()
    assert '<td class="nhsuk-table__cell">–</td>' not in html
    assert "not applicable</td>" not in html.replace(NOT_APPLICABLE_CELL, "")


def test_the_page_and_its_printable_view_say_what_a_star_and_a_dash_mean(world, login):
    client = login(world.commissioner)
    for path in ("/dashboard/?period=month", "/dashboard/print/?period=month"):
        text = re.sub(r"<[^>]+>", " ", page_text(client.get(path)))
        # One explanation, said the same way on both.
        assert (
            "All figures are aggregates. Counts of 1 to 7 are shown as *, other counts are "
            "rounded to the nearest 5, percentages are worked out from the rounded counts and "
            "suppressed when the count, its total or the rest of the total is from 1 to 7, and "
            "other figures built on a suppressed count are suppressed. A dash (–) means there is "
            "no data to work the figure out from, or that the figure does not apply (a total has "
            "no rate of its own)." in " ".join(text.split())
        ), path


@pytest.mark.parametrize(
    ("area", "period", "said"),
    [
        ("icb", "quarter", "They are recalculated every 15 minutes."),
        ("pcn1", "month", "They are recalculated every 15 minutes."),
        ("pcn1", "year", "They are recalculated every 15 minutes."),
        # Not refreshed by the beat job: worked out again when viewed, once too old.
        (
            "practice_a",
            "quarter",
            "They are recalculated when the page is viewed once they are more than 20 minutes old.",
        ),
        (
            "icb",
            "custom",
            "They are recalculated when the page is viewed once they are more than 20 minutes old.",
        ),
    ],
)
def test_the_page_says_when_its_figures_are_recalculated(world, login, area, period, said):
    today = timezone.localdate()
    query = f"organisation={getattr(world, area).pk}&period={period}"
    if period == "custom":
        query += f"&start={today.replace(day=1)}&end={today}"
    html = login(world.commissioner).get(f"/dashboard/?{query}").content.decode()
    as_of = html[html.index('id="as-of"') :]
    as_of = as_of[: as_of.index("</p>")]
    assert as_of.endswith(said)


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/print/", "/dashboard/export/waits.csv"]
)
def test_a_commissioner_not_linked_to_an_icb_is_told_so_and_who_can_link_them(db, login, path):
    unlinked = UserFactory(role="commissioner", full_name="Nell Newstarter")
    response = login(unlinked).get(path)
    assert response.status_code == 403
    text = page_text(response)
    assert "<h1>Your account is not linked to an area</h1>" in text
    assert "Contact an administrator and ask them to link your account to your ICB." in text
    assert "Pathway dashboard" not in text


def test_each_definition_says_which_table_it_defines_to_a_screen_reader(world, login):
    client = login(world.commissioner)
    for path in ("/dashboard/?period=month", "/dashboard/print/?period=month"):
        page = client.get(path)
        html = page.content.decode()
        titles = [item["table"].title for item in page.context["tables"]]
        assert html.count('<span class="nhsuk-details__summary-text">') == len(titles)
        for title in titles:
            assert (
                '<span class="nhsuk-details__summary-text">Definition<span '
                f'class="nhsuk-u-visually-hidden">: {escape(title)}</span></span>'
            ) in html


def test_a_custom_period_running_past_this_month_says_later_months_have_no_data_yet(world, login):
    today = timezone.localdate()
    month = f"{today:%B %Y}"
    note = (
        f"This period runs past {month}: months after {month} have no data yet, so the figures "
        "are for the period so far."
    )
    client = login(world.commissioner)
    start = today.replace(day=1) - timedelta(days=40)
    later = (today.replace(day=1) + timedelta(days=40)).replace(day=1)  # a month ahead
    query = f"period=custom&start={start}&end={later}"
    page = client.get(f"/dashboard/?{query}")
    assert page.context["form"].no_data_after == today.replace(day=1)
    assert note in page_text(page)
    assert note in page_text(client.get(f"/dashboard/print/?{query}"))
    # Ending this month, or a standard period (which says what it is): nothing to say.
    for query in (f"period=custom&start={start}&end={today}", "period=year"):
        assert "have no data yet" not in page_text(client.get(f"/dashboard/?{query}"))
        assert "have no data yet" not in page_text(client.get(f"/dashboard/print/?{query}"))
