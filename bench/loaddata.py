"""The benchmark data set of DESIGN.md section 9, written fast (COPY on PostgreSQL).

`load(patients=N, days=D)` builds, for N patients spread over the demo ICB's organisation tree:

* patients aged 18 to 85 (about 60% headache, 40% chronic pain), 92% with a portal account;
* about two referrals each across the last 400 days (GP, partner and self-referrals; submitted,
  accepted, rejected, redirected and closed), each with its episode and the milestones its
  history implies (received, triaged, first contact, care plan agreed, treatment started,
  reviews held, annual review due, discharged), and why the care team discharged it;
* appointments (first conversations, follow-ups, medication and annual reviews; attended, did not
  attend, cancelled and booked; video, phone and in person; never double-booking a clinician)
  with a review outcome for each attended review;
* questionnaires at baseline and follow-up (HIT-6 and MIDAS, or PSEQ and MSK-HQ, with PHQ-9 and
  GAD-7 for some), scored by `pathway.instruments`, outstanding requests and PHQ-9 safety alerts;
* care plans with agreed versions and treatment trials (some past their review date);
* a diary for the last D days for each diary user, from their first referral if that is later
  (about 30% headache days, migraine features, doses that make some patients overuse triptans,
  painkillers or opioids, pain scores and sites for chronic pain; for most patients headache days
  and pain ease after first contact), so 10,000 patients and D=140 give about 930,000 diary
  entries;
* group sessions and bookings, MDT cases and GP attendance counts for the dashboard.

Everything is derived from `seed` (the same arguments give the same rows, relative to today) and
is checked by the database's own constraints as it is written. The load runs in one transaction
and records itself in the table `bench_load_state`, so running it again at the same size is a
no-op; `reset()` empties the benchmark database first (catalogues such as medicines, leaflets and
targets are kept).

This module belongs to the benchmarks, not to an app: it may import every app.
"""

from __future__ import annotations

import json
import math
import random
import time as clock
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from bench.sinks import Sink, Sinks, decimal
from careplans import rules as careplan_rules
from careplans.models import CarePlan, CarePlanVersion, TreatmentTrial
from diaries import rules as diary_rules
from diaries.models import (
    CLASS_FIELDS,
    MIGRAINE_FEATURES,
    TRIGGER_FIELDS,
    BodySite,
    DiaryEntry,
    HeadacheEpisode,
    MedicationDose,
    Medicine,
)
from pathway import instruments
from pathway.demo import DEMO_PASSWORD, ORGANISATIONS, synthetic_nhs_numbers
from pathway.models import (
    Assessment,
    AttendanceImport,
    Episode,
    GpAttendanceCount,
    Membership,
    Milestone,
    Organisation,
    Patient,
    User,
)
from referrals import rules as referral_rules
from referrals.models import PreventiveTried, Referral
from reviews.models import (
    Appointment,
    Discharge,
    GroupBooking,
    GroupSession,
    MdtCase,
    QuestionnaireRequest,
    Review,
    SafetyAlert,
)

LONDON = ZoneInfo("Europe/London")
# Why the care team discharges, in shares. No deaths: a death is recorded on the patient too.
DISCHARGE_REASONS = {
    "goals_met": 50,
    "patient_choice": 15,
    "not_engaged": 20,
    "referred_on": 8,
    "moved_away": 5,
    "other": 2,
}
STATE_TABLE = "bench_load_state"
# The pathway history (referrals, appointments, reviews) covers this many days before today,
# whatever the diary length: the dashboard reports on a financial year.
HISTORY_DAYS = 400
# Headache days and pain ease over this many days after first contact, for most patients (_easing).
EASING_DAYS = 120
# Load patients take NHS numbers from their own part of the never-issued 999 range.
LOAD_NHS_START = 999_300_000
# NHS numbers starting 999 are kept for testing: every demo and load patient has one.
TEST_NHS_PREFIX = "999"
LOAD_NHS_END = 999_400_000
# Unmatched self-referrers state NHS numbers from yet another part of it.
SELF_REFERRER_NHS_START = 999_450_000
EMAIL_DOMAIN = "load.invalid"
DEFAULT_SEED = 20251
# Models whose rows are catalogues (seeded by migrations), kept by reset().
KEEP_ON_RESET = {
    "diaries.medicine",
    "careplans.leaflet",
    "pathway.target",
    "contenttypes.contenttype",
    "auth.permission",
    "auth.group",
    "auth.group_permissions",
}

# The organisation tree: the demo ICB, PCNs and practices (pathway.demo.ORGANISATIONS) plus more
# PCNs and practices, so that a clinician sees one PCN of about a sixth of the patients and the
# commissioner sees them all. Every PCN hosts a care service.
EXTRA_PCNS = [
    ("U10003", "Eastbrook Primary Care Network"),
    ("U10004", "Westfield Primary Care Network"),
    ("U10005", "Southmoor Primary Care Network"),
    ("U10006", "Lakeside Primary Care Network"),
]
PRACTICES_PER_PCN = 4
PLACE_NAMES = [
    "Abbey", "Beacon", "Castle", "Dale", "Elm", "Ferry", "Grange", "Harbour", "Ivy", "Kings",
    "Lime", "Market", "Mill", "Oak", "Park", "Quay", "Rose", "Station", "Tower", "Vale",
    "Willow", "Yew", "Bridge", "Church",
]  # fmt: skip
CLINICIAN_DISCIPLINES = ["nurse", "physiotherapist", "pharmacist", "psychologist", "coach"]

GIVEN = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Grace", "Sophia", "Freya",
    "Emily", "Ella", "Poppy", "Evie", "Sienna", "Ruby", "Daisy", "Alice", "Aisha", "Zara",
    "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Jack", "Henry",
    "Charlie", "Thomas", "Jacob", "Alfie", "Freddie", "Theo", "Ravi", "Kwame", "Tomasz", "Sam",
]  # fmt: skip
FAMILY = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Lewis", "Harris", "Martin", "Cooper", "King", "Lee",
    "Baker", "Hill", "Morris", "Ward", "Turner", "Nowak", "Okafor", "Begum", "Hussain", "Kaur",
    "Murphy", "Campbell",
]  # fmt: skip

PROBLEMS = {
    "headache": [
        "Headaches most days for a year, worse at work; painkillers no longer help.",
        "Migraines twice a week with vomiting; missing shifts.",
        "Daily headache since the spring, taking tablets most days.",
    ],
    "chronic_pain": [
        "Pain all over for two years, poor sleep, struggling to keep working.",
        "Low back pain for three years despite physiotherapy; on codeine most days.",
        "Neck and shoulder pain after an injury, not settling, low mood.",
    ],
}
REVIEW_SUMMARIES = [
    "Discussed diary and goals; plan unchanged.",
    "Fewer bad days since the last review; continue as agreed.",
    "Still struggling with sleep; agreed a sleep routine and pacing.",
    "Reviewed painkiller days; agreed to cut down over four weeks.",
]
SITES = ["neck", "shoulders", "upper_back", "lower_back", "hips", "knees", "widespread", "arms"]
SEVERITIES = ["mild", "moderate", "severe"]
DURATIONS = ["under_1h", "1_to_4h", "4_to_12h", "12_to_24h", "1_to_3d"]
# Symptom sets of an episode: migraine-like ones first, then tension-type ones.
MIGRAINE_PROFILES = [
    frozenset({"unilateral", "pulsating", "worse_with_activity", "nausea_or_vomiting",
               "photophobia", "phonophobia"}),
    frozenset({"unilateral", "pulsating", "nausea_or_vomiting", "photophobia"}),
    frozenset({"pulsating", "worse_with_activity", "photophobia", "phonophobia"}),
    frozenset({"unilateral", "worse_with_activity", "nausea_or_vomiting"}),
]  # fmt: skip
TENSION_PROFILES = [
    frozenset(),
    frozenset({"worse_with_activity"}),
    frozenset({"photophobia"}),
    frozenset({"unilateral"}),
]
FEATURES = MIGRAINE_FEATURES
TRIGGERS = list(TRIGGER_FIELDS)
ACTIVITY = ["as_usual", "less", "very_little"]
WORK_IMPACT = ["none", "reduced", "missed", "not_applicable"]


