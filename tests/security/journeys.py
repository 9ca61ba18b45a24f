"""Shared steps for the security tests: one patient's record filled in through the pages, with
the same text typed into every free-text field on the way."""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from careplans.models import CarePlan, TreatmentTrial
from pathway import nhs_number
from pathway.models import Episode, Patient, User
from referrals.models import Referral
from reviews import rules as review_rules
from reviews.models import Appointment, GroupSession, MdtCase
from tests.factories import UserFactory
from tests.reviews import builders as review_builders

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _numbers():
    for stem in itertools.count(999_300_000):
        candidate = next(
            (f"{stem}{check}" for check in range(10) if nhs_number.is_valid(f"{stem}{check}")),
            None,
        )
        if candidate:
            yield candidate


_fresh = _numbers()


def fresh_nhs_number() -> str:
    """A valid NHS number from the never-issued 999 range, unused by tests.factories."""
    return next(_fresh)


def management(prefix, total=1, initial=0, maximum=1000) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": str(maximum),
    }


def as_user(client, user):
    client.force_login(user, backend=BACKEND)
    return client


@dataclass
class Filled:
    """What `fill_record` made, for the pages that show it."""

    patient: Patient
    patient_user: User
    referral: Referral
    self_referral: Referral | None
    plan: CarePlan
    trial: TreatmentTrial
    appointment: Appointment
    held: Appointment
    case: MdtCase
    session: GroupSession
    alert_uuid: str
    failures: list[str] = field(default_factory=list)


def _post(client, failures, label, url, data, ok=(302,)):
    response = client.post(url, data)
    if response.status_code not in ok:
        failures.append(f"{label}: {response.status_code}")
    return response


