"""The care team corrects a patient's name, date of birth or sex: the form's checks, the service
(audit by field name, no overwriting a change made since the page was opened, other apps told)
and the staff page."""

import re
from datetime import date

import pytest
from django.urls import reverse

from pathway import services, signals
from pathway.forms import OUT_OF_DATE, PatientDetailsForm, revision_token
from pathway.models import AuditEvent, Patient
from tests.pathway.pages import field_error as _field_error
from tests.pathway.pages import page_text as _page

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return reverse("pathway:patient-details", kwargs={"patient_uuid": patient.uuid})


def _detail(patient) -> str:
    return reverse("pathway:patient-detail", kwargs={"patient_uuid": patient.uuid})


def _refresh(patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


def _born(patient, day: date) -> Patient:
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=day)
    return _refresh(patient)


def _data(patient, **changes) -> dict:
    """The form as the page shows it for `patient` now, with `changes` typed in."""
    patient = _refresh(patient)
    return {
        "based_on": revision_token(patient.updated_at),
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        **changes,
    }


def _form(patient, **changes) -> PatientDetailsForm:
    return PatientDetailsForm(_data(patient, **changes), patient=_refresh(patient))


def _correct(patient, *, actor, based_on=None, **changes) -> services.DetailsCorrected:
    current = _refresh(patient)
    data = {name: getattr(current, name) for name in services.CORRECTABLE_DETAILS}
    data.update(changes)
    return services.correct_patient_details(
        actor=actor, patient=current, data=data, based_on=based_on or current.updated_at
    )


# The form


def test_the_form_opens_with_the_record_as_saved(world):
    patient = _born(world.patient, date(1980, 5, 17))
    form = PatientDetailsForm(patient=patient)
    assert form["given_name"].value() == "Alice"
    assert form["family_name"].value() == "Anders"
    assert form["date_of_birth"].value() == date(1980, 5, 17)
    assert form["sex"].value() == patient.sex
    assert form["based_on"].value() == revision_token(patient.updated_at)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("given_name", "Enter the patient's first name."),
        ("family_name", "Enter the patient's last name."),
        ("date_of_birth", "Enter the patient's date of birth."),
        ("sex", "Choose the patient's sex."),
    ],
)
def test_the_form_names_each_missing_detail(world, field, message):
    form = _form(world.patient, **{field: ""})
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_the_form_refuses_a_date_of_birth_in_the_future_or_before_1900(world):
    assert _form(world.patient, date_of_birth="2999-01-01").errors["date_of_birth"] == [
        "Date of birth must be today or in the past."
    ]
    assert _form(world.patient, date_of_birth="1899-12-31").errors["date_of_birth"] == [
        "Enter a date after 1 January 1900."
    ]


def test_the_form_refuses_a_date_of_birth_after_a_recorded_death(world):
    Patient.objects.filter(pk=world.patient.pk).update(
        date_of_birth=date(1950, 1, 1), date_of_death=date(2020, 3, 4)
    )
    form = _form(world.patient, date_of_birth="2020-03-05")
    assert form.errors["date_of_birth"] == [
        "Date of birth must be on or before the date of death, 4 March 2020."
    ]
    assert _form(world.patient, date_of_birth="2020-03-04").is_valid()


def test_the_form_refuses_an_unknown_sex_and_a_garbled_revision(world):
    assert "sex" in _form(world.patient, sex="other").errors
    assert _form(world.patient, based_on="yesterday").errors["based_on"] == [OUT_OF_DATE]


# The service


def test_it_corrects_the_details_with_an_audit_row_of_field_names_only(world):
    _born(world.patient, date(1980, 5, 17))
    corrected = _correct(
        world.patient, actor=world.clinician, family_name="Andrews", date_of_birth=date(1970, 5, 17)
    )
    assert corrected.changed == ["family_name", "date_of_birth"]
    patient = _refresh(world.patient)
    assert (patient.family_name, patient.date_of_birth) == ("Andrews", date(1970, 5, 17))
    assert patient.updated_by == world.clinician
    event = AuditEvent.objects.get(action="update")
    assert (event.actor, event.patient, event.fields) == (
        world.clinician,
        world.patient,
        ["date_of_birth", "family_name"],
    )


def test_nothing_changed_saves_nothing_tells_no_app_and_writes_no_audit_row(world):
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)
        return []

    signals.patient_details_corrected.connect(receiver, dispatch_uid="test-nothing-changed")
    try:
        before = _refresh(world.patient).updated_at
        assert _correct(world.patient, actor=world.gp) == services.DetailsCorrected([], [])
    finally:
        signals.patient_details_corrected.disconnect(dispatch_uid="test-nothing-changed")
    assert _refresh(world.patient).updated_at == before
    assert heard == []
    assert not AuditEvent.objects.filter(action="update").exists()


def test_apps_hear_of_a_correction_and_their_notes_come_back(world):
    heard = []

    def receiver(sender, *, patient, changed, actor, **kwargs):
        heard.append((patient.given_name, changed, actor))
        return ["Something else was done."]

    signals.patient_details_corrected.connect(receiver, dispatch_uid="test-notes")
    try:
        corrected = _correct(world.patient, actor=world.gp, given_name="Alicia")
    finally:
        signals.patient_details_corrected.disconnect(dispatch_uid="test-notes")
    assert heard == [("Alicia", ["given_name"], world.gp)]
    assert "Something else was done." in corrected.notes


