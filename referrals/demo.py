"""Demo referrals: one at each status for the demo patients, an urgent referral awaiting triage,
a self-referral waiting to be matched and an emergency stop.

Rows are written directly with past times (the services stamp "now"), keeping episodes and
milestones consistent with them. Idempotent: a patient who already has a referral gets no more,
and the self-referral and stop are found by their stated details.
"""

from datetime import date, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from pathway.demo import DemoContext, synthetic_nhs_numbers
from pathway.models import Episode, Milestone, Patient
from referrals import letters, rules, selectors
from referrals.models import EmergencyStop, PreventiveTried, Referral

# Patients of our own, from a part of the never-issued 999 range the kernel demo does not use.
DEMO_NHS_START = 999_050_000

# given, family, born, sex, practice, condition, status, urgency, flags, days ago received
OWN_PATIENTS = [
    (
        "Dana",
        "Hughes",
        date(1968, 2, 14),
        "female",
        "Y90001",
        "headache",
        "submitted",
        ["new_onset_headache"],
        1,
    ),
    ("Ellis", "Ward", date(1984, 7, 2), "male", "Y90002", "headache", "submitted", [], 7),
    ("Frankie", "Shaw", date(1979, 10, 9), "female", "Y90001", "chronic_pain", "rejected", [], 20),
    ("Glen", "Ross", date(1992, 5, 23), "male", "Y90002", "chronic_pain", "redirected", [], 16),
    ("Hollie", "Price", date(1995, 12, 1), "female", "Y90001", "headache", "accepted", [], 12),
    ("Isaac", "Reid", date(1961, 8, 30), "male", "Y90001", "headache", "closed", [], 40),
]

PROBLEMS = {
    "headache": "Headaches most days for a year, worse at work; painkillers no longer help.",
    "chronic_pain": "Pain all over for two years, poor sleep, struggling to keep working.",
}


def seed_demo(ctx: DemoContext) -> None:
    now = timezone.now()
    gp = ctx.users["gp"]
    nurse = ctx.users["clinician"]
    # The kernel's patients: a referral matching the stage their episode has reached.
    for patient in ctx.patients:
        episode = patient.episodes.order_by("opened_at").first()
        if episode is None or patient.referrals.exists():
            continue
        received = _milestone_time(episode, "referral_received") or episode.opened_at
        triaged = _milestone_time(episode, "triaged")
        _make_referral(
            patient=patient,
            episode=episode,
            condition=episode.condition,
            status="accepted" if triaged else "submitted",
            red_flags=[],
            received=received,
            decided=triaged,
            referrer=gp,
            decider=nurse,
        )
    numbers = synthetic_nhs_numbers(len(OWN_PATIENTS), start=DEMO_NHS_START)
    for row, number in zip(OWN_PATIENTS, numbers, strict=True):
        given, family, born, sex, ods, condition, status, flags, days_ago = row
        patient, _ = Patient.objects.get_or_create(
            nhs_number=number,
            defaults={
                "given_name": given,
                "family_name": family,
                "date_of_birth": born,
                "sex": sex,
                "registered_practice": ctx.organisations[ods],
                "email": f"{given.lower()}.{family.lower()}@example.com",
                "email_consent": True,
                "consent_recorded_at": now - timedelta(days=days_ago),
            },
        )
        if patient.referrals.exists():
            continue
        received = now - timedelta(days=days_ago, hours=3)
        # Only a decision triages: a referral closed without one has no triage time.
        decided = received + timedelta(days=3) if status in rules.DECIDED_STATUSES else None
        episode = _make_episode(patient, condition, status, received, decided, nurse)
        _make_referral(
            patient=patient,
            episode=episode,
            condition=condition,
            status=status,
            red_flags=flags,
            received=received,
            decided=decided,
            referrer=gp,
            decider=nurse,
        )
    _seed_self_referral(ctx, now)
    _seed_emergency_stop(ctx, gp)
    # The worker renders the decided referrals' letters once the demo is running.
    for referral_uuid in selectors.referrals_without_letter():
        transaction.on_commit(partial(letters.enqueue_triage_letter, referral_uuid))


