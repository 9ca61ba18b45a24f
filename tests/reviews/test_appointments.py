"""Booking, moving, cancelling and attendance: services and pages."""

import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Milestone, Notification, Patient
from reviews.errors import ReviewsError, SlotTaken, StaleState
from reviews.models import Appointment, BookingRequest, GroupSession, Review
from reviews.services import appointments as services
from tests.referrals import builders as referral_builders
from tests.reviews import builders


def _later(days=2, hour=10, minute=0):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def _book(world, **overrides):
    fields = {
        "actor": world.clinician,
        "patient": world.patient,
        "episode": builders.episode_for(world.patient),
        "kind": "first_conversation",
        "start": _later(),
        "duration_minutes": 30,
        "modality": "video",
        "clinician": world.clinician,
        "video_link": "https://video.example.test/room",
    }
    return services.book_appointment(**{**fields, **overrides})


def test_it_books_an_appointment_writes_an_audit_row_and_tells_the_patient(world):
    appointment = _book(world)
    assert appointment.status == "booked"
    assert AuditEvent.objects.filter(
        action="create", object_uuid=appointment.uuid, patient=world.patient
    ).exists()
    rows = Notification.objects.filter(patient=world.patient, kind="appointment_booked")
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "sms"]


def test_it_refuses_to_double_book_a_clinician(world, second_clinician):
    _book(world)
    with pytest.raises(SlotTaken, match="already has an appointment at 10:00"):
        _book(
            world,
            patient=world.other_patient,
            start=_later(minute=15),
            episode=builders.episode_for(world.other_patient),
        )
    # Back to back is fine, and another clinician at the same time is fine.
    _book(
        world,
        patient=world.other_patient,
        start=_later(minute=30),
        episode=builders.episode_for(world.other_patient),
    )
    _book(
        world,
        patient=world.patient_in_b,
        clinician=second_clinician,
        episode=builders.episode_for(world.patient_in_b),
    )
    assert Appointment.objects.count() == 3


def _group_session(world, start, *, facilitators=None, repeat=1):
    from reviews.services import groups

    return groups.create_group_sessions(
        actor=world.clinician,
        organisation=world.service,
        topic="Pacing and sleep",
        start=start,
        duration_minutes=60,
        capacity=8,
        facilitators=facilitators if facilitators is not None else [world.clinician],
        repeat=repeat,
        video_link="https://video.example.test/group",
    )


def test_a_clinician_running_a_group_session_is_not_booked_over_it(world, second_clinician):
    session = _group_session(world, _later(hour=9, minute=30))[0]
    name = world.clinician.full_name
    with pytest.raises(SlotTaken) as taken:
        _book(world, start=_later(hour=10))
    assert str(taken.value) == (
        f"{name} is running the group session “Pacing and sleep” at 09:30, which overlaps "
        "this time. Choose another time or clinician."
    )
    assert taken.value.field == "start"
    # Once it ends, or with another clinician, the time is free; a cancelled session frees it.
    _book(world, start=_later(hour=10, minute=30))
    _book(
        world,
        patient=world.other_patient,
        clinician=second_clinician,
        start=_later(hour=10),
        episode=builders.episode_for(world.other_patient),
    )
    type(session).objects.filter(pk=session.pk).update(cancelled_at=timezone.now())
    _book(
        world,
        patient=world.patient_in_b,
        start=_later(hour=10),
        episode=builders.episode_for(world.patient_in_b),
    )


def test_a_group_session_is_not_set_over_a_facilitators_appointment(world, second_clinician):
    _book(world, start=_later(days=33, hour=14))
    with pytest.raises(SlotTaken) as taken:
        _group_session(world, _later(days=33, hour=13, minute=30))
    assert taken.value.field == "facilitators"
    assert "already has an appointment at 14:00 that overlaps this time" in str(taken.value)
    assert "Choose another time or facilitator." in str(taken.value)
    other = _group_session(
        world, _later(days=33, hour=13, minute=30), facilitators=[second_clinician]
    )
    assert len(other) == 1


def test_it_refuses_to_double_book_a_patient(world, second_clinician):
    _book(world)
    with pytest.raises(SlotTaken, match="This patient already has an appointment"):
        _book(world, clinician=second_clinician, start=_later(minute=20), kind="follow_up")


def _at_once(first, second) -> list:
    """Run `first` in a transaction that holds its locks until `second`, started meanwhile in
    another thread, has had time to run; returns what each returned or raised."""
    started, results = threading.Event(), [None, None]

    def run(index, book, hold):
        try:
            with transaction.atomic():
                results[index] = book()
                if hold:
                    started.set()
                    time.sleep(0.5)  # the second booking runs now, or waits for this one
        except ReviewsError as error:
            results[index] = error
        finally:
            started.set()
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(0, first, True)),
        threading.Thread(target=run, args=(1, second, False)),
    ]
    threads[0].start()
    started.wait(10)
    threads[1].start()
    for thread in threads:
        thread.join(20)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every write")
@pytest.mark.django_db(transaction=True)
def test_two_clinicians_booking_one_patient_at_once_book_only_one(world, second_clinician):
    episode = builders.episode_for(world.patient)
    first, second = _at_once(
        lambda: _book(world, episode=episode),
        lambda: _book(
            world,
            episode=episode,
            clinician=second_clinician,
            start=_later(minute=20),
            kind="follow_up",
        ),
    )
    assert isinstance(first, Appointment)
    assert isinstance(second, SlotTaken)
    assert "This patient already has an appointment" in str(second)
    assert Appointment.objects.filter(patient=world.patient).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every write")
@pytest.mark.django_db(transaction=True)
def test_a_group_session_set_while_its_facilitator_is_booked_does_not_overlap(
    world, second_clinician
):
    first, second = _at_once(
        lambda: _book(world, start=_later(days=33, hour=14)),
        lambda: _group_session(
            world,
            _later(days=33, hour=13, minute=30),
            facilitators=[second_clinician, world.clinician],
        ),
    )
    assert isinstance(first, Appointment)
    assert isinstance(second, SlotTaken)
    assert not GroupSession.objects.exists()


