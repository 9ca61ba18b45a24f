"""`manage.py seed_demo` is safe to run twice and gives one login per role (two patients)."""

from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.db import connection

from diaries.models import DiaryEntry
from pathway import nhs_number
from pathway.demo import DEMO_PASSWORD, USERS
from pathway.models import Milestone, Patient, User

ROLES = ("patient", "patient", "gp", "clinician", "commissioner", "admin")


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
    }


def test_it_leaves_every_table_the_same_when_run_twice(db):
    _seed()
    first = _row_counts()
    _seed()
    assert _row_counts() == first
    assert first["pathway.Patient"] > 0
    assert first["pathway.Episode"] > 0


def test_it_prints_one_login_per_role_and_both_patients(db):
    output = _seed()
    login_lines = [line.split() for line in output.splitlines() if line.startswith("  ")]
    assert sorted(line[0] for line in login_lines) == sorted(ROLES)
    assert DEMO_PASSWORD in output
    for role, email, *_ in login_lines:
        user = User.objects.get(email=email)
        assert user.role == role
        assert user.check_password(DEMO_PASSWORD)


def test_it_gives_every_demo_user_a_working_login(db):
    _seed()
    for _key, email, _name, role, discipline, _orgs in USERS:
        user = User.objects.get(email=email)
        assert (user.role, user.discipline, user.is_active) == (role, discipline, True)
        assert user.check_password(DEMO_PASSWORD)


def test_it_uses_only_valid_nhs_numbers_from_the_999_range(db):
    _seed()
    numbers = list(Patient.objects.values_list("nhs_number", flat=True))
    assert numbers
    for number in numbers:
        assert nhs_number.is_valid(number), number
        assert number.startswith("999"), number


def test_it_links_the_demo_patient_logins_to_a_headache_and_a_chronic_pain_record(db):
    _seed()
    for email, name, condition in (
        ("patient@demo.nhs.uk", "Alex", "headache"),
        ("pain@demo.nhs.uk", "Morgan", "chronic_pain"),
    ):
        patient = Patient.objects.get(user__email=email)
        assert patient.given_name == name
        assert set(patient.episodes.values_list("condition", flat=True)) == {condition}


def _rows_the_planner_expects(table: str) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # One row per index, each starting with its row count; a partial index has fewer.
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
            return max(int(stat.split()[0]) for (stat,) in cursor.fetchall())
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return int(cursor.fetchone()[0])


def test_it_leaves_planner_statistics_for_the_rows_it_wrote(db):
    _seed()
    assert _rows_the_planner_expects("pathway_milestone") == Milestone.objects.count() > 0
    assert _rows_the_planner_expects("diaries_diaryentry") == DiaryEntry.objects.count() > 0
