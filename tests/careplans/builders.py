"""Builders for care-plan tests (tests/factories.py is the kernel's; these stay in the app)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from careplans import services
from careplans.models import CarePlan, CarePlanLeaflet, Document, Leaflet
from careplans.services import ItemChange
from pathway.models.episodes import MilestoneKind
from pathway.services import record_milestone
from tests.factories import EpisodeFactory, UserFactory


def clinician():
    return UserFactory(role="clinician", full_name="Builder Clinician")


# New episodes opened this long ago, so trials started in the past few months count as started
# by the pathway (a medicine started before the referral is one the patient already takes).
REFERRED_DAYS_AGO = 365


def plan(patient, *, condition="headache", actor=None) -> CarePlan:
    """A plan with an empty draft version 1 on the patient's open episode, or a new one opened
    REFERRED_DAYS_AGO."""
    episode = patient.episodes.filter(
        condition=condition, status__in=["referred", "active"]
    ).first()
    episode = episode or EpisodeFactory(
        patient=patient,
        condition=condition,
        opened_at=timezone.now() - timedelta(days=REFERRED_DAYS_AGO),
    )
    return services.start_plan(actor=actor or clinician(), patient=patient, episode=episode)


def seen(episode, *, days_ago=1):
    """Record the episode's first contact (the first conversation's outcome), as agreeing a
    first plan needs."""
    record_milestone(
        episode=episode,
        kind=MilestoneKind.FIRST_CONTACT,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )


def fill_draft(version, *, actor=None, goals=None, **fields):
    """Give a draft what agreeing needs: the patient seen (a first contact, if the episode has
    none), what matters, one goal and a review date."""
    seen(version.plan.episode)
    goals = (
        goals
        if goals is not None
        else [{"description": "Walk the dog", "baseline": 3, "target": 7, "current": None}]
    )
    services.update_draft(
        actor=actor or clinician(),
        version=version,
        fields={
            "what_matters": "Walking the dog every day",
            "next_review_on": timezone.localdate() + timedelta(days=30),
            **fields,
        },
        items={"goals": [ItemChange(pk=None, data=goal) for goal in goals]},
    )
    return version


def agreed_plan(patient, *, condition="headache", actor=None) -> CarePlan:
    actor = actor or clinician()
    care_plan = plan(patient, condition=condition, actor=actor)
    version = care_plan.versions.get(number=1)
    fill_draft(version, actor=actor)
    services.agree_version(actor=actor, version=version)
    return care_plan


def trial(care_plan, *, actor=None, **data):
    values = {
        "medicine_code": "propranolol",
        "role": "preventive",
        "dose": "40 mg twice a day",
        "started_on": timezone.localdate() - timedelta(days=10),
        **data,
    }
    return services.add_trial(actor=actor or clinician(), plan=care_plan, data=values)


def failed(care_plan, code, outcome="ineffective", *, actor=None, adequate=True, **data):
    """A preventive found not to work after a trial of some months (or not tolerated)."""
    actor = actor or clinician()
    data.setdefault("started_on", timezone.localdate() - timedelta(days=120))
    data.setdefault("review_due", timezone.localdate() - timedelta(days=120) + timedelta(days=84))
    made = trial(care_plan, actor=actor, medicine_code=code, **data)
    return services.review_trial(
        actor=actor, trial=made, data={"outcome": outcome, "adequate_trial": adequate}
    )


def leaflet(slug="understanding-migraine") -> Leaflet:
    return Leaflet.objects.get(slug=slug)


def attached(care_plan, slug="understanding-migraine") -> CarePlanLeaflet:
    link, _ = services.attach_leaflet(actor=clinician(), plan=care_plan, leaflet=leaflet(slug))
    return link


def ready_document(patient, *, version=None) -> Document:
    """A rendered document without running WeasyPrint."""
    if version is None:
        version = agreed_plan(patient).versions.get(number=1)
    return Document.objects.create(
        kind=Document.Kind.CAREPLAN,
        patient=patient,
        version=version,
        content_hash="a" * 64,
        html="<p>test</p>",
        status=Document.Status.READY,
        pdf=b"%PDF-1.7 test",
        size=13,
        filename="care-plan-version-1.pdf",
        rendered_at=timezone.now(),
    )


DAYS = Decimal