@pytest.mark.parametrize("kind", ["follow_up", "medication_review", "annual_review"])
def test_a_review_is_booked_only_after_the_first_conversation_is(world, kind):
    episode = builders.episode_for(world.patient)
    with pytest.raises(ReviewsError, match="book the first conversation first") as refused:
        _book(world, episode=episode, kind=kind, start=_later(days=9))
    assert refused.value.field == "kind"
    assert not Appointment.objects.exists()
    # Once the first conversation is booked, what follows it can be too, but not before it.
    _book(world, episode=episode)
    with pytest.raises(ReviewsError, match="is booked for .* book this after it") as early:
        _book(world, episode=episode, kind=kind, start=_later(days=1))
    assert early.value.field == "start"
    assert _book(world, episode=episode, kind=kind, start=_later(days=9)).kind == kind


def _move(world, appointment, start):
    return services.reschedule_appointment(
        actor=world.clinician,
        appointment=appointment,
        start=start,
        duration_minutes=30,
        modality="video",
        clinician=world.clinician,
        video_link="https://video.example.test/room",
    )


@pytest.mark.parametrize("kind", ["follow_up", "medication_review", "annual_review"])
def test_moving_keeps_a_review_after_the_first_conversation(world, kind):
    episode = builders.episode_for(world.patient)
    first = _book(world, episode=episode, start=_later(days=5))
    review = _book(world, episode=episode, kind=kind, start=_later(days=9))
    # The review is not moved before the first conversation...
    with pytest.raises(ReviewsError, match="is booked for .* book this after it") as early:
        _move(world, review, _later(days=3))
    assert early.value.field == "start" and early.value.appointment == first
    # ...nor the first conversation past the review, which names it.
    with pytest.raises(ReviewsError, match="booked for .*, before this time") as late:
        _move(world, first, _later(days=10))
    assert late.value.field == "start" and late.value.appointment == review
    for appointment, start in [(first, _later(days=5)), (review, _later(days=9))]:
        appointment.refresh_from_db()
        assert appointment.start == start
    # Either may move while the order holds.
    assert _move(world, first, _later(days=8)).start == _later(days=8)
    assert _move(world, review, _later(days=8, hour=11)).start == _later(days=8, hour=11)


def test_the_move_page_names_the_review_a_first_conversation_cannot_pass(world, login):
    episode = builders.episode_for(world.patient)
    first = _book(world, episode=episode, start=_later(days=5))
    review = _book(world, episode=episode, kind="follow_up", start=_later(days=9))
    day = _later(days=10).date()
    page = login(world.clinician).post(
        reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": first.uuid}),
        {
            "start_date": day.isoformat(),
            "start_time": "10:00",
            "duration_minutes": "30",
            "modality": "phone",
            "clinician": world.clinician.pk,
        },
    )
    assert page.status_code == 200
    assert page.context["form"].errors["start_date"] == [
        f"A follow-up for this episode is booked for "
        f"{timezone.localtime(review.start):%A %-d %B} at 10:00, before this time: the first "
        "conversation comes first. Choose a time before it, or move that appointment later "
        "first."
    ]
    link = reverse("reviews:appointment", kwargs={"appointment_uuid": review.uuid})
    assert f'href="{link}"' in page.content.decode()
    first.refresh_from_db()
    assert first.start == _later(days=5)


def test_a_first_conversation_booked_again_is_not_set_after_a_booked_review(world):
    episode = builders.episode_for(world.patient)
    missed = _book(world, episode=episode, start=_later(days=5))
    review = _book(world, episode=episode, kind="follow_up", start=_later(days=9))
    services.cancel_appointment(actor=world.clinician, appointment=missed, reason="Unwell")
    # With none arranged, the review may still move; it stays booked either way.
    review = _move(world, review, _later(days=10))
    with pytest.raises(ReviewsError, match="A follow-up for this episode is booked for") as late:
        _book(world, episode=episode, start=_later(days=12))
    assert late.value.appointment == review
    assert _book(world, episode=episode, start=_later(days=7)).start == _later(days=7)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every write")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reason", ["patient_choice", "died"])
def test_booking_while_another_clinician_discharges_the_episode_does_not_deadlock(
    world, second_clinician, monkeypatch, reason
):
    from reviews.services import episodes as episode_services
    from tests.referrals import builders as referral_builders

    episode = referral_builders.decided(world.patient, world.gp, world.clinician, "accept").episode
    builders.under_care(world.patient)
    checking, results = threading.Event(), {}
    clash = services.clinician_clash

    def slow_clash(*args, **kwargs):
        # The booking holds its locks here while the discharge starts.
        checking.set()
        time.sleep(0.5)
        return clash(*args, **kwargs)

    monkeypatch.setattr(services, "clinician_clash", slow_clash)

    def run(name, action):
        try:
            with transaction.atomic():
                results[name] = action()
        except Exception as error:  # noqa: BLE001 - what each got is the assertion
            results[name] = error
        finally:
            checking.set()
            connections.close_all()

    booking = threading.Thread(
        target=run,
        args=("booked", lambda: _book(world, episode=episode, kind="follow_up")),
    )
    discharge = threading.Thread(
        target=run,
        args=(
            "discharged",
            lambda: episode_services.discharge_episode(
                actor=second_clinician,
                episode=episode,
                reason=reason,
                **({"date_of_death": timezone.localdate()} if reason == "died" else {}),
            ),
        ),
    )
    booking.start()
    checking.wait(10)
    discharge.start()
    for thread in (booking, discharge):
        thread.join(20)
    assert isinstance(results["booked"], Appointment), results["booked"]
    assert not isinstance(results["discharged"], Exception), results["discharged"]
    # The discharge waited for the booking, and ended it with the rest of the care.
    assert Appointment.objects.get().status == "cancelled"


def test_a_cancelled_appointment_frees_the_slot(world):
    first = _book(world)
    services.cancel_appointment(actor=world.clinician, appointment=first, reason="")
    _book(world)
    assert Appointment.objects.filter(status="booked").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": timezone.now() - timedelta(minutes=1)}, "in the future"),
        ({"duration_minutes": 0}, "length from 1"),
        ({"duration_minutes": 241}, "length from 1"),
        ({"modality": "phone"}, "Only video appointments have a video link"),
        ({"video_link": ""}, "Enter the video link the patient will join by"),
    ],
)
def test_it_refuses_bad_bookings_with_a_clear_message(world, overrides, message):
    with pytest.raises(ReviewsError, match=message):
        _book(world, **overrides)
    assert not Appointment.objects.exists()


