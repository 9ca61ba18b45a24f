from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from pathway.models.base import ClinicalRecord, TimeStampedModel, choices_constraint
from pathway.models.episodes import Condition
from reviews import rules


class GroupSession(TimeStampedModel):
    """One meeting of a group (e.g. the monthly online session with physio and OT).

    Recurring sessions are separate rows sharing a `series` UUID, so each meeting keeps its own
    bookings and attendance. Not a clinical record of one patient: bookings are.
    """

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    series = models.UUIDField(default=uuid4, editable=False)
    organisation = models.ForeignKey(
        "pathway.Organisation",
        on_delete=models.PROTECT,
        related_name="group_sessions",
        help_text="The team that runs it; its clinicians see and manage the session.",
    )
    topic = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    condition = models.CharField(
        max_length=16,
        choices=Condition.choices,
        blank=True,
        help_text="Patients of this condition group are eligible; blank means anyone.",
    )
    start = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    capacity = models.PositiveSmallIntegerField()
    video_link = models.URLField(blank=True)
    venue = models.CharField(max_length=200, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_group_sessions", blank=True
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0), name="reviews_groupsession_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0),
                name="reviews_groupsession_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(condition__in=["", *Condition.values]),
                name="reviews_groupsession_condition_valid",
            ),
            # Patients need somewhere to go: a video link, a venue, or both.
            models.CheckConstraint(
                condition=~Q(video_link="") | ~Q(venue=""),
                name="reviews_groupsession_has_link_or_venue",
            ),
        ]
        indexes = [
            # The team's list of upcoming sessions (reviews.selectors.group_sessions_for).
            models.Index(fields=["organisation", "start"], name="reviews_group_org_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} on {self.start:%Y-%m-%d}"

    @property
    def end(self):
        return self.start + timedelta(minutes=self.duration_minutes)

    @property
    def has_started(self) -> bool:
        """Whether the session has begun: booking, giving up a place and inviting are closed
        (reviews.services.groups)."""
        return self.start <= timezone.now()

    @property
    def has_ended(self) -> bool:
        return self.end <= timezone.now()


class GroupBookingStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    # The patient gave up their place, or turned the invitation down.
    CANCELLED = "cancelled", "Cancelled"
    DECLINED = "declined", "Declined"
    # The care team withdrew the invitation or freed the place (or the patient was discharged):
    # not the patient's answer, so never shown or counted as one.
    WITHDRAWN = "withdrawn", "Withdrawn by the care team"


# Statuses that hold one of the session's places.
PLACE_HOLDING = ["booked", "attended", "did_not_attend"]
# Statuses of a live booking: at most one per patient and session.
LIVE_BOOKING = ["invited", *PLACE_HOLDING]
# Statuses of an invitation or place ended before the session, by the patient or the team.
ENDED = ["cancelled", "declined", "withdrawn"]


class GroupBooking(ClinicalRecord):
    """A patient's invitation to and place at one group session, and their attendance."""

    Status = GroupBookingStatus

    session = models.ForeignKey(GroupSession, on_delete=models.PROTECT, related_name="bookings")
    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="group_bookings"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session__start"]
        constraints = [
            choices_constraint("status", GroupBookingStatus, "reviews_groupbooking_status_valid"),
            # One live booking per patient and session; ended rows (cancelled, declined or
            # withdrawn) stay as history and a new invitation makes a new row.
            models.UniqueConstraint(
                fields=["session", "patient"],
                condition=Q(status__in=LIVE_BOOKING),
                name="reviews_groupbooking_one_live_per_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=PLACE_HOLDING) | Q(booked_at__isnull=False),
                name="reviews_groupbooking_place_has_booking_time",
            ),
            models.CheckConstraint(
                condition=(
                    ~Q(status__in=["attended", "did_not_attend"])
                    | Q(attendance_recorded_at__isnull=False)
                ),
                name="reviews_groupbooking_attendance_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=ENDED) | Q(cancelled_at__isnull=False),
                name="reviews_groupbooking_cancel_has_time",
            ),
        ]
        indexes = [
            # The patient's invitations and places (group_bookings_for_patient).
            models.Index(fields=["patient", "status"], name="reviews_groupbooking_pat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status_label} for {self.session}"

    @property
    def session_full(self) -> bool:
        """Whether the session has no place left, from the `places_taken` annotation of
        reviews.selectors.group_bookings_for_patient."""
        return rules.places_left(self.session.capacity, self.places_taken) == 0

    @property
    def can_still_end(self) -> bool:
        """Whether this invitation or place may still be ended (turned down, given up or
        withdrawn): it is live, at a session neither cancelled nor started. The service says
        why not otherwise (reviews.services.groups.cancel_place)."""
        return (
            self.status in (GroupBookingStatus.INVITED, GroupBookingStatus.BOOKED)
            and self.session.cancelled_at is None
            and self.session.start > timezone.now()
        )

    @property
    def status_label(self) -> str:
        """The status in words; a withdrawal says what the team withdrew (a place is one that
        was booked)."""
        if self.status == GroupBookingStatus.WITHDRAWN:
            what = "Place" if self.booked_at else "Invitation"
            return f"{what} withdrawn by the care team"
        return self.get_status_display()
