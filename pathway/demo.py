"""Demo data for the kernel: organisations, one login per role, patients at every stage.

Idempotent: every row is found by a natural key (ODS code, email, NHS number) before it is made.
Feature apps add their own demo rows through an AppConfig `seed_demo(context)` hook.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from pathway import nhs_number
from pathway.models import Episode, Membership, Milestone, Organisation, Patient, User

DEMO_PASSWORD = "demo-pathway-2026"


@dataclass
class DemoContext:
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    patients: list[Patient] = field(default_factory=list)


def synthetic_nhs_numbers(count: int, start: int = 999_000_000):
    """Valid NHS numbers from the never-issued 999 range (clinical-rules.md section 11)."""
    stem = start
    found = 0
    while found < count:
        for check in range(10):
            candidate = f"{stem}{check}"
            if nhs_number.is_valid(candidate):
                yield candidate
                found += 1
                break
        stem += 1


ORGANISATIONS = [
    ("icb", "QDM", "NHS Demo Integrated Care Board", None),
    ("pcn", "U00001", "Riverside Primary Care Network", "QDM"),
    ("pcn", "U00002", "Northgate Primary Care Network", "QDM"),
    ("practice", "Y90001", "Riverside Medical Centre", "U00001"),
    ("practice", "Y90002", "Hillview Surgery", "U00001"),
    ("practice", "Y90003", "Northgate Practice", "U00002"),
    ("service", "S90001", "Riverside Headache and Pain Service", "U00001"),
]

# The care service's contact details for its patients (Ofcom's drama number range).
SERVICE_CONTACT = {
    "S90001": {
        "phone": "01632 960000",
        "email": "riverside.headache@demo.nhs.uk",
        "contact_hours": "Monday to Friday, 9am to 5pm",
    }
}

USERS = [
    # key, email, name, role, discipline, memberships
    ("patient", "patient@demo.nhs.uk", "Alex Morgan", "patient", "", []),
    ("pain_patient", "pain@demo.nhs.uk", "Morgan Evans", "patient", "", []),
    ("gp", "gp@demo.nhs.uk", "Dr Priya Shah", "gp", "", ["Y90001"]),
    ("clinician", "nurse@demo.nhs.uk", "Sam Taylor", "clinician", "nurse", ["S90001"]),
    ("physio", "physio@demo.nhs.uk", "Jordan Lee", "clinician", "physiotherapist", ["S90001"]),
    ("pharmacist", "pharmacist@demo.nhs.uk", "Chris Patel", "clinician", "pharmacist", ["S90001"]),
    ("commissioner", "commissioner@demo.nhs.uk", "Robin Hughes", "commissioner", "", ["QDM"]),
    ("admin", "admin@demo.nhs.uk", "Demo Administrator", "admin", "", []),
]

# given, family, date of birth, sex, practice, condition, stage (milestones reached)
PATIENTS = [
    ("Alex", "Morgan", date(1986, 4, 12), "female", "Y90001", "headache", "care_plan_agreed"),
    ("Jamie", "Clarke", date(1972, 9, 3), "male", "Y90001", "headache", "triaged"),
    ("Morgan", "Evans", date(1990, 1, 27), "female", "Y90002", "chronic_pain", "first_contact"),
    ("Taylor", "Brown", date(1965, 6, 18), "female", "Y90002", "chronic_pain", "review_held"),
    ("Casey", "Wilson", date(2001, 11, 5), "male", "Y90001", "headache", "referral_received"),
    ("Riley", "Green", date(1958, 3, 30), "female", "Y90003", "headache", "treatment_started"),
]

# The patients who sign in to the portal: a headache patient and a chronic-pain patient.
PORTAL_USERS = {("Alex", "Morgan"): "patient", ("Morgan", "Evans"): "pain_patient"}

STAGE_ORDER = [
    ("referral_received", 120),
    ("triaged", 116),
    ("first_contact", 100),
    ("care_plan_agreed", 92),
    ("treatment_started", 90),
    ("review_held", 5),
]


def seed_kernel() -> DemoContext:
    ctx = DemoContext()
    for kind, ods, name, parent in ORGANISATIONS:
        org, _ = Organisation.objects.get_or_create(
            ods_code=ods,
            defaults={
                "kind": kind,
                "name": name,
                "parent": ctx.organisations.get(parent),
                **SERVICE_CONTACT.get(ods, {}),
            },
        )
        ctx.organisations[ods] = org

    for key, email, name, role, discipline, orgs in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            extra = {"is_staff": True, "is_superuser": True} if role == "admin" else {}
            user = User.objects.create_user(
                email, DEMO_PASSWORD, full_name=name, role=role, discipline=discipline, **extra
            )
        for ods in orgs:
            Membership.objects.get_or_create(user=user, organisation=ctx.organisations[ods])
        ctx.users[key] = user

    now = timezone.now()
    numbers = synthetic_nhs_numbers(len(PATIENTS))
    for (given, family, dob, sex, ods, condition, stage), number in zip(
        PATIENTS, numbers, strict=True
    ):
        patient, created = Patient.objects.get_or_create(
            nhs_number=number,
            defaults={
                "given_name": given,
                "family_name": family,
                "date_of_birth": dob,
                "sex": sex,
                "registered_practice": ctx.organisations[ods],
                "mobile": "+447700900" + number[-3:],
                "email": f"{given.lower()}.{family.lower()}@example.com",
                "sms_consent": True,
                "email_consent": True,
                "consent_recorded_at": now - timedelta(days=120),
            },
        )
        login = PORTAL_USERS.get((given, family))
        if login and patient.user_id is None:
            patient.user = ctx.users[login]
            patient.save(update_fields=["user"])
        if created:
            _seed_episode(patient, condition, stage, now, ctx.users["clinician"])
        ctx.patients.append(patient)
    return ctx


def _seed_episode(patient, condition, stage, now, clinician) -> None:
    reached = [kind for kind, _ in STAGE_ORDER[: [k for k, _ in STAGE_ORDER].index(stage) + 1]]
    episode = Episode.objects.create(
        patient=patient,
        condition=condition,
        status="active" if "triaged" in reached else "referred",
        priority="routine" if "triaged" in reached else "",
        opened_at=now - timedelta(days=120),
        responsible_clinician=clinician if "triaged" in reached else None,
    )
    for kind, days_ago in STAGE_ORDER:
        if kind in reached:
            Milestone.objects.create(
                episode=episode, kind=kind, occurred_at=now - timedelta(days=days_ago)
            )