def test_it_refuses_a_clinician_outside_the_patients_care_team(world):
    with pytest.raises(ReviewsError, match="not in this patient's care team"):
        _book(world, clinician=world.other_clinician)


def test_it_refuses_another_patients_episode(world):
    with pytest.raises(ReviewsError, match="open episodes"):
        _book(world, episode=builders.episode_for(world.other_patient))


def test_moving_an_appointment_checks_the_new_slot_and_answers_a_rearrange_request(world):
    moving = _book(world)
    other = _book(
        world,
        patient=world.other_patient,
        start=_later(days=3),
        episode=builders.episode_for(world.other_patient),
    )
    services.request_rearrangement(
        actor=world.patient_user, appointment=moving, reason="Mornings are hard"
    )
    with pytest.raises(SlotTaken):
        services.reschedule_appointment(
            actor=world.clinician,
            appointment=moving,
            start=other.start,
            duration_minutes=30,
            modality="phone",
            clinician=world.clinician,
        )
    # Moving within its own slot does not clash with itself.
    services.reschedule_appointment(
        actor=world.clinician,
        appointment=moving,
        start=_later(minute=10),
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )
    moving.refresh_from_db()
    assert moving.start == _later(minute=10)
    assert moving.rearrange_requested_at is None and moving.rearrange_reason == ""
    # A new "booked" message goes for the new time.
    assert (
        Notification.objects.filter(
            kind="appointment_booked", patient=world.patient, channel="sms"
        ).count()
        == 2
    )


def test_a_move_that_changes_nothing_is_refused_and_tells_the_patient_nothing(world):
    appointment = _book(world)
    same = {
        "start": appointment.start,
        "duration_minutes": 30,
        "modality": "video",
        "clinician": world.clinician,
        "video_link": "https://video.example.test/room",
    }
    before = Notification.objects.count()
    with pytest.raises(ReviewsError, match="Nothing has changed"):
        services.reschedule_appointment(actor=world.clinician, appointment=appointment, **same)
    assert Notification.objects.count() == before
    # The same time answers a patient's request to rearrange: keeping it is a choice.
    services.request_rearrangement(
        actor=world.patient_user, appointment=appointment, reason="Mornings are hard"
    )
    appointment.refresh_from_db()
    services.reschedule_appointment(actor=world.clinician, appointment=appointment, **same)
    appointment.refresh_from_db()
    assert appointment.rearrange_requested_at is None


def test_moving_to_a_video_call_needs_the_link_the_patient_joins_by(world):
    appointment = _book(world, modality="phone", video_link="")
    told = Notification.objects.count()
    move = {
        "actor": world.clinician,
        "appointment": appointment,
        "start": appointment.start,
        "duration_minutes": 30,
        "modality": "video",
        "clinician": world.clinician,
    }
    with pytest.raises(ReviewsError, match="Enter the video link the patient will join by") as e:
        services.reschedule_appointment(**move, video_link="")
    assert e.value.field == "video_link"
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.video_link) == ("phone", "")
    assert Notification.objects.count() == told
    # With its link, it moves, and the patient is told.
    services.reschedule_appointment(**move, video_link="https://video.example.test/moved")
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.video_link) == (
        "video",
        "https://video.example.test/moved",
    )
    assert Notification.objects.count() > told


def test_the_video_link_is_not_labelled_optional(world, login):
    client = login(world.clinician)
    builders.episode_for(world.patient)
    appointment = builders.appointment(world.patient, world.clinician)
    move = reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid})
    for url in (_create_url(world.patient), move):
        page = client.get(url).content.decode()
        assert "Needed for a video appointment with the patient, starting https://" in page
        assert "Video link (optional)" not in page


def test_the_move_page_asks_for_the_video_link_when_moving_to_a_video_call(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=_later(days=3))
    client = login(world.clinician)
    url = reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid})
    day = timezone.localdate() + timedelta(days=3)
    form = {
        "start_date": day.isoformat(),
        "start_time": "10:00",
        "duration_minutes": "",
        "modality": "video",
        "video_link": "",
        "location": "",
        "clinician": world.clinician.pk,
    }
    response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert 'id="id_video_link-error"' in body
    assert "Enter the video link the patient will join by, or choose phone or in person." in body
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.video_link) == ("phone", "")
    response = client.post(url, {**form, "video_link": "https://video.example.test/room"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.video_link) == (
        "video",
        "https://video.example.test/room",
    )


def test_cancel_tells_the_patient_and_a_second_cancel_is_refused(world):
    appointment = _book(world)
    services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="Ill")
    assert Notification.objects.filter(kind="appointment_cancelled").count() == 2
    with pytest.raises(StaleState):
        services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="")
    stale = Appointment.objects.get(pk=appointment.pk)
    stale.status = "booked"  # a copy loaded before the first cancel
    with pytest.raises(StaleState):
        services.cancel_appointment(actor=world.clinician, appointment=stale, reason="")


def test_attendance_is_recorded_only_once_the_appointment_has_started(world):
    future = _book(world)
    with pytest.raises(ReviewsError, match="once the appointment has started"):
        services.record_attendance(actor=world.clinician, appointment=future, attended=True)
    past = builders.appointment(world.patient, world.clinician, start=timezone.now())
    services.record_attendance(actor=world.clinician, appointment=past, attended=False)
    past.refresh_from_db()
    assert past.status == "did_not_attend" and past.attendance_recorded_at is not None


def test_an_opted_out_patient_gets_no_message(world):
    world.patient.opted_out_at = timezone.now()
    world.patient.save()
    _book(world)
    assert not Notification.objects.exists()


def test_only_consented_channels_are_queued(world):
    world.patient.sms_consent = False
    world.patient.save()
    _book(world)
    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


def test_a_patient_asks_for_an_appointment_once(world):
    builders.under_care(world.patient)
    services.request_booking(actor=world.patient_user, patient=world.patient, kind="annual_review")
    with pytest.raises(ReviewsError, match="already asked"):
        services.request_booking(
            actor=world.patient_user, patient=world.patient, kind="annual_review"
        )
    request = BookingRequest.objects.get()
    appointment = _book(world, kind="annual_review", booking_request=request)
    request.refresh_from_db()
    assert request.status == "booked" and request.appointment == appointment


