"""Demo care plans (manage.py seed_demo). Idempotent: a patient whose episode already has a plan
is left alone.

Alex Morgan (headache): agreed version 1 and a draft version 2, three preventive trials
(propranolol did not work, amitriptyline not tolerated, topiramate ongoing and past its review
date) and leaflets. Taylor Brown (chronic pain): an agreed plan with tramadol being reduced.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from careplans import services
from careplans.models import CarePlan, CarePlanVersion, Leaflet, TreatmentTrial
from careplans.services import ItemChange


def seed(ctx) -> None:
    clinician = ctx.users["clinician"]
    alex, taylor = ctx.patients[0], ctx.patients[3]
    _seed_alex(alex, clinician)
    _seed_taylor(taylor, ctx.users.get("pharmacist", clinician))


def _episode(patient, condition):
    return patient.episodes.open().filter(condition=condition).first()


def _items(rows):
    return [ItemChange(pk=None, data=row) for row in rows]


def _backdate_agreement(version: CarePlanVersion, days_ago: int) -> None:
    CarePlanVersion.objects.filter(pk=version.pk).update(
        agreed_at=timezone.now() - timedelta(days=days_ago)
    )


def _seed_alex(patient, clinician) -> None:
    episode = _episode(patient, "headache")
    if episode is None or CarePlan.objects.filter(episode=episode).exists():
        return
    today = timezone.localdate()
    plan = services.start_plan(actor=clinician, patient=patient, episode=episode)
    v1 = plan.versions.get(number=1)
    services.update_draft(
        actor=clinician,
        version=v1,
        fields={
            "what_matters": "Getting through a full week at work without calling in sick, and "
            "being well enough to take my daughter swimming at the weekend.",
            "acute_plan": "Take sumatriptan with ibuprofen as soon as a migraine starts. Rest in "
            "a dark room if I can.",
            "wellbeing_notes": "Worry about letting people down at work makes the headaches worse.",
            "next_review_on": today + timedelta(days=14),
        },
        items={
            "goals": _items(
                [
                    {"description": "Work a full week", "baseline": 3, "target": 8},
                    {
                        "description": "Swim with my daughter on Saturdays",
                        "baseline": 2,
                        "target": 7,
                    },
                ]
            ),
            "self_management": _items(
                [
                    {
                        "category": "sleep",
                        "action": "Go to bed by 11pm, also at weekends",
                        "owner": "patient",
                        "support": "",
                    },
                    {
                        "category": "hydration",
                        "action": "Drink a bottle of water by lunchtime",
                        "owner": "patient",
                        "support": "",
                    },
                    {
                        "category": "triggers",
                        "action": "Keep the diary every evening",
                        "owner": "together",
                        "support": "Nurse reviews it at each appointment",
                    },
                ]
            ),
            "acute_treatments": _items(
                [
                    {"medication_class": "triptan", "medicine": "Sumatriptan 50 mg"},
                    {"medication_class": "simple_analgesic", "medicine": "Ibuprofen 400 mg"},
                ]
            ),
            "support_items": _items(
                [
                    {
                        "kind": "group_session",
                        "description": "Monthly online migraine group",
                        "contact": "Booked through the service",
                    },
                    {
                        "kind": "mental_health",
                        "description": "NHS Talking Therapies",
                        "contact": "Self-referral online",
                    },
                ]
            ),
            "responsibilities": _items(
                [
                    {
                        "owner": "patient",
                        "person": "Alex",
                        "action": "Keep the headache diary",
                        "due_on": None,
                    },
                    {
                        "owner": "team",
                        "person": "Sam Taylor, nurse",
                        "action": "Review the diary and treatment",
                        "due_on": None,
                    },
                ]
            ),
        },
    )
    services.agree_version(actor=clinician, version=v1)
    _backdate_agreement(v1, 92)
    # The GP tried propranolol and amitriptyline before the referral (120 days ago in the kernel
    # demo), so they are medicines Alex already took; topiramate is the pathway's first
    # treatment, started just after the plan was agreed (the kernel's treatment_started stage).
    trials = [
        ("propranolol", "80 mg twice a day", 300, "ineffective", Decimal(9), Decimal(5)),
        ("amitriptyline", "10 mg at night, raised to 25 mg", 200, "not_tolerated", None, None),
        ("topiramate", "50 mg twice a day", 90, "ongoing", Decimal(10), Decimal(6)),
    ]
    for code, dose, days_ago, outcome, headache, migraine in trials:
        trial = services.add_trial(
            actor=clinician,
            plan=plan,
            data={
                "medicine_code": code,
                "role": "preventive",
                "dose": dose,
                "started_on": today - timedelta(days=days_ago),
                "already_taking": code != "topiramate",
                "baseline_headache_days": headache,
                "baseline_migraine_days": migraine,
            },
        )
        if outcome != "ongoing":
            services.review_trial(
                actor=clinician,
                trial=trial,
                data={"outcome": outcome, "adequate_trial": True},
            )
    v2 = services.start_new_version(actor=clinician, plan=plan)
    services.update_draft(
        actor=clinician,
        version=v2,
        fields={
            "change_summary": "Topiramate review: fewer migraine days, tingling fingers.",
            "next_review_on": today + timedelta(days=28),
        },
    )
    for slug in ("understanding-migraine", "topiramate", "medication-overuse-headache"):
        leaflet = Leaflet.objects.filter(slug=slug).first()
        if leaflet:
            services.attach_leaflet(actor=clinician, plan=plan, leaflet=leaflet)


def _seed_taylor(patient, clinician) -> None:
    episode = _episode(patient, "chronic_pain")
    if episode is None or CarePlan.objects.filter(episode=episode).exists():
        return
    today = timezone.localdate()
    plan = services.start_plan(actor=clinician, patient=patient, episode=episode)
    v1 = plan.versions.get(number=1)
    services.update_draft(
        actor=clinician,
        version=v1,
        fields={
            "what_matters": "Gardening again and feeling less foggy from the tablets.",
            "wellbeing_notes": "Low mood on bad pain days.",
            "next_review_on": today + timedelta(days=21),
        },
        items={
            "goals": _items(
                [{"description": "Garden for 30 minutes", "baseline": 2, "target": 6, "current": 4}]
            ),
            "self_management": _items(
                [
                    {
                        "category": "pacing",
                        "action": "Garden in 10-minute blocks with breaks",
                        "owner": "patient",
                        "support": "Physio set the plan",
                    }
                ]
            ),
            "support_items": _items(
                [
                    {
                        "kind": "walking_group",
                        "description": "Tuesday walking group",
                        "contact": "Social prescriber",
                    }
                ]
            ),
        },
    )
    services.agree_version(actor=clinician, version=v1)
    _backdate_agreement(v1, 60)
    tramadol = services.add_trial(
        actor=clinician,
        plan=plan,
        data={
            "medicine_code": "tramadol",
            "role": "pain",
            "dose": "100 mg four times a day",
            "started_on": today - timedelta(days=400),
            "review_due": today + timedelta(days=30),
            "already_taking": True,
            "daily_morphine_equivalent_mg": Decimal(40),
        },
    )
    for weeks_ago, dose, mme in (
        (6, "100 mg three times a day", Decimal(30)),
        (2, "50 mg four times a day", Decimal(20)),
    ):
        services.record_reduction(
            actor=clinician,
            trial=tramadol,
            data={
                "step": "reduced",
                "reduced_on": today - timedelta(weeks=weeks_ago),
                "dose": dose,
                "daily_morphine_equivalent_mg": mme,
            },
        )
    TreatmentTrial.objects.filter(pk=tramadol.pk).update(review_decision="reduce")
    leaflet = Leaflet.objects.filter(slug="reducing-opioids-and-gabapentinoids").first()
    if leaflet:
        services.attach_leaflet(actor=clinician, plan=plan, leaflet=leaflet)
