"""Inviting a patient to the patient portal: an account linked to their record, and an email
with a one-use link to choose its password."""

import html
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from pathway import services
from pathway.models import AuditEvent, Patient, User
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _no_account(world, **fields):
    email = fields.pop("email", "casey@example.test")
    return PatientFactory(
        registered_practice=world.practice_a,
        email=email,
        email_consent=bool(email),
        given_name="Casey",
        family_name="Cole",
        **fields,
    )


def _detail(patient) -> str:
    return reverse("pathway:patient-detail", args=[patient.uuid])


def _invite_form(page: str) -> dict:
    """What the page's invitation button sends: the address it showed, as a browser would."""
    (shown,) = re.findall(r'<input type="hidden" name="shown_email" value="([^"]*)">', page)
    return {"shown_email": html.unescape(shown)}


def _invite(staff, patient, **extra):
    """Open the patient's page and press its invitation button."""
    page = staff.get(_detail(patient)).content.decode()
    return staff.post(
        reverse("pathway:portal-invite", args=[patient.uuid]), _invite_form(page), **extra
    )


def test_an_invited_patient_chooses_a_password_and_signs_in(
    world, login, client, django_capture_on_commit_callbacks
):
    patient = _no_account(world)
    staff = login(world.clinician)
    page = staff.get(_detail(patient)).content.decode()
    assert "Invite to the patient portal" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(staff, patient, follow=True)
    assert "Casey Cole has a portal account." in response.content.decode()
    patient.refresh_from_db()
    user = patient.user
    assert (user.email, user.role) == ("casey@example.test", "patient")
    assert user.full_name == "Casey Cole"
    assert AuditEvent.objects.filter(
        patient=patient, fields=["user"], actor=world.clinician
    ).exists()
    [email] = mail.outbox
    assert email.to == ["casey@example.test"]
    assert "Choose your password here" in email.body
    link = re.search(r"https?://[^/\s]+(/account/reset/\S+)", email.body).group(1)

    staff.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "a-long-new-passphrase-9", "new_password2": "a-long-new-passphrase-9"},
    )
    user.refresh_from_db()
    assert user.check_password("a-long-new-passphrase-9")
    # The link works once.
    assert "This link has expired" in client.get(link, follow=True).content.decode()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("has_account", "already has a portal account and has signed in"),
        ("no_email", "Add the patient's email address first"),
        ("email_taken", "Another account already uses this email address"),
    ],
)
def test_an_invitation_that_cannot_work_is_refused_with_the_reason(world, case, message):
    if case == "has_account":
        patient = world.patient
        world.patient_user.last_login = timezone.now()
        world.patient_user.save()
    elif case == "no_email":
        patient = _no_account(world, email="")
    else:
        patient = _no_account(world, email=world.gp.email.upper())
    before = User.objects.count()
    with pytest.raises(services.PortalInviteError, match=message):
        services.invite_to_portal(actor=world.clinician, patient=patient)
    assert User.objects.count() == before
    assert mail.outbox == []


def test_staff_sending_a_questionnaire_are_told_the_patient_has_no_portal_account(world, login):
    patient = _no_account(world)
    for under_care in (patient, world.patient):
        EpisodeFactory(patient=under_care)
    response = login(world.clinician).post(
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": patient.uuid}),
        {"instrument": "PHQ-9"},
        follow=True,
    )
    assert "Casey Cole has no patient portal account" in response.content.decode()
    with_account = login(world.clinician).post(
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": world.patient.uuid}),
        {"instrument": "PHQ-9"},
        follow=True,
    )
    assert f"Mood (PHQ-9) sent to {world.patient.full_name}." in with_account.content.decode()
    assert "no patient portal account" not in with_account.content.decode()


def test_an_account_never_signed_in_to_is_sent_the_link_again(
    world, login, django_capture_on_commit_callbacks
):
    patient = _no_account(world)
    staff = login(world.clinician)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(staff, patient)
    page = staff.get(_detail(patient)).content.decode()
    assert "Send the invitation again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(staff, patient, follow=True)
    assert "We have emailed casey@example.test a link" in response.content.decode()
    assert len(mail.outbox) == 2
    assert User.objects.filter(email="casey@example.test").count() == 1


# The address the page showed


def _messages(response) -> str:
    return html.unescape(response.content.decode())


def test_an_address_changed_after_the_page_was_opened_is_sent_nothing_until_confirmed(
    world, login, django_capture_on_commit_callbacks
):
    patient = _no_account(world, email="ellis.ward@example.test")
    staff = login(world.clinician)
    url = reverse("pathway:portal-invite", args=[patient.uuid])
    window_a = _invite_form(staff.get(_detail(patient)).content.decode())
    assert window_a == {"shown_email": "ellis.ward@example.test"}
    # Window B: the email address on the record is changed.
    Patient.objects.filter(pk=patient.pk).update(email="someone.else@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, window_a, follow=True)
    page = _messages(response)
    assert "Nothing has been sent." in page
    assert "is now someone.else@example.test (the page showed ellis.ward@example.test)" in page
    assert mail.outbox == []
    patient.refresh_from_db()
    assert patient.user is None
    assert not User.objects.filter(email="someone.else@example.test").exists()
    assert not AuditEvent.objects.filter(patient=patient, fields=["user"]).exists()
    # The page it lands on shows the address now, and its button carries it: to confirm.
    assert "We email someone.else@example.test a link" in page
    assert _invite_form(response.content.decode()) == {"shown_email": "someone.else@example.test"}

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, _invite_form(response.content.decode()), follow=True)
    assert "We have emailed someone.else@example.test a link" in _messages(response)
    [email] = mail.outbox
    assert email.to == ["someone.else@example.test"]


def test_a_second_invitation_to_an_account_whose_address_changed_is_not_sent_unseen(
    world, login, django_capture_on_commit_callbacks
):
    patient = _no_account(world)
    staff = login(world.clinician)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(staff, patient)
    mail.outbox.clear()
    window_a = _invite_form(staff.get(_detail(patient)).content.decode())
    assert window_a == {"shown_email": "casey@example.test"}
    User.objects.filter(email="casey@example.test").update(email="casey.new@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("pathway:portal-invite", args=[patient.uuid]), window_a, follow=True
        )
    assert "is now casey.new@example.test (the page showed casey@example.test)" in _messages(
        response
    )
    assert mail.outbox == []


def test_an_invitation_without_the_address_the_page_showed_sends_nothing(
    world, login, django_capture_on_commit_callbacks
):
    patient = _no_account(world)
    staff = login(world.clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("pathway:portal-invite", args=[patient.uuid]), follow=True)
    assert "is now casey@example.test (the page did not show it)" in _messages(response)
    assert mail.outbox == []
    patient.refresh_from_db()
    assert patient.user is None


def test_the_same_address_typed_in_another_case_is_the_one_the_page_showed(
    world, login, django_capture_on_commit_callbacks
):
    patient = _no_account(world, email="Casey@Example.test")
    staff = login(world.clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("pathway:portal-invite", args=[patient.uuid]),
            {"shown_email": "casey@example.test "},
            follow=True,
        )
    assert "We have emailed casey@example.test a link" in _messages(response)
    assert [email.to for email in mail.outbox] == [["casey@example.test"]]
