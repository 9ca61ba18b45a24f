"""Questionnaires sent to a patient on one day share their messages: one invitation (a text and
an email), withdrawn only once none of them is left to fill in. A review sends several at once,
and a patient should not get a message for each."""

import pytest
from django.utils import timezone

from pathway.models import Notification
from reviews.services import questionnaires as services
from tests.reviews import builders

pytestmark = pytest.mark.django_db


def _send(world, *codes):
    builders.episode_for(world.patient)
    return [
        services.request_questionnaire(
            actor=world.clinician, patient=world.patient, instrument=code
        )
        for code in codes
    ]


def _invitations(status="queued"):
    return Notification.objects.filter(kind="questionnaire_requested", status=status)


def test_several_sent_at_once_make_one_invitation_per_channel(world):
    _send(world, "PHQ-9", "GAD-7", "HIT-6", "MIDAS")

    assert sorted(_invitations().values_list("channel", flat=True)) == ["email", "sms"]


def test_the_invitation_stays_while_any_of_the_days_questionnaires_waits(world):
    phq9, gad7 = _send(world, "PHQ-9", "GAD-7")

    services.cancel_questionnaire_request(actor=world.clinician, request=phq9)
    assert _invitations().count() == 2

    services.submit_questionnaire(actor=world.patient_user, request=gad7, answers=[0] * 7)
    assert _invitations().count() == 0
    assert _invitations(status="cancelled").count() == 2


def test_one_sent_after_all_the_days_others_were_withdrawn_is_announced_again(world):
    [phq9] = _send(world, "PHQ-9")
    services.cancel_questionnaire_request(actor=world.clinician, request=phq9)
    assert _invitations().count() == 0

    _send(world, "GAD-7")
    assert _invitations().count() == 2


def test_one_sent_after_the_days_invitation_went_is_announced_on_its_own(world):
    _send(world, "PHQ-9")
    _invitations().update(status="sent", sent_at=timezone.now())

    _send(world, "GAD-7")
    assert _invitations().count() == 2
    assert _invitations(status="sent").count() == 2