def _waiting(rng, *, most_days: int) -> timedelta:
    """How long a referral still waiting for triage has waited: most arrived in the last day
    or two, as a service meeting its triage target mostly has, a few a week or more (at most
    `most_days`), and at least half an hour."""
    days = min(rng.lognormvariate(math.log(1.2), 0.9), most_days)
    return max(timedelta(days=days), timedelta(minutes=30))


def _easing(person):
    """How much of the patient's usual headache days and pain a diary day has: all of it until
    their first contact with the service; then, for most patients, less over the next
    EASING_DAYS, down to a fraction of their own (care helps most people, not everyone)."""
    rng = person.rng
    settle = rng.uniform(0.45, 0.8) if rng.random() < 0.7 else rng.uniform(0.9, 1.1)
    contact = person.first_contact.astimezone(LONDON).date() if person.first_contact else None

    def eased(day: date) -> float:
        if contact is None or day <= contact:
            return 1.0
        return 1 - (1 - settle) * min(1.0, (day - contact).days / EASING_DAYS)

    return eased


def _weighted(rng: random.Random, options: dict):
    return rng.choices(list(options), weights=list(options.values()))[0]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# State -----------------------------------------------------------------------------------------


def _ensure_state_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (name varchar(20) PRIMARY KEY, "
            "patients integer NOT NULL, days integer NOT NULL, seed integer NOT NULL, "
            "loaded_on varchar(10) NOT NULL, seconds real NOT NULL, counts text NOT NULL)"
        )


def loaded_state() -> dict | None:
    """What the last load recorded (patients, days, seed, loaded_on, seconds, counts), or None."""
    _ensure_state_table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT patients, days, seed, loaded_on, seconds, counts FROM {STATE_TABLE} "  # noqa: S608
            "WHERE name = 'load'"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    patients, days, seed, loaded_on, seconds, counts = row
    return {
        "patients": patients,
        "days": days,
        "seed": seed,
        "loaded_on": loaded_on,
        "seconds": seconds,
        "counts": json.loads(counts),
    }


def _save_state(*, patients: int, days: int, seed: int, seconds: float, counts: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STATE_TABLE} WHERE name = 'load'")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {STATE_TABLE} (name, patients, days, seed, loaded_on, seconds, counts) "  # noqa: S608
            "VALUES ('load', %s, %s, %s, %s, %s, %s)",
            [patients, days, seed, timezone.localdate().isoformat(), seconds, json.dumps(counts)],
        )


def foreign_patients() -> int:
    """Patients that the load did not make (a demo or real database, not a benchmark one)."""
    low, high = str(LOAD_NHS_START * 10), str(LOAD_NHS_END * 10)
    return Patient.objects.exclude(nhs_number__gte=low, nhs_number__lt=high).count()


def _deletion_order() -> list:
    """Every model whose rows reset() removes, children before the rows they point to."""
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.label_lower not in KEEP_ON_RESET and not m._meta.proxy and m._meta.managed
    ]
    included = set(models)
    parents = {
        m: {
            f.related_model
            for f in m._meta.concrete_fields
            if f.is_relation and f.related_model in included and f.related_model is not m
        }
        for m in models
    }
    ordered, done = [], set()

    def visit(model, path=()):
        if model in done:
            return
        if model in path:
            raise RuntimeError(f"foreign-key cycle through {model._meta.label}")
        for child in (m for m in models if model in parents[m]):
            visit(child, (*path, model))
        done.add(model)
        ordered.append(model)

    for model in models:
        visit(model)
    return ordered


def reset() -> None:
    """Empty the benchmark database: every row but the catalogues. Refuses a database holding
    patients the load did not make, so a demo or real database is never emptied by mistake."""
    stray = foreign_patients()
    if stray:
        raise RuntimeError(
            f"The database holds {stray} patients that seed_load did not make: refusing to reset "
            "it. Use a database of its own for benchmarks."
        )
    _ensure_state_table()
    order = _deletion_order()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(f'"{m._meta.db_table}"' for m in order)
            cursor.execute(f"TRUNCATE {tables}")
        else:
            for model in order:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')  # noqa: S608
        cursor.execute(f"DELETE FROM {STATE_TABLE}")  # noqa: S608


# The organisation tree and staff ---------------------------------------------------------------


@dataclass
class Tree:
    icb: Organisation
    pcns: list[Organisation]
    practices: list[Organisation]
    practice_weights: list[float]
    gps: dict[int, list[int]] = field(default_factory=dict)  # practice id -> GP user ids
    clinicians: dict[int, list[int]] = field(default_factory=dict)  # PCN id -> clinician ids
    services: dict[int, Organisation] = field(default_factory=dict)  # PCN id -> service
    commissioner: int = 0


def _organisations(rng: random.Random, *, beside_demo: bool = False) -> Tree:
    """The organisation tree the load fills: the demo's ICB with its PCNs and the extra ones;
    beside the demo, the extra PCNs only, so the demo's own practices and care team keep the
    demo's patients alone."""
    by_code: dict[str, Organisation] = {}
    for kind, ods, name, parent in ORGANISATIONS:
        by_code[ods], _ = Organisation.objects.get_or_create(
            ods_code=ods, defaults={"kind": kind, "name": name, "parent": by_code.get(parent)}
        )
    icb = next(o for o in by_code.values() if o.kind == "icb")
    for ods, name in EXTRA_PCNS:
        by_code[ods], _ = Organisation.objects.get_or_create(
            ods_code=ods, defaults={"kind": "pcn", "name": name, "parent": icb}
        )
    pcns = sorted((o for o in by_code.values() if o.kind == "pcn"), key=lambda o: o.ods_code)
    if beside_demo:
        extra = {ods for ods, _ in EXTRA_PCNS}
        pcns = [pcn for pcn in pcns if pcn.ods_code in extra]
    places = iter(PLACE_NAMES)
    tree = Tree(icb=icb, pcns=pcns, practices=[], practice_weights=[])
    for number, pcn in enumerate(pcns, start=1):
        existing = list(Organisation.objects.filter(parent=pcn, kind="practice"))
        for extra in range(PRACTICES_PER_PCN - len(existing)):
            ods = f"Y91{number}{extra:02d}"
            practice, _ = Organisation.objects.get_or_create(
                ods_code=ods,
                defaults={"kind": "practice", "name": f"{next(places)} Surgery", "parent": pcn},
            )
            existing.append(practice)
        tree.practices += sorted(existing, key=lambda o: o.ods_code)
        service = Organisation.objects.filter(parent=pcn, kind="service").first()
        if service is None:
            service = Organisation.objects.create(
                kind="service",
                ods_code=f"S91{number:03d}",
                name=f"{pcn.name.replace(' Primary Care Network', '')} Headache and Pain Service",
                parent=pcn,
            )
        tree.services[pcn.pk] = service
    # Practice list sizes differ (a small village surgery next to a large town practice).
    tree.practice_weights = [rng.uniform(0.5, 1.5) for _ in tree.practices]
    return tree


def _staff(tree: Tree, users: Sink, rng: random.Random, now: datetime, password: str) -> None:
    """GPs for every practice, five clinicians for every service, one commissioner."""
    memberships: list[tuple[int, int]] = []

    def user(email, name, role, discipline="") -> int:
        pk = users.new_id()
        users.add(
            (pk, password, None, False, _uuid(rng), email, name, role, discipline, True, False,
             now - timedelta(days=HISTORY_DAYS + 30), f"{rng.getrandbits(128):032x}")
        )  # fmt: skip
        return pk

    for practice in tree.practices:
        tree.gps[practice.pk] = []
        for n in range(rng.choice([1, 2, 2, 3])):
            pk = user(
                f"gp{n + 1}.{practice.ods_code.lower()}@{EMAIL_DOMAIN}",
                f"Dr {rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "gp",
            )
            tree.gps[practice.pk].append(pk)
            memberships.append((pk, practice.pk))
    for pcn in tree.pcns:
        service = tree.services[pcn.pk]
        tree.clinicians[pcn.pk] = []
        for discipline in CLINICIAN_DISCIPLINES:
            pk = user(
                f"{discipline}.{service.ods_code.lower()}@{EMAIL_DOMAIN}",
                f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "clinician",
                discipline,
            )
            tree.clinicians[pcn.pk].append(pk)
            memberships.append((pk, service.pk))
    tree.commissioner = user(f"commissioner@{EMAIL_DOMAIN}", "Load Commissioner", "commissioner")
    memberships.append((tree.commissioner, tree.icb.pk))
    users.flush()
    Membership.objects.bulk_create(
        [Membership(user_id=u, organisation_id=o) for u, o in memberships], batch_size=500
    )


