"""Builders for tests. Synthetic NHS numbers come from the never-issued 999 range."""

import itertools
from datetime import date

import factory
from django.utils import timezone

from pathway import nhs_number
from pathway.models import Episode, Membership, Organisation, Patient, Target, User


def _valid_numbers():
    for stem in itertools.count(999_100_000):
        for check in range(10):
            candidate = f"{stem}{check}"
            if nhs_number.is_valid(candidate):
                yield candidate
                break


_numbers = _valid_numbers()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.PRACTICE
    name = factory.Sequence(lambda n: f"Practice {n}")
    ods_code = factory.Sequence(lambda n: f"T{n:05d}")
    # Every organisation but an ICB hangs under one (pathway_organisation_has_parent).
    parent = factory.LazyAttribute(lambda o: None if o.kind == "icb" else default_practice().parent)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    role = User.Role.CLINICIAN
    discipline = factory.LazyAttribute(lambda o: "nurse" if o.role == "clinician" else "")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create:
            for org in extracted or []:
                Membership.objects.create(user=self, organisation=org)
            self.save()


def default_practice() -> Organisation:
    """A practice in a complete ICB > PCN > practice tree, for tests that do not care which."""
    icb, _ = Organisation.objects.get_or_create(
        ods_code="QF0", defaults={"kind": "icb", "name": "Factory ICB"}
    )
    pcn, _ = Organisation.objects.get_or_create(
        ods_code="UF000", defaults={"kind": "pcn", "name": "Factory PCN", "parent": icb}
    )
    practice, _ = Organisation.objects.get_or_create(
        ods_code="YF000", defaults={"kind": "practice", "name": "Factory Practice", "parent": pcn}
    )
    return practice


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    nhs_number = factory.LazyFunction(lambda: next(_numbers))
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = date(1980, 5, 17)
    sex = Patient.Sex.FEMALE
    registered_practice = factory.LazyFunction(default_practice)
    mobile = "+447700900123"
    email = factory.LazyAttribute(lambda o: f"{o.given_name.lower()}@example.test")
    sms_consent = True
    email_consent = True
    consent_recorded_at = factory.LazyFunction(timezone.now)


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    condition = "headache"
    status = Episode.Status.ACTIVE
    priority = "routine"
    opened_at = factory.LazyFunction(timezone.now)


def urgent_triage_target(days: int = 2) -> Target:
    """A referral-to-triage target for urgent referrals (the defaults have one for any)."""
    return Target.objects.create(
        name="Urgent referral to triage",
        from_milestone="referral_received",
        to_milestone="triaged",
        priority="urgent",
        days=days,
    )
