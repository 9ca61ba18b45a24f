"""Inviting a patient to the patient portal: an account linked to their record, and an email
with a one-use link to choose its password."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from pathway import services
from pathway.models import AuditEvent, User
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


def test_an_invited_patient_chooses_a_password_and_signs_in(
    world, login, client, django_capture_on_commit_callbacks
):
    patient = _no_account(world)
    staff = login(world.clinician)
    page = staff.get(reverse("pathway:patient-detail", args=[patient.uuid])).content.decode()
    assert "Invite to the patient portal" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("pathway:portal-invite", args=[patient.uuid]), follow=True)
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
    assert f"PHQ-9 sent to {world.patient.full_name}." in with_account.content.decode()
    assert "no patient portal account" not in with_account.content.decode()


def test_an_account_never_signed_in_to_is_sent_the_link_again(
    world, login, django_capture_on_commit_callbacks
):
    patient = _no_account(world)
    staff = login(world.clinician)
    url = reverse("pathway:portal-invite", args=[patient.uuid])
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url)
    page = staff.get(reverse("pathway:patient-detail", args=[patient.uuid])).content.decode()
    assert "Send the invitation again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, follow=True)
    assert "We have emailed casey@example.test a link" in response.content.decode()
    assert len(mail.outbox) == 2
    assert User.objects.filter(email="casey@example.test").count() == 1
