"""After a missed review: the team's decision not to book another appointment for now, which
takes the patient off the worklist's "Did not attend, not rebooked" line, and its withdrawal."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent
from reviews import worklist
from reviews.errors import ReviewsError, StaleState
from reviews.models import Appointment
from reviews.services import appointments as services
from tests.reviews import builders

WORKLIST = reverse("reviews:worklist")
REASON = "The patient will phone when the new job has settled down."


@pytest.fixture(autouse=True)
def _scan_every_time(settings):
    settings.WORKLIST_CACHE_SECONDS = 0


def _missed(world, *, start=None, **fields):
    start = start or timezone.now() - timedelta(days=3)
    return builders.appointment(
        world.patient, world.clinician, start=start, status="did_not_attend", **fields
    )


def _codes(user):
    return [reason.code for row in worklist.worklist_for(user).rows for reason in row.reasons]


def _page(appointment):
    return reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})


def _decide(appointment):
    return reverse(
        "reviews:appointment-not-rebooking", kwargs={"appointment_uuid": appointment.uuid}
    )


def test_a_decision_takes_the_missed_appointment_off_the_worklist_and_is_audited(world):
    missed = _missed(world)
    assert _codes(world.clinician) == ["not_rebooked"]
    assert services.rebooking_pending(missed)

    services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=f"  {REASON}\n")

    missed.refresh_from_db()
    assert missed.not_rebooked_reason == REASON
    assert missed.not_rebooked_by == world.clinician
    assert missed.not_rebooked_at is not None
    assert missed.status == "did_not_attend"
    assert not services.rebooking_pending(missed)
    assert _codes(world.clinician) == []
    event = AuditEvent.objects.get(object_uuid=missed.uuid, action="update")
    assert event.actor == world.clinician
    assert set(event.fields) == {"not_rebooked_reason", "not_rebooked_at", "not_rebooked_by"}


def test_the_decision_can_be_withdrawn_and_the_line_comes_back(world):
    missed = _missed(world)
    services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=REASON)

    services.undo_not_rebooking(actor=world.clinician, appointment=missed)

    missed.refresh_from_db()
    assert (missed.not_rebooked_reason, missed.not_rebooked_at, missed.not_rebooked_by) == (
        "",
        None,
        None,
    )
    assert _codes(world.clinician) == ["not_rebooked"]
    assert AuditEvent.objects.filter(object_uuid=missed.uuid, action="update").count() == 2
    with pytest.raises(StaleState, match="No decision not to rebook"):
        services.undo_not_rebooking(actor=world.clinician, appointment=missed)


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * 201])
def test_a_reason_is_needed_and_kept_short(world, reason):
    missed = _missed(world)
    with pytest.raises(ReviewsError) as raised:
        services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=reason)
    assert raised.value.field == "reason"
    missed.refresh_from_db()
    assert missed.not_rebooked_at is None


def test_nothing_to_decide_unless_the_worklist_is_asking(world):
    attended = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), status="attended"
    )
    group = _missed(world, kind="group_session")
    missed = _missed(world)
    builders.appointment(world.patient, world.clinician, kind="annual_review")
    refusals = {
        attended: "no longer marked as missed",
        group: "Only a missed review or conversation",
        missed: "Another appointment has been booked since",
    }
    for appointment, message in refusals.items():
        assert not services.rebooking_pending(appointment)
        with pytest.raises(StaleState, match=message):
            services.decide_not_to_rebook(
                actor=world.clinician, appointment=appointment, reason=REASON
            )
    assert not Appointment.objects.filter(not_rebooked_at__isnull=False).exists()


def test_a_second_decision_is_refused_and_the_first_kept(world):
    missed = _missed(world)
    services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=REASON)
    stale = Appointment.objects.get(pk=missed.pk)
    stale.not_rebooked_at = None  # as a page opened before the first decision holds it
    with pytest.raises(StaleState, match="already recorded"):
        services.decide_not_to_rebook(
            actor=world.clinician, appointment=stale, reason="Another reason"
        )
    missed.refresh_from_db()
    assert missed.not_rebooked_reason == REASON


def test_a_new_missed_appointment_after_the_decision_is_listed_again(world):
    missed = _missed(world, start=timezone.now() - timedelta(days=30))
    services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=REASON)
    again = _missed(world)
    [row] = worklist.worklist_for(world.clinician).rows
    assert row.top.code == "not_rebooked"
    assert row.top.url == _page(again)


def test_marking_the_appointment_attended_after_all_ends_the_decision(world):
    missed = _missed(world)
    services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=REASON)
    services.record_attendance(
        actor=world.clinician, appointment=missed, attended=True, correcting=True
    )
    missed.refresh_from_db()
    assert missed.status == "attended"
    assert (missed.not_rebooked_reason, missed.not_rebooked_at) == ("", None)
    event = AuditEvent.objects.filter(object_uuid=missed.uuid).latest("at")
    assert "not_rebooked_reason" in event.fields


def test_the_database_keeps_a_decision_with_a_missed_appointment_only(world):
    from django.db import IntegrityError, transaction

    missed = _missed(world)
    booked = builders.appointment(world.patient, world.clinician)
    decided = {
        "not_rebooked_reason": REASON,
        "not_rebooked_at": timezone.now(),
        "not_rebooked_by": world.clinician,
    }
    for appointment, fields in [
        (booked, decided),
        (missed, {**decided, "not_rebooked_reason": ""}),
        (missed, {**decided, "not_rebooked_by": None}),
        (missed, {"not_rebooked_reason": REASON}),
    ]:
        with (
            pytest.raises(IntegrityError, match="reviews_appointment_not_rebooked_after_missed"),
            transaction.atomic(),
        ):
            Appointment.objects.filter(pk=appointment.pk).update(**fields)


# Pages


def test_the_worklist_line_links_to_the_appointment_where_the_team_decides(world, login):
    missed = _missed(world)
    client = login(world.clinician)
    worklist_page = client.get(WORKLIST).content.decode()
    assert f'<a href="{_page(missed)}">Follow-up on' in worklist_page

    page = client.get(_page(missed)).content.decode()
    assert "After the missed appointment" in page
    assert "Book another appointment" in page
    assert "Decide not to book another appointment" in page

    response = client.post(_decide(missed), {"reason": REASON}, follow=True)
    page = response.content.decode()
    assert "Recorded: no appointment is being booked for now." in page
    assert "Not rebooked" in page
    assert REASON in page
    assert "Decided by Nurse Nia on" in page
    assert "Decide not to book another appointment" not in page
    assert _page(missed) not in client.get(WORKLIST).content.decode()
    tab = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    assert "Not rebooked: the team decided" in client.get(tab).content.decode()

    response = client.post(_decide(missed), {"undo": "yes"}, follow=True)
    page = response.content.decode()
    assert "The decision is withdrawn." in page
    assert "Decide not to book another appointment" in page
    assert _page(missed) in client.get(WORKLIST).content.decode()


def test_a_kept_worklist_drops_the_line_as_its_page_opens(world, login, settings):
    settings.WORKLIST_CACHE_SECONDS = 120
    missed = _missed(world)
    client = login(world.clinician)
    assert _page(missed) in client.get(WORKLIST).content.decode()
    client.post(_decide(missed), {"reason": REASON})
    page = client.get(WORKLIST).content.decode()
    assert _page(missed) not in page
    assert "The patients on this page no longer need attention." in page


def test_a_kept_worklist_drops_a_discharged_patients_line_at_once(world, login, settings):
    """A discharge saves the episode, which can end any kept reason: every one of the
    patient's is checked again."""
    from reviews.services.episodes import discharge_episode

    settings.WORKLIST_CACHE_SECONDS = 120
    missed = _missed(world)
    missed.episode.status = "active"
    missed.episode.save(update_fields=["status"])
    client = login(world.clinician)
    assert _page(missed) in client.get(WORKLIST).content.decode()
    discharge_episode(actor=world.clinician, episode=missed.episode, reason="patient_choice")
    page = client.get(WORKLIST).content.decode()
    assert _page(missed) not in page
    assert "The patients on this page no longer need attention." in page