def test_booking_from_the_patients_page_answers_their_waiting_request(world):
    builders.under_care(world.patient)
    services.request_booking(actor=world.patient_user, patient=world.patient, kind="annual_review")
    request = BookingRequest.objects.get()
    # Another kind of appointment is not what they asked for.
    _book(world, kind="follow_up")
    request.refresh_from_db()
    assert request.status == "open"
    annual = _book(world, kind="annual_review", start=_later() + timedelta(days=1))
    request.refresh_from_db()
    assert (request.status, request.appointment) == ("booked", annual)


def test_a_request_booked_already_books_nothing_more(world, login):
    builders.under_care(world.patient)
    services.request_booking(actor=world.patient_user, patient=world.patient, kind="annual_review")
    request = BookingRequest.objects.get()
    _book(world, kind="annual_review", booking_request=request)
    request.refresh_from_db()
    with pytest.raises(StaleState, match="already been booked"):
        _book(world, kind="annual_review", booking_request=request, start=_later() + timedelta(1))
    assert Appointment.objects.count() == 1
    # An old "Book it" link says so before anything is typed.
    url = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    page = login(world.clinician).get(url, {"request": request.uuid}).content.decode()
    assert "Request already booked" in page


def test_a_malformed_request_in_the_booking_link_is_not_found(world, login):
    url = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    assert login(world.clinician).get(url, {"request": "garbage"}).status_code == 404


def test_a_request_is_booked_only_for_its_own_patient(world, login):
    builders.under_care(world.patient)
    services.request_booking(actor=world.patient_user, patient=world.patient, kind="annual_review")
    request = BookingRequest.objects.get()
    url = reverse("reviews:appointment-create", kwargs={"patient_uuid": world.other_patient.uuid})
    assert login(world.clinician).get(url, {"request": request.uuid}).status_code == 404
    with pytest.raises(ReviewsError, match="another patient"):
        _book(
            world,
            patient=world.other_patient,
            episode=builders.episode_for(world.other_patient),
            booking_request=request,
        )


# Pages


def _form(**overrides):
    day = timezone.localdate() + timedelta(days=2)
    data = {
        "kind": "first_conversation",
        "start_date": day.isoformat(),
        "start_time": "10:00",
        "duration_minutes": "",
        "modality": "video",
        "video_link": "https://video.example.test/room",
        "location": "",
    }
    return {**data, **overrides}


def _create_url(patient):
    return reverse("reviews:appointment-create", kwargs={"patient_uuid": patient.uuid})


def test_the_booking_page_books_with_the_default_length(world, login):
    client = login(world.clinician)
    episode = builders.episode_for(world.patient)
    response = client.post(
        _create_url(world.patient),
        _form(episode=episode.pk, clinician=world.clinician.pk),
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reviews:appointment", kwargs={"appointment_uuid": appointment.uuid}
    )
    assert appointment.duration_minutes == 30
    assert timezone.localtime(appointment.start).hour == 10


def test_a_refused_second_first_conversation_links_to_the_one_booked(world, login):
    client = login(world.clinician)
    episode = builders.episode_for(world.patient)
    form = _form(episode=episode.pk, clinician=world.clinician.pk)
    client.post(_create_url(world.patient), form)
    first = Appointment.objects.get()
    link = reverse("reviews:appointment", kwargs={"appointment_uuid": first.uuid})
    when = timezone.localtime(first.start)
    # Before it or after it: the episode has one, and the message says so, not a review's.
    for days in (1, 5):
        day = (timezone.localdate() + timedelta(days=days)).isoformat()
        response = client.post(_create_url(world.patient), {**form, "start_date": day})
        body = response.content.decode()
        assert response.status_code == 200 and Appointment.objects.count() == 1
        assert (
            f"A first conversation is already booked for {when:%-d %B %Y} at 10:00. Move that "
            "one instead of booking another." in body
        )
        assert "Reviews follow it" not in body
        assert (
            f'<a href="{link}">Open the first conversation on {when:%-d %B %Y} at 10:00</a>' in body
        )


def test_a_first_conversation_is_not_booked_again_once_held_and_links_to_it(world, login):
    episode = builders.episode_for(world.patient, status="active")
    held = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() - timedelta(days=7),
        kind="first_conversation",
        status="attended",
        episode=episode,
    )
    Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=held.start)
    client = login(world.clinician)
    assert _kind_chosen(client.get(_create_url(world.patient))) == "follow_up"
    response = client.post(
        _create_url(world.patient), _form(episode=episode.pk, clinician=world.clinician.pk)
    )
    body = response.content.decode()
    when = timezone.localtime(held.start)
    assert (
        f"The first conversation for this episode was held on {when:%-d %B %Y}. Book a "
        "follow-up instead." in body
    )
    link = reverse("reviews:appointment", kwargs={"appointment_uuid": held.uuid})
    assert f'<a href="{link}">Open the first conversation on {when:%-d %B %Y} at ' in body
    assert Appointment.objects.count() == 1


def test_a_refused_overlapping_booking_links_to_the_patients_appointment(world, login):
    client = login(world.clinician)
    episode = builders.under_care(world.patient)
    other = builders.appointment(
        world.patient,
        world.other_clinician,
        start=timezone.localtime(timezone.now() + timedelta(days=2)).replace(
            hour=10, minute=15, second=0, microsecond=0
        ),
        kind="follow_up",
        episode=episode,
    )
    response = client.post(
        _create_url(world.patient),
        _form(episode=episode.pk, clinician=world.clinician.pk, kind="follow_up"),
    )
    body = response.content.decode()
    assert "This patient already has an appointment at" in body
    link = reverse("reviews:appointment", kwargs={"appointment_uuid": other.uuid})
    assert f'<a href="{link}">Open the follow-up on ' in body
    # A clash in the clinician's diary does not link to another patient's appointment.
    day = timezone.localdate() + timedelta(days=3)
    builders.appointment(
        world.other_patient,
        world.clinician,
        start=timezone.make_aware(datetime.combine(day, clock(10, 15))),
    )
    response = client.post(
        _create_url(world.patient),
        _form(
            episode=episode.pk,
            clinician=world.clinician.pk,
            kind="follow_up",
            start_date=day.isoformat(),
        ),
    )
    body = response.content.decode()
    assert f"{world.clinician.full_name} already has an appointment at" in body
    assert "Open the" not in body


