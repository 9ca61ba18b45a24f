"""The MDT list when two people act at once: an outcome recorded by one clinician is never
silently replaced or dropped for another's, and a question waits on the list once."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent
from reviews.errors import ReviewsError, StaleState
from reviews.models import MdtCase
from reviews.services import mdt as services
from tests.reviews import builders

ONE_OPEN = import_module("reviews.migrations.0008_mdtcase_one_open_per_question")


def _window(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _when(moment):
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%-d %B %Y}"


# A second outcome -------------------------------------------------------------------------------


def test_a_second_outcome_is_refused_naming_who_recorded_the_first_and_when(
    world, second_clinician
):
    case = builders.mdt_case(world.patient)
    services.record_mdt_discussion(
        actor=second_clinician, case=case, notes="", agreed_actions="Refer to psychology"
    )
    with pytest.raises(StaleState) as refused:
        services.record_mdt_discussion(
            actor=world.clinician, case=case, notes="", agreed_actions="Start amitriptyline"
        )
    case.refresh_from_db()
    assert str(refused.value) == (
        f"The outcome of this case was recorded by Physio Pat at {_when(case.discussed_at)}, "
        "before you sent yours. Yours has not been saved."
    )
    assert case.agreed_actions == "Refer to psychology" and case.updated_by == second_clinician


def _case_url(case):
    return reverse("reviews:mdt-case", kwargs={"case_uuid": case.uuid})


def test_the_second_window_sees_the_first_outcome_and_keeps_its_own_words(world, second_clinician):
    case = builders.mdt_case(world.patient)
    window_a, window_b = _window(second_clinician), _window(world.clinician)
    window_a.get(_case_url(case)), window_b.get(_case_url(case))
    saved = window_a.post(
        _case_url(case), {"notes": "Sleep poor", "agreed_actions": "Refer to psychology"}
    )
    assert saved.status_code == 302

    refused = window_b.post(
        _case_url(case), {"notes": "Mood low", "agreed_actions": "Start amitriptyline 10mg"}
    )

    assert refused.status_code == 409
    page = refused.content.decode()
    case.refresh_from_db()
    # Told who recorded it and when...
    assert "What you wrote was not saved" in page
    assert f"Physio Pat recorded this at {case.discussed_at:%H:%M}" in page
    # ...shown their outcome...
    assert "Refer to psychology" in page and "Sleep poor" in page
    # ...and their own words, to copy: shown, not saved, and not as a form to send again.
    assert "Start amitriptyline 10mg" in page and "Mood low" in page
    assert "Save discussion" not in page
    assert case.agreed_actions == "Refer to psychology" and case.notes == "Sleep poor"
    updates = AuditEvent.objects.filter(object_uuid=case.uuid, action="update")
    assert [event.actor for event in updates] == [second_clinician]


def test_an_outcome_recorded_while_the_second_was_being_saved_is_shown_the_same_way(
    world, second_clinician, monkeypatch
):
    """The page read the case as open, and someone else's outcome lands before it saves."""
    case = builders.mdt_case(world.patient)
    record = services.record_mdt_discussion

    def first_the_colleague(*, actor, case, notes, agreed_actions):
        record(actor=second_clinician, case=case, notes="", agreed_actions="Refer to psychology")
        return record(actor=actor, case=case, notes=notes, agreed_actions=agreed_actions)

    monkeypatch.setattr(services, "record_mdt_discussion", first_the_colleague)
    refused = _window(world.clinician).post(
        _case_url(case), {"notes": "", "agreed_actions": "Start amitriptyline 10mg"}
    )
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Physio Pat recorded this" in page
    assert "Refer to psychology" in page and "Start amitriptyline 10mg" in page
    case.refresh_from_db()
    assert case.agreed_actions == "Refer to psychology"


def test_a_second_outcome_left_incomplete_is_still_shown_as_not_saved(world, second_clinician):
    case = builders.mdt_case(world.patient)
    services.record_mdt_discussion(
        actor=second_clinician, case=case, notes="", agreed_actions="Refer to psychology"
    )
    refused = _window(world.clinician).post(
        _case_url(case), {"notes": "Mood low", "agreed_actions": ""}
    )
    page = refused.content.decode()
    assert refused.status_code == 409
    assert "Mood low" in page and "Write the agreed actions" not in page


# One open case per question ---------------------------------------------------------------------


def _flag(actor, patient, question="Is a supported opioid reduction the right next step?"):
    return services.flag_for_mdt(actor=actor, patient=patient, question=question)


