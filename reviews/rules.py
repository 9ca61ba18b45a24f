"""Pure rules for appointments, reviews, group sessions, reminders and the worklist.

Plain values in, plain values out: no Django ORM. Timeframes come from DESIGN.md sections 3 and 6
and the issue; each constant says where.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta

from pathway import instruments

# Default lengths in minutes (issue 6: first conversation 30 minutes, annual review 20).
DEFAULT_DURATION_MINUTES = {
    "first_conversation": 30,
    "follow_up": 20,
    "medication_review": 30,
    "annual_review": 20,
    "group_session": 60,
    "mdt": 15,
}
# Nothing in the pathway runs longer than a half-day clinic; a longer value is a typing error.
MAX_DURATION_MINUTES = 240

# Which milestone a completed review writes (DESIGN.md section 3): the first conversation is the
# episode's first contact; every later review is a review held.
FIRST_CONTACT_KINDS = frozenset({"first_conversation"})
REVIEW_KINDS = frozenset({"first_conversation", "follow_up", "medication_review", "annual_review"})

# DESIGN.md section 3, default target "last review to next annual review": 365 days.
ANNUAL_REVIEW_INTERVAL_DAYS = 365
# A next-review date further away than this is almost certainly a typing error (the care plan's
# and a treatment trial's review dates have the same limit, careplans.rules.MAX_REVIEW_AHEAD_DAYS;
# rules modules import no other app).
MAX_NEXT_REVIEW_DAYS = 550

# DESIGN.md section 6: annual-review invite 28 days ahead; questionnaire reminders after 3 and
# 6 days.
ANNUAL_REVIEW_INVITE_DAYS = 28
# The next review a review sets (Review.next_review_kind), in the patient's words: the
# invitation, the home page and the appointment the patient can ask for.
NEXT_REVIEW_WORDS = {"annual_review": "yearly review", "follow_up": "follow-up review"}
# The booked appointments that see to that review, so the patient is not asked to book another:
# one of its own kind, or the annual review, which covers a follow-up too.
# The invitation to ask for the review due: its messages' keys start with this, the patient's
# uuid and the due date.
REVIEW_INVITATION_KEY = "annual-review"
REVIEW_BOOKED_AS = {
    "annual_review": frozenset({"annual_review"}),
    "follow_up": frozenset({"follow_up", "annual_review"}),
}
QUESTIONNAIRE_REMINDER_DAYS = (3, 6)
# A questionnaire request is due this many days after it is sent, unless the clinician says.
QUESTIONNAIRE_DUE_DAYS = 7

# The appointments list's dates: 10 calendar years either side of today's year covers every
# appointment the pathway holds or books; a date further away is a typing error (and the last
# representable day, 31 December 9999, has no next day to end the list on).
LIST_DATE_LIMIT_YEARS = 10

# How far ahead an appointment, a group session (every session of a series) or a questionnaire's
# due date may be. The pathway plans a year at a time (the annual review, DESIGN.md section 3);
# two years leaves room for a review booked late, and a later date is a typing error (one near
# 31 December 9999 cannot even have its end time worked out).
MAX_YEARS_AHEAD = 2

# Appointment kinds the patient does not attend: an MDT discussion is the team talking about
# their care. The patient is not messaged about one, and it is not in their own appointments.
TEAM_ONLY_KINDS = frozenset({"mdt"})

# Group sessions repeat monthly; a series longer than a year is set up again by the team.
MAX_SERIES_LENGTH = 12

# Worklist categories, most urgent first (issue 6, item 8); a severe PHQ-9 or GAD-7 with no
# review since (pathway.instruments.REVIEW_BANDS) comes straight after the red flags.
WORKLIST_CATEGORIES = (
    ("safety_alert", "Safety alert"),
    ("red_flag_referral", "Red-flag referral not triaged"),
    ("severe_score", "Severe mood or anxiety score"),
    ("target_breach", "Target breached"),
    ("review_overdue", "Review overdue"),
    ("not_rebooked", "Did not attend, not rebooked"),
    ("trial_due_review", "Treatment trial past review"),
    ("diary_pattern", "Diary pattern"),
    ("questionnaire_outstanding", "Questionnaire outstanding"),
)
WORKLIST_RANK = {code: rank for rank, (code, _) in enumerate(WORKLIST_CATEGORIES)}


# The hours appointments are booked in (CONVENTION: the service's clinics run no earlier and no
# later). A time outside them is most often a slip (08:00 typed as 20:00, a morning as the
# night before), so booking one needs the clinician to say it is meant.
CLINIC_OPENS = time(7, 0)
CLINIC_CLOSES = time(21, 0)


def clinic_hours_problem(start: datetime, minutes: int) -> str:
    """What is wrong with an appointment starting at `start` (local time) and lasting `minutes`
    against clinic hours, in words, or "": it starts before CLINIC_OPENS or ends after
    CLINIC_CLOSES on its day."""
    opens = start.replace(hour=CLINIC_OPENS.hour, minute=CLINIC_OPENS.minute, second=0)
    closes = start.replace(hour=CLINIC_CLOSES.hour, minute=CLINIC_CLOSES.minute, second=0)
    end = start + timedelta(minutes=minutes)
    hours = f"clinic hours ({CLINIC_OPENS:%H:%M} to {CLINIC_CLOSES:%H:%M})"
    if start < opens or start >= closes:
        return f"{start:%H:%M} on {start:%A %-d %B} is outside {hours}. Check the time."
    if end > closes:
        return (
            f"Starting at {start:%H:%M}, it would end at {end:%H:%M}, after {hours} end. Check "
            "the time and the length."
        )
    return ""


def overlaps(start_a: datetime, minutes_a: int, start_b: datetime, minutes_b: int) -> bool:
    """Whether two appointments share any time. Back-to-back (one ends as the next starts)
    does not count as an overlap."""
    end_a = start_a + timedelta(minutes=minutes_a)
    end_b = start_b + timedelta(minutes=minutes_b)
    return start_a < end_b and start_b < end_a


def list_dates_problems(
    start: date | None, end: date | None, *, today: date
) -> list[tuple[str, str]]:
    """What is wrong with the appointments list's dates, as (which date, message) pairs: "start"
    or "end". Each given date must lie within LIST_DATE_LIMIT_YEARS calendar years of `today`'s
    year, and the end must not come before the start (today, when no start is given). Empty
    when nothing is wrong."""
    earliest = date(today.year - LIST_DATE_LIMIT_YEARS, 1, 1)
    latest = date(today.year + LIST_DATE_LIMIT_YEARS, 12, 31)
    between = f"between {earliest:%-d %B %Y} and {latest:%-d %B %Y}"
    problems = []
    for name, label, day in (("start", "from", start), ("end", "to", end)):
        if day is not None and not earliest <= day <= latest:
            problems.append((name, f"Enter a '{label}' date {between}"))
    if not problems and end and start and end < start:
        problems.append(("end", "The 'to' date must be the same as or after the 'from' date"))
    elif not problems and end and start is None and end < today:
        # With no 'from' date the list starts today.
        problems.append(("end", "The 'to' date is before today: enter a 'from' date as well"))
    return problems


def latest_date_ahead(today: date) -> date:
    """The last day that may be booked or set as due: the same date MAX_YEARS_AHEAD years after
    `today` (28 February for 29 February)."""
    year = today.year + MAX_YEARS_AHEAD
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February, in a year that has none
        return date(year, 2, 28)


def too_far_ahead(day: date, *, today: date) -> str:
    """The message for a date after `latest_date_ahead(today)`, or "" for one on or before it.
    Used for appointments, group sessions and questionnaires' due dates alike."""
    latest = latest_date_ahead(today)
    if day <= latest:
        return ""
    return (
        f"Choose a date on or before {latest:%-d %B %Y}, at most {MAX_YEARS_AHEAD} years from "
        "today."
    )


