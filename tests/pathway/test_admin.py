"""The Django admin over clinical records: structured answers are shown, not edited as JSON."""

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from pathway.admin import RecordReadAdmin
from pathway.models import Target
from tests.referrals import builders as referral_builders


def _clinical_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, RecordReadAdmin)
        and any(isinstance(f, models.JSONField) for f in model._meta.get_fields())
    ]


def test_there_are_clinical_records_with_structured_answers():
    names = {model.__name__ for model, _ in _clinical_admins()}
    assert {"Referral", "Assessment", "QuestionnaireRequest", "DiaryEntry"} <= names


@pytest.mark.parametrize(
    ("model", "model_admin"), _clinical_admins(), ids=lambda v: getattr(v, "__name__", "")
)
def test_every_structured_field_of_a_clinical_record_is_read_only(model, model_admin, rf):
    readonly = set(model_admin.get_readonly_fields(rf.get("/")))
    structured = {f.name for f in model._meta.get_fields() if isinstance(f, models.JSONField)}
    assert structured <= readonly


def test_a_referrals_red_flags_show_on_its_admin_page_but_cannot_be_typed(world, login):
    made = referral_builders.referral(world.patient, world.gp)
    page = login(world.admin).get(reverse("admin:referrals_referral_change", args=[made.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Red flags" in body
    assert 'name="red_flags"' not in body and 'name="id_migraine_answers"' not in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"days": "99999999999"}, "Enter a number of days from 1 to 3,650 (10 years)."),
        ({"days": "0"}, "Enter a number of days from 1 to 3,650 (10 years)."),
        ({"days": "-3"}, "Enter a number of days from 1 to 3,650 (10 years)."),
        (
            {"from_milestone": "first_contact", "to_milestone": "referral_received"},
            "Choose a milestone that comes after first contact in the pathway.",
        ),
        (
            {"from_milestone": "triaged", "to_milestone": "triaged"},
            "Choose a milestone that comes after triaged in the pathway.",
        ),
    ],
)
def test_a_target_that_no_clock_could_use_is_refused_in_plain_words(
    world, login, overrides, message
):
    before = Target.objects.count()
    data = {
        "name": "Triage to discharge",
        "from_milestone": "triaged",
        "to_milestone": "discharged",
        "priority": "urgent",
        "days": "30",
        **overrides,
    }
    page = login(world.admin).post(reverse("admin:pathway_target_add"), data)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert Target.objects.count() == before


def test_a_target_from_one_review_to_the_next_and_a_forward_target_are_saved(world, login):
    client = login(world.admin)
    for start, end in (("review_held", "review_held"), ("triaged", "discharged")):
        data = {
            "name": "A target",
            "from_milestone": start,
            "to_milestone": end,
            "priority": "urgent",
            "days": "3650",
        }
        assert client.post(reverse("admin:pathway_target_add"), data).status_code == 302
        assert Target.objects.filter(from_milestone=start, to_milestone=end, days=3650).exists()


@pytest.mark.parametrize(
    ("phone", "saved"),
    [("01632 960000", True), ("(01632) 960000", True), ("ring reception x", False), ("111", False)],
)
def test_a_care_services_phone_number_for_patients_must_be_one(world, login, phone, saved):
    data = {
        "kind": "service",
        "name": world.service.name,
        "ods_code": world.service.ods_code,
        "parent": world.service.parent_id,
        "phone": phone,
        "email": "",
        "contact_hours": "",
    }
    url = reverse("admin:pathway_organisation_change", args=[world.service.pk])
    response = login(world.admin).post(url, data)
    assert (response.status_code == 302) is saved
    if not saved:
        assert "Enter a phone number patients can call" in response.content.decode()
    world.service.refresh_from_db()
    assert (world.service.phone == phone) is saved


def test_no_admin_add_page_leaves_a_required_field_read_only(world):
    """An add page whose required field is read-only answers a 500 on save (NOT NULL): such
    models are added through the app only, and their admin refuses to add."""
    from django.contrib import admin as django_admin
    from django.core.exceptions import FieldDoesNotExist
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = world.admin
    stuck = []
    for model, model_admin in django_admin.site._registry.items():
        if not model_admin.has_add_permission(request):
            continue
        for name in model_admin.get_readonly_fields(request):
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # a method shown read-only
            if getattr(field, "null", True) or field.has_default() or field.auto_created:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            stuck.append(f"{model._meta.label}.{name}")
    assert stuck == []


def _no_memberships():
    return {
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }


def test_a_user_added_with_capitals_in_their_email_can_sign_in(world, login, client):
    from pathway.models import User

    page = login(world.admin).post(
        reverse("admin:pathway_user_add"),
        {
            "email": "Jo.Bloggs@Demo.NHS.uk",
            "full_name": "Jo Bloggs",
            "role": "gp",
            "discipline": "",
            "password1": "a-long-pass-phrase-2027",
            "password2": "a-long-pass-phrase-2027",
            "usable_password": "true",
            **_no_memberships(),
        },
    )
    assert page.status_code == 302
    assert User.objects.filter(email="jo.bloggs@demo.nhs.uk").exists()
    # The same address in other capitals is the same person, refused as a second account.
    again = login(world.admin).post(
        reverse("admin:pathway_user_add"),
        {
            "email": "JO.BLOGGS@demo.nhs.uk",
            "full_name": "Jo Bloggs",
            "role": "gp",
            "discipline": "",
            "password1": "a-long-pass-phrase-2027",
            "password2": "a-long-pass-phrase-2027",
            "usable_password": "true",
            **_no_memberships(),
        },
    )
    assert again.status_code == 200 and "already exists" in again.content.decode()


