"""Audit completeness (DESIGN.md section 5, STYLE.md rule 21).

The main staff and patient journeys run through the test client. Every staff read of a patient
page and every write of patient data must leave an AuditEvent naming the actor, the patient and
the action; audit rows hold field names, never the values typed; the patient sees who looked; and
neither the app nor the admin offers a way to change or remove an audit row.
"""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from careplans.models import CarePlan, CarePlanLeaflet, TreatmentTrial
from pathway.models import AuditEvent, Episode
from pathway.navigation import PATIENT_TABS
from referrals.models import Referral
from reviews.forms import AnswersForm
from reviews.models import Appointment, GroupBooking, MdtCase
from reviews.questionnaires import QUESTIONNAIRES
from tests.factories import PatientFactory
from tests.reviews import builders as review_builders
from tests.security.journeys import management

pytestmark = pytest.mark.django_db

READ = {AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD}
WRITE = {
    AuditEvent.Action.CREATE,
    AuditEvent.Action.UPDATE,
    AuditEvent.Action.DECIDE,
    AuditEvent.Action.ENTERED_IN_ERROR,
    AuditEvent.Action.SEND,
}
# Free text typed during the journeys: none of it may reach an audit row.
SECRET = "Secret words 7781"
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")


class Journey:
    """Requests made as one user; each step says which audit row it must leave."""

    def __init__(self, client, user, patient):
        self.client, self.user, self.patient = client, user, patient
        self.gaps: list[str] = []
        self.submitted: list[str] = []
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    def as_user(self, user):
        self.user = user
        self.client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return self

    def step(self, label, method, url, data=None, *, expect, ok=(200, 302), **extra):
        """Make the request and record a gap unless a new audit row names this user, this
        patient and one of the `expect` actions."""
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if data:
            self.submitted += [v for v in data.values() if isinstance(v, str) and len(v) > 3]
        response = getattr(self.client, method)(url, data or {}, **extra)
        assert response.status_code in ok, f"{label}: {response.status_code} from {url}"
        rows = AuditEvent.objects.filter(id__gt=before)
        if not any(
            row.actor_id == self.user.id
            and row.patient_id == self.patient.id
            and row.action in expect
            for row in rows
        ):
            found = [(r.actor_role, r.action, r.patient_id) for r in rows]
            self.gaps.append(f"{label} ({method.upper()} {url}): no audit row, found {found}")
        return response


def _gp_journey(journey: Journey, world) -> Referral:
    patient = world.patient
    client = journey.client
    response = client.get(reverse("pathway:patient-search"), {"nhs_number": patient.nhs_number})
    assert patient.family_name in response.content.decode()
    search = AuditEvent.objects.filter(action="search", actor=world.gp)
    assert search.exists(), "a staff search leaves an audit row"
    journey.step(
        "GP opens the patient page",
        "get",
        reverse("pathway:patient-detail", kwargs={"patient_uuid": patient.uuid}),
        expect=READ,
    )
    for label, name in PATIENT_TABS:
        journey.step(
            f"GP opens the {label} tab",
            "get",
            reverse(name, kwargs={"patient_uuid": patient.uuid}),
            expect=READ,
        )
    journey.step(
        "GP looks the patient up on the referral form",
        "post",
        reverse("referrals:patient-lookup"),
        {"nhs_number": patient.nhs_number},
        expect=READ,
    )
    journey.step(
        "GP refers the patient",
        "post",
        reverse("referrals:create"),
        {
            "referring_as": "gp",
            "nhs_number": patient.nhs_number,
            "condition": "headache",
            "problem": SECRET,
            "patient_goals": SECRET,
            "accessibility_needs": SECRET,
            "consent_to_contact": "on",
            "preferred_contact": "email",
            "preventive-0-medicine": "Topiramate",
            "preventive-0-dose": SECRET,
            "preventive-0-stopped_reason": "not_tolerated",
            **management("preventive", 3, maximum=10),
        },
        expect=WRITE,
    )
    referral = Referral.objects.get(patient=patient)
    journey.step(
        "GP reads the referral",
        "get",
        reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid}),
        expect=READ,
    )
    other = PatientFactory(registered_practice=world.practice_a)
    journey.patient = other
    journey.step(
        "GP records an emergency stop",
        "post",
        reverse("referrals:create"),
        {
            "referring_as": "gp",
            "nhs_number": other.nhs_number,
            "condition": "headache",
            "red_flags": ["thunderclap_onset"],
            **management("preventive", 0, maximum=10),
        },
        expect=WRITE,
    )
    journey.patient = patient
    return referral