def series_too_far_ahead(last: date, *, today: date) -> str:
    """The message for a series of group sessions whose last session, on `last`, falls after
    `latest_date_ahead(today)`, or "" when every session is in time."""
    latest = latest_date_ahead(today)
    if last <= latest:
        return ""
    return (
        f"The last session would be on {last:%-d %B %Y}, more than {MAX_YEARS_AHEAD} years "
        "ahead. Set up fewer sessions, or start sooner."
    )


# MIDAS (clinical-rules.md section 2): question 2 counts days work or school was cut by half or
# more, not counting days already counted in question 1 (missed), and question 4 does the same
# for question 3; so each pair counts different days of the same 3 months, which hold at most
# pathway.instruments.MIDAS_ITEM_MAX (92) days. A pair adding up to more cannot be true. Only
# those answers are refused: the scoring itself (pathway.instruments.score) is unchanged.
MIDAS_DAYS_COUNTED_ONCE = ((1, 2), (3, 4))


def midas_answers_problems(answers: Sequence[int | None]) -> list[tuple[int, str]]:
    """What cannot be true of MIDAS answers (the five scored questions in order, each a whole
    number 0-92, None for one not answered): each pair of MIDAS_DAYS_COUNTED_ONCE adding up to
    more days than 3 months hold, as (the question that leaves out the other's days, message).
    Empty when they can all be true; a pair with an answer missing is not checked."""
    most = instruments.MIDAS_ITEM_MAX
    problems = []
    for first, second in MIDAS_DAYS_COUNTED_ONCE:
        days = (answers[first - 1], answers[second - 1])
        if None in days or sum(days) <= most:
            continue
        problems.append(
            (
                second,
                f"Questions {first} and {second} add up to {sum(days)} days, more than the "
                f"{most} days in 3 months. Do not count a day in question {second} if you "
                f"counted it in question {first}: check both answers.",
            )
        )
    return problems