def _kind_chosen(response) -> str:
    import re

    select = re.search(r'<select name="kind".*?</select>', response.content.decode(), re.S)
    return re.search(r'<option value="([^"]+)"[^>]*selected', select.group(0)).group(1)


def test_the_booking_page_offers_the_first_conversation_until_one_is_arranged(world, login):
    client = login(world.clinician)
    episode = builders.episode_for(world.patient)
    assert _kind_chosen(client.get(_create_url(world.patient))) == "first_conversation"
    # Booked: a second would be refused, so the page offers the usual next appointment.
    booked = builders.appointment(
        world.patient, world.clinician, episode=episode, kind="first_conversation"
    )
    assert booked.kind == "first_conversation"
    assert _kind_chosen(client.get(_create_url(world.patient))) == "follow_up"
    # Cancelled, it may be booked again.
    Appointment.objects.filter(pk=booked.pk).update(status="cancelled", cancelled_at=timezone.now())
    assert _kind_chosen(client.get(_create_url(world.patient))) == "first_conversation"
    # Held: follow-ups from then on.
    Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=timezone.now())
    assert _kind_chosen(client.get(_create_url(world.patient))) == "follow_up"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_date": "2020-01-01"}, "Choose a date and time in the future."),
        ({"start_date": "not-a-date"}, "Enter a real date."),
        ({"start_time": "25:00"}, "Enter a real time."),
        ({"duration_minutes": "-5"}, "Enter a length of at least 1 minute."),
        ({"duration_minutes": "9999"}, "Enter a length of at most 240 minutes."),
        ({"modality": "phone"}, "Only video appointments have a video link."),
        ({"video_link": ""}, "Enter the video link the patient will join by"),
        ({"video_link": "javascript:alert(1)"}, "Enter the video link as a secure web address"),
        ({"video_link": "http://video.example.test/room"}, "starting https://"),
        ({"kind": "group_session"}, "Select a valid choice"),
    ],
)
def test_the_booking_page_shows_a_message_for_bad_input(world, login, overrides, message):
    client = login(world.clinician)
    episode = builders.episode_for(world.patient)
    response = client.post(
        _create_url(world.patient),
        _form(episode=episode.pk, clinician=world.clinician.pk, **overrides),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_booking_page_shows_a_double_booking_beside_the_date(world, login):
    builders.appointment(world.other_patient, world.clinician, start=_later())
    client = login(world.clinician)
    response = client.post(
        _create_url(world.patient),
        _form(episode=builders.episode_for(world.patient).pk, clinician=world.clinician.pk),
    )
    assert response.status_code == 200
    assert 'id="id_start_date-error"' in response.content.decode()
    assert "already has an appointment at 10:00" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_clinician_of_another_pcn_cannot_be_chosen(world, login):
    client = login(world.clinician)
    response = client.post(
        _create_url(world.patient),
        _form(episode=builders.episode_for(world.patient).pk, clinician=world.other_clinician.pk),
    )
    assert response.status_code == 200
    assert "Choose a clinician from the list." in response.content.decode()


def test_attendance_and_cancel_buttons_work_and_a_second_press_is_harmless(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    client = login(world.clinician)
    url = reverse("reviews:appointment-attendance", kwargs={"appointment_uuid": appointment.uuid})
    client.post(url, {"attendance": "attended"})
    response = client.post(url, {"attendance": "did_not_attend"}, follow=True)
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    assert "already been changed" in response.content.decode()
    response = client.post(url, {"attendance": "maybe"}, follow=True)
    assert "Choose attended or did not attend." in response.content.decode()


def test_attendance_marked_wrongly_can_be_corrected_until_a_review_is_recorded(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    client = login(world.clinician)
    url = reverse("reviews:appointment-attendance", kwargs={"appointment_uuid": appointment.uuid})
    page = reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})
    client.post(url, {"attendance": "did_not_attend"})
    assert "Change to attended" in client.get(page).content.decode()
    response = client.post(url, {"attendance": "attended", "correcting": "yes"}, follow=True)
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    assert "Marked as attended." in response.content.decode()
    assert AuditEvent.objects.filter(object_uuid=appointment.uuid, action="update").count() == 2
    Review.objects.create(
        appointment=appointment,
        patient=world.patient,
        summary="Seen.",
        next_review_date=timezone.localdate(),
        completed_by=world.clinician,
        completed_at=timezone.now(),
    )
    assert "Marked wrongly?" not in client.get(page).content.decode()
    response = client.post(url, {"attendance": "did_not_attend", "correcting": "yes"}, follow=True)
    assert "A review of this appointment is recorded" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "attended"


def test_the_patient_asks_to_rearrange_from_their_page(world, login):
    appointment = builders.appointment(world.patient, world.clinician)
    client = login(world.patient_user)
    url = reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": appointment.uuid})
    response = client.post(url, {"reason": ""})
    assert "Tell us when suits you better, or why." in response.content.decode()
    response = client.post(url, {"reason": "Any afternoon"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.rearrange_reason == "Any afternoon"
    assert appointment.status == "booked"
    # The team sees it on the appointments page.
    page = login(world.clinician).get(reverse("reviews:appointments")).content.decode()
    assert "Asked to rearrange" in page and "Any afternoon" in page


@pytest.mark.parametrize(
    ("status", "hours", "reason"),
    [
        ("booked", -2, "has passed, so it cannot be moved."),
        ("attended", -2, "has passed, so it cannot be moved."),
        ("cancelled", 48, "was cancelled, so it cannot be moved."),
    ],
)
def test_an_appointment_that_cannot_be_moved_says_why_without_a_form(
    world, login, status, hours, reason
):
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        status=status,
        start=timezone.now() + timedelta(hours=hours),
    )
    client = login(world.patient_user)
    url = reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": appointment.uuid})
    for response in (client.get(url), client.post(url, {"reason": "Any afternoon"})):
        page = response.content.decode()
        assert response.status_code == 200
        assert reason in page
        assert "It stays booked" not in page and "<textarea" not in page
    appointment.refresh_from_db()
    assert appointment.rearrange_requested_at is None


def test_another_patients_appointment_answers_404(world, login):
    appointment = builders.appointment(world.other_patient, world.clinician)
    client = login(world.patient_user)
    url = reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": appointment.uuid})
    assert client.get(url).status_code == 404


MY_APPOINTMENTS = reverse("reviews:my-appointments")


def test_a_phone_appointment_without_a_mobile_number_says_so_to_both_sides(world, login):
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now() + timedelta(days=3), modality="phone"
    )
    detail = reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})
    Patient.objects.filter(pk=world.patient.pk).update(mobile="+447700900123")
    page = login(world.patient_user).get(MY_APPOINTMENTS).content.decode()
    assert "By phone: we will call you on your mobile." in page
    assert "No mobile number" not in login(world.clinician).get(detail).content.decode()
    Patient.objects.filter(pk=world.patient.pk).update(mobile="", sms_consent=False)
    page = login(world.patient_user).get(MY_APPOINTMENTS).content.decode()
    assert "We have no mobile number for you, so we cannot call you" in page
    assert "we will call you on your mobile" not in page
    staff = login(world.clinician).get(detail).content.decode()
    assert "No mobile number</strong> The patient's record has no phone number" in staff