def _milestone_time(episode: Episode, kind: str):
    milestone = episode.milestones.filter(kind=kind).first()
    return milestone.occurred_at if milestone else None


def _make_episode(patient, condition, status, received, decided, nurse) -> Episode:
    episode_status = {
        "submitted": "referred",
        "accepted": "active",
        "rejected": "discharged",
        "redirected": "discharged",
        "closed": "discharged",
    }[status]
    closed_at = None
    if episode_status == "discharged":
        closed_at = decided or received + timedelta(days=2)
    episode = Episode.objects.create(
        patient=patient,
        condition=condition,
        status=episode_status,
        priority="routine" if status == "accepted" else "",
        opened_at=received,
        closed_at=closed_at,
        responsible_clinician=nurse if status == "accepted" else None,
    )
    Milestone.objects.create(episode=episode, kind="referral_received", occurred_at=received)
    if decided:
        Milestone.objects.create(episode=episode, kind="triaged", occurred_at=decided)
    if closed_at:
        Milestone.objects.create(episode=episode, kind="discharged", occurred_at=closed_at)
    return episode


def _make_referral(
    *, patient, episode, condition, status, red_flags, received, decided, referrer, decider
) -> Referral:
    age = rules.age_in_years(patient.date_of_birth, received.date())
    fields = {
        "accepted": {"priority": "routine"},
        "rejected": {
            "rejection_reason": "insufficient_information",
            "advice_to_referrer": (
                "Please resend with the preventives tried and a 4-week pain diary."
            ),
        },
        "redirected": {
            "redirect_to": "msk_physiotherapy",
            "advice_to_referrer": "Knee pain is the main problem: MSK physiotherapy first.",
            "decision_note": "Referred on to the MSK physiotherapy service.",
        },
    }.get(status, {})
    decided_fields = {}
    if status in rules.DECIDED_STATUSES:
        decided_fields = {"decided_at": decided, "decided_by": decider}
    referral = Referral.objects.create(
        source="gp",
        condition=condition,
        patient=patient,
        episode=episode,
        referrer=referrer,
        red_flags=red_flags,
        urgency=rules.triage_urgency(age, red_flags),
        age_at_referral=age,
        problem=PROBLEMS[condition],
        patient_goals="To understand what is going on and get back to work.",
        current_acute_medication="Paracetamol and ibuprofen" if condition == "headache" else "",
        acute_medication_days_per_month=12 if condition == "headache" else None,
        consent_to_contact=True,
        preferred_contact="email",
        status=status,
        submitted_at=received,
        closed_at=received + timedelta(days=2) if status == "closed" else None,
        created_by=referrer,
        updated_by=referrer,
        **fields,
        **decided_fields,
    )
    if condition == "headache":
        PreventiveTried.objects.create(
            referral=referral,
            medicine="Propranolol",
            dose="80 mg daily",
            duration_weeks=12,
            stopped_reason="ineffective",
        )
    return referral


def _seed_self_referral(ctx: DemoContext, now) -> None:
    if Referral.objects.filter(source="self", stated_family_name="Quinn").exists():
        return
    received = now - timedelta(days=2)
    born = date(1988, 9, 17)
    Referral.objects.create(
        source="self",
        condition="chronic_pain",
        stated_given_name="Harper",
        stated_family_name="Quinn",
        stated_date_of_birth=born,
        stated_practice=ctx.organisations["Y90002"],
        stated_email="harper.quinn@example.com",
        red_flags=[],
        urgency=rules.ROUTINE,
        age_at_referral=rules.age_in_years(born, received.date()),
        problem="My back and shoulders have hurt for over a year and I can't sleep.",
        patient_goals="Help to sleep and to stay at work.",
        consent_to_contact=True,
        preferred_contact="email",
        submitted_at=received,
    )


def _seed_emergency_stop(ctx: DemoContext, gp) -> None:
    if EmergencyStop.objects.filter(created_by=gp).exists():
        return
    flags = ["thunderclap_onset"]
    EmergencyStop.objects.create(
        source="gp",
        condition="headache",
        patient=ctx.patients[1] if len(ctx.patients) > 1 else None,
        red_flags=flags,
        advice=rules.emergency_advice(flags),
        created_by=gp,
        updated_by=gp,
    )