def _careplan_journey(journey: Journey, world) -> None:
    patient = world.patient
    episode = Episode.objects.filter(patient=patient).first()
    review_builders.under_care(patient)  # a plan is agreed after the first conversation
    journey.step(
        "clinician starts a care plan",
        "post",
        reverse("careplans:plan-start", kwargs={"patient_uuid": patient.uuid}),
        {"episode": str(episode.pk)},
        expect=WRITE,
    )
    plan = CarePlan.objects.get(patient=patient)
    draft = plan.versions.get(number=1)
    edit = reverse("careplans:draft-edit", kwargs={"version_uuid": draft.uuid})
    journey.step("clinician opens the draft", "get", edit, expect=READ)
    journey.step(
        "clinician edits the draft",
        "post",
        edit,
        {
            "what_matters": SECRET,
            "acute_plan": SECRET,
            "next_review_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            **management("goals"),
            "goals-0-description": SECRET,
            "goals-0-baseline": "3",
            "goals-0-target": "7",
            **management("selfcare", 0),
            **management("acute", 0),
            **management("support", 0),
            **management("who", 0),
        },
        expect=WRITE,
    )
    agree = reverse("careplans:draft-agree", kwargs={"version_uuid": draft.uuid})
    journey.step("clinician checks the draft before agreeing", "get", agree, expect=READ)
    journey.step("clinician agrees the plan", "post", agree, {"confirm": "on"}, expect=WRITE)
    journey.step(
        "clinician opens the care plan tab",
        "get",
        reverse("careplans:patient-plan", kwargs={"patient_uuid": patient.uuid}),
        expect=READ,
    )
    journey.step(
        "clinician opens an agreed version",
        "get",
        reverse("careplans:version-detail", kwargs={"version_uuid": draft.uuid}),
        expect=READ,
    )
    trial_add = reverse("careplans:trial-add", kwargs={"plan_uuid": plan.uuid})
    journey.step("clinician opens the treatment form", "get", trial_add, expect=READ)
    journey.step(
        "clinician records a treatment",
        "post",
        trial_add,
        {
            "medicine_code": "propranolol",
            "role": "preventive",
            "dose": SECRET,
            "started_on": (timezone.localdate() - timedelta(days=7)).isoformat(),
            "notes": SECRET,
        },
        expect=WRITE,
    )
    trial = TreatmentTrial.objects.get(plan=plan)
    review = reverse("careplans:trial-review", kwargs={"trial_uuid": trial.uuid})
    journey.step("clinician opens the treatment review", "get", review, expect=READ)
    journey.step(
        "clinician reviews the treatment",
        "post",
        review,
        {
            "outcome": "ongoing",
            "review_due": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "notes": SECRET,
        },
        expect=WRITE,
    )
    reduction = reverse("careplans:reduction-add", kwargs={"trial_uuid": trial.uuid})
    journey.step("clinician opens the dose change form", "get", reduction, expect=READ)
    journey.step(
        "clinician records a dose reduction",
        "post",
        reduction,
        {"step": "reduced", "reduced_on": timezone.localdate().isoformat(), "dose": SECRET},
        expect=WRITE,
    )
    journey.step(
        "clinician adds a leaflet",
        "post",
        reverse("careplans:leaflet-attach", kwargs={"plan_uuid": plan.uuid}),
        {"leaflet": "understanding-migraine"},
        expect=WRITE,
    )
    link = CarePlanLeaflet.objects.get(plan=plan)
    journey.step(
        "clinician takes the leaflet off",
        "post",
        reverse("careplans:leaflet-remove", kwargs={"link_uuid": link.uuid}),
        expect=WRITE,
    )
    journey.step(
        "clinician asks for the care plan PDF",
        "post",
        reverse("careplans:plan-pdf", kwargs={"version_uuid": draft.uuid}),
        expect=WRITE,
    )