def test_a_patient_not_under_the_teams_care_is_told_to_ask_their_gp(world, login):
    client = login(world.patient_user)
    page = client.get(MY_APPOINTMENTS).content.decode()
    assert "You are not under the headache and pain team" in page
    assert 'value="annual_review"' not in page and 'value="follow_up"' not in page
    response = client.post(
        reverse("reviews:my-booking-request"), {"kind": "follow_up"}, follow=True
    )
    assert "ask your GP practice" in response.content.decode()
    assert not BookingRequest.objects.exists()


def test_the_patient_sees_what_they_asked_for_in_plain_words(world, login):
    builders.under_care(world.patient)
    client = login(world.patient_user)
    client.post(reverse("reviews:my-booking-request"), {"kind": "annual_review"})
    page = client.get(MY_APPOINTMENTS).content.decode()
    today = timezone.localdate()
    assert f"You asked for your yearly review on {today:%-d %B %Y}." in page
    # The yearly review is asked for; a follow-up can still be.
    assert 'value="annual_review"' not in page and 'value="follow_up"' in page


def test_a_patient_not_seen_yet_is_not_offered_a_review(world, login):
    """Accepted, but the first conversation is still to come: the team arranges that one."""
    builders.episode_for(world.patient, status="referred")
    page = login(world.patient_user).get(MY_APPOINTMENTS).content.decode()
    assert "The team will contact you to arrange your first conversation." in page
    assert 'value="annual_review"' not in page and 'value="follow_up"' not in page
    with pytest.raises(ReviewsError, match="arrange your first conversation"):
        services.request_booking(actor=world.patient_user, patient=world.patient, kind="follow_up")
    builders.under_care(world.patient)
    page = login(world.patient_user).get(MY_APPOINTMENTS).content.decode()
    assert 'value="annual_review"' in page and 'value="follow_up"' in page


def test_a_request_too_long_keeps_what_the_patient_typed_beside_the_error(world, login):
    builders.under_care(world.patient)
    typed = "Tuesday mornings, by phone please. " * 20  # 700 characters
    response = login(world.patient_user).post(
        reverse("reviews:my-booking-request"), {"kind": "follow_up", "preferences": typed}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert '<a href="#id_preferences">Keep this to 500 characters or fewer.</a>' in page
    assert typed.strip() in page  # the text box still holds it
    assert not BookingRequest.objects.exists()


def test_a_booked_annual_review_cannot_be_asked_for_again(world, login):
    builders.under_care(world.patient)
    builders.appointment(world.patient, world.clinician, kind="annual_review", start=_later(9))
    client = login(world.patient_user)
    page = client.get(MY_APPOINTMENTS).content.decode()
    assert f"Your yearly review is booked for {_later(9):%A %-d %B %Y}." in page
    assert 'value="annual_review"' not in page and 'value="follow_up"' in page
    response = client.post(
        reverse("reviews:my-booking-request"), {"kind": "annual_review"}, follow=True
    )
    assert "Your annual review is already booked for" in response.content.decode()
    assert "ask to rearrange it" in response.content.decode()


def test_a_yearly_review_the_patient_asked_to_rearrange_says_so(world, login):
    booked = builders.appointment(
        world.patient, world.clinician, kind="annual_review", start=_later(9)
    )
    client = login(world.patient_user)
    assert "ask to rearrange it above" in client.get(MY_APPOINTMENTS).content.decode()
    Appointment.objects.filter(pk=booked.pk).update(rearrange_requested_at=timezone.now())
    page = client.get(MY_APPOINTMENTS).content.decode()
    assert "You asked to rearrange it: the team will contact you." in page
    assert "ask to rearrange it above" not in page
    assert not BookingRequest.objects.exists()


def test_a_past_or_cancelled_annual_review_does_not_stop_a_new_request(world):
    builders.under_care(world.patient)
    builders.appointment(world.patient, world.clinician, kind="annual_review", status="cancelled")
    builders.appointment(
        world.patient,
        world.clinician,
        kind="annual_review",
        start=timezone.now() - timedelta(days=300),
        status="attended",
    )
    services.request_booking(actor=world.patient_user, patient=world.patient, kind="annual_review")
    assert BookingRequest.objects.filter(kind="annual_review", status="open").count() == 1


def test_asking_to_rearrange_again_shows_the_earlier_request_and_says_it_is_replaced(world, login):
    appointment = builders.appointment(world.patient, world.clinician)
    client = login(world.patient_user)
    url = reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": appointment.uuid})
    page = client.get(url).content.decode()
    assert "You already asked" not in page and "Send request" in page
    client.post(url, {"reason": "Any afternoon"})
    assert "Change your request" in client.get(MY_APPOINTMENTS).content.decode()
    page = client.get(url).content.decode()
    assert "You already asked to rearrange it on" in page and '<p>"Any afternoon"</p>' in page
    assert "your new answer replaces this one" in page and "Update request" in page
    assert 'id="id_reason">\nAny afternoon</textarea>' in page  # starts from the earlier words
    response = client.post(url, {"reason": "Any afternoon, or Monday mornings"}, follow=True)
    assert "Your request is updated." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.rearrange_reason == "Any afternoon, or Monday mornings"


def test_the_episode_choice_names_the_uk_day_it_opened(world):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reviews.forms import AppointmentForm

    # 00:30 on 7 August in London is 23:30 UTC on the 6th.
    opened = datetime(2026, 8, 7, 0, 30, tzinfo=ZoneInfo("Europe/London"))
    episode = builders.episode_for(
        world.patient, opened_at=opened, condition="chronic_pain", status="active"
    )
    form = AppointmentForm(episodes=world.patient.episodes.filter(pk=episode.pk))
    label = form.fields["episode"].label_from_instance(episode)
    assert label == "Chronic pain (under care since 7 August 2026)"


def test_booking_starts_from_the_care_under_way_not_a_referral_waiting_for_triage(world, login):
    under_care = builders.episode_for(
        world.patient,
        condition="headache",
        status="active",
        opened_at=timezone.now() - timedelta(days=200),
    )
    waiting = builders.episode_for(world.patient, condition="chronic_pain", status="referred")
    response = login(world.clinician).get(
        reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    )
    form = response.context["form"]
    assert form["episode"].value() == under_care.pk
    labels = [label for _, label in form.fields["episode"].choices]
    assert f"Chronic pain (referred {timezone.localdate():%-d %B %Y}, not yet under care)" in labels
    assert waiting.pk in [int(str(value)) for value, _ in form.fields["episode"].choices]


def test_the_appointment_and_review_pages_name_the_episode_of_care(world, login):
    episode = builders.episode_for(world.patient, condition="chronic_pain", status="active")
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), episode=episode
    )
    client = login(world.clinician)
    detail = client.get(
        reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})
    )
    assert "Episode of care" in detail.content.decode()
    assert "Chronic pain (active)" in detail.content.decode()
    review = client.get(reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}))
    assert " · Chronic pain</span>" in review.content.decode()


