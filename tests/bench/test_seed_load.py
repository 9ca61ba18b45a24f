"""`manage.py seed_load` at a tiny size: the rows it makes, their consistency, idempotence, and
pages rendering on them. The benchmark itself (bench/run) needs PostgreSQL and is not run here."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from bench import loaddata
from bench.sinks import NULL, _converter
from diaries.models import CLASS_FIELDS, DiaryEntry, HeadacheEpisode, MedicationDose
from pathway.models import Episode, Milestone, Patient, User
from pathway.permissions import patients_visible_to
from referrals.models import Referral
from reviews.models import Appointment, Discharge, Review

PATIENTS, DAYS = 20, 30


@pytest.fixture
def loaded(db):
    out = StringIO()
    call_command("seed_load", patients=PATIENTS, days=DAYS, stdout=out)
    return out.getvalue()


def test_it_creates_the_rows_it_reports(loaded):
    state = loaddata.loaded_state()
    assert (state["patients"], state["days"]) == (PATIENTS, DAYS)
    for label, count in state["counts"].items():
        if label == "pathway.User":
            continue  # staff and patient accounts, checked below
        assert apps.get_model(label).objects.count() == count, label
    assert Patient.objects.count() == PATIENTS
    assert "Loaded 20 patients and 30 days" in loaded


def test_the_rows_have_the_expected_sizes(loaded):
    today = timezone.localdate()
    entries = DiaryEntry.objects.live()
    # At most one live day each for the last DAYS days; most diary users fill in most days.
    assert PATIENTS * DAYS * 0.4 < entries.count() <= PATIENTS * DAYS
    assert not entries.filter(day__lt=today - timedelta(days=DAYS - 1)).exists()
    assert not entries.filter(day__gt=today).exists()
    # About two referrals each, every referred patient with an episode and its milestones.
    assert PATIENTS <= Referral.objects.filter(patient__isnull=False).count() <= 4 * PATIENTS
    assert Episode.objects.values("patient").distinct().count() == PATIENTS
    assert Milestone.objects.filter(kind="referral_received").count() == Episode.objects.count()
    assert Appointment.objects.exists() and Review.objects.exists()
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {"patient", "gp", "clinician", "commissioner"}
    assert all(len(n) == 10 and n.startswith("999") for n in Patient.objects.values_list(
        "nhs_number", flat=True))  # fmt: skip


def test_gp_attendance_counts_sit_either_side_of_each_patients_first_contact(db):
    from pathway.dashboard import metrics
    from pathway.models import GpAttendanceCount

    call_command("seed_load", patients=60, days=DAYS, stdout=StringIO())
    counted = 0
    for patient in Patient.objects.filter(gp_attendance_counts__isnull=False).distinct():
        first = (
            Milestone.objects.filter(episode__patient=patient, kind="first_contact")
            .order_by("occurred_at")
            .first()
        )
        day = timezone.localdate(first.occurred_at)
        periods = GpAttendanceCount.objects.filter(patient=patient)
        assert {p.period_end for p in periods if p.period_start < day} == {day}
        assert {p.period_start for p in periods if p.period_start >= day} <= {day}
        counted += 1
    assert counted >= 8
    table = metrics.gp_attendance_table(practice_ids=list(Patient.objects.values_list(
        "registered_practice_id", flat=True)))  # fmt: skip
    assert table.rows[0][1] not in ("0", "*")


def test_rows_keep_the_times_they_were_recorded_at(loaded):
    """Not the moment of the insert: the next review due that stands is the one recorded last,
    by the review (or first conversation) that set it."""
    assert Milestone.objects.filter(created_at__lt=timezone.now() - timedelta(days=2)).exists()
    for episode in Episode.objects.filter(milestones__kind="review_held").distinct():
        dues = episode.milestones.filter(kind="annual_review_due").order_by("-created_at", "-id")
        held = episode.milestones.filter(kind="review_held").order_by("-occurred_at").first()
        if dues and episode.status == "active":
            assert dues[0].created_at == min(held.occurred_at, timezone.now()), episode.pk
            assert dues[0].occurred_at >= held.occurred_at


def test_diary_flags_match_the_episodes_and_doses(loaded):
    apart = 0
    for entry in DiaryEntry.objects.live().prefetch_related("episodes", "doses__medicine"):
        episodes = [e for e in entry.episodes.all() if e.superseded_at is None]
        assert entry.headache == bool(episodes)
        assert entry.migraine == any(e.migraine for e in episodes)
        doses = [d for d in entry.doses.all() if d.superseded_at is None]
        assert {d.episode_id for d in doses} - {None} <= {e.pk for e in episodes}
        apart += sum(d.episode_id is None for d in doses)
        classes = {d.medicine.diary_class for d in doses} - {""}
        for name, field in CLASS_FIELDS.items():
            assert getattr(entry, field) == (name in classes)
    # Medicines are taken for headaches and apart from them (for other pain).
    with_headache = MedicationDose.objects.filter(episode__isnull=False).count()
    assert apart > 0 and 0 < with_headache <= HeadacheEpisode.objects.count() * 2


def test_each_episode_the_team_discharged_has_its_reason(db):
    call_command("seed_load", patients=200, days=7, stdout=StringIO())
    # Accepted at triage (a responsible clinician) and ended: the team's discharges alone.
    by_team = Episode.objects.filter(status="discharged", responsible_clinician__isnull=False)
    assert by_team.exists()
    discharges = Discharge.objects.all()
    assert sorted(discharges.values_list("episode_id", flat=True)) == sorted(
        by_team.values_list("id", flat=True)
    )
    assert all(d.patient_id == d.episode.patient_id for d in discharges.select_related("episode"))
    assert "died" not in set(discharges.values_list("reason", flat=True))
    assert not discharges.filter(reason="other", note_for_gp="").exists()
    # As the discharge service requires: finished only once seen with a plan agreed.
    finished = discharges.filter(reason="goals_met")
    assert finished.exists()
    for kind in ("first_contact", "care_plan_agreed"):
        assert not finished.exclude(episode__milestones__kind=kind).exists(), kind
    # No next review due after the discharge, as a discharge leaves none.
    assert not Milestone.objects.filter(
        episode__status="discharged",
        kind="annual_review_due",
        occurred_at__gt=F("episode__closed_at"),
    ).exists()


def test_open_referrals_and_episodes_are_one_per_condition(loaded):
    for patient in Patient.objects.all():
        open_conditions = list(
            patient.episodes.filter(status__in=["referred", "active"]).values_list(
                "condition", flat=True
            )
        )
        assert len(open_conditions) == len(set(open_conditions))


def test_running_it_again_at_the_same_size_changes_nothing(loaded):
    before = {m._meta.label: m.objects.count() for m in (Patient, DiaryEntry, Referral)}
    out = StringIO()
    call_command("seed_load", patients=PATIENTS, days=DAYS, stdout=out)
    assert "already there" in out.getvalue()
    assert {m._meta.label: m.objects.count() for m in (Patient, DiaryEntry, Referral)} == before


def test_another_size_needs_reset(loaded):
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_load", patients=PATIENTS + 1, days=DAYS, stdout=StringIO())
    call_command("seed_load", patients=5, days=7, reset=True, stdout=StringIO())
    assert Patient.objects.count() == 5
    assert not DiaryEntry.objects.filter(day__lt=timezone.localdate() - timedelta(days=6)).exists()


def test_it_refuses_a_database_with_other_patients(world):
    with pytest.raises(CommandError, match="already holds patients"):
        call_command("seed_load", patients=3, days=3, stdout=StringIO())
    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_load", patients=3, days=3, reset=True, stdout=StringIO())
    assert Patient.objects.filter(pk=world.patient.pk).exists()


def test_beside_the_demo_it_gives_the_commissioner_figures_to_publish(db, login):
    call_command("seed_demo", stdout=StringIO())
    demo_patients = set(Patient.objects.values_list("pk", flat=True))
    commissioner = User.objects.get(email="commissioner@demo.nhs.uk")
    table = "/dashboard/export/outcomes.csv?period=year"
    before = login(commissioner).get(table).content.decode("utf-8-sig")
    call_command("seed_load", patients=60, days=30, beside_demo=True, stdout=StringIO())
    assert Patient.objects.count() == len(demo_patients) + 60
    assert demo_patients <= set(Patient.objects.values_list("pk", flat=True))
    after = login(commissioner).get(table).content.decode("utf-8-sig")
    assert after != before
    # The demo's care team and GP keep the demo's patients alone.
    nurse = User.objects.get(email="nurse@demo.nhs.uk")
    assert set(patients_visible_to(nurse).values_list("pk", flat=True)) <= demo_patients
    # Run again (make run again), at any size: nothing more is added, and the demo is never
    # emptied.
    call_command("seed_load", patients=30, days=30, beside_demo=True, stdout=StringIO())
    assert Patient.objects.count() == len(demo_patients) + 60
    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_load", patients=60, days=30, reset=True, stdout=StringIO())


def test_it_goes_beside_test_patients_only(db):
    from tests.factories import PatientFactory

    PatientFactory(nhs_number="9434765919")  # not in the range kept for testing
    with pytest.raises(CommandError, match="real NHS numbers"):
        call_command("seed_load", patients=3, days=3, beside_demo=True, stdout=StringIO())
    assert not loaddata.loaded_state()


def test_the_pages_render_on_the_data(loaded, login):
    patient = (
        Patient.objects.filter(user__isnull=False, episodes__status="active").order_by("id").first()
    )
    client = login(patient.user)
    for path in ("/diary/", "/diary/summary/", "/diary/calendar/"):
        assert client.get(path).status_code == 200, path

    clinician = User.objects.filter(role="clinician").order_by("id").first()
    seen = patients_visible_to(clinician).order_by("id").first()
    client = login(clinician)
    for path in (
        "/reviews/team/",
        "/referrals/triage/",
        f"/patients/{seen.uuid}/",
        f"/diary/patients/{seen.uuid}/",
        f"/reviews/patients/{seen.uuid}/",
    ):
        assert client.get(path).status_code == 200, path

    client = login(User.objects.get(role="commissioner"))
    assert client.get("/dashboard/").status_code == 200
    export = client.get("/dashboard/export/waits.csv?period=year")
    assert export.status_code == 200 and b"Referral to triage" in export.content


def test_copy_text_escapes_and_nulls():
    text = _converter(DiaryEntry._meta.get_field("note"))
    assert text("a\tb\nc\\d") == "a\\tb\\nc\\\\d"
    score = _converter(DiaryEntry._meta.get_field("pain_score"))
    assert score(None) == NULL and score(7) == "7"
    flag = _converter(DiaryEntry._meta.get_field("headache"))
    assert (flag(True), flag(False)) == ("t", "f")
    sites = _converter(DiaryEntry._meta.get_field("pain_sites"))
    assert sites(["neck", "knees"]) == '["neck","knees"]'