def test_a_record_changed_since_the_page_was_opened_is_not_overwritten(world):
    opened_on = _refresh(world.patient).updated_at
    services.update_contact_preferences(
        actor=world.patient_user, patient=_refresh(world.patient), data={"mobile": "+447700900555"}
    )
    with pytest.raises(services.ChangedSinceOpened, match="changed by the patient at"):
        _correct(world.patient, actor=world.gp, based_on=opened_on, given_name="Alicia")
    assert _refresh(world.patient).given_name == "Alice"
    assert not AuditEvent.objects.filter(actor=world.gp).exists()


# The page


def test_only_the_patients_gp_and_care_team_reach_the_page(world, login, client):
    response = client.get(_url(world.patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pathway:login"))
    for user in (
        world.commissioner,
        world.admin,
        world.patient_user,
        world.other_gp,
        world.other_clinician,
    ):
        assert login(user).get(_url(world.patient)).status_code == 404, user.full_name
        posted = login(user).post(_url(world.patient), _data(world.patient, given_name="Eve"))
        assert posted.status_code == 404
    assert _refresh(world.patient).given_name == "Alice"
    assert not AuditEvent.objects.exists()
    for user in (world.gp, world.clinician):
        assert login(user).get(_url(world.patient)).status_code == 200


def test_the_patient_page_links_each_detail_to_the_correction_for_gp_and_care_team(world, login):
    link = f'href="{_url(world.patient)}"'
    page = _page(login(world.clinician).get(_detail(world.patient)))
    assert page.count(link) == 3  # name, date of birth, sex
    assert '<span class="nhsuk-u-visually-hidden"> date of birth</span>' in page
    assert link in _page(login(world.gp).get(_detail(world.patient)))
    assert link not in _page(login(world.admin).get(_detail(world.patient)))


def test_the_page_audits_its_read_and_says_who_corrects_the_nhs_number(world, login):
    page = _page(login(world.gp).get(_url(world.patient)))
    assert "Correct name, date of birth or sex" in page
    assert "To correct them, contact the service administrator." in page
    assert 'value="Anders"' in page
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.patient, event.fields) == (world.gp, world.patient, [])


def test_the_date_of_birth_boxes_show_the_saved_date(world, login):
    _born(world.patient, date(1980, 5, 17))
    page = _page(login(world.clinician).get(_url(world.patient)))
    for part, value in (("day", "17"), ("month", "5"), ("year", "1980")):
        assert re.search(
            rf'<input [^>]*id="id_date_of_birth_{part}" name="date_of_birth_{part}" '
            rf'type="text" inputmode="numeric" value="{value}"',
            page,
        ), part


def test_saving_goes_back_to_the_patient_page_naming_what_was_corrected(world, login):
    response = login(world.clinician).post(
        _url(world.patient),
        _data(world.patient, family_name="Andrews", date_of_birth="1971-02-03"),
        follow=True,
    )
    assert response.redirect_chain == [(_detail(world.patient), 302)]
    page = _page(response)
    assert "Alice Andrews's last name and date of birth are corrected." in page
    assert "3 February 1971" in page


def test_saving_unchanged_details_says_nothing_changed(world, login):
    response = login(world.gp).post(_url(world.patient), _data(world.patient), follow=True)
    assert "Nothing was changed: these are already Alice Anders's details." in _page(response)
    assert not AuditEvent.objects.filter(action="update").exists()


def test_an_invalid_correction_shows_the_message_beside_the_field_and_saves_nothing(world, login):
    response = login(world.clinician).post(
        _url(world.patient), _data(world.patient, given_name="Eve", family_name="")
    )
    assert response.status_code == 200
    assert _field_error(response, "family_name") == "Enter the patient's last name."
    page = _page(response)
    assert "<title>Error: Correct name, date of birth or sex" in page
    assert 'value="Eve"' in page  # what was typed is kept in the form...
    assert "Eve Anders" not in page  # ...while the banner shows the record as saved
    assert _refresh(world.patient).given_name == "Alice"


def test_a_change_made_since_the_page_was_opened_is_shown_and_not_overwritten(world, login):
    staff = login(world.clinician)
    opened = _data(world.patient, given_name="Alicia")
    _correct(world.patient, actor=world.gp, family_name="Andrews")
    response = staff.post(_url(world.patient), opened)
    assert response.status_code == 200
    page = _page(response)
    assert "This patient's record was changed by Dr Grace at" in page
    assert "The corrections have not been saved." in page
    assert "What the record says now" in page
    assert "Alice Andrews" in page
    assert 'value="Alicia"' in page
    assert _refresh(world.patient).given_name == "Alice"

    form = response.context["form"]
    again = staff.post(_url(world.patient), {**opened, "based_on": form.data["based_on"]})
    assert again.status_code == 302
    patient = _refresh(world.patient)
    # Saved as the form showed it: the last name as it was typed when the page was opened.
    assert (patient.given_name, patient.family_name) == ("Alicia", "Anders")
