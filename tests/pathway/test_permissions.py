"""Who sees which patients (DESIGN.md section 5): deny by default, personas of STYLE.md rule 22."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from pathway.models import User
from pathway.permissions import (
    clinicians_caring_for,
    own_patient_record,
    patient_for,
    patients_visible_to,
    practice_ids_for,
    practices_visible_to,
)
from tests.factories import OrganisationFactory, PatientFactory, UserFactory


def _visible(user) -> set:
    return set(patients_visible_to(user))


# Deny paths first.


def test_it_shows_an_anonymous_visitor_no_patients(world):
    assert _visible(AnonymousUser()) == set()
    assert practice_ids_for(AnonymousUser()) == set()
    assert list(practices_visible_to(AnonymousUser())) == []


def test_it_shows_a_commissioner_no_patient_records(world):
    assert _visible(world.commissioner) == set()
    assert practice_ids_for(world.commissioner) == set()
    assert list(practices_visible_to(world.commissioner)) == []


@pytest.mark.parametrize(
    "persona", ["patient_user", "gp", "clinician", "other_clinician", "admin", "commissioner"]
)
def test_it_shows_an_inactive_user_no_patients(world, persona):
    user = getattr(world, persona)
    user.is_active = False
    user.save()
    assert _visible(user) == set()
    with pytest.raises(Http404):
        patient_for(user, world.patient.uuid)


def test_it_shows_an_admin_role_without_superuser_no_patients(world):
    half_admin = UserFactory(role="admin", discipline="", is_staff=True, is_superuser=False)
    assert _visible(half_admin) == set()


def test_it_hides_a_patient_entered_in_error_from_everyone(world):
    world.patient.entered_in_error = True
    world.patient.save()
    for user in (world.patient_user, world.gp, world.clinician, world.admin):
        assert world.patient not in _visible(user)
        with pytest.raises(Http404):
            patient_for(user, world.patient.uuid)
    with pytest.raises(Http404):
        own_patient_record(world.patient_user)


def test_it_shows_a_patient_only_their_own_record(world):
    assert _visible(world.patient_user) == {world.patient}
    assert patient_for(world.patient_user, world.patient.uuid) == world.patient
    with pytest.raises(Http404):
        patient_for(world.patient_user, world.other_patient.uuid)


def test_it_shows_the_other_patient_only_their_record(world):
    assert _visible(world.other_patient_user) == {world.other_patient}
    with pytest.raises(Http404):
        patient_for(world.other_patient_user, world.patient.uuid)


def test_it_shows_a_gp_only_their_practice_patients(world):
    assert _visible(world.gp) == {world.patient, world.other_patient}
    for outsider in (world.patient_in_b, world.patient_in_c):
        with pytest.raises(Http404):
            patient_for(world.gp, outsider.uuid)


def test_it_shows_the_other_gp_only_practice_c(world):
    assert _visible(world.other_gp) == {world.patient_in_c}
    with pytest.raises(Http404):
        patient_for(world.other_gp, world.patient.uuid)


def test_it_shows_a_pcn_clinician_every_practice_of_the_pcn_hosting_their_service(world):
    assert practice_ids_for(world.clinician) == {world.practice_a.id, world.practice_b.id}
    assert _visible(world.clinician) == {world.patient, world.other_patient, world.patient_in_b}
    with pytest.raises(Http404):
        patient_for(world.clinician, world.patient_in_c.uuid)


def test_it_shows_a_clinician_of_another_pcn_only_that_pcns_practices(world):
    assert practice_ids_for(world.other_clinician) == {world.practice_c.id}
    assert _visible(world.other_clinician) == {world.patient_in_c}
    with pytest.raises(Http404):
        patient_for(world.other_clinician, world.patient.uuid)


def test_it_does_not_widen_a_gp_to_their_pcn(world):
    pcn_gp = UserFactory(role="gp", discipline="", organisations=[world.pcn1])
    assert _visible(pcn_gp) == set()


def test_it_does_not_let_a_clinician_reach_a_practice_that_joins_no_pcn_of_theirs(world):
    icb2 = OrganisationFactory(kind="icb", ods_code="QT2")
    pcn3 = OrganisationFactory(kind="pcn", ods_code="UT003", parent=icb2)
    elsewhere = PatientFactory(registered_practice=OrganisationFactory(parent=pcn3))
    assert elsewhere not in _visible(world.clinician)


def test_it_shows_a_superuser_admin_every_live_patient(world):
    assert _visible(world.admin) == {
        world.patient,
        world.other_patient,
        world.patient_in_b,
        world.patient_in_c,
    }
    assert patient_for(world.admin, str(world.patient_in_c.uuid)) == world.patient_in_c


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "1", None, 42, "../" * 3])
def test_it_answers_404_for_a_malformed_uuid(world, bad):
    with pytest.raises(Http404):
        patient_for(world.gp, bad)


def test_it_answers_404_for_an_unknown_uuid(world):
    with pytest.raises(Http404):
        patient_for(world.admin, uuid.uuid4())


def test_it_answers_404_when_staff_ask_for_their_own_patient_record(world):
    for user in (world.gp, world.clinician, world.commissioner, world.admin):
        with pytest.raises(Http404):
            own_patient_record(user)


def test_it_answers_404_for_a_patient_account_without_a_linked_record(world):
    lonely = UserFactory(role="patient", discipline="")
    with pytest.raises(Http404):
        own_patient_record(lonely)
    assert _visible(lonely) == set()


def test_it_returns_the_signed_in_patients_own_record(world):
    assert own_patient_record(world.patient_user) == world.patient


def test_it_works_out_a_users_practices_once_per_user_object(world, django_assert_num_queries):
    from pathway.models import User

    with django_assert_num_queries(3):  # memberships, their PCNs' practices, the count
        first = practice_ids_for(world.clinician)
        practice_ids_for(world.clinician)
        patients_visible_to(world.clinician).count()
    assert practice_ids_for(world.clinician) == first
    fresh = User.objects.get(pk=world.clinician.pk)  # as the next request loads it
    with django_assert_num_queries(2):
        assert practice_ids_for(fresh) == first


def test_it_works_the_practices_out_again_when_the_role_changes(world):
    user = world.clinician
    assert practice_ids_for(user)
    user.role = "commissioner"
    assert practice_ids_for(user) == set()


@pytest.mark.parametrize("persona", ["gp", "clinician", "admin"])
def test_patient_for_brings_the_practice_the_banner_shows(
    world, persona, django_assert_num_queries
):
    user = getattr(world, persona)
    practice_ids_for(user)  # the user's scope, read once per request
    with django_assert_num_queries(1):
        patient = patient_for(user, world.patient.uuid)
        assert patient.registered_practice.name == world.patient.registered_practice.name


def _practice_names(user) -> list[str]:
    return [practice.name for practice in practices_visible_to(user)]


def test_the_practices_offered_to_staff_are_those_whose_patients_they_see(world):
    """Filters and forms offer the practices of `patients_visible_to`, by name."""
    assert _practice_names(world.gp) == ["Practice A"]
    assert _practice_names(world.other_gp) == ["Practice C"]
    assert _practice_names(world.clinician) == ["Practice A", "Practice B"]
    assert _practice_names(world.other_clinician) == ["Practice C"]
    assert _practice_names(world.admin) == ["Practice A", "Practice B", "Practice C"]


@pytest.mark.parametrize("persona", ["patient_user", "commissioner", "gp", "clinician", "admin"])
def test_no_practices_are_offered_to_an_inactive_user_or_a_non_superuser_admin(world, persona):
    user = getattr(world, persona)
    user.is_active = False
    user.save()
    assert _practice_names(user) == []
    half_admin = UserFactory(role="admin", discipline="", is_staff=True, is_superuser=False)
    assert _practice_names(half_admin) == []


def test_the_clinicians_caring_for_a_patient_are_those_who_may_see_them(world):
    in_practice = UserFactory(role="clinician", organisations=[world.practice_a])
    in_pcn = UserFactory(role="clinician", organisations=[world.pcn1])
    UserFactory(role="clinician", organisations=[world.pcn1], is_active=False)
    UserFactory(role="clinician", organisations=[world.practice_b])  # same PCN, other practice
    clinicians = User.objects.filter(role="clinician")
    practice = world.patient.registered_practice_id
    expected = {c for c in clinicians if c.is_active and practice in practice_ids_for(c)}
    found = set(clinicians_caring_for(world.patient))
    assert found == expected
    assert {world.clinician, in_practice, in_pcn} <= found  # service, practice, PCN
    assert world.other_clinician not in found