def _reviews_journey(journey: Journey, world) -> None:
    patient = world.patient
    tomorrow = timezone.localdate() + timedelta(days=1)
    book = reverse("reviews:appointment-create", kwargs={"patient_uuid": patient.uuid})
    journey.step("clinician opens the booking form", "get", book, expect=READ)
    episode = review_builders.under_care(patient)  # reviews follow the first conversation
    journey.step(
        "clinician books an appointment",
        "post",
        book,
        {
            "kind": "follow_up",
            "episode": str(episode.pk),
            "start_date": tomorrow.isoformat(),
            "start_time": "10:00",
            "modality": "in_person",
            "location": SECRET,
            "clinician": str(world.clinician.pk),
        },
        expect=WRITE,
    )
    booked = Appointment.objects.get(patient=patient, status="booked")
    journey.step(
        "clinician opens the appointment",
        "get",
        reverse("reviews:appointment", kwargs={"appointment_uuid": booked.uuid}),
        expect=READ,
    )
    move = reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": booked.uuid})
    journey.step("clinician opens the move form", "get", move, expect=READ)
    journey.step(
        "clinician moves the appointment",
        "post",
        move,
        {
            "start_date": (tomorrow + timedelta(days=1)).isoformat(),
            "start_time": "11:00",
            "modality": "phone",
            "clinician": str(world.clinician.pk),
        },
        expect=WRITE,
    )
    journey.step(
        "clinician cancels the appointment",
        "post",
        reverse("reviews:appointment-cancel", kwargs={"appointment_uuid": booked.uuid}),
        {"reason": SECRET},
        expect=WRITE,
    )
    held = review_builders.appointment(
        patient, world.clinician, start=timezone.now() - timedelta(hours=1)
    )
    review = reverse("reviews:review", kwargs={"appointment_uuid": held.uuid})
    journey.step("clinician opens the review page", "get", review, expect=READ)
    journey.step(
        "clinician records the review",
        "post",
        review,
        {
            "summary": SECRET,
            "what_matters": SECRET,
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
        },
        expect=WRITE,
    )
    journey.step(
        "clinician sends a questionnaire",
        "post",
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": patient.uuid}),
        {"instrument": "GAD-7"},
        expect=WRITE,
    )
    journey.step(
        "clinician flags the patient for the MDT",
        "post",
        reverse("reviews:mdt-create", kwargs={"patient_uuid": patient.uuid}),
        {"question": SECRET},
        expect=WRITE,
    )
    case = MdtCase.objects.get(patient=patient)
    case_url = reverse("reviews:mdt-case", kwargs={"case_uuid": case.uuid})
    journey.step("clinician opens the MDT case", "get", case_url, expect=READ)
    journey.step(
        "clinician records the MDT discussion",
        "post",
        case_url,
        {"notes": SECRET, "agreed_actions": SECRET},
        expect=WRITE,
    )
    alert = review_builders.safety_alert(patient)
    alert_url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    journey.step("clinician opens a safety alert", "get", alert_url, expect=READ)
    journey.step(
        "clinician records the action taken",
        "post",
        alert_url,
        {"action_taken": f"Called the patient: {SECRET}"},
        expect=WRITE,
    )
    session = review_builders.group_session(world.service)
    journey.step(
        "clinician invites the patient to a group",
        "post",
        reverse("reviews:group-session-invite", kwargs={"session_uuid": session.uuid}),
        {"patients": [str(patient.uuid)]},
        expect=WRITE,
    )


