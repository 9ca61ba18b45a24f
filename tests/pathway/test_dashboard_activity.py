"""Dashboard figures from the feature apps: referrals, diaries, care plans, appointments."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diaries.models import DiaryEntry
from pathway.dashboard import activity
from pathway.dashboard.rules import Period, months_in, period_for
from tests.careplans import builders as careplan_builders
from tests.diaries.builders import flag_entry
from tests.factories import EpisodeFactory, PatientFactory, urgent_triage_target
from tests.referrals import builders as referral_builders
from tests.reviews import builders as review_builders

pytestmark = pytest.mark.django_db


def _period():
    today = timezone.localdate()
    return period_for("custom", today=today, start=today - timedelta(days=30), end=today)


def test_referral_volumes_count_each_source_and_suppress_small_ones(world):
    for _ in range(9):
        referral_builders.referral(PatientFactory(registered_practice=world.practice_a), world.gp)
    referral_builders.referral(PatientFactory(registered_practice=world.practice_c), world.other_gp)
    table = activity.referral_volume_table(
        practice_ids=[world.practice_a.id, world.practice_b.id], period=_period()
    )
    rows = {row[0]: row[1:] for row in table.rows}
    this_month = timezone.localdate().strftime("%B %Y")
    assert rows.pop(this_month) == ("10", "0", "0", "10")
    # Any other month the 31 days touch has no referrals.
    months = months_in(_period(), today=timezone.localdate())
    assert len(rows) == len(months) - 1
    assert all(values == ("0", "0", "0", "0") for values in rows.values())


def test_referral_volumes_list_every_month_of_the_period_so_far(world):
    today = timezone.localdate()
    referral_builders.referral(PatientFactory(registered_practice=world.practice_a), world.gp)
    year = period_for("year", today=today)
    table = activity.referral_volume_table(practice_ids=[world.practice_a.id], period=year)
    months = [row[0] for row in table.rows]
    # April to this month, each once, in order; nothing for months still to come.
    assert months[0] == f"April {year.start.year}"
    assert months[-1] == today.strftime("%B %Y")
    assert len(months) == len(set(months)) == (today.year - year.start.year) * 12 + today.month - 3
    assert table.rows[-1][1:] == ("*", "0", "0", "*")
    assert all(row[1:] == ("0", "0", "0", "0") for row in table.rows[:-1])


def test_referral_volumes_of_a_period_still_to_come_say_there_are_none(world):
    # The filter refuses a custom period that has not started; the table copes with one anyway.
    start = (timezone.localdate() + timedelta(days=40)).replace(day=1)
    future = Period(start, start + timedelta(days=31), "a period to come")
    table = activity.referral_volume_table(practice_ids=[world.practice_a.id], period=future)
    assert table.rows == (("No referrals in this period", "0", "0", "0", "0"),)


def test_rejections_are_shown_as_a_share_of_decisions_with_their_reasons(world):
    for index in range(10):
        patient = PatientFactory(registered_practice=world.practice_a)
        decision = "reject" if index < 8 else "accept"
        referral_builders.decided(patient, world.gp, world.clinician, decision)
    table = activity.rejection_table(practice_ids=[world.practice_a.id], period=_period())
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["All decisions"] == ("10", "100.0%")
    # 8 of 10 rejected: the 2 accepted are too few to publish the share (not "100.0%").
    assert rows["Rejected"] == ("10", "*")
    assert rows["Redirected elsewhere"] == ("0", "0.0%")
    assert rows["Rejected: Other reason (see advice to the referrer)"] == ("10", "*")


def test_the_rejections_table_lists_every_reason_whatever_its_count(world):
    """The same rows in every period, as in the discharges table: a reason given to no referral
    shows 0, rather than its row coming and going."""
    from referrals.models import Referral

    reasons = [f"Rejected: {label}" for _, label in Referral.RejectionReason.choices]
    empty = activity.rejection_table(practice_ids=[world.practice_a.id], period=_period())
    assert [row[0] for row in empty.rows] == [
        "All decisions",
        "Rejected",
        "Redirected elsewhere",
        *reasons,
    ]
    assert all(row[1:] == ("0", "–") for row in empty.rows)
    for _ in range(10):
        patient = PatientFactory(registered_practice=world.practice_a)
        referral_builders.decided(patient, world.gp, world.clinician, "reject")
    table = activity.rejection_table(practice_ids=[world.practice_a.id], period=_period())
    rows = {row[0]: row[1:] for row in table.rows}
    assert list(rows)[3:] == reasons
    given = "Rejected: Other reason (see advice to the referrer)"
    assert rows.pop(given) == ("10", "100.0%")
    assert {rows[reason] for reason in reasons if reason != given} == {("0", "0.0%")}


def test_an_accepted_referral_closed_since_is_still_a_decision(world):
    """Ten accepted (four of them closed since, as at discharge) and ten rejected: half the
    decisions were rejections, not ten of sixteen."""
    from referrals import services as referral_services

    for index in range(20):
        patient = PatientFactory(registered_practice=world.practice_a)
        decision = "reject" if index < 10 else "accept"
        referral = referral_builders.decided(patient, world.gp, world.clinician, decision)
        if decision == "accept" and index < 14:
            referral_services.close_referral(actor=world.clinician, referral=referral)
    withdrawn = referral_builders.referral(
        PatientFactory(registered_practice=world.practice_a), world.gp
    )
    referral_services.close_referral(actor=world.clinician, referral=withdrawn)  # no decision
    erroneous = referral_builders.decided(
        PatientFactory(registered_practice=world.practice_a), world.gp, world.clinician, "reject"
    )
    type(erroneous).objects.filter(pk=erroneous.pk).update(entered_in_error=True)
    table = activity.rejection_table(practice_ids=[world.practice_a.id], period=_period())
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["All decisions"] == ("20", "100.0%")
    assert rows["Rejected"] == ("10", "50.0%")


def _headache_patient(practice, condition="headache", **episode):
    patient = PatientFactory(registered_practice=practice)
    EpisodeFactory(patient=patient, condition=condition, **episode)
    return patient


def test_headache_days_compare_the_first_and_last_30_diary_days(world):
    today = timezone.localdate()
    entries = []
    for _ in range(7):
        patient = _headache_patient(world.practice_a)
        for offset in range(90):
            day = today - timedelta(days=89 - offset)
            # 15 headache days in the first 30 days, 6 in the last 30.
            headache = offset % 2 == 0 if offset < 30 else (offset >= 60 and offset % 5 == 0)
            entries.append(flag_entry(patient, day, headache=headache))
    short = _headache_patient(world.practice_a)
    entries += [flag_entry(short, today - timedelta(days=d), headache=True) for d in range(40)]
    DiaryEntry.objects.bulk_create(entries)
    table = activity.headache_days_table(practice_ids=[world.practice_a.id])
    assert table.rows == (
        ("First 30 diary days", "*", "*", "*"),
        ("Last 30 diary days", "*", "*", "*"),
    )
    for _ in range(3):  # ten patients: no longer suppressed
        patient = _headache_patient(world.practice_a)
        DiaryEntry.objects.bulk_create(
            flag_entry(
                patient,
                today - timedelta(days=89 - offset),
                headache=offset % 2 == 0 if offset < 30 else (offset >= 60 and offset % 5 == 0),
            )
            for offset in range(90)
        )
    table = activity.headache_days_table(practice_ids=[world.practice_a.id])
    assert table.rows == (
        ("First 30 diary days", "10", "15.0", "30.0"),
        ("Last 30 diary days", "10", "6.0", "30.0"),
    )
    # A chronic-pain patient's diary (pain scores, no headaches), a patient with no episode,
    # and one whose headache episode was entered in error are not counted.
    pain = _headache_patient(world.practice_a, condition="chronic_pain")
    error = _headache_patient(
        world.practice_a,
        status="entered_in_error",
        opened_at=timezone.now() - timedelta(days=100),
        closed_at=timezone.now(),
    )
    none = PatientFactory(registered_practice=world.practice_a)
    DiaryEntry.objects.bulk_create(
        flag_entry(patient, today - timedelta(days=d), headache=False)
        for patient in (pain, error, none)
        for d in range(90)
    )
    assert activity.headache_days_table(practice_ids=[world.practice_a.id]).rows == table.rows
    # Someone on both pathways is counted.
    both = _headache_patient(world.practice_a, condition="chronic_pain")
    EpisodeFactory(patient=both, condition="headache")
    DiaryEntry.objects.bulk_create(
        flag_entry(both, today - timedelta(days=d), headache=False) for d in range(90)
    )
    assert activity.headache_days_table(practice_ids=[world.practice_a.id]).rows == (
        ("First 30 diary days", "10", f"{150 / 11:.1f}", "30.0"),  # 11 patients, shown as 10
        ("Last 30 diary days", "10", f"{60 / 11:.1f}", "30.0"),
    )


def test_headache_days_say_how_much_of_each_window_was_filled_in(world):
    today = timezone.localdate()
    for _ in range(10):
        patient = _headache_patient(world.practice_a)
        # Every day of the first 30 filled in; one day in three of the last 30.
        DiaryEntry.objects.bulk_create(
            flag_entry(patient, today - timedelta(days=89 - offset), headache=offset % 2 == 0)
            for offset in range(90)
            if offset < 60 or offset % 3 == 2
        )
    table = activity.headache_days_table(practice_ids=[world.practice_a.id])
    assert table.headers[-1] == "Mean days filled in (of 30)"
    assert [row[3] for row in table.rows] == ["30.0", "10.0"]


def test_deprescribing_baseline_is_what_patients_already_took_and_now_what_carries_on(world):
    from careplans import services as careplan_services

    today = timezone.localdate()
    for index in range(20):
        patient = PatientFactory(registered_practice=world.practice_a)
        plan = careplan_builders.agreed_plan(
            patient, condition="chronic_pain", actor=world.clinician
        )
        if index < 10:
            # Already on tramadol before the plan: 2 stop, 3 are reviewed as effective and go
            # on taking it, 5 are not reviewed yet.
            trial = careplan_builders.trial(
                plan,
                actor=world.clinician,
                medicine_code="tramadol",
                role="pain",
                already_taking=True,
                started_on=today - timedelta(days=200),
            )
            if index < 5:
                careplan_services.review_trial(
                    actor=world.clinician,
                    trial=trial,
                    data={"outcome": "stopped"}
                    if index < 2
                    else {"outcome": "effective", "review_due": today + timedelta(days=90)},
                )
        elif index < 15:
            # Started by the care team today: not baseline, but taken now.
            careplan_builders.trial(
                plan,
                actor=world.clinician,
                medicine_code="gabapentin",
                role="pain",
                started_on=today,
                start_warning_acknowledged=True,
            )
    for _ in range(5):  # a plan entered in error: not a patient with a plan
        plan = careplan_builders.agreed_plan(
            PatientFactory(registered_practice=world.practice_a),
            condition="chronic_pain",
            actor=world.clinician,
        )
        type(plan).objects.filter(pk=plan.pk).update(entered_in_error=True)
    table = activity.deprescribing_table(practice_ids=[world.practice_a.id])
    # Baseline 10 of 20; now 3 + 5 + 5 = 13, published as 15, its share suppressed: the 7
    # patients with a plan not taking one now are too few to publish.
    assert table.rows == (("At baseline", "10", "50.0%"), ("Now", "15", "*"))


def test_attendance_reports_dna_and_remote_rates(world):
    past = timezone.now() - timedelta(days=3)
    for index in range(20):
        patient = PatientFactory(registered_practice=world.practice_a)
        status = "did_not_attend" if index < 4 else "attended"
        modality = "video" if index < 14 else "in_person"
        review_builders.appointment(
            patient,
            world.clinician,
            start=past + timedelta(hours=index),
            status=status,
            modality=modality,
            video_link="https://video.example.nhs.uk/x" if modality == "video" else "",
        )
    # MDT discussions about patients are not appointments they attend or miss.
    for index in range(10):
        review_builders.appointment(
            PatientFactory(registered_practice=world.practice_a),
            world.clinician,
            kind="mdt",
            start=past + timedelta(hours=index),
            status="attended",
            modality="video",
            video_link="https://video.example.nhs.uk/x",
        )
    table = activity.appointments_table(practice_ids=[world.practice_a.id], period=_period())
    rows = {row[0]: row[1:] for row in table.rows}
    # The total the rates are of has no rate of its own.
    assert rows["Appointments due"] == ("20", "not applicable")
    assert rows["Did not attend"] == ("*", "*")
    # 10 of 16: the 6 seen in person are too few to publish the share.
    assert rows["Attended remotely (video or phone)"] == ("10", "*")


def test_group_attendance_counts_places_kept_not_those_ended_before_the_session(
    world, django_assert_num_queries
):
    session = review_builders.group_session(world.service, start=timezone.now() - timedelta(days=3))

    def book(statuses):
        for status in statuses:
            patient = PatientFactory(registered_practice=world.practice_a)
            review_builders.booking(session, patient, status=status)

    book(["attended"] * 10 + ["did_not_attend"] * 10)
    period = _period()
    with django_assert_num_queries(2) as first:
        before = activity.appointments_table(practice_ids=[world.practice_a.id], period=period)
    # Ended before the session: the patient declined or gave up, or the team withdrew it.
    book(["declined", "cancelled", "withdrawn"] * 5)
    book(["withdrawn"] * 10)
    with django_assert_num_queries(len(first.captured_queries)):
        after = activity.appointments_table(practice_ids=[world.practice_a.id], period=period)
    rows = {row[0]: row[1:] for row in after.rows}
    assert rows["Group-session places taken up"] == ("10", "50.0%")
    assert after.rows == before.rows


def test_pathway_activity_counts_an_annual_review_due_date_only_once_it_has_passed(world):
    from pathway.dashboard import metrics
    from pathway.models import Milestone
    from tests.factories import EpisodeFactory

    today = timezone.localdate()
    year = period_for("custom", today=today, start=today - timedelta(days=180), end=today)
    now = timezone.now()
    for days in range(10):
        episode = EpisodeFactory(patient=PatientFactory(registered_practice=world.practice_a))
        Milestone.objects.create(
            episode=episode, kind="annual_review_due", occurred_at=now - timedelta(days=days + 1)
        )
        # Set by a review today for next month: within a period that runs on, not yet reached.
        Milestone.objects.create(
            episode=EpisodeFactory(patient=episode.patient, condition="chronic_pain"),
            kind="annual_review_due",
            occurred_at=now + timedelta(days=20),
        )
    longer = period_for("custom", today=today, start=year.start, end=today + timedelta(days=60))
    for period in (year, longer):
        table = metrics.milestone_counts_table(
            practice_ids=[world.practice_a.id], period=period, now=now
        )
        assert dict(table.rows)["Next review due"] == "10"


def test_a_due_date_a_review_replaced_before_it_came_was_never_reached(world):
    from pathway.dashboard import metrics
    from pathway.models import Milestone
    from tests.factories import EpisodeFactory

    now = timezone.now()
    today = timezone.localdate()
    period = period_for("custom", today=today, start=today - timedelta(days=180), end=today)
    for early in range(10):
        episode = EpisodeFactory(patient=PatientFactory(registered_practice=world.practice_a))
        first = Milestone.objects.create(
            episode=episode, kind="annual_review_due", occurred_at=now - timedelta(days=30)
        )
        Milestone.objects.filter(pk=first.pk).update(created_at=now - timedelta(days=365))
        # A review held 40 days ago (early: before that date came), or 20 days ago (late).
        held = now - timedelta(days=40 if early < 8 else 20)
        later = Milestone.objects.create(
            episode=episode, kind="annual_review_due", occurred_at=held + timedelta(days=365)
        )
        Milestone.objects.filter(pk=later.pk).update(created_at=held)

    table = metrics.milestone_counts_table(
        practice_ids=[world.practice_a.id], period=period, now=now
    )

    # Only the 2 reviewed late had reached their due date: a small number, suppressed.
    assert dict(table.rows)["Next review due"] == "*"
    assert "not at all when a review recorded before it set another" in table.definition


def test_pathway_activity_counts_referrals_linked_to_a_patient_as_its_definition_says(world):
    from pathway.dashboard import metrics

    for _ in range(10):
        referral_builders.referral(PatientFactory(registered_practice=world.practice_a), world.gp)
    for number in range(10):
        # Self-referrals not yet matched to a registered patient: no episode of care yet.
        referral_builders.self_referral(world.practice_a, family_name=f"Self{number}")
    practices = [world.practice_a.id]
    volumes = activity.referral_volume_table(practice_ids=practices, period=_period())
    assert volumes.rows[-1][-1] == "20"
    table = metrics.milestone_counts_table(practice_ids=practices, period=_period())
    assert dict(table.rows)["Referral received"] == "10"
    assert "self-referral still waiting to be matched" in table.definition


def test_discharges_are_counted_by_the_reason_recorded_and_every_reason_is_listed(world):
    """Episodes ended without a discharge step (a referral rejected at triage) are not
    discharges by the care team."""
    from reviews.models import Discharge

    def discharged(practice, reason=None, *, days_ago=3):
        closed = timezone.now() - timedelta(days=days_ago)
        episode = review_builders.episode_for(
            PatientFactory(registered_practice=practice),
            status="discharged",
            opened_at=closed - timedelta(days=120),
            closed_at=closed,
        )
        if reason:
            Discharge.objects.create(episode=episode, patient=episode.patient, reason=reason)

    for _ in range(10):
        discharged(world.practice_a, "goals_met")
    for _ in range(5):
        discharged(world.practice_b, "not_engaged")
    for _ in range(2):
        discharged(world.practice_a)  # ended at triage: counted as rejections
    discharged(world.practice_c, "goals_met")  # outside the area asked about
    discharged(world.practice_a, "goals_met", days_ago=60)  # before the period
    review_builders.episode_for(PatientFactory(registered_practice=world.practice_a))  # open

    table = activity.discharge_table(
        practice_ids=[world.practice_a.id, world.practice_b.id], period=_period()
    )
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows == {
        "All discharges": ("15", "100.0%"),
        # 10 of 15: the share would give away the other 5 (suppressed below).
        "Finished the pathway: managing with their care plan": ("10", "*"),
        "The patient asked to leave the pathway": ("0", "0.0%"),
        # Small numbers are suppressed, and their share with them.
        "Did not attend or reply when the team got in touch": ("*", "*"),
        "Referred on to a specialist service": ("0", "0.0%"),
        "Moved away or registered with a practice outside the area": ("0", "0.0%"),
        "The patient has died": ("0", "0.0%"),
        "Another reason": ("0", "0.0%"),
    }
    assert table.key == "discharges" and "rejections table" in table.definition


def _waiting_for_triage(practice, referrer, *, days_ago: float, urgency: str = "routine"):
    """A referral submitted `days_ago` days ago and not yet triaged."""
    from referrals.models import Referral

    made = referral_builders.referral(PatientFactory(registered_practice=practice), referrer)
    submitted = timezone.now() - timedelta(days=days_ago)
    Referral.objects.filter(pk=made.pk).update(submitted_at=submitted, urgency=urgency)
    made.refresh_from_db()
    return made


def _not_waiting_for_triage(world):
    """Referrals 200 days old that must not count as waiting for triage in PCN One: triaged
    (accepted), rejected, redirected, withdrawn, entered in error, in another area, and a
    self-referral naming a practice in another area."""
    from referrals import services as referral_services
    from referrals.models import Referral

    made = [
        referral_builders.decided(
            PatientFactory(registered_practice=world.practice_a), world.gp, world.clinician, choice
        )
        for choice in ("accept", "reject", "redirect")
    ]
    withdrawn = referral_builders.referral(
        PatientFactory(registered_practice=world.practice_a), world.gp
    )
    made.append(referral_services.close_referral(actor=world.clinician, referral=withdrawn))
    erroneous = referral_builders.referral(
        PatientFactory(registered_practice=world.practice_a), world.gp
    )
    Referral.objects.filter(pk=erroneous.pk).update(entered_in_error=True)
    made += [
        erroneous,
        referral_builders.referral(
            PatientFactory(registered_practice=world.practice_c), world.other_gp
        ),
        referral_builders.self_referral(world.practice_c, family_name="Elsewhere"),
    ]
    Referral.objects.filter(pk__in=[r.pk for r in made]).update(
        submitted_at=timezone.now() - timedelta(days=200)
    )


def test_the_triage_waiting_list_counts_referrals_not_yet_triaged_and_their_breaches(world):
    # Twelve past the 5-day target (the oldest received 120 days ago, as on the triage queue),
    # one of them a self-referral not yet matched to a patient, naming practice B.
    for days in (6, 7, 8, 9, 10, 11, 12, 20, 30, 60, 120):
        _waiting_for_triage(world.practice_a, world.gp, days_ago=days)
    unmatched = referral_builders.self_referral(world.practice_b, family_name="Unmatched")
    type(unmatched).objects.filter(pk=unmatched.pk).update(
        submitted_at=timezone.now() - timedelta(days=15), urgency="routine"
    )
    for days in (0.5, 1, 2, 3, 4.9):  # within the target
        _waiting_for_triage(world.practice_b, world.gp, days_ago=days)
    _not_waiting_for_triage(world)
    table = activity.triage_waiting_table(practice_ids=[world.practice_a.id, world.practice_b.id])
    # 17 waiting (published as 15; with any one referral more, 20) and 12 breaches (10; with
    # one more, 15). The longest wait is the 120-day one: none of those 200 days old counts.
    assert table.rows == (
        ("Urgent", "5 days from referral", "0", "0", "–"),
        ("Routine", "5 days from referral", "15", "10", "120.0"),
    )
    assert table.key == "triage-waiting-list" and table.covers
    assert "not yet triaged" in table.definition


def test_the_triage_waiting_list_is_split_by_urgency_and_suppresses_small_numbers(world):
    _waiting_for_triage(world.practice_a, world.gp, days_ago=120)
    for days in range(1, 9):
        _waiting_for_triage(world.practice_a, world.gp, days_ago=days, urgency="urgent")
    table = activity.triage_waiting_table(practice_ids=[world.practice_a.id])
    # 8 urgent, 3 of them past the target (6, 7 and 8 days); one routine.
    assert table.rows == (
        ("Urgent", "5 days from referral", "10", "*", "8.0"),
        ("Routine", "5 days from referral", "*", "*", "*"),
    )


def test_the_triage_waiting_list_uses_the_target_for_each_urgency_where_there_is_one(world):
    urgent_triage_target(days=2)
    for days in range(1, 16):
        _waiting_for_triage(world.practice_a, world.gp, days_ago=days + 0.5, urgency="urgent")
        _waiting_for_triage(world.practice_a, world.gp, days_ago=days + 0.5)
    table = activity.triage_waiting_table(practice_ids=[world.practice_a.id])
    # Past the urgent 2 days: 14 urgent referrals (published as 15); past the 5 days for any
    # referral: 11 routine ones (10).
    assert table.rows == (
        ("Urgent", "2 days from referral", "15", "15", "15.5"),
        ("Routine", "5 days from referral", "15", "10", "15.5"),
    )
    assert "the referral-to-triage target for that urgency" in table.definition


def test_the_triage_waiting_list_has_no_breaches_without_a_target(world):
    from pathway.models import Target

    for days in range(10, 20):
        _waiting_for_triage(world.practice_a, world.gp, days_ago=days)
    Target.objects.filter(from_milestone="referral_received", to_milestone="triaged").delete()
    table = activity.triage_waiting_table(practice_ids=[world.practice_a.id])
    assert table.rows[1] == ("Routine", "no target", "10", "0", "19.0")


def test_the_triage_waiting_list_takes_two_queries_whatever_its_size(
    world, django_assert_num_queries
):
    practices = [world.practice_a.id, world.practice_b.id]
    _waiting_for_triage(world.practice_a, world.gp, days_ago=3)
    with django_assert_num_queries(2):
        activity.triage_waiting_table(practice_ids=practices)
    for days in range(30):
        _waiting_for_triage(world.practice_b, world.gp, days_ago=days, urgency="urgent")
        referral_builders.self_referral(world.practice_a, family_name=f"Self{days}")
    with django_assert_num_queries(2):
        activity.triage_waiting_table(practice_ids=practices)
