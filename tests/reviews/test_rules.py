"""reviews.rules: pure functions, no database."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pathway.instruments import INSTRUMENTS
from reviews import rules

LONDON = ZoneInfo("Europe/London")
T = datetime(2026, 3, 10, 10, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("other_start", "other_minutes", "expected"),
    [
        (T, 30, True),  # same slot
        (T + timedelta(minutes=29), 30, True),  # starts before this one ends
        (T + timedelta(minutes=30), 30, False),  # back to back after
        (T - timedelta(minutes=30), 30, False),  # back to back before
        (T - timedelta(minutes=31), 32, True),  # ends one minute into this one
        (T - timedelta(hours=1), 120, True),  # surrounds it
        (T + timedelta(minutes=5), 5, True),  # inside it
    ],
)
def test_overlaps_counts_shared_minutes_but_not_back_to_back(other_start, other_minutes, expected):
    assert rules.overlaps(T, 30, other_start, other_minutes) is expected
    assert rules.overlaps(other_start, other_minutes, T, 30) is expected


TODAY = date(2026, 3, 10)
FROM_TOO_FAR = ("start", "Enter a 'from' date between 1 January 2016 and 31 December 2036")
TO_TOO_FAR = ("end", "Enter a 'to' date between 1 January 2016 and 31 December 2036")
TO_BEFORE_FROM = ("end", "The 'to' date must be the same as or after the 'from' date")
TO_BEFORE_TODAY = ("end", "The 'to' date is before today: enter a 'from' date as well")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, []),
        (TODAY, TODAY, []),  # one day
        (date(2016, 1, 1), date(2036, 12, 31), []),  # the earliest and latest dates allowed
        (date(2015, 12, 31), None, [FROM_TOO_FAR]),
        (None, date(2037, 1, 1), [TO_TOO_FAR]),
        (date(9999, 12, 31), date(9999, 12, 31), [FROM_TOO_FAR, TO_TOO_FAR]),
        (date(1, 1, 1), TODAY, [FROM_TOO_FAR]),
        (TODAY, TODAY - timedelta(days=1), [TO_BEFORE_FROM]),
        (None, TODAY - timedelta(days=1), [TO_BEFORE_TODAY]),  # the list starts today
        (TODAY - timedelta(days=30), TODAY - timedelta(days=1), []),
    ],
)
def test_the_appointment_list_dates_must_be_near_today_and_in_order(start, end, expected):
    assert rules.list_dates_problems(start, end, today=TODAY) == expected


def test_a_first_conversation_writes_first_contact_and_other_reviews_write_review_held():
    assert rules.milestone_for("first_conversation") == "first_contact"
    for kind in ("follow_up", "medication_review", "annual_review"):
        assert rules.milestone_for(kind) == "review_held"


@pytest.mark.parametrize("kind", ["group_session", "mdt", "unknown"])
def test_it_refuses_a_milestone_for_appointments_without_a_review(kind):
    with pytest.raises(ValueError):
        rules.milestone_for(kind)


def test_default_durations_follow_the_issue():
    assert rules.DEFAULT_DURATION_MINUTES["first_conversation"] == 30
    assert rules.DEFAULT_DURATION_MINUTES["annual_review"] == 20


def test_the_next_annual_review_is_365_days_after_the_review():
    assert rules.default_next_review(date(2026, 1, 31)) == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("age", "stage"),
    [(0, None), (2, None), (3, 3), (4, 3), (5, 3), (6, 6), (7, 6), (40, 6)],
)
def test_questionnaire_reminders_fall_on_day_3_then_day_6(age, stage):
    sent = date(2026, 5, 1)
    assert rules.questionnaire_reminder_stage(sent, sent + timedelta(days=age)) == stage


def test_monthly_sessions_keep_the_weekday_and_week_of_the_month():
    second_tuesday = datetime(2026, 1, 13, 18, 0, tzinfo=LONDON)
    times = rules.monthly_occurrences(second_tuesday, 4)
    assert [t.date() for t in times] == [
        date(2026, 1, 13),
        date(2026, 2, 10),
        date(2026, 3, 10),
        date(2026, 4, 14),
    ]
    assert all(t.weekday() == 1 and t.hour == 18 for t in times)
    # Across the clocks changing (29 March 2026) the local time stays 18:00.
    assert times[3].utcoffset() == timedelta(hours=1)
    assert times[0].utcoffset() == timedelta(0)


def test_a_fifth_weekday_that_a_month_lacks_becomes_its_last():
    fifth_friday = datetime(2026, 1, 30, 10, 0, tzinfo=LONDON)
    times = rules.monthly_occurrences(fifth_friday, 3)
    assert [t.date() for t in times] == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]


def test_a_series_crosses_the_year_end():
    times = rules.monthly_occurrences(datetime(2026, 12, 1, 9, tzinfo=LONDON), 2)
    assert times[1].date() == date(2027, 1, 5)  # first Tuesday


@pytest.mark.parametrize("count", [0, -1, rules.MAX_SERIES_LENGTH + 1])
def test_it_refuses_a_series_of_the_wrong_length(count):
    with pytest.raises(ValueError):
        rules.monthly_occurrences(T, count)


def test_places_left_is_never_negative():
    assert rules.places_left(10, 3) == 7
    assert rules.places_left(10, 10) == 0
    assert rules.places_left(10, 12) == 0


@pytest.mark.parametrize(
    ("better", "baseline", "latest", "verdict"),
    [
        ("lower", 66, 60, "improved"),  # HIT-6 down 6: exactly the threshold
        ("lower", 66, 61, "no_important_change"),
        ("lower", 60, 66, "worse"),
        ("higher", 20, 27, "improved"),
        ("higher", 20, 26, "no_important_change"),
    ],
)
def test_change_is_judged_on_the_instruments_direction_and_threshold(
    better, baseline, latest, verdict
):
    delta, result = rules.change_summary(
        better=better,
        important_change=6 if better == "lower" else 7,
        baseline=baseline,
        latest=latest,
    )
    assert delta == latest - baseline
    assert result == verdict


def test_pseq_needs_a_band_move_as_well_as_seven_points():
    assert rules.change_summary(
        better="higher", important_change=7, baseline=21, latest=28, band_moved=False
    ) == (7, "no_important_change")


def test_an_instrument_without_a_threshold_is_not_rated():
    assert rules.change_summary(better="lower", important_change=None, baseline=10, latest=2) == (
        -8,
        "not_rated",
    )


def _instrument_change(code, baseline, latest, baseline_answers=(), latest_answers=()):
    return rules.instrument_change(
        INSTRUMENTS[code],
        baseline=baseline,
        latest=latest,
        baseline_answers=list(baseline_answers),
        latest_answers=list(latest_answers),
    )


@pytest.mark.parametrize(
    ("baseline", "latest", "verdict"),
    [
        (25, 32, "improved"),  # moderate to mild, 7 points
        (21, 28, "no_important_change"),  # 7 points, both moderate
        (32, 25, "worse"),  # mild to moderate, 7 points down
        (19, 25, "no_important_change"),  # severe to moderate, only 6 points
    ],
)
def test_a_pseq_change_counts_only_with_seven_points_and_an_eppoc_band_move(
    baseline, latest, verdict
):
    assert _instrument_change("PSEQ", baseline, latest) == (latest - baseline, verdict)


def test_other_instruments_are_judged_on_their_direction_and_threshold():
    assert _instrument_change("HIT-6", 66, 60) == (-6, "improved")
    assert _instrument_change("HIT-6", 60, 66) == (6, "worse")
    # clinical-rules.md gives PHQ-9 no important-change threshold.
    assert _instrument_change("PHQ-9", 12, 8) == (-4, "not_rated")


def test_psfs_change_is_the_change_of_the_mean_over_the_same_activities():
    assert _instrument_change("PSFS", 3, 5, [2, 4], [4, 6]) == (2.0, "improved")
    assert _instrument_change("PSFS", 3, 4, [2, 4], [3, 5]) == (1.0, "no_important_change")
    # A fall of the same 2 points is an important worsening, never "no important change".
    assert _instrument_change("PSFS", 8, 2, [8, 8, 8], [2, 2, 2]) == (-6.0, "worse")
    assert _instrument_change("PSFS", 6, 4, [6, 6], [4, 4]) == (-2.0, "worse")
    assert _instrument_change("PSFS", 6, 4.5, [6, 6], [4, 5]) == (-1.5, "no_important_change")


def test_psfs_rated_on_different_activities_is_not_comparable():
    assert _instrument_change("PSFS", 3, 6, [2, 4], [5, 6, 7]) == (3, "not_comparable")
    same_count = rules.instrument_change(
        INSTRUMENTS["PSFS"],
        baseline=2,
        latest=8,
        baseline_answers=[2, 2],
        latest_answers=[8, 8],
        baseline_activities=["Walking the dog", "Gardening"],
        latest_activities=["Swimming", "Gardening"],
    )
    assert same_count == (6, "not_comparable")
    # The same activities, however they are spaced or capitalised, are compared.
    same = rules.instrument_change(
        INSTRUMENTS["PSFS"],
        baseline=2,
        latest=8,
        baseline_answers=[2, 2],
        latest_answers=[8, 8],
        baseline_activities=["Walking the dog", "Gardening"],
        latest_activities=["walking  the dog ", "Gardening"],
    )
    assert same == (6.0, "improved")


def test_worklist_categories_rank_safety_alerts_first_and_questionnaires_last():
    codes = [code for code, _ in rules.WORKLIST_CATEGORIES]
    assert codes[0] == "safety_alert"
    assert codes[-1] == "questionnaire_outstanding"
    assert codes.index("red_flag_referral") < codes.index("target_breach")
    assert codes.index("review_overdue") < codes.index("trial_due_review")


@pytest.mark.parametrize(
    ("kind", "days", "problem"),
    [
        ("annual_review", 365, ""),
        ("follow_up", 364, ""),
        ("follow_up", 365, "A follow-up is sooner than the annual review"),
        ("annual_review", 0, "must be in the future"),
        ("follow_up", 551, "within 18 months"),
    ],
)
def test_next_review_problem(kind, days, problem):
    today = date(2027, 1, 10)
    found = rules.next_review_problem(kind=kind, due=today + timedelta(days=days), today=today)
    assert (problem in found) if problem else found == ""


@pytest.mark.parametrize(
    ("reached", "problem"),
    [
        (set(), "The patient has not had a first conversation with the team"),
        ({"care_plan_agreed"}, "The patient has not had a first conversation with the team"),
        ({"first_contact"}, "No care plan has been agreed with the patient"),
        ({"first_contact", "care_plan_agreed"}, ""),
        ({"first_contact", "care_plan_agreed", "treatment_started"}, ""),
    ],
)
def test_finishing_the_pathway_needs_a_first_contact_and_an_agreed_plan(reached, problem):
    assert rules.finished_pathway_problem(reached) == problem


@pytest.mark.parametrize(
    ("kind", "modality", "video_link", "missing"),
    [
        ("follow_up", "video", "", True),
        ("first_conversation", "video", "  ", True),
        ("follow_up", "video", "https://video.example.test/room", False),
        ("follow_up", "phone", "", False),
        ("annual_review", "in_person", "", False),
        # The team's discussion of the patient: no link for the patient to join by.
        ("mdt", "video", "", False),
    ],
)
def test_a_video_appointment_the_patient_attends_needs_its_link(
    kind, modality, video_link, missing
):
    assert rules.video_link_missing(kind=kind, modality=modality, video_link=video_link) is missing


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        ([0, 0, 0, 0, 0], []),
        # 3 months hold 92 days: every one of them missed, or cut by half, is possible.
        ([46, 46, 46, 46, 92], []),
        ([92, 0, 0, 92, 92], []),
        ([46, 47, 0, 0, 0], [2]),
        ([90, 90, 0, 0, 0], [2]),
        ([0, 0, 92, 92, 0], [4]),
        ([92, 92, 92, 92, 92], [2, 4]),
        # Question 5 and the other pairs across are separate days' counts: not checked.
        ([92, 0, 92, 0, 92], []),
        ([0, 92, 0, 92, 0], []),
        # A question not answered is said on its own; the pair is not checked.
        ([None, 92, 50, 50, 0], [4]),
    ],
)
def test_midas_days_counted_once_cannot_add_up_to_more_than_3_months(answers, problems):
    found = rules.midas_answers_problems(answers)
    assert [number for number, _ in found] == problems


def test_midas_days_counted_twice_are_explained_in_plain_words():
    [(number, message)] = rules.midas_answers_problems([90, 90, 0, 0, 0])
    assert number == 2
    assert message == (
        "Questions 1 and 2 add up to 180 days, more than the 92 days in 3 months. Do not count "
        "a day in question 2 if you counted it in question 1: check both answers."
    )