def fill_record(client, world, texts: list[str]) -> Filled:
    """Type `texts` into every free-text field a GP, clinician or patient can fill in: as many
    of them as the field's length limit allows, always at least the first."""
    failures: list[str] = []

    def fit(limit: int) -> str:
        chosen = texts[:1]
        for more in texts[1:]:
            if len(" ".join([*chosen, more])) > limit:
                break
            chosen.append(more)
        return " ".join(chosen)

    text = fit(10_000)
    today = timezone.localdate()
    gp = as_user(client, world.gp)
    number = fresh_nhs_number()
    _post(
        gp,
        failures,
        "patient create",
        reverse("pathway:patient-create"),
        {
            "nhs_number": number,
            "given_name": fit(100),
            "family_name": fit(100),
            "date_of_birth": "1980-02-03",
            "sex": "female",
            "registered_practice": str(world.practice_a.pk),
        },
    )
    patient = Patient.objects.get(nhs_number=number)
    patient_user = UserFactory(role="patient", full_name=fit(100))
    patient.user = patient_user
    patient.save(update_fields=["user"])
    _post(
        gp,
        failures,
        "referral",
        reverse("referrals:create"),
        {
            "referring_as": "gp",
            "nhs_number": number,
            "condition": "headache",
            "problem": text,
            "current_acute_medication": fit(1000),
            "mental_health_concerns": text,
            "patient_goals": text,
            "interpreter_language": fit(80),
            "accessibility_needs": fit(1000),
            "consent_to_contact": "on",
            "preferred_contact": "letter",
            "preventive-0-medicine": fit(120),
            "preventive-0-dose": fit(80),
            "preventive-0-stopped_reason": "not_tolerated",
            **management("preventive", 3, maximum=10),
        },
    )
    referral = Referral.objects.get(patient=patient)

    clinician = as_user(client, world.clinician)
    _post(
        clinician,
        failures,
        "triage",
        reverse("referrals:decide", kwargs={"referral_uuid": referral.uuid}),
        {"decision": "accept", "priority": "routine", "note": text, "advice_to_referrer": text},
    )
    episode = Episode.objects.filter(patient=patient).first()
    # A plan is agreed, and reviews follow, once the first conversation is held.
    review_builders.under_care(patient)
    _post(
        clinician,
        failures,
        "plan start",
        reverse("careplans:plan-start", kwargs={"patient_uuid": patient.uuid}),
        {"episode": str(episode.pk)},
    )
    plan = CarePlan.objects.get(patient=patient)
    draft = plan.versions.get(number=1)
    _post(
        clinician,
        failures,
        "draft edit",
        reverse("careplans:draft-edit", kwargs={"version_uuid": draft.uuid}),
        {
            "what_matters": fit(2000),
            "acute_plan": fit(2000),
            "wellbeing_notes": fit(2000),
            "change_summary": fit(2000),
            "next_review_on": (today + timedelta(days=30)).isoformat(),
            **management("goals"),
            "goals-0-description": fit(300),
            "goals-0-baseline": "3",
            "goals-0-target": "7",
            **management("selfcare"),
            "selfcare-0-category": "sleep",
            "selfcare-0-action": fit(300),
            "selfcare-0-owner": "patient",
            "selfcare-0-support": fit(300),
            **management("acute"),
            "acute-0-medication_class": "triptan",
            "acute-0-medicine": fit(200),
            **management("support"),
            "support-0-kind": "community",
            "support-0-description": fit(300),
            "support-0-contact": fit(200),
            **management("who"),
            "who-0-owner": "team",
            "who-0-person": fit(120),
            "who-0-action": fit(300),
        },
    )
    _post(
        clinician,
        failures,
        "agree",
        reverse("careplans:draft-agree", kwargs={"version_uuid": draft.uuid}),
        {"confirm": "on"},
    )
    _post(
        clinician,
        failures,
        "trial",
        reverse("careplans:trial-add", kwargs={"plan_uuid": plan.uuid}),
        {
            "medicine_code": "other",
            "medicine_name": fit(120),
            "role": "preventive",
            "dose": fit(200),
            "started_on": (today - timedelta(days=7)).isoformat(),
            "notes": fit(2000),
        },
    )
    trial = TreatmentTrial.objects.get(plan=plan)
    _post(
        clinician,
        failures,
        "reduction",
        reverse("careplans:reduction-add", kwargs={"trial_uuid": trial.uuid}),
        {"step": "reduced", "reduced_on": today.isoformat(), "dose": fit(200)},
    )

    _post(
        clinician,
        failures,
        "appointment",
        reverse("reviews:appointment-create", kwargs={"patient_uuid": patient.uuid}),
        {
            "kind": "follow_up",
            "episode": str(episode.pk),
            "start_date": (today + timedelta(days=3)).isoformat(),
            "start_time": "10:00",
            "modality": "in_person",
            "location": fit(200),
            "clinician": str(world.clinician.pk),
        },
    )
    appointment = Appointment.objects.get(patient=patient, status="booked")
    held = review_builders.appointment(
        patient, world.clinician, start=timezone.now() - timedelta(hours=1), episode=episode
    )
    _post(
        clinician,
        failures,
        "review",
        reverse("reviews:review", kwargs={"appointment_uuid": held.uuid}),
        {
            "summary": text,
            "what_matters": text,
            "changes_agreed": text,
            "mental_health_follow_up": "gp_follow_up",
            "mental_health_notes": text,
            "next_review_date": (today + timedelta(days=365)).isoformat(),
        },
    )
    _post(
        clinician,
        failures,
        "mdt",
        reverse("reviews:mdt-create", kwargs={"patient_uuid": patient.uuid}),
        {"question": text},
    )
    case = MdtCase.objects.get(patient=patient)
    _post(
        clinician,
        failures,
        "mdt discussion",
        reverse("reviews:mdt-case", kwargs={"case_uuid": case.uuid}),
        {"notes": text, "agreed_actions": text},
    )
    alert = review_builders.safety_alert(patient)
    _post(
        clinician,
        failures,
        "alert",
        reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}),
        # A sentence of its own first: an action taken needs a few words.
        {"action_taken": f"Called the patient today: {text}"},
    )
    _post(
        clinician,
        failures,
        "group session",
        reverse("reviews:group-session-create"),
        {
            "topic": fit(120),
            "description": text,
            "start_date": (today + timedelta(days=10)).isoformat(),
            "start_time": "14:00",
            "capacity": "8",
            "venue": fit(200),
            "facilitators": [str(world.clinician.pk)],
            "repeat": "1",
            "organisation": str(world.service.pk),
        },
    )
    session = GroupSession.objects.get(topic=fit(120).strip())
    _post(
        clinician,
        failures,
        "invite",
        reverse("reviews:group-session-invite", kwargs={"session_uuid": session.uuid}),
        {"patients": [str(patient.uuid)]},
    )

    own = as_user(client, patient_user)
    _post(
        own,
        failures,
        "diary",
        reverse("diaries:today"),
        {"headache": "no", "note": fit(2000), **management("episode", 0, maximum=10)},
    )
    _post(
        own,
        failures,
        "booking request",
        reverse("reviews:my-booking-request"),
        {"kind": "follow_up", "preferences": fit(500)},
    )
    _post(
        own,
        failures,
        "rearrange",
        reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": appointment.uuid}),
        {"reason": fit(500)},
    )
    cancelled = review_builders.appointment(
        patient, world.clinician, start=timezone.now() + timedelta(days=20)
    )
    _post(
        own,
        failures,
        "cancel",
        reverse("reviews:my-appointment-cancel", kwargs={"appointment_uuid": cancelled.uuid}),
        {"reason": fit(review_rules.PATIENT_CANCEL_REASON_MAX)},
    )
    psfs = review_builders.questionnaire_request(patient, instrument="PSFS")
    _post(
        own,
        failures,
        "psfs",
        reverse("reviews:my-questionnaire", kwargs={"request_uuid": psfs.uuid}),
        {"activity_1": fit(100), "rating_1": "4"},
    )

    client.logout()
    self_referral = None
    response = _post(
        client,
        failures,
        "self-referral",
        reverse("referrals:self-refer"),
        {
            "given_name": fit(100),
            "family_name": fit(100),
            "date_of_birth": "1985-06-01",
            "practice": str(world.practice_a.pk),
            "email": "robin@example.test",
            "preferred_contact": "email",
            "condition": "chronic_pain",
            "problem": text,
            "patient_goals": fit(2000),
            "interpreter_language": fit(80),
            "accessibility_needs": fit(1000),
            "consent_to_contact": "on",
        },
    )
    if response.status_code == 302:
        self_referral = Referral.objects.filter(source="self", patient__isnull=True).last()
    return Filled(
        patient=patient,
        patient_user=patient_user,
        referral=referral,
        self_referral=self_referral,
        plan=plan,
        trial=trial,
        appointment=appointment,
        held=held,
        case=case,
        session=session,
        alert_uuid=str(alert.uuid),
        failures=failures,
    )