def test_a_discipline_for_someone_not_a_clinician_is_refused_in_plain_words(world, login):
    page = login(world.admin).post(
        reverse("admin:pathway_user_add"),
        {
            "email": "gp.two@demo.nhs.uk",
            "full_name": "Gee Pee",
            "role": "gp",
            "discipline": "nurse",
            "password1": "a-long-pass-phrase-2027",
            "password2": "a-long-pass-phrase-2027",
            "usable_password": "true",
            **_no_memberships(),
        },
    )
    assert "Only care team clinicians have a discipline" in page.content.decode()


def test_a_password_set_by_an_administrator_lifts_a_sign_in_lockout(world, login, settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username=world.gp.email, ip_address="192.0.2.1", failures_since_start=5
    )
    response = login(world.admin).post(
        reverse("admin:auth_user_password_change", args=[world.gp.pk]),
        {"password1": "a-new-pass-phrase-2027", "password2": "a-new-pass-phrase-2027"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=world.gp.email).exists()


def _organisation_form(organisation, **changes):
    data = {
        "kind": organisation.kind,
        "name": organisation.name,
        "ods_code": organisation.ods_code,
        "parent": organisation.parent_id or "",
        "phone": "",
        "email": "",
        "contact_hours": "",
    }
    data.update(changes)
    return data


def test_an_organisation_cannot_be_put_where_its_patients_would_drop_out_of_every_list(
    world, login
):
    client = login(world.admin)
    practice = world.practice_a
    url = reverse("admin:pathway_organisation_change", args=[practice.pk])
    for parent, message in (
        (practice.pk, "belongs to a primary care network"),  # under itself
        (world.practice_b.pk, "belongs to a primary care network"),
        (world.icb.pk, "belongs to a primary care network"),
    ):
        page = client.post(url, _organisation_form(practice, parent=parent))
        assert page.status_code == 200 and message in page.content.decode()
    practice.refresh_from_db()
    assert practice.parent == world.pcn1
    # A PCN with practices under it cannot become a practice.
    pcn_url = reverse("admin:pathway_organisation_change", args=[world.pcn1.pk])
    page = client.post(
        pcn_url, _organisation_form(world.pcn1, kind="practice", parent=world.pcn2.pk)
    )
    assert "need it to stay the kind it is" in page.content.decode()
    # An ODS code typed in another case is the same organisation's.
    add = client.post(
        reverse("admin:pathway_organisation_add"),
        _organisation_form(
            world.practice_b, ods_code=world.practice_b.ods_code.lower(), parent=world.pcn1.pk
        ),
    )
    assert add.status_code == 200 and "already exists" in add.content.decode()


def _patient_form(patient, **changes):
    data = {
        "nhs_number": patient.nhs_number,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "registered_practice": patient.registered_practice_id,
        "mobile": patient.mobile,
        "email": patient.email,
    }
    data.update(changes)
    return data


def test_the_admin_cannot_record_a_death_or_move_a_patient_out_of_a_practice(world):
    from datetime import date

    from pathway.admin import PatientAdminForm

    form = PatientAdminForm(
        data=_patient_form(world.patient, date_of_death="2026-01-01"), instance=world.patient
    )
    assert not form.is_valid()
    assert "Record a death by discharging the patient" in form.errors["date_of_death"][0]
    form = PatientAdminForm(
        data=_patient_form(world.patient, registered_practice=world.pcn1.pk), instance=world.patient
    )
    assert not form.is_valid() and "Choose a GP practice" in form.errors["registered_practice"][0]
    # A death entered in error is corrected by clearing its date.
    type(world.patient).objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 1, 1))
    world.patient.refresh_from_db()
    form = PatientAdminForm(data=_patient_form(world.patient), instance=world.patient)
    assert "date_of_death" not in form.errors


def test_deactivating_a_clinician_says_how_much_care_they_still_hold(world, login):
    from tests.factories import EpisodeFactory, PatientFactory

    for _ in range(2):
        EpisodeFactory(
            patient=PatientFactory(registered_practice=world.practice_a),
            status="active",
            responsible_clinician=world.clinician,
        )
    data = {
        "email": world.clinician.email,
        "full_name": world.clinician.full_name,
        "role": "clinician",
        "discipline": world.clinician.discipline,
        "is_staff": "",
        **_no_memberships(),
    }
    page = login(world.admin).post(
        reverse("admin:pathway_user_change", args=[world.clinician.pk]), data, follow=True
    )
    world.clinician.refresh_from_db()
    assert not world.clinician.is_active
    assert (
        f"{world.clinician.full_name} is still the responsible clinician for 2 open episodes of "
        "care." in page.content.decode()
    )
