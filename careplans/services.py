"""Care-plan writes. Each runs in one transaction with its audit row; side effects (PDF rendering,
messages) are queued on commit. Domain errors are CarePlanError subclasses with a message fit to
show the user; views turn them into messages, never a 500."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from careplans import printing, rules
from careplans.models import (
    AcuteTreatment,
    CarePlan,
    CarePlanLeaflet,
    CarePlanVersion,
    Document,
    Goal,
    Leaflet,
    MedicationReduction,
    Responsibility,
    SelfManagementItem,
    SupportItem,
    TreatmentTrial,
)
from pathway.audit import record_event
from pathway.instruments import PSFS_MAX_ACTIVITIES
from pathway.models import AuditEvent, Episode, Milestone
from pathway.models.episodes import MilestoneKind
from pathway.notifications.outbox import queue_notification
from pathway.services import record_milestone

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# A PDF still pending after this long is handed to the worker again when someone asks for it.
REQUEUE_AFTER = timedelta(seconds=30)


class CarePlanError(Exception):
    """A change the care-plan rules do not allow; the message is shown to the user."""


class VersionLocked(CarePlanError):
    """An agreed or superseded version cannot change."""


class CannotAgree(CarePlanError):
    """The draft is not ready to agree."""


class ChangedSinceOpened(CarePlanError):
    """Someone saved the row after the form was opened: saving would overwrite their change.
    `changed_by` and `changed_at` say who and when, for the message."""

    def __init__(self, *, what: str, changed_by: str, changed_at: datetime):
        self.changed_by = changed_by
        self.changed_at = changed_at
        local = timezone.localtime(changed_at)
        when = f"{local:%-I:%M}{local:%p}".lower() + f" on {local:%-d %B %Y}"
        super().__init__(f"This {what} was changed by {changed_by} at {when} since you opened it.")


def _check_based_on(current, based_on: datetime | None, *, actor, what: str) -> None:
    """Refuse a change based on an older copy of `current` (a row re-read under lock).
    `based_on` is the updated_at the form was opened on; None skips the check (a caller with no
    form, such as the demo). Raises ChangedSinceOpened."""
    if based_on is None or current.updated_at == based_on:
        return
    editor = current.updated_by
    if editor is not None and editor.pk == getattr(actor, "pk", None):
        name = "you in another tab or window"
    else:
        name = editor.full_name if editor is not None else "someone else"
    raise ChangedSinceOpened(what=what, changed_by=name, changed_at=current.updated_at)


class NeedsAcknowledgement(CarePlanError):
    """Starting this medicine shows a NICE warning that must be acknowledged first."""

    def __init__(self, prompt: rules.Prompt):
        super().__init__(prompt.title)
        self.prompt = prompt


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
VERSION_FIELDS = (
    "what_matters",
    "acute_plan",
    "wellbeing_notes",
    "next_review_on",
    "change_summary",
)


def _locked_draft(version: CarePlanVersion) -> CarePlanVersion:
    """Re-read the version under a row lock and return it. Raises VersionLocked unless draft."""
    current = CarePlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    if current.status != CarePlanVersion.Status.DRAFT:
        agreed = timezone.localtime(current.agreed_at)
        raise VersionLocked(
            f"Version {current.number} was agreed on {agreed:%-d %B %Y} and cannot be changed. "
            "Start a new version to make changes."
        )
    return current


def _notify_patient(*, patient, kind: str, template: str, key: str) -> None:
    """Queue one message on the patient's preferred channel (email, else text), if they agreed to
    either. Messages say only that something is ready to read, with a sign-in link."""
    channel = next((c for c in ("email", "sms") if patient.can_receive(c)), None)
    if channel is None:
        return
    queue_notification(
        channel=channel,
        kind=kind,
        template=template,
        idempotency_key=f"{key}:{channel}",
        patient=patient,
        context={"link": settings.SITE_URL + reverse("careplans:my-plan")},
    )


@transaction.atomic
def start_plan(*, actor, patient, episode: Episode) -> CarePlan:
    """Create a plan for an open episode of the patient, with an empty draft version 1.
    Raises CarePlanError if the episode is not the patient's, is closed, or has a plan."""
    if episode.patient_id != patient.id:
        raise CarePlanError("Choose one of this patient's episodes.")
    if not episode.is_open:
        raise CarePlanError("This episode is closed. Care plans are made for open episodes.")
    if CarePlan.objects.filter(episode=episode, entered_in_error=False).exists():
        raise CarePlanError("This episode already has a care plan.")
    plan = CarePlan.objects.create(
        patient=patient, episode=episode, created_by=actor, updated_by=actor
    )
    version = CarePlanVersion.objects.create(
        plan=plan, number=1, created_by=actor, updated_by=actor
    )
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=patient, obj=plan)
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=patient, obj=version)
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
    CarePlanError for more than 5 goals (PSFS rates up to 5 activities) or a row that belongs to
    another version.
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
            for name in ITEM_FIELDS[relation]:
                setattr(row, name, change.data.get(name, getattr(row, name)))
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
    problems = []
    if not version.what_matters.strip():
        problems.append("Write what matters to the patient, in their words.")
    if not Goal.objects.filter(version=version).exists():
        problems.append("Add at least one goal.")
    if version.next_review_on is None:
        problems.append("Set the next review date.")
    elif version.next_review_on < timezone.localdate():
        problems.append("The next review date must be today or later.")
    if problems:
        raise CannotAgree("The plan cannot be agreed yet. " + " ".join(problems))
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
    Copied rows keep their lineage so the change list can follow them."""
    plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
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
                    **{name: getattr(row, name) for name in ITEM_FIELDS[relation]},
                )
                for row in model.objects.filter(version=source)
            )
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=plan.patient, obj=draft)
    return draft


def _moment_on(day: date) -> datetime:
    """Now for today; noon London time for an earlier day (the time of day is not recorded)."""
    if day >= timezone.localdate():
        return timezone.now()
    return datetime.combine(day, time(12), tzinfo=LONDON)


def _check_days(baseline_headache, baseline_migraine, label: str) -> None:
    both = baseline_headache is not None and baseline_migraine is not None
    if both and baseline_migraine > baseline_headache:
        raise CarePlanError(f"{label}: migraine days cannot be more than headache days.")


def _referral_day(episode: Episode) -> date:
    """The day (London) the episode's referral was received, else the day it was opened."""
    received = (
        Milestone.objects.filter(episode=episode, kind=MilestoneKind.REFERRAL_RECEIVED)
        .values_list("occurred_at", flat=True)
        .first()
    )
    return timezone.localdate(received or episode.opened_at)