def patient_attends(kind: str) -> bool:
    """Whether the patient takes part in an appointment of this kind (not an MDT discussion),
    so is told about it and sees it among their appointments."""
    return kind not in TEAM_ONLY_KINDS


# Said when a video appointment the patient attends has no link, by the booking and moving forms
# and the services behind them.
VIDEO_LINK_NEEDED = "Enter the video link the patient will join by, or choose phone or in person."


def video_link_missing(*, kind: str, modality: str, video_link: str) -> bool:
    """Whether an appointment of `kind` held by `modality` lacks the video link it needs: one
    the patient attends by video call joins by its link (their appointments page gives it), so
    without one they have no way in. The team's own discussions (TEAM_ONLY_KINDS) meet however
    the team does, with no link for the patient."""
    return modality == "video" and not video_link.strip() and patient_attends(kind)


# How the team reads a cancellation the patient made, before the patient's own words, which
# fit beside it in the 200 characters of Appointment.cancellation_reason.
CANCELLED_BY_PATIENT = "Cancelled by the patient"
PATIENT_CANCEL_REASON_MAX = 200 - len(f"{CANCELLED_BY_PATIENT}: ")


def patient_cancellation(reason: str) -> str:
    """The cancellation reason recorded when the patient cancels, with their `reason` if any."""
    reason = " ".join(reason.split())
    return f"{CANCELLED_BY_PATIENT}: {reason}" if reason else CANCELLED_BY_PATIENT


def next_review_problem(*, kind: str, due: date, today: date) -> str:
    """What is wrong with a next review due on `due`, set today as `kind` (Review.next_review_kind),
    in words, or "": it must be in the future and within MAX_NEXT_REVIEW_DAYS, and a follow-up
    sooner than the annual review's interval (the form starts a year ahead, so a follow-up left
    at that date is a slip)."""
    ahead = (due - today).days
    if ahead <= 0:
        return "The next review date must be in the future."
    if ahead > MAX_NEXT_REVIEW_DAYS:
        return "The next review must be within 18 months. Check the date."
    if kind == "follow_up" and ahead >= ANNUAL_REVIEW_INTERVAL_DAYS:
        return (
            "A follow-up is sooner than the annual review: choose a date within a year, or choose "
            "Annual review."
        )
    return ""


# A discharge as "Finished the pathway" (Discharge.Reason.GOALS_MET) tells the GP the patient is
# managing with their care plan, and the dashboard counts it as a completion: it needs the
# episode's first contact and an agreed care plan (DESIGN.md section 3, milestones).
FINISHED_PATHWAY_MILESTONES = ("first_contact", "care_plan_agreed")


def finished_pathway_problem(reached: Collection[str]) -> str:
    """Why an episode whose milestones `reached` has not finished the pathway, in words, or ""
    when it has (FINISHED_PATHWAY_MILESTONES)."""
    if "first_contact" not in reached:
        return "The patient has not had a first conversation with the team"
    if "care_plan_agreed" not in reached:
        return "No care plan has been agreed with the patient"
    return ""


def milestone_for(kind: str) -> str:
    """The episode milestone a completed review of this appointment kind writes.

    Raises ValueError for kinds that are not reviews (group sessions, MDT discussions)."""
    if kind not in REVIEW_KINDS:
        raise ValueError(f"{kind} appointments have no review outcome")
    return "first_contact" if kind in FIRST_CONTACT_KINDS else "review_held"


def default_next_review(held_on: date) -> date:
    """The next annual review date after a review held on `held_on`."""
    return held_on + timedelta(days=ANNUAL_REVIEW_INTERVAL_DAYS)