def test_the_review_page_shows_the_red_flags_the_referrer_ticked(world, login):
    flagged = referral_builders.referral(
        world.patient, world.gp, red_flags=("headache_triggered_by_exercise",)
    )
    plain = referral_builders.referral(world.patient, world.gp, condition="chronic_pain")
    url = "reviews:review"
    client = login(world.clinician)
    for referral, shown in ((flagged, True), (plain, False)):
        appointment = builders.appointment(
            world.patient, world.clinician, start=timezone.now(), episode=referral.episode
        )
        page = client.get(reverse(url, kwargs={"appointment_uuid": appointment.uuid}))
        body = page.content.decode()
        assert ("Red flags at referral" in body) is shown
        assert ("Headache brought on by exercise" in body) is shown
        assert (f"screened {flagged.urgency}:" in body) is shown
        assert (str(flagged.uuid) in body) is shown


def test_booking_for_a_patient_without_an_open_episode_says_why_before_the_form(world, login):
    opened = timezone.now() - timedelta(days=100)
    builders.episode_for(
        world.patient, status="discharged", opened_at=opened, closed_at=timezone.now()
    )
    page = login(world.clinician).get(
        reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid})
    )
    body = page.content.decode()
    assert "has no open episode of care: they have been discharged" in body
    assert "a new referral is needed first" in body
    assert 'name="start_date"' not in body and "Book appointment</button>" not in body


def test_an_episode_has_one_first_conversation_booked_at_a_time(world):
    first = _book(world)
    with pytest.raises(ReviewsError, match="A first conversation is already booked for"):
        _book(world, start=_later(days=5))
    # Cancelled (or missed), it can be booked again.
    services.cancel_appointment(actor=world.clinician, appointment=first, reason="")
    assert _book(world, start=_later(days=5)).status == "booked"


def test_no_second_first_conversation_once_one_was_held(world):
    episode = builders.episode_for(world.patient)
    Milestone.objects.create(
        episode=episode, kind="first_contact", occurred_at=timezone.now() - timedelta(days=3)
    )
    with pytest.raises(ReviewsError, match="was held on .* Book a follow-up instead"):
        _book(world, episode=episode)
    assert _book(world, episode=episode, kind="follow_up").status == "booked"