@transaction.atomic
def add_trial(*, actor, plan: CarePlan, data: dict) -> TreatmentTrial:
    """Record a medicine the patient starts (or already takes) under the plan. Starting one
    writes the episode's `treatment_started` milestone. One that started before the referral is
    recorded as already taken (`already_taking`), and writes no milestone. Returns the trial.

    Raises NeedsAcknowledgement when NICE advises against starting it (NG193 or CG150) and the
    warning was not acknowledged, and CarePlanError for a review date before the start, a start
    date in the future or before the patient was born, or a missing name for "other".
    """
    code = data["medicine_code"]
    medicine_class = rules.medicine_class_of(code)
    started_on = data["started_on"]
    review_due = data.get("review_due") or rules.default_review_due(started_on)
    if started_on > timezone.localdate():
        raise CarePlanError("The start date must be today or in the past.")
    if started_on < plan.patient.date_of_birth:
        raise CarePlanError("The start date must be after the patient's date of birth.")
    if review_due < started_on:
        raise CarePlanError("The review date must be on or after the start date.")
    if code == rules.OTHER and not data.get("medicine_name", "").strip():
        raise CarePlanError("Enter the name of the medicine.")
    # A medicine started before the referral was not started by this pathway: it is one the
    # patient already takes, so it is not the pathway's first treatment (the referral to first
    # treatment wait, DESIGN.md section 3, would otherwise be negative) and NICE's "do not
    # start" advice becomes a prompt to review it.
    already_taking = bool(data.get("already_taking")) or started_on < _referral_day(plan.episode)
    warning = rules.start_warning(condition=plan.episode.condition, medicine_class=medicine_class)
    acknowledged = bool(data.get("start_warning_acknowledged"))
    if warning and not already_taking and not acknowledged:
        raise NeedsAcknowledgement(warning)
    _check_days(data.get("baseline_headache_days"), data.get("baseline_migraine_days"), "Baseline")
    trial = TreatmentTrial.objects.create(
        plan=plan,
        medicine_code=code,
        medicine_name=data.get("medicine_name", "").strip() if code == rules.OTHER else "",
        medicine_class=medicine_class,
        role=data["role"],
        dose=data["dose"],
        started_on=started_on,
        review_due=review_due,
        already_taking=already_taking,
        start_warning_acknowledged=acknowledged and warning is not None,
        daily_morphine_equivalent_mg=data.get("daily_morphine_equivalent_mg"),
        baseline_headache_days=data.get("baseline_headache_days"),
        baseline_migraine_days=data.get("baseline_migraine_days"),
        notes=data.get("notes", ""),
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=plan.patient,
        obj=trial,
        fields=[name for name, value in data.items() if value not in (None, "")],
    )
    if not already_taking:
        record_milestone(
            episode=plan.episode,
            kind=MilestoneKind.TREATMENT_STARTED,
            occurred_at=_moment_on(started_on),
            actor=actor,
        )
    return trial


