"""Plans and their versions: starting a plan, saving and agreeing a draft, starting a new
version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from careplans import rules
from careplans.models import (
    AcuteTreatment,
    CarePlan,
    CarePlanVersion,
    Goal,
    Responsibility,
    SelfManagementItem,
    SupportItem,
)
from careplans.services.errors import (
    CannotAgree,
    CarePlanError,
    VersionLocked,
    _check_based_on,
    check_episode_open,
)
from careplans.services.notifications import _notify_patient
from pathway import plan_starts
from pathway.audit import record_event
from pathway.instruments import PSFS_MAX_ACTIVITIES
from pathway.models import AuditEvent, Episode
from pathway.models.episodes import MilestoneKind
from pathway.services import record_milestone


@dataclass
class ItemChange:
    """One row of a version's list (goals, ...) from a form: `pk` of the row it edits (None for
    a new row), the cleaned values, and whether it is to be removed."""

    pk: int | None
    data: dict = field(default_factory=dict)
    delete: bool = False


ITEM_MODELS = {
    "goals": Goal,
    "self_management": SelfManagementItem,
    "support_items": SupportItem,
    "responsibilities": Responsibility,
    "acute_treatments": AcuteTreatment,
}
ITEM_FIELDS = {
    "goals": ("description", "baseline", "target", "current"),
    "self_management": ("category", "action", "owner", "support"),
    "support_items": ("kind", "description", "contact"),
    "responsibilities": ("owner", "person", "action", "due_on"),
    "acute_treatments": ("medication_class", "medicine"),
}
# What a new version copies of each row: what the form edits, and a goal's rating keeps the day
# it was given.
COPIED_FIELDS = {**ITEM_FIELDS, "goals": (*ITEM_FIELDS["goals"], "current_rated_on")}
# The draft's text fields that other records may start it with (pathway.plan_starts).
PREFILLED_FIELDS = ("what_matters", "acute_plan", "wellbeing_notes")
VERSION_FIELDS = (
    "what_matters",
    "acute_plan",
    "wellbeing_notes",
    "next_review_on",
    "change_summary",
)
ALREADY_HAS_PLAN = "This episode already has a care plan."


def _locked_draft(version: CarePlanVersion) -> CarePlanVersion:
    """Re-read the version under a row lock and return it. Raises VersionLocked unless draft,
    and EpisodeEnded once the plan's episode has ended."""
    current = (
        CarePlanVersion.objects.select_for_update(of=("self",))
        .select_related("plan__episode")
        .get(pk=version.pk)
    )
    if current.status != CarePlanVersion.Status.DRAFT:
        agreed = timezone.localtime(current.agreed_at)
        raise VersionLocked(
            f"Version {current.number} was agreed on {agreed:%-d %B %Y} and cannot be changed. "
            "Start a new version to make changes."
        )
    check_episode_open(current.plan)
    return current


def _has_live_plan(episode: Episode) -> bool:
    """Whether the episode has a plan not entered in error (it can have one only)."""
    return CarePlan.objects.filter(episode=episode, entered_in_error=False).exists()


@transaction.atomic
def start_plan(*, actor, patient, episode: Episode) -> CarePlan:
    """Create a plan for an open episode of the patient, with a draft version 1 that starts
    with what other records of the episode give (pathway.plan_starts: what matters to the
    patient, from their reviews); the plan's `prefilled` lists those, to tell the clinician.
    Raises CarePlanError if the episode is not the patient's, is closed, is still waiting for
    its referral to be triaged (a plan follows acceptance and the first conversation, and an
    urgent red flag may need another route), or has a plan (one started at the same moment,
    from another tab or by a colleague, included)."""
    if episode.patient_id != patient.id:
        raise CarePlanError("Choose one of this patient's episodes.")
    # The episode is read again under a row lock: two starts at once take turns, and the second
    # finds the first's plan (or the episode ended meanwhile) instead of failing on the
    # database's one-plan rule.
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise CarePlanError("This episode is closed. Care plans are made for open episodes.")
    if episode.status == Episode.Status.REFERRED:
        raise CarePlanError(
            "The referral for this episode has not been triaged yet. Start a care plan once it "
            "is accepted."
        )
    if _has_live_plan(episode):
        raise CarePlanError(ALREADY_HAS_PLAN)
    try:
        # The database keeps one live plan per episode (careplans_careplan_one_live_per_episode)
        # whatever got past the check above.
        with transaction.atomic():
            plan = CarePlan.objects.create(
                patient=patient, episode=episode, created_by=actor, updated_by=actor
            )
    except IntegrityError as exc:
        if not _has_live_plan(episode):
            raise
        raise CarePlanError(ALREADY_HAS_PLAN) from exc
    prefilled = {
        item.field: item
        for item in plan_starts.for_episode(episode)
        if item.field in PREFILLED_FIELDS and item.text.strip()
    }
    version = CarePlanVersion.objects.create(
        plan=plan,
        number=1,
        created_by=actor,
        updated_by=actor,
        **{name: item.text.strip() for name, item in prefilled.items()},
    )
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=patient, obj=plan)
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=version,
        fields=sorted(prefilled),
    )
    plan.prefilled = list(prefilled.values())
    return plan