def questionnaire_messages_key(patient_uuid, sent_on: date) -> str:
    """The key the messages about questionnaires sent to a patient on one day share: one
    invitation, and one reminder at each stage, however many were sent that day (a review
    sends several at once)."""
    return f"questionnaires:{patient_uuid}:{sent_on.isoformat()}"


def questionnaire_reminder_stage(requested_on: date, today: date) -> int | None:
    """Which reminder (3 or 6 days) is due today for a request sent on `requested_on`, or None.

    A planner that missed a day still sends each reminder once: from day 3 the 3-day reminder is
    due until day 6, from day 6 only the 6-day one (never both at once after an outage)."""
    age = (today - requested_on).days
    first, second = QUESTIONNAIRE_REMINDER_DAYS
    if age >= second:
        return second
    if age >= first:
        return first
    return None


def monthly_occurrences(first: datetime, count: int) -> list[datetime]:
    """`count` meeting times: `first`, then the same weekday of the same week of each month
    ("the second Tuesday"). A fifth weekday that a month lacks becomes that month's last.

    Raises ValueError when `count` is outside 1..MAX_SERIES_LENGTH."""
    if not 1 <= count <= MAX_SERIES_LENGTH:
        raise ValueError(f"a series has 1 to {MAX_SERIES_LENGTH} sessions")
    week = (first.day - 1) // 7  # 0 = first such weekday of the month
    weekday = first.weekday()
    times = [first]
    year, month = first.year, first.month
    for _ in range(count - 1):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        first_day_weekday, days_in_month = calendar.monthrange(year, month)
        day = 1 + (weekday - first_day_weekday) % 7 + 7 * week
        while day > days_in_month:
            day -= 7
        times.append(first.replace(year=year, month=month, day=day))
    return times


def places_left(capacity: int, booked: int) -> int:
    """Free places in a group session (never negative)."""
    return max(capacity - booked, 0)


def change_summary(
    *,
    better: str | None,
    important_change: float | None,
    baseline: float,
    latest: float,
    band_moved: bool = True,
) -> tuple[float, str]:
    """(latest minus baseline, verdict) for an outcome measure.

    The verdict is "improved" for a change in the better direction at least as large as the
    instrument's clinically important change (and, for PSEQ, with a move to another ePPOC band,
    passed as `band_moved`), "worse" for such a change the other way, "no_important_change"
    otherwise, and "not_rated" where the instrument has no direction or threshold. Compared on
    unrounded values (clinical-rules.md, general rules)."""
    delta = latest - baseline
    if better is None or important_change is None:
        return delta, "not_rated"
    gain = delta if better == "higher" else -delta
    if gain >= important_change and band_moved:
        return delta, "improved"
    if -gain >= important_change and band_moved:
        return delta, "worse"
    return delta, "no_important_change"


def _activity_names(names: Sequence[str]) -> list[str]:
    return [" ".join(str(name).split()).casefold() for name in names]


def instrument_change(
    meta: instruments.Instrument,
    *,
    baseline: float,
    latest: float,
    baseline_answers,
    latest_answers,
    baseline_activities: Sequence[str] = (),
    latest_activities: Sequence[str] = (),
) -> tuple[float, str]:
    """(latest minus baseline, verdict) between a patient's first and latest scores on one
    instrument, as `change_summary` judges it, with two instruments' own rules
    (clinical-rules.md):

    * PSFS: the mean change over the same activities rated again (`instruments.psfs_change`);
      a fall of at least the same 2 points is "worse" (the minimal clinically important
      difference holds both ways); "not_comparable", with the change of the totals, where the
      activities named differ or a different number were rated.
    * PSEQ: an important change must also move the score to another ePPOC band.
    """
    if meta.code == "PSFS":
        if _activity_names(baseline_activities) != _activity_names(latest_activities) and (
            baseline_activities and latest_activities
        ):
            return latest - baseline, "not_comparable"
        try:
            delta, improved = instruments.psfs_change(baseline_answers, latest_answers)
        except instruments.InvalidAnswers:
            return latest - baseline, "not_comparable"
        if improved:
            return delta, "improved"
        if instruments.is_psfs_worsening(delta):
            return delta, "worse"
        return delta, "no_important_change"
    band_moved = True
    if meta.code == "PSEQ":
        band_moved = instruments.eppoc_band(baseline) != instruments.eppoc_band(latest)
    return change_summary(
        better=meta.better,
        important_change=meta.important_change,
        baseline=baseline,
        latest=latest,
        band_moved=band_moved,
    )