REVIEW_FIELDS = (
    "outcome",
    "adequate_trial",
    "review_due",
    "review_decision",
    "baseline_headache_days",
    "baseline_migraine_days",
    "month3_headache_days",
    "month3_migraine_days",
    "daily_morphine_equivalent_mg",
    "notes",
)


@transaction.atomic
def review_trial(
    *, actor, trial: TreatmentTrial, data: dict, based_on: datetime | None = None
) -> TreatmentTrial:
    """Record a trial's review: outcome, whether the trial was adequate, the migraine and headache
    days a month before and at 12 weeks, a new review date and the NG193 review decision.
    Returns the trial.

    Raises ChangedSinceOpened if the trial was saved after `based_on` (its updated_at when the
    form was opened), and CarePlanError for a next review date in the past or before the start,
    or migraine days above headache days. Whether a continuing treatment has a date is the
    form's check (rules.next_review_problem): a service call recording only a review decision
    or figures keeps the date it has."""
    # updated_by is loaded only for the message of a refused save: PostgreSQL cannot lock the
    # nullable side of an outer join.
    trial = (
        TreatmentTrial.objects.select_for_update().select_related("plan__patient").get(pk=trial.pk)
    )
    _check_based_on(trial, based_on, actor=actor, what="treatment")
    given = data.get("review_due")
    if given is not None and given < timezone.localdate():
        raise CarePlanError("The next review date must be today or later.")
    # Left blank, the date stays as it was: the column always holds the last review date set,
    # and a trial that has ended is not reviewed again.
    review_due = given or trial.review_due
    if review_due < trial.started_on:
        raise CarePlanError("The review date must be on or after the start date.")
    data = {name: value for name, value in data.items() if name != "review_due"}
    _check_days(data.get("baseline_headache_days"), data.get("baseline_migraine_days"), "Baseline")
    _check_days(data.get("month3_headache_days"), data.get("month3_migraine_days"), "At 12 weeks")
    changed = [
        name for name in REVIEW_FIELDS if name in data and getattr(trial, name) != data[name]
    ]
    for name in changed:
        setattr(trial, name, data[name])
    if review_due != trial.review_due:
        trial.review_due = review_due
        changed.append("review_due")
    if "outcome" in changed:
        trial.outcome_recorded_at = None if trial.is_ongoing else timezone.now()
        changed.append("outcome_recorded_at")
    trial.updated_by = actor
    trial.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=trial.plan.patient,
        obj=trial,
        fields=changed,
    )
    return trial