def _patient_journey(journey: Journey, world) -> None:
    patient = world.patient
    journey.step(
        "patient saves today's diary",
        "post",
        reverse("diaries:today"),
        {"headache": "no", "note": SECRET, **management("episode", 0, maximum=10)},
        expect=WRITE,
    )
    journey.step(
        "patient corrects today's diary",
        "post",
        reverse("diaries:today"),
        {"headache": "no", "note": f"{SECRET} again", **management("episode", 0, maximum=10)},
        expect=WRITE,
    )
    request = review_builders.questionnaire_request(patient, instrument="PHQ-9")
    form = AnswersForm(questionnaire=QUESTIONNAIRES["PHQ-9"])
    answers = {
        name: "0" if hasattr(field, "choices") else str(getattr(field, "min_value", 0) or 0)
        for name, field in form.fields.items()
    }
    journey.step(
        "patient completes a questionnaire",
        "post",
        reverse("reviews:my-questionnaire", kwargs={"request_uuid": request.uuid}),
        answers,
        expect=WRITE,
    )
    review_builders.under_care(patient)  # reviews follow the first conversation
    journey.step(
        "patient asks for an appointment",
        "post",
        reverse("reviews:my-booking-request"),
        {"kind": "follow_up", "preferences": SECRET},
        expect=WRITE,
    )
    upcoming = review_builders.appointment(patient, world.clinician)
    journey.step(
        "patient asks to rearrange",
        "post",
        reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": upcoming.uuid}),
        {"reason": SECRET},
        expect=WRITE,
    )
    cancelled = review_builders.appointment(
        patient, world.clinician, start=timezone.now() + timedelta(days=20)
    )
    journey.step(
        "patient cancels an appointment",
        "post",
        reverse("reviews:my-appointment-cancel", kwargs={"appointment_uuid": cancelled.uuid}),
        {"reason": SECRET},
        expect=WRITE,
    )
    booking = GroupBooking.objects.filter(patient=patient).first()
    journey.step(
        "patient books a group place",
        "post",
        reverse("reviews:my-group-booking", kwargs={"booking_uuid": booking.uuid}),
        expect=WRITE,
    )
    journey.step(
        "patient changes contact preferences",
        "post",
        reverse("pathway:contact-preferences"),
        {"mobile": "07700 900456", "email": "alice@example.test", "sms_consent": "on"},
        expect=WRITE,
    )
    journey.step(
        "patient asks for a diary report",
        "post",
        reverse("diaries:report-request", kwargs={"patient_uuid": patient.uuid}),
        # A different window from the clinician's, so a new report is made (not reused).
        {"end": (timezone.localdate() - timedelta(days=1)).isoformat()},
        expect=WRITE,
    )


def test_every_staff_read_and_every_write_in_the_main_journeys_is_audited(client, world):
    journey = Journey(client, world.gp, world.patient)
    referral = _gp_journey(journey, world)

    journey.as_user(world.clinician)
    detail = reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
    journey.step("clinician reads the referral", "get", detail, expect=READ)
    journey.step(
        "clinician triages the referral",
        "post",
        reverse("referrals:decide", kwargs={"referral_uuid": referral.uuid}),
        {"decision": "accept", "priority": "routine", "note": SECRET},
        expect=WRITE,
    )
    journey.step(
        "clinician opens the diary tab",
        "get",
        reverse("diaries:patient-diary", kwargs={"patient_uuid": world.patient.uuid}),
        expect=READ,
    )
    journey.step(
        "clinician asks for a diary report",
        "post",
        reverse("diaries:report-request", kwargs={"patient_uuid": world.patient.uuid}),
        expect=WRITE,
    )
    _careplan_journey(journey, world)
    _reviews_journey(journey, world)

    journey.as_user(world.patient_user)
    _patient_journey(journey, world)

    assert journey.gaps == [], "\n".join(journey.gaps)
    _assert_audit_rows_hold_field_names_only(journey.submitted)


def _assert_audit_rows_hold_field_names_only(submitted: list[str]) -> None:
    values = {value.strip() for value in submitted if value.strip()}
    rows = list(AuditEvent.objects.all())
    assert len(rows) > 40
    for row in rows:
        assert isinstance(row.fields, list), row
        for name in row.fields:
            assert isinstance(name, str) and FIELD_NAME.fullmatch(name), (row, name)
            assert name not in values, (row, name)
        stored = json.dumps([row.fields, row.object_type])
        assert SECRET not in stored, row


