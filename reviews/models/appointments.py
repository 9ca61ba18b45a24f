from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathway.models.base import ClinicalRecord, choices_constraint


class AppointmentKind(models.TextChoices):
    FIRST_CONVERSATION = "first_conversation", "First conversation"
    FOLLOW_UP = "follow_up", "Follow-up"
    MEDICATION_REVIEW = "medication_review", "Medication review"
    ANNUAL_REVIEW = "annual_review", "Annual review"
    GROUP_SESSION = "group_session", "Group session"
    MDT = "mdt", "MDT discussion"


class Modality(models.TextChoices):
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"
    IN_PERSON = "in_person", "In person"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


# A first conversation booked, or attended with its outcome (which records the first contact)
# still to write: the episode has its one first conversation, and another is not booked.
FIRST_CONVERSATION_ARRANGED = (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)


class Appointment(ClinicalRecord):
    """One booked contact between a clinician and a patient.

    Double-booking a clinician is prevented by `reviews.services.appointments`, which locks the
    clinician's user row and checks for overlapping booked appointments before it writes. A
    database exclusion constraint would need PostgreSQL's btree_gist and a stored end time; the
    service check works on SQLite too and is serialised per clinician by the row lock.
    """

    Kind = AppointmentKind
    Modality = Modality
    Status = AppointmentStatus

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    episode = models.ForeignKey(
        "pathway.Episode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    start = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    modality = models.CharField(max_length=12, choices=Modality.choices)
    video_link = models.URLField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    outcome = models.TextField(blank=True)
    # When attendance (attended or did not attend) was recorded, and when it was cancelled.
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    rearrange_requested_at = models.DateTimeField(null=True, blank=True)
    rearrange_reason = models.CharField(max_length=500, blank=True)
    # After a missed review, the team's decision to book nothing more for now, and why: the
    # worklist stops asking for a rebooking (reviews.services.appointments.decide_not_to_rebook).
    not_rebooked_reason = models.CharField(max_length=200, blank=True)
    not_rebooked_at = models.DateTimeField(null=True, blank=True)
    not_rebooked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            choices_constraint("kind", AppointmentKind, "reviews_appointment_kind_valid"),
            choices_constraint("modality", Modality, "reviews_appointment_modality_valid"),
            choices_constraint("status", AppointmentStatus, "reviews_appointment_status_valid"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="reviews_appointment_duration_positive"
            ),
            # A video link belongs to video appointments only.
            models.CheckConstraint(
                condition=Q(modality="video") | Q(video_link=""),
                name="reviews_appointment_video_link_only_for_video",
            ),
            # Status and its timestamps agree: booked rows have neither, attended and
            # did-not-attend rows carry the time attendance was recorded, cancelled rows the
            # time of cancellation. Written as implications so that an unknown status fails
            # only its own choices constraint, on every database.
            models.CheckConstraint(
                condition=(
                    (
                        ~Q(status="booked")
                        | Q(attendance_recorded_at__isnull=True, cancelled_at__isnull=True)
                    )
                    & (
                        ~Q(status__in=["attended", "did_not_attend"])
                        | Q(attendance_recorded_at__isnull=False, cancelled_at__isnull=True)
                    )
                    & (~Q(status="cancelled") | Q(cancelled_at__isnull=False))
                ),
                name="reviews_appointment_status_times_match",
            ),
            models.CheckConstraint(
                condition=Q(rearrange_reason="") | Q(rearrange_requested_at__isnull=False),
                name="reviews_appointment_rearrange_reason_has_time",
            ),
            # A decision not to rebook belongs to a missed appointment, and has its reason, time
            # and author together.
            models.CheckConstraint(
                condition=Q(
                    not_rebooked_at__isnull=True,
                    not_rebooked_by__isnull=True,
                    not_rebooked_reason="",
                )
                | Q(
                    status="did_not_attend",
                    not_rebooked_at__isnull=False,
                    not_rebooked_by__isnull=False,
                )
                & ~Q(not_rebooked_reason=""),
                name="reviews_appointment_not_rebooked_after_missed",
            ),
        ]
        indexes = [
            # The clinician's diary and the double-booking check: booked rows by clinician and
            # start (reviews.services.appointments._check_free).
            models.Index(fields=["clinician", "start"], name="reviews_appt_clinician_idx"),
            # The patient's own list and the patient page (appointments_for_patient).
            models.Index(fields=["patient", "start"], name="reviews_appt_patient_idx"),
            # The "appointment tomorrow" planner reads booked rows by start only.
            models.Index(
                fields=["start"], condition=Q(status="booked"), name="reviews_appt_booked_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.start:%Y-%m-%d %H:%M}"

    @property
    def end(self):
        return self.start + timedelta(minutes=self.duration_minutes)

    @property
    def status_label(self) -> str:
        """The status as the team reads it: an MDT discussion that took place was held (it is
        stored as attended; the patient is not there)."""
        if self.kind == AppointmentKind.MDT and self.status == AppointmentStatus.ATTENDED:
            return "Held"
        return self.get_status_display()


class MentalHealthFollowUp(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    ALREADY_SUPPORTED = "already_supported", "Already supported (keep as planned)"
    GP_FOLLOW_UP = "gp_follow_up", "Follow-up with the GP"
    TALKING_THERAPIES = "talking_therapies", "Referral to NHS Talking Therapies"
    TEAM_PSYCHOLOGIST = "team_psychologist", "Team psychologist"
    SAME_DAY = "same_day", "Same-day risk assessment"


class NextReviewKind(models.TextChoices):
    """What the next review a review sets is: the yearly review, or a sooner follow-up. The
    patient's invitation and the worklist name it (the due date is the episode's
    `annual_review_due` milestone either way)."""

    ANNUAL_REVIEW = "annual_review", "Annual review"
    FOLLOW_UP = "follow_up", "Follow-up"


class Review(ClinicalRecord):
    """The structured outcome of a first conversation, follow-up or annual review.

    One per appointment. Completing it writes the episode's `first_contact` or `review_held`
    milestone and the next `annual_review_due`.
    """

    MentalHealth = MentalHealthFollowUp
    NextKind = NextReviewKind

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="review")
    patient = models.ForeignKey("pathway.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(
        "pathway.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField()
    what_matters = models.TextField(blank=True)
    changes_agreed = models.TextField(blank=True)
    mental_health_follow_up = models.CharField(
        max_length=24, choices=MentalHealth.choices, default=MentalHealth.NOT_NEEDED
    )
    mental_health_notes = models.TextField(blank=True)
    next_review_date = models.DateField()
    next_review_kind = models.CharField(
        max_length=24, choices=NextReviewKind.choices, default=NextReviewKind.ANNUAL_REVIEW
    )
    completed_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    # Not stored: set on the review `complete_review` returns, the questionnaires chosen that
    # were not sent because one of the same is still waiting for the patient.
    questionnaires_still_waiting: tuple[str, ...] = ()

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            choices_constraint(
                "mental_health_follow_up",
                MentalHealthFollowUp,
                "reviews_review_mental_health_valid",
            ),
            choices_constraint(
                "next_review_kind", NextReviewKind, "reviews_review_next_review_kind_valid"
            ),
        ]
        indexes = [
            # The patient page's review history, newest first.
            models.Index(fields=["patient", "-completed_at"], name="reviews_review_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.appointment}"


class BookingRequestStatus(models.TextChoices):
    OPEN = "open", "Waiting to be booked"
    BOOKED = "booked", "Booked"
    CLOSED = "closed", "Closed"


class BookingRequest(ClinicalRecord):
    """A patient asking for an appointment, e.g. after the annual-review invite."""

    Status = BookingRequestStatus

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="booking_requests"
    )
    kind = models.CharField(max_length=24, choices=AppointmentKind.choices)
    preferences = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    requested_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            choices_constraint("kind", AppointmentKind, "reviews_bookingrequest_kind_valid"),
            choices_constraint(
                "status", BookingRequestStatus, "reviews_bookingrequest_status_valid"
            ),
            # One open request per patient and kind: asking twice does not queue twice.
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=Q(status="open"),
                name="reviews_bookingrequest_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="open", handled_at__isnull=True)
                    | Q(status__in=["booked", "closed"], handled_at__isnull=False)
                ),
                name="reviews_bookingrequest_handled_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="booked") | Q(appointment__isnull=False),
                name="reviews_bookingrequest_booked_has_appointment",
            ),
        ]
        indexes = [
            # Open requests on the team's appointments page.
            models.Index(
                fields=["requested_at"],
                condition=Q(status="open"),
                name="reviews_bookreq_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} requested {self.requested_at:%Y-%m-%d}"
