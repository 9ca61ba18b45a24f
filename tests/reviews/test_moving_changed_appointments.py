"""Moving an appointment someone else changed since the move page was opened: refused, with who,
when and where it is now, and the user's typed time kept (never saved over the change)."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Notification
from reviews.errors import ChangedSinceOpened, StaleState
from reviews.models import Appointment
from reviews.services import appointments as services
from tests.reviews import builders


def _day(days):
    return timezone.localdate() + timedelta(days=days)


def _at(days, hour):
    day = _day(days)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


@pytest.fixture
def booked(world):
    """A follow-up on day 5 at 10:00 with Nurse Nia, by phone."""
    return builders.appointment(
        world.patient, world.clinician, start=_at(5, 10), updated_by=world.clinician
    )


def _move(actor, appointment, start, **extra):
    return services.reschedule_appointment(
        actor=actor,
        appointment=appointment,
        start=start,
        duration_minutes=30,
        modality="phone",
        clinician=appointment.clinician,
        **extra,
    )


# Service ----------------------------------------------------------------------------------------


def test_a_move_based_on_the_page_before_a_colleagues_move_is_refused(
    world, booked, second_clinician
):
    opened = booked.updated_at
    _move(second_clinician, booked, _at(6, 10), based_on=opened)
    changed_at = Appointment.objects.get(pk=booked.pk).updated_at
    told = list(Notification.objects.values_list("pk", flat=True))
    with pytest.raises(ChangedSinceOpened) as refused:
        _move(world.clinician, booked, _at(5, 15), based_on=opened)
    local = timezone.localtime(changed_at)
    assert str(refused.value) == (
        f"This appointment was changed by Physio Pat at {local:%H:%M} on {local:%-d %B %Y}, "
        f"after you opened this page. It is now booked for {_at(6, 10):%A %-d %B %Y} at 10:00."
    )
    assert refused.value.changed_by == "Physio Pat" and refused.value.changed_at == changed_at
    booked.refresh_from_db()
    assert booked.start == _at(6, 10) and booked.updated_by == second_clinician
    moves = AuditEvent.objects.filter(object_uuid=booked.uuid, action="update")
    assert [event.actor for event in moves] == [second_clinician]
    # The patient is told of the colleague's move only: not of a time that was never saved.
    assert list(Notification.objects.values_list("pk", flat=True)) == told


def test_a_move_based_on_the_appointment_as_saved_goes_ahead(world, booked):
    _move(world.clinician, booked, _at(5, 15), based_on=booked.updated_at)
    booked.refresh_from_db()
    assert booked.start == _at(5, 15)


def test_a_move_made_in_another_tab_is_named_as_the_users_own(world, booked):
    opened = booked.updated_at
    _move(world.clinician, booked, _at(6, 10), based_on=opened)
    with pytest.raises(ChangedSinceOpened, match="changed by you in another tab or window"):
        _move(world.clinician, booked, _at(5, 15), based_on=opened)


def test_the_patient_asking_to_rearrange_since_the_page_opened_is_not_moved_over(world, booked):
    opened = booked.updated_at
    services.request_rearrangement(
        actor=world.patient_user, appointment=booked, reason="Mornings are hard"
    )
    with pytest.raises(ChangedSinceOpened, match="changed by the patient"):
        _move(world.clinician, booked, _at(5, 15), based_on=opened)
    booked.refresh_from_db()
    assert booked.start == _at(5, 10) and booked.rearrange_reason == "Mornings are hard"


def test_an_appointment_cancelled_since_the_page_opened_is_not_moved(world, booked):
    opened = booked.updated_at
    stale = Appointment.objects.get(pk=booked.pk)
    services.cancel_appointment(actor=world.clinician, appointment=booked, reason="")
    with pytest.raises(StaleState, match="Only booked appointments can be moved"):
        _move(world.clinician, stale, _at(5, 15), based_on=opened)
    assert Appointment.objects.get(pk=booked.pk).status == "cancelled"


# Page -------------------------------------------------------------------------------------------


def _window(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _url(appointment):
    return reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid})


def _fields(page, **changes):
    """What the move form would send as opened in `page`, with `changes` typed in."""
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value or ""
    return {**data, **changes}


def test_the_second_window_is_told_of_the_first_windows_move_and_keeps_its_time(
    world, booked, second_clinician
):
    window_a, window_b = _window(second_clinician), _window(world.clinician)
    page_a, page_b = window_a.get(_url(booked)), window_b.get(_url(booked))
    moved = window_a.post(_url(booked), _fields(page_a, start_date=_day(6).isoformat()))
    assert moved.status_code == 302
    told = list(Notification.objects.values_list("pk", flat=True))

    refused = window_b.post(_url(booked), _fields(page_b, start_time="15:00"))

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "This appointment was changed by Physio Pat at " in page
    assert f"It is now booked for {_at(6, 10):%A %-d %B %Y} at 10:00." in page
    assert "Your change has not been saved." in page
    # The appointment as it is now, beside the form...
    assert "The appointment as it is now" in page
    assert f"{_at(6, 10):%A %-d %B %Y} at 10:00, 30 minutes" in page
    # ...which keeps what was typed: the day the page showed, and the new time.
    assert f'value="{_day(5).isoformat()}"' in page and 'value="15:00"' in page
    booked.refresh_from_db()
    assert booked.start == _at(6, 10)
    assert list(Notification.objects.values_list("pk", flat=True)) == told


def test_saving_again_after_seeing_the_change_moves_it(world, booked, second_clinician):
    window_a, window_b = _window(second_clinician), _window(world.clinician)
    page_a, page_b = window_a.get(_url(booked)), window_b.get(_url(booked))
    window_a.post(_url(booked), _fields(page_a, start_date=_day(6).isoformat()))
    refused = window_b.post(_url(booked), _fields(page_b, start_time="15:00"))

    # The refused page carries the appointment's revision now: sending it again is deliberate.
    again = window_b.post(_url(booked), _fields(refused))

    assert again.status_code == 302
    booked.refresh_from_db()
    assert booked.start == _at(5, 15) and booked.updated_by == world.clinician


def test_the_move_page_moves_an_unchanged_appointment(world, booked):
    window = _window(world.clinician)
    page = window.get(_url(booked))
    assert window.post(_url(booked), _fields(page, start_time="15:00")).status_code == 302
    booked.refresh_from_db()
    assert booked.start == _at(5, 15)


def test_a_move_onto_the_patients_other_appointment_links_to_it(world, booked):
    other = builders.appointment(
        world.patient, world.other_clinician, start=_at(7, 9), kind="follow_up"
    )
    window = _window(world.clinician)
    page = window.get(_url(booked))
    refused = window.post(
        _url(booked), _fields(page, start_date=_day(7).isoformat(), start_time="09:15")
    )
    body = refused.content.decode()
    assert "This patient already has an appointment at 09:00 that overlaps" in body
    link = reverse("reviews:appointment", kwargs={"appointment_uuid": other.uuid})
    assert f'<a href="{link}">Open the follow-up on {_day(7):%-d %B %Y} at 09:00</a>' in body
    booked.refresh_from_db()
    assert booked.start == _at(5, 10)
