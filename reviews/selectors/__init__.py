"""Reads for the reviews app, always scoped through `pathway.permissions`.

The `*_for(user, uuid)` helpers return one object the user may see or raise Http404, so another
team's row is indistinguishable from one that does not exist.

* `teams`: teams and their clinicians, and the worklist's filter choices.
* `episodes`: a patient's episodes, their coming appointments, and the reviews held.
* `appointments`: appointments and requests to book or rearrange them.
* `groups`: group sessions, their invitations and places.
* `mdt`: cases for the multidisciplinary team meeting.
* `questionnaires`: questionnaire requests and safety alerts.
* `trends`: each questionnaire's results over time.
* `notifications`: messages that could not be delivered.
* `lookups`: the page size of lists and the one-object lookup the helpers share.
"""

from reviews.selectors.appointments import (
    appointment_for,
    appointments_for_patient,
    appointments_for_team,
    booking_request_for,
    missed_not_rebooked,
    open_booking_requests_for,
    open_booking_requests_for_patient,
    own_appointment,
    rearrange_requests_for,
    upcoming_and_past,
)
from reviews.selectors.episodes import (
    DischargeScope,
    arranged_first_conversations,
    booked_reviews,
    discharge_letter_for,
    ended_by_discharge,
    episode_for,
    episodes_of_patient,
    first_conversation_arranged,
    last_review_before,
    latest_review_due,
    next_review_kind,
    next_review_kind_of_episode,
    open_episodes,
    reviews_following,
    reviews_for_patient,
    seen_in_care,
)
from reviews.selectors.groups import (
    INVITE_LIST_LIMIT,
    bookings_for_session,
    eligible_patients,
    group_booking_for,
    group_bookings_for_patient,
    group_history_for_patient,
    group_session_for,
    group_sessions_for,
    joined_without_place,
    own_group_booking,
    places_taken,
)
from reviews.selectors.lookups import PAGE_SIZE
from reviews.selectors.mdt import mdt_case_for, mdt_cases_for, mdt_cases_for_patient
from reviews.selectors.notifications import failed_notification_for, failed_notifications_for
from reviews.selectors.questionnaires import (
    alert_for,
    alerts_for_patient,
    assessments_after,
    last_psfs_activities,
    open_alerts_for_patient,
    outstanding_requests_for_patient,
    own_questionnaire_request,
    questionnaire_request_for,
    questionnaire_requests_for_patient,
    responsible_for_care,
    sent_again,
    unreviewed_severe_scores,
)
from reviews.selectors.teams import (
    FILTER_CHOICES_SECONDS,
    team_clinicians,
    team_organisation_ids,
    worklist_filter_choices,
)
from reviews.selectors.trends import Trend, TrendPoint, assessment_trends

__all__ = [
    "FILTER_CHOICES_SECONDS",
    "PAGE_SIZE",
    "Trend",
    "TrendPoint",
    "alert_for",
    "alerts_for_patient",
    "appointment_for",
    "appointments_for_patient",
    "appointments_for_team",
    "assessment_trends",
    "assessments_after",
    "sent_again",
    "booking_request_for",
    "missed_not_rebooked",
    "bookings_for_session",
    "DischargeScope",
    "discharge_letter_for",
    "ended_by_discharge",
    "INVITE_LIST_LIMIT",
    "eligible_patients",
    "episode_for",
    "episodes_of_patient",
    "failed_notification_for",
    "failed_notifications_for",
    "arranged_first_conversations",
    "booked_reviews",
    "reviews_following",
    "first_conversation_arranged",
    "latest_review_due",
    "group_booking_for",
    "group_bookings_for_patient",
    "group_history_for_patient",
    "group_session_for",
    "group_sessions_for",
    "joined_without_place",
    "last_psfs_activities",
    "last_review_before",
    "mdt_case_for",
    "mdt_cases_for",
    "mdt_cases_for_patient",
    "open_alerts_for_patient",
    "open_booking_requests_for",
    "open_booking_requests_for_patient",
    "next_review_kind",
    "next_review_kind_of_episode",
    "open_episodes",
    "seen_in_care",
    "outstanding_requests_for_patient",
    "own_appointment",
    "own_group_booking",
    "own_questionnaire_request",
    "places_taken",
    "questionnaire_request_for",
    "questionnaire_requests_for_patient",
    "responsible_for_care",
    "rearrange_requests_for",
    "reviews_for_patient",
    "team_clinicians",
    "team_organisation_ids",
    "unreviewed_severe_scores",
    "upcoming_and_past",
    "worklist_filter_choices",
]
