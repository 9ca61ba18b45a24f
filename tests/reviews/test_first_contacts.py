"""The waiting list says where each patient stands with their first conversation (booked, when
and how; missed; not booked) with a link to the appointment or to book it for that episode
(pathway.first_contacts, reviews.first_contacts)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathway.models import Milestone
from reviews.errors import ReviewsError
from reviews.services import appointments as services
from tests.factories import PatientFactory
from tests.referrals import builders as referral_builders
from tests.reviews import builders

pytestmark = pytest.mark.django_db

WAITING = reverse("referrals:waiting-list")
LONDON = ZoneInfo("Europe/London")


def _row(body: str, referral) -> str:
    """The table row of `referral` on the waiting list page."""
    start = body.index(str(referral.uuid))
    return body[body.rindex("<tr", 0, start) : body.index("</tr>", start)]


def _accepted(world, patient=None):
    return referral_builders.decided(patient or world.patient, world.gp, world.clinician)


def test_a_booked_first_conversation_shows_when_and_how_with_its_link(world, login):
    referral = _accepted(world)
    start = datetime(2031, 3, 6, 10, 30, tzinfo=LONDON)
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        start=start,
        kind="first_conversation",
        modality="phone",
        episode=referral.episode,
    )
    row = _row(login(world.clinician).get(WAITING).content.decode(), referral)
    assert "Booked" in row
    assert "Thu 6 Mar 2031, 10:30, phone call" in row
    assert reverse("reviews:appointment", args=[appointment.uuid]) in row
    assert "Book the first conversation" not in row


def test_not_booked_links_to_booking_that_episodes_first_conversation(world, login):
    referral = _accepted(world)
    # A cancelled one and a follow-up of another episode do not count.
    builders.appointment(
        world.patient,
        world.clinician,
        kind="first_conversation",
        status="cancelled",
        episode=referral.episode,
    )
    builders.appointment(world.patient, world.clinician, kind="follow_up")
    client = login(world.clinician)
    row = _row(client.get(WAITING).content.decode(), referral)
    assert "Not booked" in row
    book = (
        reverse("reviews:appointment-create", args=[world.patient.uuid])
        + f"?episode={referral.episode.uuid}"
    )
    assert f'href="{book}"' in row
    assert "Book the first conversation" in row
    # The booking page opens on that episode, as a first conversation.
    form = client.get(book).context["form"]
    assert form.initial["episode"] == referral.episode_id
    assert form.initial["kind"] == "first_conversation"


def test_a_missed_first_conversation_says_so_and_offers_to_book_again(world, login):
    referral = _accepted(world)
    earlier = datetime(2026, 11, 2, 9, 0, tzinfo=LONDON)
    builders.appointment(
        world.patient,
        world.clinician,
        start=earlier - timedelta(days=7),
        kind="first_conversation",
        status="did_not_attend",
        episode=referral.episode,
    )
    builders.appointment(
        world.patient,
        world.clinician,
        start=earlier,
        kind="first_conversation",
        status="did_not_attend",
        episode=referral.episode,
    )
    row = _row(login(world.clinician).get(WAITING).content.decode(), referral)
    assert "Did not attend on Mon 2 Nov 2026, 09:00" in row
    assert "Book it again" in row


def test_each_row_speaks_of_its_own_episode(world, login):
    first = _accepted(world)
    second = _accepted(world, world.other_patient)
    builders.appointment(
        world.other_patient,
        world.clinician,
        kind="first_conversation",
        episode=second.episode,
        start=datetime(2031, 1, 2, 14, 0, tzinfo=LONDON),
        modality="video",
        video_link="https://video.example.test/x",
    )
    body = login(world.clinician).get(WAITING).content.decode()
    assert "Not booked" in _row(body, first)
    assert "Thu 2 Jan 2031, 14:00, video call" in _row(body, second)
    assert "Not booked" not in _row(body, second)
    assert '<th scope="col">First conversation</th>' in body


def test_the_booking_page_ignores_an_episode_it_cannot_use(world, login):
    client = login(world.clinician)
    url = reverse("reviews:appointment-create", args=[world.patient.uuid])
    others = _accepted(world, world.other_patient)
    for value in ("not-a-uuid", str(others.episode.uuid), "\x00"):
        response = client.get(url, {"episode": value})
        assert response.status_code == 200
        assert response.context["form"].initial.get("episode") != others.episode_id


def test_the_waiting_list_with_bookings_has_a_constant_query_count(world, login):
    client = login(world.clinician)

    def waiting_with_booking():
        patient = PatientFactory(registered_practice=world.practice_a)
        referral = _accepted(world, patient)
        builders.appointment(
            patient, world.clinician, kind="first_conversation", episode=referral.episode
        )

    waiting_with_booking()
    _accepted(world)
    client.get(WAITING)
    with CaptureQueriesContext(connection) as before:
        client.get(WAITING)
    waiting_with_booking()
    waiting_with_booking()
    with CaptureQueriesContext(connection) as after:
        body = client.get(WAITING).content.decode()
    assert body.count("See the appointment") == 3
    assert len(after) == len(before)


def test_an_attended_first_conversation_asks_for_its_outcome_and_is_not_booked_again(world, login):
    referral = _accepted(world)
    attended = builders.appointment(
        world.patient,
        world.clinician,
        start=datetime(2026, 11, 30, 9, 0, tzinfo=LONDON),
        kind="first_conversation",
        status="attended",
        episode=referral.episode,
    )
    client = login(world.clinician)
    row = _row(client.get(WAITING).content.decode(), referral)
    assert "Attended" in row
    assert "Attended on Mon 30 Nov 2026, 09:00: outcome not recorded" in row
    assert reverse("reviews:review", args=[attended.uuid]) in row
    assert "Record the outcome" in row
    assert "Book" not in row
    # The booking page offers a follow-up, and a second first conversation is refused.
    book = reverse("reviews:appointment-create", args=[world.patient.uuid])
    assert (
        client.get(book, {"episode": referral.episode.uuid}).context["form"].initial["kind"]
        == "follow_up"
    )
    with pytest.raises(ReviewsError, match="attended on 30 November 2026. Record its outcome"):
        services.book_appointment(
            actor=world.clinician,
            patient=world.patient,
            kind="first_conversation",
            start=timezone.now() + timedelta(days=3),
            duration_minutes=30,
            modality="phone",
            clinician=world.clinician,
            episode=referral.episode,
        )


def test_the_referral_page_tells_the_team_where_the_first_contact_stands(world, login):
    referral = _accepted(world)
    url = reverse("referrals:detail", args=[referral.uuid])
    client = login(world.clinician)
    body = client.get(url).content.decode()
    assert "First conversation" in body and "Not booked" in body
    assert f"?episode={referral.episode.uuid}" in body
    builders.appointment(
        world.patient,
        world.clinician,
        start=datetime(2031, 3, 6, 10, 30, tzinfo=LONDON),
        kind="first_conversation",
        episode=referral.episode,
    )
    body = client.get(url).content.decode()
    assert "Thu 6 Mar 2031, 10:30, phone call" in body
    held = timezone.now() - timedelta(days=1)
    Milestone.objects.create(episode=referral.episode, kind="first_contact", occurred_at=held)
    body = client.get(url).content.decode()
    assert f"Held on {timezone.localtime(held):%-d %B %Y}, within the target" in body
    assert "Not booked" not in body and "Thu 6 Mar 2031" not in body
    # The referrer reads the outcome, not the team's bookings.
    gp_body = login(world.gp).get(url).content.decode()
    assert "Held on" not in gp_body and "First conversation" not in gp_body