def test_the_same_question_sent_twice_waits_on_the_list_once(world):
    first = _flag(world.clinician, world.patient)
    with pytest.raises(ReviewsError) as refused:
        _flag(world.clinician, world.patient)
    assert refused.value.field == "question"
    assert str(refused.value) == (
        "This question is already on the MDT list for Alice Anders, added by you at "
        f"{_when(first.created_at)}. It will be discussed there, so it has not been added again."
    )
    assert list(MdtCase.objects.all()) == [first]


def test_a_colleagues_same_question_with_other_spacing_and_capitals_is_refused(
    world, second_clinician
):
    _flag(second_clinician, world.patient)
    with pytest.raises(ReviewsError, match="added by Physio Pat at "):
        _flag(
            world.clinician,
            world.patient,
            "  is a supported opioid reduction\nthe right next step?  ",
        )
    assert MdtCase.objects.count() == 1


def test_other_questions_other_patients_and_discussed_cases_do_not_count(world):
    first = _flag(world.clinician, world.patient)
    _flag(world.clinician, world.patient, "Psychology referral?")
    _flag(world.clinician, world.other_patient)
    services.record_mdt_discussion(
        actor=world.clinician, case=first, notes="", agreed_actions="Taper over 8 weeks"
    )
    # Discussed, the question may be asked again: the next meeting looks at it afresh.
    _flag(world.clinician, world.patient)
    assert MdtCase.objects.filter(status="open").count() == 3


def test_the_database_refuses_a_second_open_case_with_the_same_question(world):
    builders.mdt_case(world.patient, question="Next step?")
    builders.mdt_case(
        world.patient,
        question="Next step?",
        status="discussed",
        discussed_at=timezone.now(),
        agreed_actions="None",
    )
    with pytest.raises(IntegrityError, match="one_open_per_question|UNIQUE"), transaction.atomic():
        builders.mdt_case(world.patient, question="Next step?")


def test_a_question_racing_past_the_check_is_refused_with_the_same_message(world, monkeypatch):
    """Two requests at once: both find nothing waiting, and the database refuses the second."""
    first = _flag(world.clinician, world.patient)
    real, calls = services._open_case_asking, []

    def nothing_at_first(patient, question):
        calls.append(question)
        return None if len(calls) == 1 else real(patient, question)

    monkeypatch.setattr(services, "_open_case_asking", nothing_at_first)
    with pytest.raises(ReviewsError, match="already on the MDT list"):
        _flag(world.clinician, world.patient)
    assert list(MdtCase.objects.all()) == [first]


def test_back_and_send_again_on_the_flag_page_adds_the_case_once(world, login):
    client = login(world.clinician)
    url = reverse("reviews:mdt-create", kwargs={"patient_uuid": world.patient.uuid})
    question = {"question": "Is a supported opioid reduction the right next step?"}
    assert client.post(url, question).status_code == 302
    again = client.post(url, question)
    page = again.content.decode()
    assert "This question is already on the MDT list for Alice Anders" in page
    assert 'id="id_question-error"' in page  # beside the question, with the typed text kept
    assert "Is a supported opioid reduction the right next step?</textarea>" in page
    assert MdtCase.objects.count() == 1


def test_the_migration_closes_later_copies_of_a_waiting_question_and_keeps_the_first(world):
    first = builders.mdt_case(world.patient, question="Next step?")
    other = builders.mdt_case(world.patient, question="Psychology?")
    elsewhere = builders.mdt_case(world.other_patient, question="Next step?")
    # A copy written before the constraint existed (dropped here; the test's transaction, and
    # so the drop, is rolled back after it).
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX reviews_mdtcase_one_open_per_question")
    copy = builders.mdt_case(world.patient, question="Next step?")
    ONE_OPEN.close_repeated_questions(apps, None)
    statuses = dict(MdtCase.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: "open",
        other.pk: "open",
        elsewhere.pk: "open",
        copy.pk: "discussed",
    }
    copy.refresh_from_db()
    added = timezone.localtime(first.created_at)
    assert copy.agreed_actions == (
        f"Not discussed: closed as a copy of the same question added at {added:%H:%M} on "
        f"{added:%-d %B %Y}, which stays on the MDT list."
    )
    assert copy.discussed_at is not None
    ONE_OPEN.reopen_repeated_questions(apps, None)
    copy.refresh_from_db()
    assert (copy.status, copy.discussed_at, copy.agreed_actions) == ("open", None, "")
