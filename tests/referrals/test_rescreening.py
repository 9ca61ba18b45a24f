"""A referral waiting for triage is screened again when the patient's date of birth is
corrected: the urgency and the age kept with it follow the corrected age, both ways, with an
audit row and a note for the page; decided referrals and other corrections leave it alone."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway import services
from pathway.forms import revision_token
from pathway.models import AuditEvent, Patient
from referrals import rules
from referrals import services as referral_services
from referrals.models import Referral
from tests.pathway.pages import page_text
from tests.referrals import builders

pytestmark = pytest.mark.django_db

NEW_HEADACHE = [rules.NEW_ONSET_HEADACHE]


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    # 1 January avoids 29 February and puts the birthday safely behind us.
    return date(today.year - years, 1, 1)


def _aged(patient, years: int) -> Patient:
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=_years_ago(years))
    return Patient.objects.get(pk=patient.pk)


def _correct(patient, actor, **changes) -> services.DetailsCorrected:
    current = Patient.objects.get(pk=patient.pk)
    data = {name: getattr(current, name) for name in services.CORRECTABLE_DETAILS}
    data.update(changes)
    return services.correct_patient_details(
        actor=actor, patient=current, data=data, based_on=current.updated_at
    )


def _sent_on(referral) -> str:
    return f"{timezone.localdate(referral.submitted_at):%-d %B %Y}"


def test_a_new_headache_becomes_urgent_when_the_corrected_age_is_50_or_over(world):
    made = builders.referral(_aged(world.patient, 45), world.gp, red_flags=NEW_HEADACHE)
    assert (made.urgency, made.age_at_referral) == ("routine", 45)

    corrected = _correct(world.patient, world.clinician, date_of_birth=_years_ago(55))

    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral) == ("urgent", 55)
    assert made.updated_by == world.clinician
    assert corrected.notes == [
        f"The referral sent on {_sent_on(made)}, waiting for triage, is now urgent (within 2 "
        "weeks): the screen was run again with the corrected age, 55."
    ]
    event = AuditEvent.objects.get(object_type="referrals.referral", action="update")
    assert (event.actor, event.patient, event.fields) == (
        world.clinician,
        world.patient,
        ["age_at_referral", "rescreened_at", "urgency"],
    )
    assert made.rescreened_at is not None


def test_an_urgency_that_came_from_a_wrong_age_follows_the_rule_down(world):
    made = builders.referral(_aged(world.patient, 55), world.gp, red_flags=NEW_HEADACHE)
    assert made.urgency == "urgent"
    corrected = _correct(world.patient, world.gp, date_of_birth=_years_ago(35))
    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral) == ("routine", 35)
    assert "is now routine" in corrected.notes[0]
    # The red flag itself stays on the referral for triage to read.
    assert made.red_flags == NEW_HEADACHE


def test_a_new_headache_with_a_history_of_cancer_stays_urgent_under_20(world):
    made = builders.referral(
        _aged(world.patient, 60), world.gp, red_flags=[*NEW_HEADACHE, rules.HISTORY_OF_MALIGNANCY]
    )
    _correct(world.patient, world.gp, date_of_birth=_years_ago(19))
    made.refresh_from_db()
    # Under 20, a new headache with a history of cancer is urgent too.
    assert (made.urgency, made.age_at_referral) == ("urgent", 19)


def test_a_corrected_age_under_18_is_told_and_kept_for_triage(world):
    made = builders.referral(_aged(world.patient, 40), world.gp)
    corrected = _correct(world.patient, world.clinician, date_of_birth=_years_ago(16))
    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral) == ("routine", 16)
    assert corrected.notes == [
        f"The referral sent on {_sent_on(made)}, waiting for triage, is for a patient under "
        "18: the screen was run again with the corrected age, 16."
    ]
    event = AuditEvent.objects.get(object_type="referrals.referral", action="update")
    assert event.fields == ["age_at_referral", "rescreened_at"]


def test_an_age_that_does_not_change_writes_nothing_on_the_referral(world):
    made = builders.referral(_aged(world.patient, 45), world.gp, red_flags=NEW_HEADACHE)
    before = made.updated_at
    corrected = _correct(
        world.patient, world.gp, date_of_birth=_years_ago(45).replace(month=1, day=2)
    )
    made.refresh_from_db()
    assert (made.age_at_referral, made.updated_at, made.rescreened_at) == (45, before, None)
    assert corrected.notes == []
    assert not AuditEvent.objects.filter(object_type="referrals.referral", action="update")


def test_a_name_correction_leaves_referrals_alone(world):
    made = builders.referral(_aged(world.patient, 45), world.gp, red_flags=NEW_HEADACHE)
    before = made.updated_at
    corrected = _correct(world.patient, world.gp, given_name="Alicia")
    made.refresh_from_db()
    assert made.updated_at == before
    assert corrected.notes == []


def test_a_decided_referral_keeps_the_urgency_it_was_decided_with(world):
    made = builders.decided(_aged(world.patient, 45), world.gp, world.clinician)
    assert made.status == "accepted"
    before = (made.urgency, made.age_at_referral, made.updated_at)
    corrected = _correct(world.patient, world.clinician, date_of_birth=_years_ago(55))
    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral, made.updated_at) == before
    assert corrected.notes == []


def test_the_patient_page_shows_what_the_correction_did_to_the_referral(world, login):
    made = builders.referral(_aged(world.patient, 45), world.gp, red_flags=NEW_HEADACHE)
    patient = Patient.objects.get(pk=world.patient.pk)
    response = login(world.clinician).post(
        reverse("pathway:patient-details", kwargs={"patient_uuid": patient.uuid}),
        {
            "based_on": revision_token(patient.updated_at),
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": _years_ago(52).isoformat(),
            "sex": patient.sex,
        },
        follow=True,
    )
    page = page_text(response)
    assert "Alice Anders's date of birth is corrected." in page
    assert f"The referral sent on {_sent_on(made)}, waiting for triage, is now urgent" in page
    assert Referral.objects.get(pk=made.pk).urgency == "urgent"


def test_the_referral_page_says_the_screen_was_run_again(world, login):
    made = builders.referral(_aged(world.patient, 45), world.gp, red_flags=NEW_HEADACHE)
    detail = reverse("referrals:detail", kwargs={"referral_uuid": made.uuid})
    assert "The screen was run again" not in page_text(login(world.clinician).get(detail))

    _correct(world.patient, world.clinician, date_of_birth=_years_ago(55))

    today = f"{timezone.localdate():%-d %B %Y}"
    for user in (world.clinician, world.gp):
        page = page_text(login(user).get(detail))
        assert (
            f"The screen was run again on {today}, with the patient's date of birth as it "
            "stands now (corrected, or the record's when matched): with their age when referred, "
            "55, it says urgent (within 2 weeks)."
        ) in page


def _self_referral_aged(world, years: int, **overrides):
    """A self-referral from world.patient giving a date of birth `years` ago and a new
    headache."""
    return builders.self_referral_by(
        world.patient, date_of_birth=_years_ago(years), red_flags=NEW_HEADACHE, **overrides
    )


def test_matching_screens_again_with_the_age_on_the_patients_record(world):
    made = _self_referral_aged(world, 45)
    assert (made.urgency, made.age_at_referral) == ("routine", 45)
    patient = _aged(world.patient, 55)

    matched = referral_services.match_self_referral(
        actor=world.clinician,
        referral=made,
        patient=patient,
        confirmed_differences=["date_of_birth"],
    )

    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral) == ("urgent", 55)
    assert made.rescreened_at is not None
    assert matched.screen_note == (
        f"The referral sent on {_sent_on(made)}, waiting for triage, is now urgent (within 2 "
        "weeks): the screen was run again with the age on the patient's record, 55."
    )
    assert AuditEvent.objects.filter(
        object_uuid=made.uuid,
        patient=world.patient,
        fields=["age_at_referral", "rescreened_at", "urgency"],
    ).exists()

    # Undone as a match to the wrong person, it goes by the age the self-referrer gave again.
    unmatched = referral_services.unmatch_self_referral(actor=world.clinician, referral=made)
    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral) == ("routine", 45)
    assert unmatched.screen_note.endswith(
        "is now routine: the screen was run again with the age the self-referrer gave, 45."
    )


def test_a_match_with_the_same_age_says_nothing_and_changes_nothing(world):
    made = _self_referral_aged(world, 55)
    patient = _aged(world.patient, 55)
    matched = referral_services.match_self_referral(
        actor=world.clinician, referral=made, patient=patient
    )
    made.refresh_from_db()
    assert (made.urgency, made.age_at_referral, made.rescreened_at) == ("urgent", 55, None)
    assert matched.screen_note == ""


def test_the_match_page_says_the_screen_was_run_again(world, login):
    made = _self_referral_aged(world, 45)
    _aged(world.patient, 55)
    client = login(world.clinician)
    response = client.post(
        reverse("referrals:match", args=[made.uuid]),
        {
            "nhs_number": world.patient.nhs_number,
            "shown_patient": str(world.patient.uuid),
            "shown_differences": "date_of_birth",
            "same_person": "on",
        },
        follow=True,
    )
    text = page_text(response)
    assert f"Self-referral matched to {world.patient.full_name}." in text
    assert (
        "is now urgent (within 2 weeks): the screen was run again with the age on the "
        "patient's record, 55." in text
    )


def test_a_decision_on_a_page_shown_before_the_correction_is_refused_and_says_why(world):
    from referrals import services as referral_services

    made = builders.referral(_aged(world.patient, 45), world.gp, red_flags=NEW_HEADACHE)
    _correct(world.patient, world.clinician, date_of_birth=_years_ago(55))

    with pytest.raises(referral_services.RedFlagsChanged) as raised:
        referral_services.triage_referral(
            actor=world.clinician,
            referral=made,
            decision=referral_services.Decision(
                decision="accept",
                priority="routine",
                note="Seen in clinic last week.",
                shown_red_flags=tuple(NEW_HEADACHE),
                shown_urgency="routine",
            ),
        )

    assert str(raised.value) == (
        "Since the page was opened, it was screened again with the patient's date of birth as "
        "it stands now, and it is now urgent (within 2 weeks). Check the red flags, then decide "
        "again."
    )
    made.refresh_from_db()
    assert made.status == "submitted"
