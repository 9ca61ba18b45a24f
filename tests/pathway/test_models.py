"""The kernel's invariants live in the database (STYLE.md rule 11): each named constraint fires."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from pathway.models import (
    Assessment,
    AttendanceImport,
    AuditEvent,
    DashboardSnapshot,
    Episode,
    GpAttendanceCount,
    Membership,
    Milestone,
    Notification,
    Target,
)
from tests.factories import EpisodeFactory, OrganisationFactory, PatientFactory, UserFactory


def _notification(**fields) -> Notification:
    defaults = {
        "channel": "sms",
        "kind": "reminder",
        "template": "reminder",
        "scheduled_for": timezone.now(),
        "idempotency_key": f"test-{uuid.uuid4()}",
    }
    return Notification.objects.create(**{**defaults, **fields})


def _assessment(patient, **fields) -> Assessment:
    defaults = {
        "patient": patient,
        "instrument": "HIT-6",
        "answers": {"q1": 10},
        "total": Decimal("50"),
        "context": "self",
        "completed_at": timezone.now(),
    }
    return Assessment.objects.create(**{**defaults, **fields})


def _attendance(w, *, start, end, **fields) -> GpAttendanceCount:
    source = AttendanceImport.objects.create(imported_by=w.gp, filename="counts.csv", row_count=1)
    return GpAttendanceCount.objects.create(
        patient=w.patient,
        period_start=start,
        period_end=end,
        attendances=3,
        source=source,
        **fields,
    )


def _discharged(patient, condition="headache"):
    opened = timezone.now() - timedelta(days=30)
    return EpisodeFactory(
        patient=patient,
        condition=condition,
        status="discharged",
        opened_at=opened,
        closed_at=opened + timedelta(days=10),
    )


# Each case breaks exactly one named constraint: (constraint name, case id, write).
VIOLATIONS = [
    (
        "pathway_patient_nhs_number_ten_digits",
        "nhs-number-nine-digits",
        lambda w: PatientFactory(nhs_number="999123456", registered_practice=w.practice_a),
    ),
    (
        "pathway_patient_nhs_number_ten_digits",
        "nhs-number-with-spaces",
        lambda w: PatientFactory(nhs_number="999 123 4", registered_practice=w.practice_a),
    ),
    (
        "pathway_patient_nhs_number_ten_digits",
        "nhs-number-with-letters",
        lambda w: PatientFactory(nhs_number="99912345AB", registered_practice=w.practice_a),
    ),
    (
        "pathway_patient_sex_valid",
        "unknown-sex",
        lambda w: PatientFactory(sex="other", registered_practice=w.practice_a),
    ),
    (
        "pathway_patient_death_not_before_birth",
        "died-before-born",
        lambda w: PatientFactory(
            date_of_birth=date(1980, 5, 2),
            date_of_death=date(1980, 5, 1),
            registered_practice=w.practice_a,
        ),
    ),
    (
        "pathway_patient_consent_has_date",
        "sms-consent-without-date",
        lambda w: PatientFactory(
            sms_consent=True,
            email_consent=False,
            consent_recorded_at=None,
            registered_practice=w.practice_a,
        ),
    ),
    (
        "pathway_patient_consent_has_date",
        "email-consent-without-date",
        lambda w: PatientFactory(
            sms_consent=False,
            email_consent=True,
            consent_recorded_at=None,
            registered_practice=w.practice_a,
        ),
    ),
    (
        "pathway_patient_sms_consent_needs_mobile",
        "sms-consent-without-mobile",
        lambda w: PatientFactory(sms_consent=True, mobile="", registered_practice=w.practice_a),
    ),
    (
        "pathway_patient_email_consent_needs_email",
        "email-consent-without-email",
        lambda w: PatientFactory(email_consent=True, email="", registered_practice=w.practice_a),
    ),
    (
        "pathway_episode_condition_valid",
        "unknown-condition",
        lambda w: EpisodeFactory(patient=w.patient, condition="migraine"),
    ),
    (
        "pathway_episode_status_valid",
        "unknown-episode-status",
        lambda w: EpisodeFactory(patient=w.patient, status="paused"),
    ),
    (
        "pathway_episode_priority_valid",
        "unknown-priority",
        lambda w: EpisodeFactory(patient=w.patient, priority="soon"),
    ),
    (
        "pathway_episode_one_open_per_condition",
        "second-open-episode",
        lambda w: [
            EpisodeFactory(patient=w.patient, status="referred"),
            EpisodeFactory(patient=w.patient, status="active"),
        ],
    ),
    (
        "pathway_episode_closed_at_matches_status",
        "open-episode-with-closed-at",
        lambda w: EpisodeFactory(
            patient=w.patient,
            status="active",
            opened_at=timezone.now() - timedelta(days=1),
            closed_at=timezone.now(),
        ),
    ),
    (
        "pathway_episode_closed_at_matches_status",
        "discharged-episode-without-closed-at",
        lambda w: EpisodeFactory(patient=w.patient, status="discharged", closed_at=None),
    ),
    (
        "pathway_episode_closed_at_matches_status",
        "entered-in-error-episode-without-closed-at",
        lambda w: EpisodeFactory(patient=w.patient, status="entered_in_error", closed_at=None),
    ),
    (
        "pathway_episode_closes_after_opening",
        "closed-before-opened",
        lambda w: EpisodeFactory(
            patient=w.patient,
            status="discharged",
            opened_at=timezone.now(),
            closed_at=timezone.now() - timedelta(days=1),
        ),
    ),
    (
        "pathway_milestone_kind_valid",
        "unknown-milestone-kind",
        lambda w: Milestone.objects.create(
            episode=EpisodeFactory(patient=w.patient), kind="seen", occurred_at=timezone.now()
        ),
    ),
    (
        "pathway_milestone_once_per_episode",
        "second-triage",
        lambda w: _twice(EpisodeFactory(patient=w.patient), "triaged"),
    ),
    (
        "pathway_milestone_once_per_episode",
        "second-discharge",
        lambda w: _twice(EpisodeFactory(patient=w.patient), "discharged"),
    ),
    (
        "pathway_target_from_valid",
        "unknown-from-milestone",
        lambda w: Target.objects.create(
            name="x", from_milestone="seen", to_milestone="triaged", days=3
        ),
    ),
    (
        "pathway_target_to_valid",
        "unknown-to-milestone",
        lambda w: Target.objects.create(
            name="x", from_milestone="triaged", to_milestone="seen", days=3
        ),
    ),
    (
        "pathway_target_priority_valid",
        "unknown-target-priority",
        lambda w: Target.objects.create(
            name="x",
            from_milestone="first_contact",
            to_milestone="discharged",
            priority="soon",
            days=3,
        ),
    ),
    (
        "pathway_target_days_in_range",
        "zero-days",
        lambda w: Target.objects.create(
            name="x", from_milestone="first_contact", to_milestone="discharged", days=0
        ),
    ),
    (
        "pathway_target_days_in_range",
        "more-than-ten-years",
        lambda w: Target.objects.create(
            name="x", from_milestone="first_contact", to_milestone="discharged", days=3651
        ),
    ),
    (
        "pathway_target_unique",
        "duplicate-target",
        # The data migration already holds referral_received -> triaged for any priority.
        lambda w: Target.objects.create(
            name="Again", from_milestone="referral_received", to_milestone="triaged", days=7
        ),
    ),
    (
        "pathway_notification_channel_valid",
        "unknown-channel",
        lambda w: _notification(patient=w.patient, channel="fax"),
    ),
    (
        "pathway_notification_status_valid",
        "unknown-notification-status",
        lambda w: _notification(patient=w.patient, status="lost"),
    ),
    (
        "pathway_notification_has_recipient",
        "no-recipient",
        lambda w: _notification(patient=None, user=None),
    ),
    (
        "pathway_notification_sent_has_time",
        "sent-without-sent-at",
        lambda w: _notification(patient=w.patient, status="sent", sent_at=None),
    ),
    (
        "pathway_notification_sending_is_claimed",
        "sending-without-claimed-at",
        lambda w: _notification(patient=w.patient, status="sending", claimed_at=None),
    ),
    (
        "pathway_organisation_kind_valid",
        "unknown-organisation-kind",
        lambda w: OrganisationFactory(kind="hospital", parent=w.icb),
    ),
    (
        "pathway_organisation_icb_is_root",
        "icb-with-parent",
        lambda w: OrganisationFactory(kind="icb", parent=w.icb),
    ),
    (
        "pathway_organisation_has_parent",
        "practice-without-parent",
        lambda w: OrganisationFactory(kind="practice", parent=None),
    ),
    (
        "pathway_organisation_has_parent",
        "pcn-without-parent",
        lambda w: OrganisationFactory(kind="pcn", parent=None),
    ),
    (
        "pathway_organisation_has_parent",
        "service-without-parent",
        lambda w: OrganisationFactory(kind="service", parent=None),
    ),
    (
        "pathway_membership_unique",
        "duplicate-membership",
        lambda w: Membership.objects.create(user=w.gp, organisation=w.practice_a),
    ),
    (
        "pathway_user_role_valid",
        "unknown-role",
        lambda w: UserFactory(role="superhero", discipline=""),
    ),
    (
        "pathway_user_discipline_valid",
        "unknown-discipline",
        lambda w: UserFactory(role="clinician", discipline="surgeon"),
    ),
    (
        "pathway_user_discipline_only_for_clinicians",
        "gp-with-discipline",
        lambda w: UserFactory(role="gp", discipline="nurse"),
    ),
    (
        "pathway_user_discipline_only_for_clinicians",
        "patient-with-discipline",
        lambda w: UserFactory(role="patient", discipline="physiotherapist"),
    ),
    (
        "pathway_assessment_instrument_valid",
        "unknown-instrument",
        lambda w: _assessment(w.patient, instrument="GUESS"),
    ),
    (
        "pathway_assessment_context_valid",
        "unknown-assessment-context",
        lambda w: _assessment(w.patient, context="hallway"),
    ),
    (
        "pathway_assessment_total_not_negative",
        "negative-total",
        lambda w: _assessment(w.patient, total=Decimal("-1")),
    ),
    (
        "pathway_gpattendancecount_period_positive",
        "attendance-period-ends-before-it-starts",
        lambda w: _attendance(w, start=date(2026, 3, 1), end=date(2026, 2, 1)),
    ),
    (
        "pathway_gpattendancecount_period_positive",
        "attendance-period-of-no-days",
        lambda w: _attendance(w, start=date(2026, 3, 1), end=date(2026, 3, 1)),
    ),
    (
        "pathway_gpattendancecount_one_per_period",
        "attendance-period-imported-twice",
        lambda w: [_attendance(w, start=date(2025, 1, 1), end=date(2025, 12, 31)) for _ in "12"],
    ),
    (
        "pathway_dashboardsnapshot_one_per_period",
        "dashboard-period-kept-twice",
        lambda w: [
            DashboardSnapshot.objects.create(
                organisation=w.icb,
                period_start=date(2026, 4, 1),
                period_end=date(2027, 4, 1),
                tables=[],
                computed_at=timezone.now(),
            )
            for _ in "12"
        ],
    ),
    (
        "pathway_auditevent_action_valid",
        "unknown-audit-action",
        lambda w: AuditEvent.objects.create(action="delete", object_type="pathway.patient"),
    ),
]


def _twice(episode, kind):
    for _ in range(2):
        Milestone.objects.create(episode=episode, kind=kind, occurred_at=timezone.now())


def _named_constraints() -> dict[str, models.BaseConstraint]:
    return {
        constraint.name: constraint
        for model in apps.get_app_config("pathway").get_models()
        for constraint in model._meta.constraints
    }


def test_it_has_a_violation_case_for_every_named_constraint():
    assert set(_named_constraints()) == {name for name, _, _ in VIOLATIONS}


@pytest.mark.parametrize(
    ("constraint", "write"),
    [pytest.param(name, write, id=case) for name, case, write in VIOLATIONS],
)
def test_it_rejects_a_row_that_breaks_the_named_constraint(constraint, write, world):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        write(world)
    if isinstance(_named_constraints()[constraint], models.CheckConstraint):
        # Check constraints report their name (SQLite and PostgreSQL alike), so the failure
        # is the rule under test and not some other one.
        assert constraint in str(excinfo.value)


# The allowed side of each rule: the constraints are not stricter than the design.


def test_it_rejects_a_second_patient_with_the_same_nhs_number(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(nhs_number=world.patient.nhs_number, registered_practice=world.practice_a)


def test_it_accepts_a_patient_without_consent_and_without_a_consent_date(world):
    patient = PatientFactory(
        sms_consent=False,
        email_consent=False,
        consent_recorded_at=None,
        mobile="",
        email="",
        registered_practice=world.practice_a,
    )
    assert patient.pk is not None


def test_it_lets_a_discharged_episode_stand_beside_a_new_open_one(world):
    _discharged(world.patient)
    _discharged(world.patient)
    open_episode = EpisodeFactory(patient=world.patient, condition="headache", status="referred")
    assert open_episode.pk is not None


def test_it_allows_one_open_episode_per_condition(world):
    EpisodeFactory(patient=world.patient, condition="headache")
    EpisodeFactory(patient=world.patient, condition="chronic_pain")
    EpisodeFactory(patient=world.other_patient, condition="headache")
    assert Episode.objects.filter(status="active").count() == 3


def test_open_episodes_are_the_referred_and_active_ones(world):
    now = timezone.now()
    referred = EpisodeFactory(patient=world.patient, condition="headache", status="referred")
    active = EpisodeFactory(patient=world.patient, condition="chronic_pain", status="active")
    _discharged(world.patient)
    EpisodeFactory(
        patient=world.other_patient, status="entered_in_error", opened_at=now, closed_at=now
    )
    assert set(Episode.objects.open()) == {referred, active}
    assert set(world.patient.episodes.open()) == {referred, active}
    assert [e.is_open for e in Episode.objects.order_by("status")] == [True, False, False, True]


def test_it_allows_an_episode_entered_in_error_beside_an_open_one(world):
    now = timezone.now()
    EpisodeFactory(patient=world.patient, status="entered_in_error", opened_at=now, closed_at=now)
    assert EpisodeFactory(patient=world.patient).pk is not None


def test_it_lets_review_held_and_annual_review_due_repeat_in_an_episode(world):
    episode = EpisodeFactory(patient=world.patient)
    for _ in range(3):
        Milestone.objects.create(episode=episode, kind="review_held", occurred_at=timezone.now())
        Milestone.objects.create(
            episode=episode, kind="annual_review_due", occurred_at=timezone.now()
        )
    assert episode.milestones.count() == 6


def test_it_lets_each_episode_have_its_own_once_only_milestones(world):
    first = _discharged(world.patient)
    second = EpisodeFactory(patient=world.patient)
    for episode in (first, second):
        Milestone.objects.create(episode=episode, kind="triaged", occurred_at=timezone.now())
    assert Milestone.objects.filter(kind="triaged").count() == 2


def test_it_holds_the_default_targets_from_the_data_migrations(db):
    targets = {(t.from_milestone, t.to_milestone, t.priority): t.days for t in Target.objects.all()}
    assert targets == {
        ("referral_received", "triaged", "any"): 5,
        ("triaged", "first_contact", "urgent"): 14,
        ("triaged", "first_contact", "routine"): 28,
        ("first_contact", "care_plan_agreed", "any"): 14,
        ("treatment_started", "review_held", "any"): 84,
        ("review_held", "review_held", "any"): 365,
        ("referral_received", "treatment_started", "any"): 126,
        # clinical-rules.md section 11: urgent is 14 days from referral.
        ("referral_received", "first_contact", "urgent"): 14,
    }


def test_it_accepts_a_notification_for_a_staff_user_only(world):
    assert _notification(user=world.gp).pk is not None


def test_it_accepts_a_sent_notification_with_its_time(world):
    now = timezone.now()
    row = _notification(patient=world.patient, status="sent", sent_at=now, claimed_at=now)
    assert row.status == Notification.Status.SENT


def test_it_rejects_a_second_notification_with_the_same_idempotency_key(world):
    _notification(patient=world.patient, idempotency_key="referral-1-received")
    with pytest.raises(IntegrityError), transaction.atomic():
        _notification(patient=world.other_patient, idempotency_key="referral-1-received")


def test_it_accepts_an_icb_as_a_root_organisation(db):
    assert OrganisationFactory(kind="icb", parent=None).pk is not None


def test_it_accepts_practices_pcns_and_services_under_a_parent(world):
    for kind in ("pcn", "practice", "service"):
        assert OrganisationFactory(kind=kind, parent=world.pcn1).pk is not None


def test_it_gives_clinicians_a_discipline_and_everyone_else_none(db):
    assert UserFactory(role="clinician", discipline="pharmacist").discipline == "pharmacist"
    assert UserFactory(role="commissioner", discipline="").discipline == ""


def test_it_accepts_consecutive_attendance_periods_for_a_patient(world):
    _attendance(world, start=date(2025, 1, 1), end=date(2025, 6, 30))
    _attendance(world, start=date(2025, 7, 1), end=date(2025, 12, 31))
    assert GpAttendanceCount.objects.filter(patient=world.patient).count() == 2
