"""The MDT list and the staff page of failed messages."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import Milestone, Notification, Patient
from reviews.errors import ReviewsError, StaleState
from reviews.models import Appointment, MdtCase
from reviews.services import mdt as services
from tests.reviews import builders


def test_a_case_is_flagged_discussed_and_leaves_the_open_list(world, login):
    client = login(world.clinician)
    url = reverse("reviews:mdt-create", kwargs={"patient_uuid": world.patient.uuid})
    assert "Write the question" in client.post(url, {"question": ""}).content.decode()
    client.post(url, {"question": "Deprescribing plan?"})
    case = MdtCase.objects.get()
    listing = client.get(reverse("reviews:mdt"))
    assert [c.pk for c in listing.context["page"]] == [case.pk]
    case_url = reverse("reviews:mdt-case", kwargs={"case_uuid": case.uuid})
    response = client.post(case_url, {"notes": "Discussed", "agreed_actions": ""})
    assert "Write the agreed actions" in response.content.decode()
    client.post(case_url, {"notes": "Discussed", "agreed_actions": "Taper over 8 weeks"})
    case.refresh_from_db()
    assert case.status == "discussed" and case.discussed_at is not None
    assert list(client.get(reverse("reviews:mdt")).context["page"]) == []


def test_a_question_too_long_for_the_meeting_is_refused_and_a_death_is_shown(world, login):
    client = login(world.clinician)
    url = reverse("reviews:mdt-create", kwargs={"patient_uuid": world.patient.uuid})
    page = client.post(url, {"question": "x" * 1001}).content.decode()
    assert "Keep the question to 1,000 characters or fewer." in page
    assert not MdtCase.objects.exists()
    builders.mdt_case(world.patient, question="Was anything missed? " + "y" * 400)
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 11, 2))
    listing = client.get(reverse("reviews:mdt")).content.decode()
    assert "Died 2 November 2026" in listing
    assert "y" * 200 not in listing  # a long question is shortened on the list


def test_a_case_of_a_patient_no_longer_under_care_is_marked(world, login):
    case = builders.mdt_case(world.patient, question="Deprescribing plan?")
    builders.episode_for(world.patient)
    client = login(world.clinician)
    marker = "Discharged: no longer under the team's care"
    case_url = reverse("reviews:mdt-case", kwargs={"case_uuid": case.uuid})
    assert marker not in client.get(reverse("reviews:mdt")).content.decode()
    assert 'id="discharged"' not in client.get(case_url).content.decode()
    world.patient.episodes.update(status="discharged", closed_at=timezone.now())
    assert marker in client.get(reverse("reviews:mdt")).content.decode()
    assert "has been discharged: they are no longer under the team's care" in (
        client.get(case_url).content.decode()
    )
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 11, 2))
    page = client.get(case_url).content.decode()
    assert "died on 2 November 2026" in page and "has been discharged" not in page


def test_the_reviews_tab_says_when_a_list_shows_only_its_latest_rows(world, login):
    for number in range(21):
        builders.mdt_case(world.patient, question=f"Question number {number:02d}")
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    client = login(world.clinician)
    response = client.get(url)
    assert len(response.context["mdt_cases"]) == 20
    page = response.content.decode()
    assert "Showing the latest 20 MDT questions." in page
    assert "Showing the latest 20 reviews." not in page  # a list that fits says nothing
    assert f'href="{url}?all=1"' in page  # the tab's own address: also after a form's error
    everything = client.get(url, {"all": "1"})
    assert len(everything.context["mdt_cases"]) == 21
    assert "Showing the latest" not in everything.content.decode()


def test_the_reviews_tab_says_when_past_appointments_are_cut(world, login):
    for days in range(1, 23):
        builders.appointment(
            world.patient,
            world.clinician,
            start=timezone.now() - timedelta(days=days),
            status="attended",
        )
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    client = login(world.clinician)
    response = client.get(url)
    assert len(response.context["past"]) == 20
    assert "Showing the latest 20 past appointments." in response.content.decode()
    assert len(client.get(url, {"all": "1"}).context["past"]) == 22


def test_a_case_is_discussed_once(world):
    case = builders.mdt_case(world.patient)
    services.record_mdt_discussion(actor=world.clinician, case=case, notes="", agreed_actions="A")
    with pytest.raises(StaleState):
        services.record_mdt_discussion(
            actor=world.clinician, case=case, notes="", agreed_actions="B"
        )
    with pytest.raises(ReviewsError):
        services.flag_for_mdt(actor=world.clinician, patient=world.patient, question=" ")


def test_other_pcn_cases_are_not_listed(world, login):
    builders.mdt_case(world.patient_in_c)
    assert list(login(world.clinician).get(reverse("reviews:mdt")).context["page"]) == []


def test_failed_messages_are_listed_for_the_team_and_can_be_sent_again(world, login):
    mine = builders.failed_notification(world.patient, key="a")
    builders.failed_notification(world.patient_in_c, key="c")  # another PCN
    client = login(world.clinician)
    page = client.get(reverse("reviews:failed-notifications"))
    assert [n.pk for n in page.context["page"]] == [mine.pk]
    assert "Notify 400" in page.content.decode()
    url = reverse("reviews:notification-retry", kwargs={"notification_uuid": mine.uuid})
    client.post(url)
    mine.refresh_from_db()
    assert mine.status == "queued" and mine.attempts == 0
    # The second press finds nothing failed.
    assert client.post(url).status_code == 404
    assert Notification.objects.filter(status="failed").count() == 1


@pytest.mark.parametrize("kind", ["annual_review_invite", "diary_nudge"])
def test_a_failed_message_no_longer_true_is_not_sent_again(world, login, kind):
    # Failed to a wrong number; the patient was then discharged. Sent now it would tell them of
    # care they no longer have.
    failed = builders.failed_notification(world.patient, key="a", kind=kind)
    client = login(world.clinician)
    url = reverse("reviews:notification-retry", kwargs={"notification_uuid": failed.uuid})
    response = client.post(url, follow=True)
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert "is no longer under the team&#x27;s care" in response.content.decode()
    # Under care it is sent again, unless what it invites to is booked already.
    episode = builders.episode_for(world.patient, status="active")
    if kind == "annual_review_invite":
        builders.appointment(world.patient, world.clinician, kind="annual_review", episode=episode)
        assert "annual review is booked" in client.post(url, follow=True).content.decode()
        failed.refresh_from_db()
        assert failed.status == "failed"
        Appointment.objects.update(status="cancelled", cancelled_at=timezone.now())
        # Nor once a review has been held since the invitation was made.
        held = Milestone.objects.create(
            episode=episode, kind="review_held", occurred_at=timezone.now()
        )
        assert "has had a review since" in client.post(url, follow=True).content.decode()
        held.delete()
    client.post(url)
    failed.refresh_from_db()
    assert failed.status == "queued"