def test_a_missing_reason_is_shown_beside_the_field(world, login):
    missed = _missed(world)
    response = login(world.clinician).post(_decide(missed), {"reason": "  "})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: " in page
    assert "There is a problem" in page
    assert page.count("Say why no appointment is being booked.") == 2  # summary and field
    assert '<details class="nhsuk-details" open>' in page
    missed.refresh_from_db()
    assert missed.not_rebooked_at is None


def test_a_decision_sent_twice_says_so(world, login):
    missed = _missed(world)
    client = login(world.clinician)
    client.post(_decide(missed), {"reason": REASON})
    response = client.post(_decide(missed), {"reason": "Changed my mind"}, follow=True)
    assert "already recorded" in response.content.decode()
    missed.refresh_from_db()
    assert missed.not_rebooked_reason == REASON


def test_only_the_patients_care_team_can_decide(world, login):
    missed = _missed(world)
    assert login(world.other_clinician).post(_decide(missed), {"reason": REASON}).status_code == 404
    for user in (world.patient_user, world.gp, world.commissioner):
        assert login(user).post(_decide(missed), {"reason": REASON}).status_code == 404
    assert login(world.clinician).get(_decide(missed)).status_code == 405
    missed.refresh_from_db()
    assert missed.not_rebooked_at is None