@transaction.atomic
def update_draft(
    *,
    actor,
    version: CarePlanVersion,
    fields: dict,
    items: dict[str, list[ItemChange]] | None = None,
    based_on: datetime | None = None,
) -> CarePlanVersion:
    """Save a draft's fields and its lists of goals, self-management items, support, named
    responsibilities and acute treatments. Returns the version.

    `based_on` is the draft's updated_at when the form was opened: if the draft was saved since,
    nothing is saved and ChangedSinceOpened is raised, so two people editing at once cannot
    silently overwrite each other. Raises VersionLocked for an agreed or superseded version, and
    CarePlanError for more than 5 goals (PSFS rates up to 5 activities), a row that belongs to
    another version, or a responsibility's "by when" set or changed to a day already passed
    (rules.by_when_problem).
    """
    version = _locked_draft(version)
    _check_based_on(version, based_on, actor=actor, what="draft")
    changed = [name for name in VERSION_FIELDS if name in fields]
    for name in changed:
        setattr(version, name, fields[name])
    version.updated_by = actor
    version.save()
    for relation, changes in (items or {}).items():
        model = ITEM_MODELS[relation]
        existing = {row.pk: row for row in model.objects.filter(version=version)}
        position = 0
        for change in changes:
            row = existing.get(change.pk) if change.pk else None
            if change.pk and row is None:
                raise CarePlanError("The form was out of date. Reload the page and try again.")
            if change.delete:
                if row is not None:
                    # A draft's rows are work in progress, not a record anyone has agreed to.
                    row.delete()
                    changed.append(relation)
                continue
            if not change.data:
                continue
            row = row or model(version=version)
            if relation == "responsibilities" and "due_on" in change.data:
                problem = rules.by_when_problem(
                    due_on=change.data["due_on"], saved=row.due_on, today=timezone.localdate()
                )
                if problem:
                    raise CarePlanError(f"{change.data.get('person') or row.person}: {problem}")
            rated = getattr(row, "current", None)
            for name in ITEM_FIELDS[relation]:
                setattr(row, name, change.data.get(name, getattr(row, name)))
            if relation == "goals" and (row.pk is None or row.current != rated):
                # A rating given (or changed) now is dated today; one carried over keeps its day.
                row.current_rated_on = timezone.localdate() if row.current is not None else None
            row.position = position
            position += 1
            row.save()
            changed.append(relation)
    if Goal.objects.filter(version=version).count() > PSFS_MAX_ACTIVITIES:
        raise CarePlanError(f"A plan can have up to {PSFS_MAX_ACTIVITIES} goals.")
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=version.plan.patient,
        obj=version,
        fields=changed,
    )
    return version


NOT_AGREED_YET = "The plan cannot be agreed yet."
FIRST_CONVERSATION_FIRST = (
    "The patient's first conversation for this episode has not been recorded: a care plan is "
    "agreed at or after it. Record the first conversation's outcome first."
)