def test_the_self_referral_match_and_patient_creation_are_audited(client, world):
    from tests.referrals import builders as referral_builders

    journey = Journey(client, world.gp, world.patient)
    response = journey.client.post(
        reverse("pathway:patient-create"),
        {
            "nhs_number": "9434765919",
            "given_name": SECRET,
            "family_name": "Newman",
            "date_of_birth": "1980-01-02",
            "sex": "female",
            "registered_practice": str(world.practice_a.pk),
        },
    )
    assert response.status_code == 302
    created = AuditEvent.objects.get(action="create", object_type="pathway.patient")
    assert created.actor == world.gp and created.patient.nhs_number == "9434765919"
    assert SECRET not in json.dumps(created.fields)

    referral = referral_builders.self_referral_by(world.patient)
    journey.as_user(world.clinician)
    journey.step(
        "clinician matches a self-referral",
        "post",
        reverse("referrals:match", kwargs={"referral_uuid": referral.uuid}),
        {"nhs_number": world.patient.nhs_number},
        expect=WRITE,
    )
    assert journey.gaps == [], "\n".join(journey.gaps)


def test_a_gp_attendance_import_leaves_an_audit_row_for_each_patient_it_writes(client, world):
    """Attendance counts are patient data: each patient's record-access page should show the
    import, like any other write to their record."""
    journey = Journey(client, world.clinician, world.patient)
    body = (
        "nhs_number,period_start,period_end,attendances\n"
        f"{world.patient.nhs_number},2025-01-01,2025-07-01,3\n"
        f"{world.patient_in_b.nhs_number},2025-01-01,2025-07-01,1\n"
    ).encode()
    journey.step(
        "clinician imports GP attendance counts",
        "post",
        reverse("pathway:attendance-import"),
        {"file": SimpleUploadedFile("counts.csv", body, content_type="text/csv")},
        expect=WRITE,
    )
    assert journey.gaps == [], "\n".join(journey.gaps)
    assert AuditEvent.objects.filter(patient=world.patient_in_b, actor=world.clinician).exists()


def test_the_patient_sees_who_looked_at_their_record(client, world):
    for staff in (world.gp, world.clinician):
        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
        url = reverse("pathway:patient-detail", kwargs={"patient_uuid": world.patient.uuid})
        assert client.get(url).status_code == 200
    client.force_login(world.patient_user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("pathway:record-access")).content.decode()
    assert "Dr Grace" in page and "Nurse Nia" in page
    assert page.count("Viewed") >= 2
    # Another patient's page shows none of it.
    client.force_login(
        world.other_patient_user, backend="django.contrib.auth.backends.ModelBackend"
    )
    other = client.get(reverse("pathway:record-access")).content.decode()
    assert "Dr Grace" not in other and "Nurse Nia" not in other


# The admin offers no way to change or remove audit rows.


@pytest.fixture
def audit_row(world):
    from pathway.audit import record_view

    return record_view(actor=world.gp, patient=world.patient, obj=world.patient)