def test_nothing_to_decide_once_the_patient_is_discharged(world):
    missed = _missed(world)
    missed.episode.status = "discharged"
    missed.episode.closed_at = timezone.now()
    missed.episode.save()
    assert not services.rebooking_pending(missed)
    with pytest.raises(StaleState, match="discharged"):
        services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=REASON)


def test_correcting_a_stale_page_to_attended_ends_a_decision_made_since(world):
    missed = _missed(world)
    stale = Appointment.objects.get(pk=missed.pk)
    services.decide_not_to_rebook(actor=world.clinician, appointment=missed, reason=REASON)
    services.record_attendance(
        actor=world.clinician, appointment=stale, attended=True, correcting=True
    )
    missed.refresh_from_db()
    assert (missed.status, missed.not_rebooked_at) == ("attended", None)


def test_book_another_appointment_starts_from_the_missed_one(world, login, second_clinician):
    episode = builders.episode_for(world.patient)
    missed = builders.appointment(
        world.patient,
        second_clinician,
        start=timezone.now() - timedelta(days=3),
        status="did_not_attend",
        kind="medication_review",
        duration_minutes=45,
        modality="in_person",
        location="Room 4, Riverside Clinic",
        episode=episode,
    )
    client = login(world.clinician)
    page = client.get(_page(missed)).content.decode()
    link = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    link = f"{link}?rebook={missed.uuid}"
    assert f'href="{link}">Book another appointment</a>' in page
    form = client.get(link).context["form"]
    assert {name: form[name].value() for name in ("kind", "episode", "clinician")} == {
        "kind": "medication_review",
        "episode": episode.pk,
        "clinician": second_clinician.pk,
    }
    assert (form["modality"].value(), form["location"].value()) == (
        "in_person",
        "Room 4, Riverside Clinic",
    )
    assert form["duration_minutes"].value() == 45


def test_book_another_after_a_missed_first_conversation_offers_a_follow_up_once_one_is_booked(
    world, login
):
    episode = builders.episode_for(world.patient)
    missed = _missed(world, kind="first_conversation", episode=episode)
    link = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    link = f"{link}?rebook={missed.uuid}"
    client = login(world.clinician)
    assert client.get(link).context["form"]["kind"].value() == "first_conversation"
    # Booked again since (the page opened again from an old link): a second would be refused.
    builders.appointment(world.patient, world.clinician, kind="first_conversation", episode=episode)
    assert client.get(link).context["form"]["kind"].value() == "follow_up"


def test_book_another_appointment_keeps_a_missed_video_calls_link(world, login):
    missed = _missed(world, modality="video", video_link="https://video.example.test/room-9")
    link = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    form = login(world.clinician).get(f"{link}?rebook={missed.uuid}").context["form"]
    assert form["modality"].value() == "video"
    assert form["video_link"].value() == "https://video.example.test/room-9"
    assert form["clinician"].value() == world.clinician.pk


def test_book_another_appointment_is_not_started_from_another_patients(world, login):
    theirs = builders.appointment(world.other_patient, world.clinician, status="did_not_attend")
    link = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    client = login(world.clinician)
    assert client.get(f"{link}?rebook={theirs.uuid}").status_code == 404
    assert client.get(f"{link}?rebook=not-a-uuid").status_code == 404