def test_a_booking_that_fails_part_way_leaves_nothing_behind(world, monkeypatch):
    # The appointment, its audit row and the patient's message are one transaction.
    def failing(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record_event", failing)
    with pytest.raises(RuntimeError):
        _book(world)
    assert not Appointment.objects.exists()


def test_a_cancellation_with_a_reason_too_long_is_not_made_and_says_why(world, login):
    appointment = builders.appointment(world.patient, world.clinician)
    client = login(world.clinician)
    url = reverse("reviews:appointment-cancel", kwargs={"appointment_uuid": appointment.uuid})
    response = client.post(url, {"reason": "r" * 201})
    page = response.content.decode()
    # The confirmation page again, with the reason as typed and what is wrong with it.
    assert "Cancel this appointment?" in page and "r" * 201 in page
    assert "Keep the reason to 200 characters or fewer." in page
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    client.post(url, {"reason": "Clinician unwell"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == (
        "cancelled",
        "Clinician unwell",
    )


def test_the_length_hint_says_what_a_blank_length_gives(world, login):
    client = login(world.clinician)
    builders.episode_for(world.patient)
    booking = client.get(_create_url(world.patient)).content.decode()
    assert (
        "Leave blank for the usual length: 30 minutes for a first conversation or a medication "
        "review, 20 for a follow-up or an annual review" in booking
    )
    appointment = builders.appointment(world.patient, world.clinician, duration_minutes=45)
    move = client.get(
        reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid})
    ).content.decode()
    assert "Left blank, it keeps its length of 45 minutes" in move


def test_the_booking_page_says_before_booking_when_there_is_no_number_to_call(world, login):
    client = login(world.clinician)
    builders.episode_for(world.patient)
    world.patient.mobile, world.patient.sms_consent = "", False
    world.patient.save()
    page = client.get(_create_url(world.patient)).content.decode()
    assert f"{world.patient.full_name}'s record has no mobile number." in page
    world.patient.mobile = "+447700900123"
    world.patient.save()
    assert (
        "record has no mobile number" not in client.get(_create_url(world.patient)).content.decode()
    )


def test_appointment_pages_lead_back_to_where_they_belong(world, login):
    booked = builders.appointment(world.patient, world.clinician)
    staff = login(world.clinician).get(
        reverse("reviews:appointment", kwargs={"appointment_uuid": booked.uuid})
    )
    back = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    assert f'<a class="nhsuk-back-link" href="{back}">' in staff.content.decode()
    own = login(world.patient.user).get(
        reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": booked.uuid})
    )
    back = reverse("reviews:my-appointments")
    assert f'<a class="nhsuk-back-link" href="{back}">Back to your appointments</a>' in (
        own.content.decode()
    )


def test_the_appointments_list_says_the_year_of_each_appointment(world, login):
    today = timezone.localdate()
    this_year = timezone.make_aware(datetime(today.year, today.month, today.day, 16, 0))
    next_year = timezone.make_aware(datetime(today.year + 1, 1, 5, 10, 0))
    builders.appointment(world.patient, world.clinician, start=this_year)
    builders.appointment(
        world.other_patient,
        world.clinician,
        start=next_year,
        rearrange_requested_at=timezone.now(),
        rearrange_reason="Any afternoon",
    )
    query = f"start={today.isoformat()}&end={next_year.date().isoformat()}"
    page = login(world.clinician).get(f"{reverse('reviews:appointments')}?{query}")
    text = page.content.decode()
    assert f"{this_year:%a %-d %b %Y}, 16:00" in text
    assert f"{next_year:%a %-d %b %Y}, 10:00" in text
    assert f"{next_year:%a %-d %b}, 10:00" not in text
    # The patient's request to move it says the year too.
    assert f"on {next_year:%-d %b %Y}, 10:00" in text


def _cancel_page(appointment):
    return reverse("reviews:appointment-cancel", kwargs={"appointment_uuid": appointment.uuid})


def test_cancelling_from_the_appointment_page_asks_first_and_says_how_the_patient_is_told(
    world, login
):
    appointment = builders.appointment(world.patient, world.clinician)
    client = login(world.clinician)
    page = client.get(
        reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})
    ).content.decode()
    # A link to the confirmation, not a form that cancels in one press.
    assert f'<a href="{_cancel_page(appointment)}">Cancel this appointment</a>' in page
    assert f'action="{_cancel_page(appointment)}"' not in page
    confirm = client.get(_cancel_page(appointment))
    text = confirm.content.decode()
    assert confirm.status_code == 200 and "Cancel this appointment?" in text
    assert (
        f"We will send {world.patient.full_name} a message by text message and email to say it "
        "is cancelled." in text
    )
    assert 'name="reason"' in text and "Yes, cancel the appointment" in text
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not Notification.objects.filter(kind="appointment_cancelled").exists()

    response = client.post(_cancel_page(appointment), {"reason": "Clinic closed"}, follow=True)
    assert "Appointment cancelled." in response.content.decode()
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled", "Clinic closed")
    assert Notification.objects.filter(kind="appointment_cancelled").count() == 2


def test_the_cancelling_page_warns_when_the_patient_cannot_be_told(world, login):
    Patient.objects.filter(pk=world.patient.pk).update(opted_out_at=timezone.now())
    appointment = builders.appointment(world.patient, world.clinician)
    text = login(world.clinician).get(_cancel_page(appointment)).content.decode()
    assert "They will not be told" in text
    assert (
        f"We cannot send {world.patient.full_name} a message: they have asked for no messages. "
        "Tell them another way." in text
    )


def test_the_cancelling_page_says_by_which_way_the_patient_is_told(world, login):
    Patient.objects.filter(pk=world.patient.pk).update(email_consent=False)
    appointment = builders.appointment(world.patient, world.clinician)
    text = login(world.clinician).get(_cancel_page(appointment)).content.decode()
    assert "a message by text message to say it is cancelled" in text


def test_the_cancelling_page_says_a_past_or_team_only_appointment_sends_no_message(world, login):
    past = builders.appointment(
        world.patient, world.clinician, start=timezone.now() - timedelta(hours=1)
    )
    mdt = builders.appointment(world.patient, world.clinician, kind="mdt")
    client = login(world.clinician)
    name = world.patient.full_name
    assert f"{name} is not sent a message: its time has passed." in (
        client.get(_cancel_page(past)).content.decode()
    )
    assert f"{name} is not sent a message: they do not attend an MDT discussion." in (
        client.get(_cancel_page(mdt)).content.decode()
    )


def test_the_cancelling_page_of_an_appointment_no_longer_booked_offers_nothing(world, login):
    appointment = builders.appointment(world.patient, world.clinician, status="cancelled")
    client = login(world.clinician)
    text = client.get(_cancel_page(appointment)).content.decode()
    assert "This appointment has already been cancelled." in text
    assert 'name="reason"' not in text
    # Sent from a page opened before it was cancelled: refused, and said.
    response = client.post(_cancel_page(appointment), {"reason": "Again"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "reviews:appointment", kwargs={"appointment_uuid": appointment.uuid}
    )
    assert "This appointment has already been changed" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.cancellation_reason != "Again"
    held = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), status="did_not_attend"
    )
    assert "This appointment is marked as did not attend, so it cannot be cancelled." in (
        client.get(_cancel_page(held)).content.decode()
    )


def test_cancelling_a_first_conversation_names_the_reviews_booked_to_follow_it(world, login):
    episode = builders.episode_for(world.patient)
    first = _book(world, episode=episode, start=_later(days=5))
    review = _book(world, episode=episode, kind="follow_up", start=_later(days=9))
    client = login(world.clinician)
    text = client.get(_cancel_page(first)).content.decode()
    assert "Reviews are booked to follow it" in text
    link = reverse("reviews:appointment", kwargs={"appointment_uuid": review.uuid})
    assert f'<a href="{link}">Follow-up on ' in text
    # Nothing of the kind for the review itself, nor once no review is booked.
    assert "Reviews are booked to follow it" not in client.get(_cancel_page(review)).text
    services.cancel_appointment(actor=world.clinician, appointment=review, reason="Not needed")
    assert "Reviews are booked to follow it" not in client.get(_cancel_page(first)).text