@transaction.atomic
def record_reduction(*, actor, trial: TreatmentTrial, data: dict) -> MedicationReduction:
    """Record one step of reducing a medicine; a "stopped" step ends the trial as stopped and
    marks the NG193 review as "reduce". Returns the step. Raises CarePlanError if the trial has
    ended or the date is in the future or before the trial started."""
    trial = (
        TreatmentTrial.objects.select_for_update().select_related("plan__patient").get(pk=trial.pk)
    )
    if not trial.is_ongoing:
        raise CarePlanError("This medicine has already stopped.")
    reduced_on = data["reduced_on"]
    if reduced_on > timezone.localdate():
        raise CarePlanError("The date must be today or in the past.")
    if reduced_on < trial.started_on:
        raise CarePlanError("The date must be on or after the day the medicine started.")
    step = data["step"]
    if step == MedicationReduction.Step.REDUCED and not data.get("dose", "").strip():
        raise CarePlanError("Enter the new dose.")
    reduction = MedicationReduction.objects.create(
        trial=trial,
        medicine_class=trial.medicine_class,
        step=step,
        reduced_on=reduced_on,
        dose=data.get("dose", "").strip(),
        daily_morphine_equivalent_mg=data.get("daily_morphine_equivalent_mg"),
        created_by=actor,
        updated_by=actor,
    )
    trial_fields = ["review_decision"]
    trial.review_decision = rules.REVIEW_REDUCE
    if step == MedicationReduction.Step.STOPPED:
        trial.outcome = TreatmentTrial.Outcome.STOPPED
        trial.outcome_recorded_at = timezone.now()
        trial_fields += ["outcome", "outcome_recorded_at"]
    trial.updated_by = actor
    trial.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=trial.plan.patient,
        obj=reduction,
        fields=list(data),
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=trial.plan.patient,
        obj=trial,
        fields=trial_fields,
    )
    return reduction


@transaction.atomic
def attach_leaflet(
    *, actor, plan: CarePlan, leaflet: Leaflet, notify: bool = False
) -> tuple[CarePlanLeaflet, bool]:
    """Attach a leaflet to the plan (once) and, if asked, tell the patient by their preferred
    channel. Returns (attachment, created)."""
    link = CarePlanLeaflet.objects.filter(
        plan=plan, leaflet=leaflet, removed_at__isnull=True
    ).first()
    if link is not None:
        return link, False
    link = CarePlanLeaflet.objects.create(plan=plan, leaflet=leaflet, attached_by=actor)
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=plan.patient, obj=link)
    if notify:
        _notify_patient(
            patient=plan.patient,
            kind="leaflet_added",
            template="careplans-leaflet-added",
            key=f"careplans-leaflet-added:{link.uuid}",
        )
    return link, True


@transaction.atomic
def remove_leaflet(*, actor, link: CarePlanLeaflet) -> CarePlanLeaflet:
    """Take a leaflet off the plan; the row stays, dated."""
    if link.removed_at is None:
        link.removed_at = timezone.now()
        link.save(update_fields=["removed_at", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=link.plan.patient,
            obj=link,
            fields=["removed_at"],
        )
    return link


# --- PDFs ---------------------------------------------------------------------------------------


def _enqueue_render(document_uuid) -> bool:
    """Hand a document to the worker. If the broker is down the row stays pending and the next
    request for it (or the sweep) queues it again. Returns whether the broker took it."""
    from careplans.tasks import render_document_pdf

    try:
        render_document_pdf.apply_async(args=[str(document_uuid)])
    except Exception:  # noqa: BLE001  any broker failure: the row stays pending
        logger.warning("broker unavailable; document %s left pending", document_uuid)
        return False
    return True


def _queue_render(document: Document) -> bool:
    """Mark the row queued now and enqueue it on commit, unless it was queued very recently
    (compare-and-swap on enqueued_at, so two requests queue it once)."""
    now = timezone.now()
    claimed = (
        Document.objects.filter(pk=document.pk)
        .exclude(status=Document.Status.READY)
        .exclude(enqueued_at__gt=now - REQUEUE_AFTER)
        .update(status=Document.Status.PENDING, enqueued_at=now, last_error="")
    )
    if claimed:
        document.status = Document.Status.PENDING
        document.enqueued_at = now
        uuid = document.uuid
        transaction.on_commit(lambda: _enqueue_render(uuid))
    return bool(claimed)


def _document(
    *, actor, patient, html_made_at: Callable[[datetime | None], str], defaults: dict
) -> Document:
    """Return the patient's document of this content, making and queuing it if there is none.

    `html_made_at(None)` is the content alone: its fingerprint keys the document, so unchanged
    content reuses one PDF and changed content gets a new one (the old row stays, no longer
    offered). The stored HTML is made with the time now, so the PDF says when it was correct."""
    content_hash = printing.fingerprint(html_made_at(None))
    document = (
        Document.objects.filter(patient=patient, content_hash=content_hash)
        .defer("html", "pdf")
        .first()
    )
    if document is None:
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    patient=patient,
                    content_hash=content_hash,
                    html=html_made_at(timezone.now()),
                    requested_by=actor,
                    **defaults,
                )
        except IntegrityError:
            # Someone asked for the same content at the same moment: use their row.
            document = Document.objects.defer("html", "pdf").get(
                patient=patient, content_hash=content_hash
            )
        else:
            record_event(
                actor=actor, action=AuditEvent.Action.CREATE, patient=patient, obj=document
            )
    if document.status != Document.Status.READY:
        _queue_render(document)
    return document


