"""Times that are most often slips: outside clinic hours, or a first conversation after its
first-contact target. Each is booked only when the clinician ticks that it is meant."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import selectors
from referrals.models import Referral
from reviews import rules
from reviews.models import Appointment
from tests.pathway.pages import field_error, page_text
from tests.referrals import builders as referral_builders
from tests.reviews import builders

pytestmark = pytest.mark.django_db

OUTSIDE = "Tick to book at this time anyway, or change the time."


def _local(day, hour, minute=0):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.mark.parametrize(
    ("hour", "minute", "minutes", "problem"),
    [
        (6, 59, 30, "06:59 on {day} is outside clinic hours (07:00 to 21:00). Check the time."),
        (7, 0, 30, ""),
        (20, 30, 30, ""),
        (
            20,
            45,
            20,
            "Starting at 20:45, it would end at 21:05, after clinic hours (07:00 to 21:00) end. "
            "Check the time and the length.",
        ),
        (2, 0, 20, "02:00 on {day} is outside clinic hours (07:00 to 21:00). Check the time."),
        (23, 0, 20, "23:00 on {day} is outside clinic hours (07:00 to 21:00). Check the time."),
    ],
)
def test_clinic_hours_problem(hour, minute, minutes, problem):
    day = timezone.localdate() + timedelta(days=3)
    expected = problem.format(day=f"{day:%A %-d %B}")
    assert rules.clinic_hours_problem(_local(day, hour, minute), minutes) == expected


def _form(episode, clinician, day, time, **overrides):
    return {
        "kind": "first_conversation",
        "episode": episode.pk,
        "start_date": day.isoformat(),
        "start_time": time,
        "duration_minutes": "",
        "modality": "phone",
        "video_link": "",
        "location": "",
        "clinician": clinician.pk,
        **overrides,
    }


def _create_url(patient):
    return reverse("reviews:appointment-create", kwargs={"patient_uuid": patient.uuid})


def test_a_time_at_night_is_booked_only_when_ticked(world, login):
    client = login(world.clinician)
    episode = builders.under_care(world.patient)
    day = timezone.localdate() + timedelta(days=2)
    data = _form(episode, world.clinician, day, "02:00", kind="follow_up")
    response = client.post(_create_url(world.patient), data)
    assert response.status_code == 200
    assert "02:00 on" in field_error(response, "start_time")
    assert "is outside clinic hours (07:00 to 21:00). Check the time." in page_text(response)
    assert field_error(response, "book_anyway") == OUTSIDE
    ticked = 'id="id_book_anyway" name="book_anyway" type="checkbox"'
    assert ticked in page_text(response)
    # Asked only when the time needs it.
    assert ticked not in page_text(client.get(_create_url(world.patient)))
    assert not Appointment.objects.exists()

    response = client.post(_create_url(world.patient), {**data, "book_anyway": "on"})
    assert response.status_code == 302
    assert timezone.localtime(Appointment.objects.get().start).hour == 2


def test_a_time_the_clocks_skip_in_spring_is_refused(world, login):
    client = login(world.clinician)
    episode = builders.under_care(world.patient)
    day = next(  # the last Sunday of March after today: 01:00 to 02:00 does not happen
        d
        for d in (timezone.localdate() + timedelta(days=n) for n in range(1, 400))
        if d.month == 3 and d.weekday() == 6 and (d + timedelta(days=7)).month == 4
    )
    data = _form(episode, world.clinician, day, "01:30", kind="follow_up")
    response = client.post(_create_url(world.patient), {**data, "book_anyway": "on"})
    assert response.status_code == 200
    assert field_error(response, "start_time") == (
        f"01:30 does not happen on {day:%-d %B %Y}: the clocks go forward an hour that night. "
        "Choose another time."
    )
    assert not Appointment.objects.exists()
    # The hour after the change is a time like any other.
    booked = client.post(
        _create_url(world.patient), {**data, "start_time": "02:30", "book_anyway": "on"}
    )
    assert booked.status_code == 302
    start = timezone.localtime(Appointment.objects.get().start)
    assert (start.date(), start.hour, start.minute) == (day, 2, 30)


def test_a_time_in_clinic_hours_asks_nothing(world, login):
    client = login(world.clinician)
    episode = builders.under_care(world.patient)
    day = timezone.localdate() + timedelta(days=2)
    response = client.post(
        _create_url(world.patient), _form(episode, world.clinician, day, "10:00", kind="follow_up")
    )
    assert response.status_code == 302


def _accepted_episode(world, *, decided_days_ago):
    referral = referral_builders.decided(world.patient, world.gp, world.clinician)
    when = timezone.now() - timedelta(days=decided_days_ago)
    Referral.objects.filter(pk=referral.pk).update(submitted_at=when, decided_at=when)
    return referral.episode


def test_a_first_conversation_after_its_target_is_booked_only_when_ticked(world, login):
    client = login(world.clinician)
    # Routine: the default targets give first contact within weeks of the referral.
    episode = _accepted_episode(world, decided_days_ago=200)
    day = timezone.localdate() + timedelta(days=2)
    data = _form(episode, world.clinician, day, "10:00")
    response = client.post(_create_url(world.patient), data)
    assert response.status_code == 200
    error = field_error(response, "start_time")
    assert error.startswith("The first-contact target (")
    assert "any time now is after it, and the patient's wait will count as outside the target" in (
        page_text(response)
    )
    assert not Appointment.objects.exists()

    response = client.post(_create_url(world.patient), {**data, "book_anyway": "on"})
    assert response.status_code == 302
    # A follow-up counts towards no first-contact target.
    follow_up = client.post(
        _create_url(world.patient),
        _form(episode, world.clinician, day, "11:00", kind="follow_up"),
    )
    assert follow_up.status_code == 302


def test_a_second_first_conversation_is_refused_without_a_target_warning_first(world, login):
    from pathway.models import Milestone

    episode = _accepted_episode(world, decided_days_ago=200)
    Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=timezone.now())
    day = timezone.localdate() + timedelta(days=2)
    response = login(world.clinician).post(
        _create_url(world.patient), _form(episode, world.clinician, day, "10:00")
    )
    assert response.status_code == 200
    page = page_text(response)
    assert "first-contact target" not in page
    assert "Book a follow-up instead." in page
    assert not Appointment.objects.exists()


def test_a_second_first_conversation_while_one_is_booked_is_refused_without_a_warning(world, login):
    episode = _accepted_episode(world, decided_days_ago=200)
    builders.appointment(world.patient, world.clinician, episode=episode, kind="first_conversation")
    day = timezone.localdate() + timedelta(days=3)
    response = login(world.clinician).post(
        _create_url(world.patient), _form(episode, world.clinician, day, "10:00")
    )
    assert response.status_code == 200
    page = page_text(response)
    assert "first-contact target" not in page
    assert Appointment.objects.count() == 1


def test_a_first_conversation_within_its_target_asks_nothing(world, login):
    episode = _accepted_episode(world, decided_days_ago=0)
    day = timezone.localdate() + timedelta(days=2)
    response = login(world.clinician).post(
        _create_url(world.patient), _form(episode, world.clinician, day, "10:00")
    )
    assert response.status_code == 302


def test_a_first_conversation_on_its_due_day_says_the_time_it_is_due_by(world, login):
    episode = _accepted_episode(world, decided_days_ago=0)
    due = timezone.localtime(selectors.first_contact_due([episode.pk])[episode.pk].due_at)
    # Moved so that the target falls due at 10:00 on its day: a booking at 11:00 that day is
    # on the day the lists give, but after the target.
    shift = due.replace(hour=10, minute=0, second=0, microsecond=0) - due
    referral = Referral.objects.get(episode=episode)
    Referral.objects.filter(pk=referral.pk).update(
        submitted_at=referral.submitted_at + shift, decided_at=referral.decided_at + shift
    )
    target = selectors.first_contact_due([episode.pk])[episode.pk]
    due = timezone.localtime(target.due_at)
    assert f"{due:%H:%M}" == "10:00"
    response = login(world.clinician).post(
        _create_url(world.patient), _form(episode, world.clinician, due.date(), "11:00")
    )
    assert field_error(response, "start_time") == (
        f"This is after the first-contact target ({target.label}, by {due:%H:%M} on "
        f"{due:%-d %B %Y}): the patient's wait will count as outside the target. Choose an "
        "earlier time if there is one."
    )


def test_moving_a_first_conversation_past_its_target_asks_first(world, login):
    episode = _accepted_episode(world, decided_days_ago=0)
    client = login(world.clinician)
    day = timezone.localdate() + timedelta(days=2)
    client.post(_create_url(world.patient), _form(episode, world.clinician, day, "10:00"))
    appointment = Appointment.objects.get()
    later = timezone.localdate() + timedelta(days=300)
    url = reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid})
    data = {
        "start_date": later.isoformat(),
        "start_time": "10:00",
        "duration_minutes": "",
        "modality": "phone",
        "video_link": "",
        "location": "",
        "clinician": world.clinician.pk,
        "based_on": client.get(url).context["form"]["based_on"].value(),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert field_error(response, "start_time").startswith("This is after the first-contact")
    appointment.refresh_from_db()
    assert timezone.localdate(appointment.start) == day
    response = client.post(url, {**data, "book_anyway": "on"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert timezone.localdate(appointment.start) == later


def test_moving_only_the_clinician_of_a_first_conversation_past_its_target_asks_nothing(
    world, login, second_clinician
):
    episode = _accepted_episode(world, decided_days_ago=200)
    client = login(world.clinician)
    day = timezone.localdate() + timedelta(days=2)
    client.post(
        _create_url(world.patient),
        {**_form(episode, world.clinician, day, "10:00"), "book_anyway": "on"},
    )
    appointment = Appointment.objects.get()
    url = reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid})
    response = client.post(
        url,
        {
            "start_date": day.isoformat(),
            "start_time": "10:00",
            "duration_minutes": "",
            "modality": "in_person",
            "video_link": "",
            "location": "Clinic room 2",
            "clinician": second_clinician.pk,
            "based_on": client.get(url).context["form"]["based_on"].value(),
        },
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.clinician, appointment.modality) == (second_clinician, "in_person")