# Per-patient generation ------------------------------------------------------------------------


@dataclass
class Care:
    """What happened in one accepted episode, for the rows that depend on it."""

    first_contact: datetime | None = None
    plan_agreed: datetime | None = None
    treatment_started: datetime | None = None
    first_due: datetime | None = None
    # (held, next annual review due) for every review after the first contact.
    reviews: list[tuple[datetime, datetime]] = field(default_factory=list)


class Loader:
    def __init__(self, *, patients: int, days: int, seed: int, log=None, beside_demo=False):
        self.patient_count = patients
        self.days = days
        self.seed = seed
        self.beside_demo = beside_demo
        self.log = log or (lambda message: None)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.busy: dict[tuple[int, date], set[int]] = {}
        self.migraine_cache: dict[tuple, bool] = {}
        self.sinks = Sinks()

    def sink(self, model, fields: list[str]) -> Sink:
        return self.sinks.declare(model, fields)

    # Set-up ------------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        rng = random.Random(self.seed)
        self.tree = _organisations(rng, beside_demo=self.beside_demo)
        self._declare_sinks()
        # Every load account signs in with the demo password (one hash: hashing is slow).
        self.password = make_password(DEMO_PASSWORD)
        _staff(self.tree, self.users, rng, self.now, self.password)
        self.medicines = {m.code: m for m in Medicine.objects.all()}
        if "sumatriptan" not in self.medicines:
            from diaries.demo import ensure_catalogue

            ensure_catalogue()
            self.medicines = {m.code: m for m in Medicine.objects.all()}
        self.attendance_import = AttendanceImport.objects.create(
            imported_by_id=self.tree.commissioner, filename="load-gp-attendance.csv", row_count=0
        )
        self._group_sessions(rng)
        numbers = synthetic_nhs_numbers(self.patient_count, start=LOAD_NHS_START)
        started = clock.monotonic()
        self.sinks.start()  # from here on the connection belongs to the COPY writer
        for index, number in enumerate(numbers):
            self._patient(index, number)
            self.sinks.maybe_flush()
            if (index + 1) % 1000 == 0:
                self.log(
                    f"  {index + 1:,} patients, {self.entries.written + len(self.entries.rows):,} "
                    f"diary entries ({clock.monotonic() - started:.0f} s)"
                )
        self._unmatched_self_referrals(rng)
        self._flush_group_bookings()
        counts = self.sinks.finish()
        AttendanceImport.objects.filter(pk=self.attendance_import.pk).update(
            row_count=counts["pathway.GpAttendanceCount"]
        )
        return counts

    def _declare_sinks(self) -> None:
        clinical = ["id", "created_at", "updated_at", "uuid", "created_by_id", "updated_by_id"]
        stamped = ["id", "created_at", "updated_at"]
        self.users = self.sink(
            User,
            ["id", "password", "last_login", "is_superuser", "uuid", "email", "full_name", "role",
             "discipline", "is_active", "is_staff", "date_joined", "session_salt"],
        )  # fmt: skip
        self.patients = self.sink(
            Patient,
            [*clinical, "nhs_number", "given_name", "family_name", "date_of_birth", "sex",
             "mobile", "email", "registered_practice_id", "user_id", "sms_consent",
             "email_consent", "consent_recorded_at", "opted_out_at", "diary_nudge",
             "entered_in_error"],
        )  # fmt: skip
        self.episodes = self.sink(
            Episode,
            [*clinical, "patient_id", "condition", "status", "priority", "opened_at", "closed_at",
             "responsible_clinician_id"],
        )  # fmt: skip
        self.milestones = self.sink(
            Milestone, [*stamped, "episode_id", "kind", "occurred_at", "recorded_by_id"]
        )
        self.referrals = self.sink(
            Referral,
            [*clinical, "source", "condition", "patient_id", "episode_id", "referrer_id",
             "stated_given_name", "stated_family_name", "stated_date_of_birth",
             "stated_nhs_number", "stated_practice_id", "stated_email", "stated_mobile",
             "red_flags", "urgency", "age_at_referral", "problem", "current_acute_medication",
             "acute_medication_days_per_month", "mental_health_concerns", "patient_goals",
             "id_migraine_answers", "consent_to_contact", "preferred_contact",
             "interpreter_language", "accessibility_needs", "status", "submitted_at",
             "matched_at", "matched_by_id", "priority", "rejection_reason", "redirect_to",
             "advice_to_referrer", "decision_note", "decided_at", "decided_by_id", "closed_at",
             "entered_in_error", "letter_attempts", "tell_by_team", "told_how"],
        )  # fmt: skip
        self.preventives = self.sink(
            PreventiveTried,
            [*stamped, "referral_id", "medicine", "dose", "duration_weeks", "stopped_reason"],
        )
        self.appointments = self.sink(
            Appointment,
            [*clinical, "patient_id", "episode_id", "kind", "start", "duration_minutes",
             "modality", "video_link", "location", "clinician_id", "status", "outcome",
             "attendance_recorded_at", "cancelled_at", "cancellation_reason",
             "rearrange_requested_at", "rearrange_reason", "not_rebooked_reason"],
        )  # fmt: skip
        self.reviews = self.sink(
            Review,
            [*clinical, "appointment_id", "patient_id", "episode_id", "summary", "what_matters",
             "changes_agreed", "mental_health_follow_up", "mental_health_notes",
             "next_review_date", "next_review_kind", "completed_at", "completed_by_id"],
        )  # fmt: skip
        self.assessments = self.sink(
            Assessment,
            [*clinical, "patient_id", "instrument", "answers", "total", "band", "alert",
             "context", "completed_by_id", "completed_at", "entered_in_error", "activities",
             "unscored_answers"],
        )  # fmt: skip
        self.requests = self.sink(
            QuestionnaireRequest,
            [*clinical, "patient_id", "instrument", "context", "requested_by_id", "requested_at",
             "due", "status", "assessment_id", "completed_at", "cancelled_at", "activities",
             "unscored_answers"],
        )  # fmt: skip
        self.alerts = self.sink(
            SafetyAlert,
            [*clinical, "patient_id", "assessment_id", "kind", "raised_at",
             "responsible_clinician_id", "action_taken", "resolved_at", "resolved_by_id"],
        )  # fmt: skip
        self.plans = self.sink(
            CarePlan, [*clinical, "patient_id", "episode_id", "entered_in_error"]
        )
        self.versions = self.sink(
            CarePlanVersion,
            [*clinical, "plan_id", "number", "status", "what_matters", "acute_plan",
             "wellbeing_notes", "next_review_on", "change_summary", "agreed_at", "agreed_by_id",
             "superseded_at"],
        )  # fmt: skip
        self.trials = self.sink(
            TreatmentTrial,
            [*clinical, "plan_id", "medicine_code", "medicine_name", "medicine_class", "role",
             "dose", "started_on", "review_due", "already_taking", "start_warning_acknowledged",
             "outcome", "adequate_trial", "outcome_recorded_at", "review_decision",
             "daily_morphine_equivalent_mg", "baseline_headache_days", "baseline_migraine_days",
             "month3_headache_days", "month3_migraine_days", "notes", "entered_in_error"],
        )  # fmt: skip
        self.entries = self.sink(
            DiaryEntry,
            [*clinical, "patient_id", "day", "headache", "migraine", "worst_severity",
             *CLASS_FIELDS.values(), *TRIGGER_FIELDS.values(), "period", "pain_score",
             "pain_sites", "sleep", "mood", "activity", "work_impact", "note",
             "entered_in_error"],
        )  # fmt: skip
        self.headaches = self.sink(
            HeadacheEpisode,
            [*clinical, "entry_id", "start_time", "duration", "severity", *FEATURES, "aura",
             "felt_like_migraine", "eased_by_triptan", "migraine", "superseded_at"],
        )  # fmt: skip
        self.doses = self.sink(
            MedicationDose,
            [
                *stamped,
                "entry_id",
                "episode_id",
                "medicine_id",
                "medication_class",
                "doses",
                "superseded_at",
            ],
        )
        self.attendance = self.sink(
            GpAttendanceCount,
            [*stamped, "patient_id", "period_start", "period_end", "attendances", "source_id"],
        )
        self.mdt = self.sink(
            MdtCase,
            [*clinical, "patient_id", "question", "notes", "agreed_actions", "status",
             "discussed_at"],
        )  # fmt: skip
        self.discharges = self.sink(
            Discharge,
            [*clinical, "episode_id", "patient_id", "reason", "note_for_gp", "letter_attempts"],
        )
        self.bookings = self.sink(
            GroupBooking,
            [*clinical, "session_id", "patient_id", "status", "invited_at", "booked_at",
             "attendance_recorded_at", "cancelled_at"],
        )  # fmt: skip

    # Patients ----------------------------------------------------------------------------------

    def _patient(self, index: int, nhs_number: str) -> None:
        rng = random.Random(self.seed * 1_000_003 + index)
        tree = self.tree
        practice = rng.choices(tree.practices, weights=tree.practice_weights)[0]
        pcn_id = practice.parent_id
        gp = rng.choice(tree.gps[practice.pk])
        condition = "headache" if rng.random() < 0.6 else "chronic_pain"
        female = rng.random() < (0.7 if condition == "headache" else 0.58)
        sex = "female" if female else ("male" if rng.random() < 0.97 else "not_known")
        age = round(rng.triangular(18, 85, 44))
        born = self.today - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        mobile = f"+447700900{rng.randint(0, 999):03d}" if rng.random() < 0.88 else ""
        email = (
            f"{given.lower()}.{family.lower()}.{index}@example.com" if rng.random() < 0.8 else ""
        )
        sms = bool(mobile) and rng.random() < 0.75
        mail = bool(email) and rng.random() < 0.7
        registered = self.now - timedelta(days=HISTORY_DAYS + rng.randint(1, 30))
        portal = rng.random() < 0.92
        user_id = None
        if portal:
            user_id = self.users.new_id()
            self.users.add(
                (user_id, self.password, None, False, _uuid(rng), f"patient{index}@{EMAIL_DOMAIN}",
                 f"{given} {family}", "patient", "", True, False, registered,
                 f"{rng.getrandbits(128):032x}")
            )  # fmt: skip
        pid = self.patients.new_id()
        self.patients.add(
            (pid, registered, registered, _uuid(rng), gp, gp, nhs_number, given, family, born,
             sex, mobile, email, practice.pk, user_id, sms, mail,
             registered if (sms or mail) else None,
             self.now - timedelta(days=rng.randint(1, 200)) if rng.random() < 0.02 else None,
             portal and rng.random() < 0.3, False)
        )  # fmt: skip
        person = Person(
            pk=pid, user=user_id, practice=practice.pk, pcn=pcn_id, gp=gp, age=age,
            born=born, female=female, condition=condition, rng=rng,
            clinicians=tree.clinicians[pcn_id],
        )  # fmt: skip
        if portal:
            self.group_candidates.setdefault(pcn_id, []).append(pid)
        ended = self._referrals(person)
        if portal and rng.random() < 0.97:
            self._diary(person, ended)
        self._gp_attendance(person)
        if rng.random() < 0.01:
            self._mdt_case(person)

    # Referrals, episodes, milestones -----------------------------------------------------------

    def _referrals(self, person: Person) -> date | None:
        """The patient's referrals, oldest first; the last of each condition may still be open.
        Returns the day the diary stops (a discharge), or None if care goes on."""
        rng = person.rng
        count = _weighted(rng, {1: 33, 2: 40, 3: 22, 4: 5})
        drawn = sorted(
            self.now - timedelta(minutes=rng.randint(60, HISTORY_DAYS * 1440)) for _ in range(count)
        )
        # A week at least between one referral and the next, so each is decided before it.
        times = drawn[:1]
        for moment in drawn[1:]:
            moment = max(moment, times[-1] + timedelta(days=7))
            if moment < self.now - timedelta(hours=1):
                times.append(moment)
        person.first_referred = times[0]
        other = "chronic_pain" if person.condition == "headache" else "headache"
        conditions = [other if rng.random() < 0.15 else person.condition for _ in times]
        conditions[-1] = person.condition
        diary_stop: date | None = None
        for i, (submitted, condition) in enumerate(zip(times, conditions, strict=True)):
            later = [t for t, c in zip(times[i + 1 :], conditions[i + 1 :], strict=True)
                     if c == condition]  # fmt: skip
            limit = later[0] - timedelta(hours=2) if later else None
            if limit is None:
                status = _weighted(
                    rng,
                    {"submitted": 6, "accepted": 78, "closed": 8, "rejected": 5, "redirected": 3},
                )
            else:
                status = _weighted(rng, {"rejected": 25, "redirected": 15, "closed": 60})
            if status == "submitted":
                # Referrals are triaged within days: one still waiting arrived recently (after
                # the patient's previous referral, or else it has been decided by now).
                recent = self.now - _waiting(rng, most_days=18)
                if i == 0 or recent > times[i - 1] + timedelta(days=7):
                    submitted = recent
                elif submitted < self.now - timedelta(days=18):
                    status = "accepted"
            stop = self._referral(person, condition, status, submitted, limit)
            if condition == person.condition and limit is None:
                diary_stop = stop
        return diary_stop

    def _referral(self, person, condition, status, submitted, limit) -> date | None:
        rng = person.rng
        end = limit or self.now
        triage_days = min(rng.lognormvariate(math.log(3), 0.7), 30)
        decided = submitted + timedelta(days=triage_days)
        if status != "submitted" and decided >= end - timedelta(hours=1):
            # Not enough time for a decision before the next referral or now.
            if limit is None:
                status = "submitted"
            else:
                decided = submitted + (end - submitted) / 3
        withdrawn = status == "closed" and rng.random() < 0.15
        if status == "closed" and not withdrawn and (end - decided).days < 45:
            status = "rejected" if limit else "accepted"
        source = _weighted(rng, {"gp": 72, "partner": 16, "self": 12})
        red_flags: list[str] = []
        if condition == "headache" and rng.random() < 0.09:
            red_flags = [rng.choice(referral_rules.URGENT_FLAGS)]
        elif condition == "headache" and person.age >= 50 and rng.random() < 0.15:
            red_flags = ["new_onset_headache"]
        age = referral_rules.age_in_years(person.born, submitted.date())
        urgency = referral_rules.triage_urgency(age, red_flags)
        clinician = rng.choice(person.clinicians)
        accepted_ever = status == "accepted" or (status == "closed" and not withdrawn)
        priority = ""
        if accepted_ever:
            priority = "urgent" if urgency == "urgent" or rng.random() < 0.03 else "routine"

        # The episode and what happened in it.
        episode_id = self.episodes.new_id()
        milestones = [("referral_received", submitted, None)]
        due_set_at = {}  # an annual review due date: when it was set
        closed_at = None
        care = Care()
        if status == "submitted":
            episode_status = "referred"
        elif withdrawn:
            closed_at = submitted + timedelta(days=rng.uniform(0.2, 6))
            closed_at = max(submitted, min(closed_at, end - timedelta(minutes=10)))
            episode_status = "discharged"
        else:
            milestones.append(("triaged", decided, clinician))
            if accepted_ever:
                discharge = None
                if status == "closed":
                    span = (end - decided).total_seconds()
                    discharge = decided + timedelta(seconds=span * rng.uniform(0.6, 0.97))
                care = self._care(
                    person, episode_id, condition, priority, decided, discharge, clinician
                )
                if care.first_contact and (
                    person.first_contact is None or care.first_contact < person.first_contact
                ):
                    person.first_contact = care.first_contact
                milestones += [("first_contact", care.first_contact, clinician)] * bool(
                    care.first_contact
                )
                milestones += [("care_plan_agreed", care.plan_agreed, clinician)] * bool(
                    care.plan_agreed
                )
                milestones += [("treatment_started", care.treatment_started, clinician)] * bool(
                    care.treatment_started
                )
                for held, due in care.reviews:
                    milestones.append(("review_held", held, clinician))
                    milestones.append(("annual_review_due", due, clinician))
                    due_set_at[due] = held
                if discharge:
                    closed_at = discharge
                    episode_status = "discharged"
                    finished = bool(care.first_contact and care.plan_agreed)
                    self._discharge(person, episode_id, discharge, clinician, finished)
                else:
                    episode_status = "active"
            else:
                closed_at = decided
                episode_status = "discharged"
        if care.first_due:
            # The first conversation also sets the first annual-review date.
            milestones.append(("annual_review_due", care.first_due, clinician))
            due_set_at[care.first_due] = care.first_contact or care.first_due
        if closed_at:
            # As a discharge does: a next review due after it would read as one still to come.
            milestones = [
                (kind, moment, by)
                for kind, moment, by in milestones
                if kind != "annual_review_due" or moment <= closed_at
            ]
            milestones.append(("discharged", closed_at, clinician))
        self.episodes.add(
            (episode_id, submitted, closed_at or submitted, _uuid(rng), person.gp, clinician,
             person.pk, condition, episode_status, priority, submitted, closed_at,
             clinician if accepted_ever else None)
        )  # fmt: skip
        for kind, moment, by in milestones:
            # A due date was recorded when the review or first conversation set it (the latest
            # recorded is the one that stands); anything else when it happened.
            recorded = min(
                due_set_at.get(moment, moment) if kind == "annual_review_due" else moment,
                self.now,
            )
            self.milestones.add(
                (self.milestones.new_id(), recorded, recorded, episode_id, kind, moment, by)
            )

        # The referral row.
        referral_status = status
        referrer = None if source == "self" else person.gp
        decided_fields = (None, None)
        if status in ("accepted", "rejected", "redirected") or (
            status == "closed" and not withdrawn
        ):
            decided_fields = (decided, clinician)
        rejection = (
            rng.choice(list(referral_rules.REJECTION_REASONS)) if status == "rejected" else ""
        )
        redirect = (
            rng.choice(list(referral_rules.REDIRECT_DESTINATIONS)) if status == "redirected" else ""
        )
        advice = "See the outcome letter for our advice." if rejection or redirect else ""
        matched = (
            (submitted + timedelta(hours=rng.randint(2, 30)), clinician)
            if source == "self"
            else (None, None)
        )
        if matched[0] and matched[0] > self.now:
            matched = (self.now, clinician)
        referral_id = self.referrals.new_id()
        self.referrals.add(
            (referral_id, submitted, closed_at or decided_fields[0] or submitted, _uuid(rng),
             referrer, decided_fields[1] or referrer, source, condition, person.pk, episode_id,
             referrer, "", "", None, "", None, "", "", red_flags, urgency, age,
             rng.choice(PROBLEMS[condition]),
             "Paracetamol and ibuprofen" if condition == "headache" else "Codeine 30 mg",
             rng.randint(4, 25) if condition == "headache" else None,
             "Low mood" if rng.random() < 0.2 else "",
             "To understand what is going on and get back to work.", None, True,
             _weighted(rng, {"email": 40, "sms": 30, "phone": 25, "letter": 5}),
             "Polish" if rng.random() < 0.02 else "", "", referral_status, submitted,
             matched[0], matched[1], priority, rejection, redirect, advice, "",
             decided_fields[0], decided_fields[1],
             closed_at if status == "closed" else None, False, 0, "", "")
        )  # fmt: skip
        if condition == "headache" and rng.random() < 0.3:
            self.preventives.add(
                (self.preventives.new_id(), submitted, submitted, referral_id, "Propranolol",
                 "80 mg daily", rng.choice([6, 8, 12]),
                 rng.choice(["ineffective", "not_tolerated"]))
            )  # fmt: skip
        if episode_status == "discharged" and closed_at:
            return closed_at.astimezone(LONDON).date()
        return None

    # Care: appointments, reviews, questionnaires, plans ----------------------------------------

    def _discharge(self, person, episode_id: int, at: datetime, clinician, finished: bool) -> None:
        """Why the care team discharged the episode: "Finished the pathway" only once the
        patient was seen and a plan agreed (`finished`), as the discharge service requires. Its
        own generator, so adding these rows left every other row of the data set as it was."""
        rng = random.Random(self.seed * 1_000_003 + episode_id)
        reason = _weighted(rng, DISCHARGE_REASONS)
        if reason == "goals_met" and not finished:
            reason = _weighted(
                rng, {k: v for k, v in DISCHARGE_REASONS.items() if k != "goals_met"}
            )
        note = "Joining a research study at another service." if reason == "other" else ""
        self.discharges.add(
            (self.discharges.new_id(), at, at, _uuid(rng), clinician, clinician, episode_id,
             person.pk, reason, note, 0)
        )  # fmt: skip

    def _slot(self, rng, clinicians: list[int], preferred: int, day: date) -> tuple[int, datetime]:
        """A free 30-minute clinic slot on a weekday on or after `day`: the preferred clinician
        first, then colleagues. Clinicians are never double-booked."""
        while True:
            while day.weekday() >= 5:
                day += timedelta(days=1)
            for clinician in [preferred, *rng.sample(clinicians, len(clinicians))]:
                taken = self.busy.setdefault((clinician, day), set())
                free = [s for s in range(16) if s not in taken]
                if free:
                    slot = rng.choice(free)
                    taken.add(slot)
                    return clinician, _at(day, 9 + slot // 2, 30 * (slot % 2))
            day += timedelta(days=1)

    def _appointment(self, person, episode_id, kind, start, clinician, status) -> int:
        rng = person.rng
        pk = self.appointments.new_id()
        modality = _weighted(rng, {"video": 35, "phone": 40, "in_person": 25})
        duration = {"first_conversation": 30, "medication_review": 30}.get(kind, 20)
        booked = start - timedelta(days=rng.randint(7, 28))
        booked = min(booked, self.now - timedelta(hours=1))
        recorded = (
            start + timedelta(minutes=duration + 5)
            if status in ("attended", "did_not_attend")
            else None
        )
        cancelled = start - timedelta(days=rng.randint(1, 5)) if status == "cancelled" else None
        if cancelled is not None:
            cancelled = max(min(cancelled, self.now), booked)
        self.appointments.add(
            (pk, booked, recorded or cancelled or booked, _uuid(rng), clinician, clinician,
             person.pk, episode_id, kind, start, duration, modality,
             "https://video.example.nhs.uk/room/" + f"{rng.getrandbits(32):08x}"
             if modality == "video" else "",
             "Riverside Clinic, Room 2" if modality == "in_person" else "", clinician, status,
             "", recorded, cancelled, "Clinician unwell" if cancelled else "", None, "", "")
        )  # fmt: skip
        return pk

    def _review(self, person, episode_id, appointment_id, held: datetime, clinician) -> datetime:
        rng = person.rng
        next_review = (held + timedelta(days=rng.randint(330, 380))).date()
        completed = held + timedelta(minutes=30)
        self.reviews.add(
            (self.reviews.new_id(), completed, completed, _uuid(rng), clinician, clinician,
             appointment_id, person.pk, episode_id, rng.choice(REVIEW_SUMMARIES),
             "Getting back to work" if rng.random() < 0.4 else "", "", "not_needed", "",
             next_review, "annual_review", completed, clinician)
        )  # fmt: skip
        return _at(next_review, 9)

    def _care(
        self, person, episode_id, condition, priority, triaged, discharge, responsible
    ) -> Care:
        rng = person.rng
        care = Care()
        # Appointments starting in the last hour have not finished yet: treat them as ahead.
        end = (discharge or self.now) - timedelta(hours=1)
        wait = (
            rng.uniform(4, 18) if priority == "urgent" else rng.lognormvariate(math.log(22), 0.45)
        )
        day = (triaged + timedelta(days=wait)).astimezone(LONDON).date()
        # First conversation: rebooked after a missed or cancelled one.
        for _attempt in range(3):
            clinician, start = self._slot(rng, person.clinicians, responsible, day)
            if start > end:
                if discharge is None:
                    self._appointment(
                        person, episode_id, "first_conversation", start, clinician, "booked"
                    )
                return care
            status = _weighted(rng, {"attended": 86, "did_not_attend": 7, "cancelled": 7})
            appointment = self._appointment(
                person, episode_id, "first_conversation", start, clinician, status
            )
            if status == "attended":
                care.first_contact = start + timedelta(minutes=30)
                care.first_due = self._review(person, episode_id, appointment, start, clinician)
                break
            day = start.date() + timedelta(days=rng.randint(7, 21))
        if care.first_contact is None:
            return care
        # Not everyone completes the baseline questionnaires.
        baseline = rng.random() < 0.7
        if baseline:
            self._assessments(person, condition, "baseline", care.first_contact, responsible)
        # Care plan and the first treatment trial.
        if rng.random() < 0.78:
            agreed = care.first_contact + timedelta(days=rng.lognormvariate(math.log(9), 0.6))
            if agreed < end:
                care.plan_agreed = agreed
                plan_id = self._plan(person, episode_id, agreed, responsible)
                if rng.random() < 0.7:
                    started = agreed + timedelta(days=rng.uniform(0, 14))
                    if started < end:
                        care.treatment_started = started
                        self._trial(person, plan_id, condition, started, end, responsible)
        # A few follow-ups while treatment is being set up, then an annual review; one
        # appointment may already be booked ahead.
        moment = care.first_contact
        baseline_at = care.first_contact
        followed_up = False
        follow_ups = rng.randint(3, 9)
        visits = 0
        while True:
            visits += 1
            maintenance = visits > follow_ups
            moment += timedelta(days=rng.uniform(330, 380) if maintenance else rng.uniform(21, 49))
            day = moment.astimezone(LONDON).date()
            clinician, start = self._slot(rng, person.clinicians, responsible, day)
            kind = (
                "annual_review"
                if maintenance
                else _weighted(rng, {"follow_up": 80, "medication_review": 20})
            )
            if start > end:
                ahead = start < self.now + timedelta(days=42)
                if discharge is None and ahead and rng.random() < 0.8:
                    self._appointment(person, episode_id, kind, start, clinician, "booked")
                break
            status = _weighted(rng, {"attended": 83, "did_not_attend": 8, "cancelled": 9})
            appointment = self._appointment(person, episode_id, kind, start, clinician, status)
            if status != "attended":
                continue
            due = self._review(person, episode_id, appointment, start, clinician)
            care.reviews.append((start + timedelta(minutes=30), due))
            gap = (start - baseline_at).days
            if baseline and not followed_up and gap >= 49 and rng.random() < 0.6:
                followed_up = True
                self._assessments(
                    person,
                    condition,
                    "review",
                    start - timedelta(days=rng.randint(0, 2)),
                    clinician,
                    improve=True,
                )
        # Questionnaires sent and not yet done (some overdue, some due a reminder).
        if discharge is None and rng.random() < 0.08:
            self._outstanding_request(person, condition, responsible)
        return care

    def _plan(self, person, episode_id, agreed: datetime, clinician) -> int:
        rng = person.rng
        plan_id = self.plans.new_id()
        self.plans.add(
            (
                plan_id,
                agreed,
                agreed,
                _uuid(rng),
                clinician,
                clinician,
                person.pk,
                episode_id,
                False,
            )
        )
        superseded = rng.random() < 0.2 and agreed + timedelta(days=60) < self.now
        numbers = [(1, agreed)]
        if superseded:
            numbers.append((2, agreed + timedelta(days=rng.randint(45, 120))))
            if numbers[-1][1] > self.now:
                numbers = numbers[:1]
        for position, (number, at) in enumerate(numbers):
            last = position == len(numbers) - 1
            self.versions.add(
                (self.versions.new_id(), at, at, _uuid(rng), clinician, clinician, plan_id,
                 number, "agreed" if last else "superseded", "Getting back to work",
                 "Take painkillers early, no more than 2 days a week.", "",
                 (at + timedelta(days=180)).date(), "" if number == 1 else "Goals updated",
                 at, clinician, None if last else numbers[position + 1][1])
            )  # fmt: skip
        return plan_id

    def _trial(self, person, plan_id, condition, started: datetime, end: datetime, clinician):
        rng = person.rng
        if condition == "headache":
            code = _weighted(
                rng,
                {"propranolol": 30, "amitriptyline": 25, "topiramate": 15, "candesartan": 15,
                 "erenumab": 8, "botulinum_toxin_a": 7},
            )  # fmt: skip
            role = "preventive"
        else:
            code = _weighted(
                rng,
                {"duloxetine": 25, "amitriptyline": 25, "gabapentin": 15, "pregabalin": 10,
                 "codeine": 15, "tramadol": 10},
            )  # fmt: skip
            role = "pain"
        medicine_class = careplan_rules.medicine_class_of(code)
        start_day = started.astimezone(LONDON).date()
        due = careplan_rules.default_review_due(start_day)
        outcome, recorded = "ongoing", None
        # Most trials are reviewed around their date; some slip past it (the worklist's guard).
        if due < self.today and rng.random() < 0.88:
            recorded = _at(due + timedelta(days=rng.randint(-7, 14)), 11)
            if recorded < end and recorded < self.now:
                outcome = _weighted(rng, {"effective": 50, "ineffective": 30, "not_tolerated": 20})
                if outcome == "effective":
                    # Working, so it carries on: the review sets the next one, as the form asks.
                    next_review = rng.choice([91, 182, 365])
                    due = recorded.astimezone(LONDON).date() + timedelta(days=next_review)
            else:
                recorded = None
        # Most opioids and gabapentinoids on a pain plan were prescribed before the referral
        # (the deprescribing baseline); the rest the care team started.
        already_taking = (
            medicine_class in (careplan_rules.OPIOID, careplan_rules.GABAPENTINOID)
            and rng.random() < 0.7
        )
        headache_days = round(rng.uniform(6, 24), 1) if condition == "headache" else None
        migraine_days = round(headache_days * rng.uniform(0.3, 0.9), 1) if headache_days else None
        self.trials.add(
            (self.trials.new_id(), started, recorded or started, _uuid(rng), clinician, clinician,
             plan_id, code, "", medicine_class, role, "As prescribed", start_day, due,
             already_taking, False, outcome, True, recorded, "",
             decimal(rng.choice([20, 40, 60])) if medicine_class == careplan_rules.OPIOID else None,
             decimal(headache_days) if headache_days is not None else None,
             decimal(migraine_days) if migraine_days is not None else None, None, None, "", False)
        )  # fmt: skip

    def _answers(self, rng, code: str, severity: float) -> list:
        """Answers for one questionnaire; `severity` 0 (well) to 1 (worst) shifts them."""

        def pick(low: int, high: int) -> int:
            centre = low + (high - low) * severity
            return max(low, min(high, round(rng.gauss(centre, (high - low) / 5))))

        if code == "HIT-6":
            labels = list(instruments.HIT6_WEIGHTS)
            return [labels[pick(0, 4)] for _ in range(6)]
        if code == "MIDAS":
            return [pick(0, 20) for _ in range(5)]
        if code == "PSEQ":
            return [pick(0, 6) for _ in range(10)]  # higher is better: caller inverts severity
        if code == "MSK-HQ":
            return [pick(0, 4) for _ in range(14)]
        if code == "PHQ-9":
            answers = [pick(0, 3) for _ in range(9)]
            answers[8] = 1 if rng.random() < 0.04 else 0
            return answers
        if code == "GAD-7":
            return [pick(0, 3) for _ in range(7)]
        raise ValueError(code)

    def _assessments(self, person, condition, context, at: datetime, clinician, improve=False):
        rng = person.rng
        if person.severity is None:
            person.severity = rng.uniform(0.35, 0.85)
        severity = person.severity * (rng.uniform(0.55, 0.95) if improve else 1)
        codes = ["HIT-6", "MIDAS"] if condition == "headache" else ["PSEQ", "MSK-HQ"]
        if rng.random() < 0.25:
            codes += ["PHQ-9", "GAD-7"]
        at = min(at, self.now - timedelta(minutes=5))
        by_patient = context == "review" and person.user is not None
        for code in codes:
            # PSEQ and MSK-HQ: higher is better.
            level = 1 - severity if code in ("PSEQ", "MSK-HQ") else severity
            answers = self._answers(rng, code, level)
            scored = instruments.score(code, answers)
            pk = self.assessments.new_id()
            self.assessments.add(
                (pk, at, at, _uuid(rng), clinician, clinician, person.pk, code, answers,
                 decimal(scored.total), scored.band or "", scored.alert, context,
                 person.user if by_patient else clinician, at, False, [], [])
            )  # fmt: skip
            if by_patient:
                sent = at - timedelta(days=rng.randint(1, 6))
                self.requests.add(
                    (self.requests.new_id(), sent, at, _uuid(rng), clinician, clinician,
                     person.pk, code, context, clinician, sent, (sent + timedelta(days=7)).date(),
                     "completed", pk, at, None, [], [])
                )  # fmt: skip
            if scored.alert:
                resolved = at + timedelta(hours=rng.randint(2, 48))
                is_open = resolved > self.now or rng.random() < 0.05
                self.alerts.add(
                    (self.alerts.new_id(), at, resolved if not is_open else at, _uuid(rng),
                     None, clinician, person.pk, pk, "phq9_item9", at, clinician,
                     "" if is_open else "Phoned the patient; safety plan agreed with the GP.",
                     None if is_open else resolved, None if is_open else clinician)
                )  # fmt: skip

    def _outstanding_request(self, person, condition, clinician) -> None:
        rng = person.rng
        code = "HIT-6" if condition == "headache" else "PSEQ"
        sent = self.now - timedelta(days=rng.uniform(0.5, 20))
        self.requests.add(
            (self.requests.new_id(), sent, sent, _uuid(rng), clinician, clinician, person.pk,
             code, "review", clinician, sent, (sent + timedelta(days=7)).astimezone(LONDON).date(),
             "requested", None, None, None, [], [])
        )  # fmt: skip

    # Diary -------------------------------------------------------------------------------------

    def _medicine_plan(self, person) -> dict:
        rng = person.rng
        simple = self.medicines[rng.choice(["paracetamol", "ibuprofen", "naproxen", "aspirin"])]
        plan = {"simple": simple, "triptan": None, "opioid": None, "combination": None}
        if person.condition == "headache":
            if rng.random() < 0.45:
                plan["triptan"] = self.medicines[
                    rng.choice(["sumatriptan", "sumatriptan", "rizatriptan", "zolmitriptan"])
                ]
            if rng.random() < 0.06:
                plan["opioid"] = self.medicines["codeine"]
        elif rng.random() < 0.22:
            plan["opioid"] = self.medicines[rng.choice(["codeine", "tramadol", "dihydrocodeine"])]
        if rng.random() < 0.1:
            plan["combination"] = self.medicines[rng.choice(["co-codamol", "paracetamol-caffeine"])]
        return plan

    def _is_migraine(self, severity: str, features: frozenset, aura: bool) -> bool:
        key = (severity, features, aura)
        if key not in self.migraine_cache:
            self.migraine_cache[key] = diary_rules.has_migraine_features(
                severity=severity, aura=aura, **{name: name in features for name in FEATURES}
            )
        return self.migraine_cache[key]

    def _diary(self, person, stop: date | None) -> None:
        rng = person.rng
        headache_patient = person.condition == "headache"
        if headache_patient:
            band = _weighted(rng, {"low": 40, "medium": 35, "chronic": 25})
            p_headache = {"low": (0.1, 0.25), "medium": (0.25, 0.5), "chronic": (0.5, 0.8)}[band]
            p_headache = rng.uniform(*p_headache)
            p_migraine = rng.uniform(0.3, 0.85)
        else:
            p_headache = rng.uniform(0.05, 0.2)
            p_migraine = 0.1
        p_medicine = rng.uniform(0.45, 0.95)
        # Painkillers taken apart from a headache: for other pain, or the day after one.
        p_apart = rng.uniform(0.01, 0.08) if headache_patient else rng.uniform(0.1, 0.5)
        adherence = min(1.0, rng.betavariate(6, 1.2) + 0.05)
        medicines = self._medicine_plan(person)
        chosen_sites = set(rng.sample(SITES, rng.randint(1, 3)))
        sites = [code for code in BodySite.values if code in chosen_sites]
        pain = rng.uniform(3, 7)
        eased = _easing(person)
        cycle = rng.randint(0, 27)
        menstruating = person.female and 18 <= person.age < 52
        first = self.today - timedelta(days=self.days - 1)
        if person.first_referred is not None:
            first = max(first, person.first_referred.astimezone(LONDON).date())
        last = min(stop, self.today) if stop else self.today
        user = person.user
        entries, headaches, doses = self.entries, self.headaches, self.doses
        day = first
        while day <= last:
            recorded = rng.random() < (0.4 if day == self.today else adherence)
            if not recorded:
                day += timedelta(days=1)
                continue
            created = min(_at(day, 20, rng.randint(0, 59)), self.now)
            entry_id = entries.new_id()
            episode_rows = []
            classes: set[str] = set()
            worst = -1
            migraine = False
            if rng.random() < p_headache * eased(day):
                for _ in range(_weighted(rng, {1: 85, 2: 13, 3: 2})):
                    is_migraine_like = rng.random() < p_migraine
                    severity_index = _weighted(
                        rng, {0: 15, 1: 45, 2: 40} if is_migraine_like else {0: 50, 1: 40, 2: 10}
                    )
                    severity = SEVERITIES[severity_index]
                    features = rng.choice(
                        MIGRAINE_PROFILES if is_migraine_like else TENSION_PROFILES
                    )
                    aura = is_migraine_like and rng.random() < 0.1
                    is_migraine = self._is_migraine(severity, features, aura)
                    migraine = migraine or is_migraine
                    worst = max(worst, severity_index)
                    episode_id = headaches.new_id()
                    start = (
                        time(rng.randint(5, 22), rng.choice([0, 15, 30, 45]))
                        if rng.random() < 0.7
                        else None
                    )
                    episode_rows.append(
                        (episode_id, created, created, _uuid(rng), user, user, entry_id, start,
                         rng.choice(DURATIONS), severity, *(f in features for f in FEATURES), aura,
                         False, False, is_migraine, None)
                    )  # fmt: skip
                    if rng.random() < p_medicine:
                        chosen = [self._dose_medicine(rng, medicines, is_migraine)]
                        if rng.random() < 0.1 and medicines["combination"] is not None:
                            chosen.append(medicines["combination"])
                        for medicine in {m.pk: m for m in chosen}.values():
                            classes.add(medicine.diary_class)
                            doses.add(
                                (doses.new_id(), created, created, entry_id, episode_id,
                                 medicine.pk, medicine.diary_class,
                                 rng.choice([1, 1, 1, 2, 2, 3]), None)
                            )  # fmt: skip
            if rng.random() < p_apart:
                medicine = self._dose_medicine(rng, medicines, False)
                classes.add(medicine.diary_class)
                doses.add(
                    (doses.new_id(), created, created, entry_id, None, medicine.pk,
                     medicine.diary_class, rng.choice([1, 1, 2, 2, 3, 4]), None)
                )  # fmt: skip
            period = menstruating and (day.toordinal() + cycle) % 28 < 5
            triggers = set()
            if episode_rows and rng.random() < 0.35:
                triggers = {rng.choice(TRIGGERS)}
            if period and episode_rows and rng.random() < 0.5:
                triggers.add("period")
            details = rng.random() < (0.75 if not headache_patient else 0.45)
            if not headache_patient:
                pain = min(10, max(0, pain + rng.gauss(0, 1.2)))
            entries.add(
                (entry_id, created, created, _uuid(rng), user, user, person.pk, day,
                 bool(episode_rows), migraine, SEVERITIES[worst] if episode_rows else "",
                 *(name in classes for name in CLASS_FIELDS),
                 *(value in triggers for value in TRIGGER_FIELDS), period,
                 round(min(10, pain * eased(day))) if not headache_patient and details else None,
                 sites if not headache_patient and details else [],
                 rng.choice(["good", "fair", "poor"]) if details else "",
                 rng.choice(["good", "okay", "okay", "low"]) if details else "",
                 rng.choice(ACTIVITY) if details and not headache_patient else "",
                 rng.choice(WORK_IMPACT) if details and episode_rows else "",
                 "Long day at work." if rng.random() < 0.03 else "", False)
            )  # fmt: skip
            for row in episode_rows:
                headaches.add(row)
            if rng.random() < 0.002:
                # A day recorded by mistake and withdrawn: kept, out of every summary.
                entries.add(
                    (entries.new_id(), created, created, _uuid(rng), user, user, person.pk, day,
                     False, False, "", *([False] * len(CLASS_FIELDS)),
                     *([False] * len(TRIGGER_FIELDS)), False, None, [], "", "", "", "", "",
                     True)
                )  # fmt: skip
            day += timedelta(days=1)

    @staticmethod
    def _dose_medicine(rng, medicines: dict, is_migraine: bool):
        if medicines["triptan"] is not None and is_migraine and rng.random() < 0.8:
            return medicines["triptan"]
        if medicines["opioid"] is not None and rng.random() < 0.45:
            return medicines["opioid"]
        if medicines["combination"] is not None and rng.random() < 0.3:
            return medicines["combination"]
        return medicines["simple"]

    # Other rows --------------------------------------------------------------------------------

    def _gp_attendance(self, person) -> None:
        """Counts from the practice system for the dashboard's before-and-after figure: the
        year before the patient's first contact with the service and the time since."""
        rng = person.rng
        if person.first_contact is None or rng.random() > 0.5:
            return
        contact = person.first_contact.astimezone(LONDON).date()
        before = (contact - timedelta(days=365), contact)
        after = (contact, min(contact + timedelta(days=365), self.today))
        for start, end in (before, after):
            if end > start:
                # Visits a year: about 9 before and 5.5 after, counted over the period's length.
                expected = (9 if start < contact else 5.5) * (end - start).days / 365
                visits = max(0, round(rng.gauss(expected, math.sqrt(expected) + 0.5)))
                self.attendance.add(
                    (self.attendance.new_id(), self.now, self.now, person.pk, start, end, visits,
                     self.attendance_import.pk)
                )  # fmt: skip

    def _mdt_case(self, person) -> None:
        rng = person.rng
        at = self.now - timedelta(days=rng.randint(1, 120))
        discussed = rng.random() < 0.6
        clinician = rng.choice(person.clinicians)
        discussed_at = min(at + timedelta(days=7), self.now) if discussed else None
        self.mdt.add(
            (self.mdt.new_id(), at, discussed_at or at, _uuid(rng), clinician, clinician,
             person.pk, "Not improving on two preventives: next steps?", "",
             "Try a CGRP antibody if criteria met." if discussed else "",
             "discussed" if discussed else "open", discussed_at)
        )  # fmt: skip

    def _group_sessions(self, rng) -> None:
        """A monthly online group per service, a year back and three months ahead."""
        self.sessions: list[tuple[int, int, datetime, int]] = []  # (id, pcn, start, capacity)
        rows = []
        for pcn in self.tree.pcns:
            service = self.tree.services[pcn.pk]
            series = _uuid(rng)
            for month in range(-12, 4):
                start = _at(self.today.replace(day=1) + timedelta(days=30 * month + 10), 18)
                rows.append(
                    GroupSession(
                        uuid=_uuid(rng), series=series, organisation=service,
                        topic="Living well with pain" if month % 2 else "Managing headaches",
                        start=start, duration_minutes=60, capacity=20,
                        video_link="https://video.example.nhs.uk/group/" + service.ods_code,
                        condition="",
                    )
                )  # fmt: skip
        GroupSession.objects.bulk_create(rows, batch_size=200)
        for session in GroupSession.objects.filter(organisation__in=self.tree.services.values()):
            self.sessions.append(
                (session.pk, session.organisation.parent_id, session.start, session.capacity)
            )
        # Patients with a portal account, by PCN: the people invited to its online groups.
        self.group_candidates: dict[int, list[int]] = {}

    def _flush_group_bookings(self) -> None:
        """Book some patients of each PCN onto its sessions (up to capacity)."""
        rng = random.Random(self.seed + 7)
        for session_id, pcn, start, capacity in self.sessions:
            people = self.group_candidates.get(pcn, [])
            if not people:
                continue
            for patient in rng.sample(people, min(len(people), rng.randint(8, capacity))):
                invited = start - timedelta(days=21)
                if invited > self.now:
                    continue
                # A place given up by the patient (cancelled) or freed by the team (withdrawn)
                # was booked first; an invitation declined or withdrawn never was.
                if start < self.now:
                    status, was_booked = _weighted(rng, {
                        ("attended", True): 75, ("did_not_attend", True): 15,
                        ("cancelled", True): 7, ("withdrawn", True): 3,
                    })  # fmt: skip
                else:
                    status, was_booked = _weighted(rng, {
                        ("booked", True): 64, ("invited", False): 26,
                        ("declined", False): 6, ("withdrawn", False): 4,
                    })  # fmt: skip
                booked = invited + timedelta(days=2) if was_booked else None
                if booked and booked > self.now:
                    booked = self.now
                recorded = None
                if status in ("attended", "did_not_attend"):
                    recorded = min(start + timedelta(hours=2), self.now)
                cancelled = None
                if status in ("cancelled", "declined", "withdrawn"):
                    cancelled = min(start - timedelta(days=1), self.now)
                    cancelled = max(cancelled, booked or invited)
                self.bookings.add(
                    (self.bookings.new_id(), invited, recorded or cancelled or booked or invited,
                     _uuid(rng), None, None, session_id, patient, status, invited, booked,
                     recorded, cancelled)
                )  # fmt: skip

    def _unmatched_self_referrals(self, rng) -> None:
        """People who referred themselves and are not matched to a record yet."""
        numbers = synthetic_nhs_numbers(
            max(1, self.patient_count // 200), start=SELF_REFERRER_NHS_START
        )
        for number in numbers:
            practice = rng.choices(self.tree.practices, weights=self.tree.practice_weights)[0]
            submitted = self.now - _waiting(rng, most_days=14)
            born = date(rng.randint(1945, 2004), rng.randint(1, 12), rng.randint(1, 28))
            age = referral_rules.age_in_years(born, submitted.date())
            condition = rng.choice(["headache", "chronic_pain"])
            self.referrals.add(
                (self.referrals.new_id(), submitted, submitted, _uuid(rng), None, None, "self",
                 condition, None, None, None, rng.choice(GIVEN), rng.choice(FAMILY), born,
                 number if rng.random() < 0.5 else "", practice.pk, "self.referrer@example.com",
                 "", [], "routine", age, rng.choice(PROBLEMS[condition]), "", None, "", "", None,
                 True, "email", "", "", "submitted", submitted, None, None, "", "", "", "", "",
                 None, None, None, False, 0, "", "")
            )  # fmt: skip


@dataclass
class Person:
    pk: int
    user: int | None
    practice: int
    pcn: int
    gp: int
    age: int
    born: date
    female: bool
    condition: str
    rng: random.Random
    clinicians: list[int]
    severity: float | None = None
    # The first contact of the patient's earliest episode of care that had one.
    first_contact: datetime | None = None
    # When the patient was first referred: their diary starts then, or with the load's window.
    first_referred: datetime | None = None


# Entry point -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    skipped: bool
    seconds: float
    counts: dict[str, int]
    state: dict | None


def load(
    *,
    patients: int,
    days: int,
    seed: int = DEFAULT_SEED,
    reset_first: bool = False,
    beside_demo: bool = False,
    log=None,
) -> LoadResult:
    """Build the load data set unless it is already there at this size (see the module doc).
    `beside_demo` adds it to a database holding the demo's patients, in the same organisation
    tree, so the demo's figures are not all too small to publish."""
    log = log or (lambda message: None)
    state = loaded_state()
    if beside_demo and Patient.objects.exclude(nhs_number__startswith=TEST_NHS_PREFIX).exists():
        raise RuntimeError(
            "The database holds patients with real NHS numbers: the load goes beside the demo's "
            "patients only (NHS numbers starting 999, kept for testing)."
        )
    if reset_first:
        reset()
    elif state is not None and beside_demo:
        # The demo's population is there already (make run again): kept as it is.
        return LoadResult(skipped=True, seconds=0.0, counts=state["counts"], state=state)
    elif state is not None:
        if (state["patients"], state["days"], state["seed"]) == (patients, days, seed):
            return LoadResult(skipped=True, seconds=0.0, counts=state["counts"], state=state)
        raise RuntimeError(
            f"A load of {state['patients']} patients and {state['days']} days is already there. "
            "Pass --reset to replace it."
        )
    elif Patient.objects.exists() and not beside_demo:
        raise RuntimeError(
            "The database already holds patients. Load into an empty database, or pass --reset "
            "to empty a benchmark database first."
        )
    started = clock.monotonic()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Writes are checked at commit; most of the time goes into COPY and index upkeep.
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        loader = Loader(patients=patients, days=days, seed=seed, log=log, beside_demo=beside_demo)
        counts = loader.run()
        log(f"  rows written in {clock.monotonic() - started:.0f} s; checking and committing")
        _save_state(
            patients=patients,
            days=days,
            seed=seed,
            seconds=clock.monotonic() - started,
            counts=counts,
        )
    with connection.cursor() as cursor:
        # Fresh statistics, so the planner sees a million diary rows, not an empty table.
        cursor.execute("ANALYZE")
    seconds = clock.monotonic() - started
    _save_state(patients=patients, days=days, seed=seed, seconds=seconds, counts=counts)
    return LoadResult(skipped=False, seconds=seconds, counts=counts, state=loaded_state())


def summary(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The row counts worth printing, largest first."""
    return sorted(Counter(counts).items(), key=lambda item: -item[1])