@transaction.atomic
def request_careplan_pdf(*, actor, version: CarePlanVersion) -> Document:
    """Return the PDF document of an agreed (or superseded) version as it prints now, with the
    plan's treatments as they are now, queuing its rendering if this content was not made
    before. Asking again while nothing printed has changed returns the same document; after a
    change (a treatment reviewed, added or stopped) it returns a new one. Raises CarePlanError
    for a draft."""
    from careplans.selectors import printed_trials, version_view

    if version.status == CarePlanVersion.Status.DRAFT:
        raise CarePlanError("A draft has no PDF. Agree the plan first.")
    plan = version.plan
    view = version_view(version)
    trials = printed_trials(plan)
    return _document(
        actor=actor,
        patient=plan.patient,
        html_made_at=lambda made_at: printing.careplan_html(
            patient=plan.patient, view=view, trials=trials, made_at=made_at
        ),
        defaults={
            "kind": Document.Kind.CAREPLAN,
            "version": version,
            "filename": f"care-plan-version-{version.number}.pdf",
        },
    )


@transaction.atomic
def request_leaflet_pdf(*, actor, patient, plan: CarePlan | None, leaflet: Leaflet) -> Document:
    """Return a personalised copy of a leaflet for the patient (their name, their doses of its
    medicines, when to get help) as it prints now, queuing its rendering if this content was not
    made before. A change to what it prints (a new dose, a new leaflet version) gives a new
    document."""
    from careplans.selectors import trials_for_leaflet

    trials = trials_for_leaflet(plan, leaflet)
    return _document(
        actor=actor,
        patient=patient,
        html_made_at=lambda made_at: printing.leaflet_html(
            patient=patient, leaflet=leaflet, trials=trials, made_at=made_at
        ),
        defaults={
            "kind": Document.Kind.LEAFLET,
            "leaflet": leaflet,
            "leaflet_version": leaflet.version,
            "filename": f"{leaflet.slug}.pdf",
        },
    )


def render_document(document_uuid: str) -> str:
    """Render a pending document to PDF and store it. Returns the status afterwards ("missing" for
    an unknown id). Safe to run twice: a ready document is left alone, and the final write only
    happens while the row is not ready yet.

    Not one transaction on purpose: the render takes a few hundred milliseconds and must not hold
    the database's write lock (SQLite takes it at BEGIN).
    """
    from pathway.pdf import html_to_pdf

    document = Document.objects.filter(uuid=document_uuid).defer("pdf").first()
    if document is None:
        return "missing"
    if document.status == Document.Status.READY:
        return Document.Status.READY
    try:
        pdf = html_to_pdf(document.html)
    except Exception as exc:  # noqa: BLE001  WeasyPrint raises many types; record and show
        logger.exception("PDF rendering failed for document %s", document_uuid)
        Document.objects.filter(pk=document.pk, status=Document.Status.PENDING).update(
            status=Document.Status.FAILED, last_error=f"{type(exc).__name__}"[:300]
        )
        return Document.Status.FAILED
    Document.objects.filter(pk=document.pk).exclude(status=Document.Status.READY).update(
        status=Document.Status.READY,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        rendered_at=timezone.now(),
        last_error="",
    )
    return Document.Status.READY


def requeue_pending_documents(*, older_than: timedelta = REQUEUE_AFTER) -> int:
    """Queue again every document left pending (broker down, worker died). Returns how many
    were handed to the broker. Safe from two schedulers at once (compare-and-swap)."""
    cutoff = timezone.now() - older_than
    queued = 0
    for document in Document.objects.filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True), status=Document.Status.PENDING
    ).only("pk", "uuid", "status", "enqueued_at")[:500]:
        with transaction.atomic():
            queued += _queue_render(document)
    return queued