def test_the_admin_refuses_to_add_change_or_delete_audit_rows(client, world, audit_row):
    from django.contrib import admin

    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    model_admin = admin.site._registry[AuditEvent]
    request = type("Request", (), {"user": world.admin})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, audit_row)
    assert not model_admin.has_delete_permission(request, audit_row)

    base = "/admin/pathway/auditevent/"
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {"action": "view"}).status_code == 403
    change = f"{base}{audit_row.pk}/change/"
    shown = client.get(change)
    assert shown.status_code == 200  # read-only for administrators
    assert 'name="_save"' not in shown.content.decode()
    assert client.post(change, {"action": "create", "fields": "[]"}).status_code == 403
    assert client.get(f"{base}{audit_row.pk}/delete/").status_code == 403
    assert client.post(f"{base}{audit_row.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = client.get(base).content.decode()
    assert "delete_selected" not in listing
    client.post(base, {"action": "delete_selected", "_selected_action": [audit_row.pk]})
    audit_row.refresh_from_db()
    assert audit_row.action == "view" and audit_row.actor == world.gp


def test_deleting_a_user_or_patient_cannot_take_their_audit_rows_with_it(client, world, audit_row):
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(f"/admin/pathway/user/{world.gp.pk}/delete/", {"post": "yes"})
    assert response.status_code in (200, 403)  # "cannot delete": audit rows protect the user
    assert client.post(f"/admin/pathway/patient/{world.patient.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=audit_row.pk, actor=world.gp).exists()


def test_no_app_code_updates_or_deletes_audit_rows():
    """Audit rows are only ever created: no query in the app changes or removes one."""
    pattern = re.compile(
        r"(AuditEvent\.objects|audit_events)[^\n;]*\.(update|delete|bulk_update|"
        r"update_or_create|raw|select_for_update)\(|AuditEvent\([^)]*\)\.save\("
    )
    offenders = []
    for app in ("pathway", "diaries", "referrals", "careplans", "reviews"):
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if pattern.search(line):
                    offenders.append(f"{path}:{number}: {line.strip()}")
    assert offenders == []


def _shows_patient(html: str, patient) -> bool:
    return patient.family_name in html or patient.nhs_number_display in html


def _unaudited_read(client, user, world, name, rule) -> bool:
    kwargs = rule.kwargs(world)
    if not kwargs:
        return False  # lists and forms about no one patient
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(reverse(name, kwargs=kwargs))
    if response.status_code != 200 or response["Content-Type"].startswith("application/pdf"):
        return False
    if not _shows_patient(response.content.decode(), world.patient):
        return False
    return not AuditEvent.objects.filter(
        id__gt=before, actor=user, patient=world.patient, action__in=READ
    ).exists()


@pytest.mark.parametrize("persona", ["gp", "clinician"])
def test_every_staff_page_about_one_patient_audits_the_read(client, world, persona):
    """Each named URL that takes an object of world.patient and, opened by staff, shows who the
    patient is, must leave a read audit row for that patient."""
    from tests.test_access_matrix import RULES

    user = getattr(world, persona)
    world.patient.family_name = "Auditable-Surname"
    world.patient.save()
    gaps = []
    for name, rule in sorted(RULES.items()):
        if rule.method != "get" or persona not in rule.allowed:
            continue
        # Each URL's objects are made afresh and rolled back: the builders are not idempotent.
        with transaction.atomic():
            if _unaudited_read(client, user, world, name, rule):
                gaps.append(name)
            transaction.set_rollback(True)
    assert gaps == [], f"{persona} read these patient pages unaudited: {gaps}"


def test_opening_a_patients_rows_in_the_admin_is_an_audited_read(client, world):
    from tests.referrals import builders as referral_builders

    referral = referral_builders.referral(world.patient, world.gp)
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    for path, obj in (
        (f"/admin/pathway/patient/{world.patient.pk}/change/", world.patient),
        (f"/admin/referrals/referral/{referral.pk}/change/", referral),
        (f"/admin/pathway/episode/{referral.episode_id}/change/", referral.episode),
    ):
        assert client.get(path).status_code == 200
        assert AuditEvent.objects.filter(
            actor=world.admin, patient=world.patient, action="view", object_uuid=obj.uuid
        ).exists(), path
    client.logout()
    client.force_login(world.patient_user, backend="django.contrib.auth.backends.ModelBackend")
    assert "Ada Admin" in client.get("/my/record-access/").content.decode()


def test_every_admin_of_a_model_holding_a_patient_audits_its_reads():
    from django.contrib import admin

    from pathway.admin import RecordReadAdmin
    from pathway.models import Patient

    missing = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model is not AuditEvent
        and (model is Patient or any(f.name == "patient" for f in model._meta.fields))
        and not isinstance(model_admin, RecordReadAdmin)
    ]
    assert missing == []


def test_a_change_saved_in_the_admin_is_audited_by_field_name(client, world):
    from django.contrib import admin

    from pathway.models import Patient

    model_admin = admin.site._registry[Patient]
    request = type("Request", (), {"user": world.admin, "method": "POST"})()
    form = type("Form", (), {"changed_data": ["mobile"]})()
    world.patient.mobile = "+447700900999"
    model_admin.save_model(request, world.patient, form, change=True)
    world.patient.refresh_from_db()
    assert world.patient.updated_by == world.admin
    event = AuditEvent.objects.get(actor=world.admin, action="update", patient=world.patient)
    assert event.fields == ["mobile"]
    assert "+447700900999" not in str(event.fields)