def agree_problems(version: CarePlanVersion) -> list[str]:
    """What the draft still needs before it can be agreed, each as a sentence for the user;
    empty when it is ready."""
    problems = []
    plan = version.plan
    # Once agreed, a plan carries on through later versions; the first needs the patient seen,
    # or the first-contact wait runs on and the plan's wait is measured from nothing.
    if (
        not plan.episode.milestones.filter(kind=MilestoneKind.FIRST_CONTACT).exists()
        and not plan.versions.exclude(status=CarePlanVersion.Status.DRAFT).exists()
    ):
        problems.append(FIRST_CONVERSATION_FIRST)
    if not version.what_matters.strip():
        problems.append("Write what matters to the patient, in their words.")
    if not Goal.objects.filter(version=version).exists():
        problems.append("Add at least one goal.")
    if version.next_review_on is None:
        problems.append("Set the next review date.")
    elif version.next_review_on < timezone.localdate():
        problems.append("The next review date must be today or later.")
    elif (version.next_review_on - timezone.localdate()).days > rules.MAX_REVIEW_AHEAD_DAYS:
        problems.append(rules.REVIEW_TOO_FAR_AHEAD)
    return problems


@transaction.atomic
def agree_version(
    *, actor, version: CarePlanVersion, based_on: datetime | None = None
) -> CarePlanVersion:
    """Agree a draft: it becomes the plan's current version and the one before is superseded.
    The first agreement writes the episode's `care_plan_agreed` milestone. Returns the version.

    `based_on` is the draft's updated_at when the agree page was shown: a draft changed since
    then is not agreed (ChangedSinceOpened), because the patient agreed what they were shown.
    Raises VersionLocked if it is not a draft, and CannotAgree without what matters to the
    patient, a goal, or a next review date from today on.
    """
    version = _locked_draft(version)
    _check_based_on(version, based_on, actor=actor, what="draft")
    problems = agree_problems(version)
    if problems:
        raise CannotAgree(f"{NOT_AGREED_YET} {' '.join(problems)}")
    plan = version.plan
    now = timezone.now()
    previous = (
        CarePlanVersion.objects.select_for_update()
        .filter(plan=plan, status=CarePlanVersion.Status.AGREED)
        .first()
    )
    if previous is not None:
        previous.status = CarePlanVersion.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=plan.patient,
            obj=previous,
            fields=["status", "superseded_at"],
        )
    first = (
        previous is None
        and not plan.versions.filter(status=CarePlanVersion.Status.SUPERSEDED).exists()
    )
    version.status = CarePlanVersion.Status.AGREED
    version.agreed_at = now
    version.agreed_by = actor
    version.updated_by = actor
    version.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.DECIDE,
        patient=plan.patient,
        obj=version,
        fields=["status", "agreed_at", "agreed_by"],
    )
    if first:
        record_milestone(
            episode=plan.episode, kind=MilestoneKind.CARE_PLAN_AGREED, occurred_at=now, actor=actor
        )
    _notify_patient(
        patient=plan.patient,
        kind="care_plan_agreed",
        template="careplans-plan-agreed",
        key=f"careplans-plan-agreed:{version.uuid}",
    )
    return version


@transaction.atomic
def start_new_version(*, actor, plan: CarePlan) -> CarePlanVersion:
    """Return the plan's draft, creating it as a copy of the agreed version when there is none.
    Copied rows keep their lineage so the change list can follow them. Raises EpisodeEnded
    once the plan's episode has ended."""
    plan = (
        CarePlan.objects.select_for_update(of=("self",)).select_related("episode").get(pk=plan.pk)
    )
    check_episode_open(plan)
    draft = plan.versions.filter(status=CarePlanVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    source = plan.versions.filter(status=CarePlanVersion.Status.AGREED).first()
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = CarePlanVersion.objects.create(
        plan=plan, number=number, created_by=actor, updated_by=actor
    )
    if source is not None:
        for name in VERSION_FIELDS:
            if name != "change_summary":
                setattr(draft, name, getattr(source, name))
        draft.save()
        for relation, model in ITEM_MODELS.items():
            model.objects.bulk_create(
                model(
                    version=draft,
                    lineage=row.lineage,
                    position=row.position,
                    **{name: getattr(row, name) for name in COPIED_FIELDS[relation]},
                )
                for row in model.objects.filter(version=source)
            )
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=plan.patient, obj=draft)
    return draft
