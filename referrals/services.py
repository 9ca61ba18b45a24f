"""Referral writes. Each runs in one transaction, leaves its audit row and enqueues side effects
on commit (STYLE.md rule 5). Domain errors are ReferralError subclasses with a message that is
safe to show to the user."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pathway import instruments
from pathway import services as kernel
from pathway.audit import record_event
from pathway.models import Assessment, AuditEvent, Episode, Milestone, Organisation, Patient
from pathway.models.episodes import MilestoneKind
from pathway.notifications.outbox import queue_notification
from pathway.signals import assessment_recorded
from referrals import letters, rules, selectors
from referrals.models import EmergencyStop, PreventiveTried, Referral


class ReferralError(Exception):
    """A referral action that cannot go ahead; the message says why, in plain words."""


class DuplicateOpenReferral(ReferralError):
    def __init__(self, condition_label: str = "this condition"):
        super().__init__(
            f"This patient already has an open referral for {condition_label.lower()}. "
            "Follow that referral in 'My referrals' instead of sending another."
        )


class EmergencyFlagsPresent(ReferralError):
    def __init__(self):
        super().__init__(
            "An emergency red flag is ticked: this referral cannot be sent. Follow the advice "
            "on the page."
        )


class ReferralAlreadyDecided(ReferralError):
    def __init__(self):
        super().__init__(
            "This referral has already been decided (or closed), so it cannot be decided again."
        )


class ReferralNotMatched(ReferralError):
    def __init__(self):
        super().__init__(
            "Match this self-referral to a patient record before accepting it or giving it a "
            "priority."
        )


# Said beside the date of birth on the self-referral form, and by the service as a last check.
NOT_AN_ADULT_MESSAGE = (
    f"You must be {rules.ADULT_AGE} or over to refer yourself to this service. If you are under "
    f"{rules.ADULT_AGE}, speak to your GP practice about getting help."
)


class NotAnAdult(ReferralError):
    def __init__(self):
        super().__init__(NOT_AN_ADULT_MESSAGE)


def _listed(labels: list[str]) -> str:
    """Labels joined as in a sentence: "a", "a and b", "a, b and c"."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Date of birth" becomes "date of birth", "GP practice" stays."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def describe_differences(differences) -> str:
    """The differing details named in a sentence, for example "date of birth and last name"."""
    return _listed([_in_sentence(rules.MATCH_FIELDS[code]) for code in differences])


class MatchNotConfirmed(ReferralError):
    """The record differs from what the self-referrer gave and the clinician has not confirmed
    that it is the same person. `differences` holds the rules.MATCH_FIELDS codes."""

    def __init__(self, differences: tuple[str, ...]):
        self.differences = differences
        super().__init__(
            f"The patient record's {describe_differences(differences)} "
            f"{'is' if len(differences) == 1 else 'are'} different from what the self-referrer "
            "gave us. Check it is the same person and confirm before you match."
        )


class PriorityReasonNeeded(ReferralError):
    def __init__(self, urgency: str, priority: str):
        super().__init__(
            f"Give the reason for accepting at {priority} priority when the red-flag screen "
            f"said {urgency}."
        )


@dataclass(frozen=True)
class ReferralContent:
    """What the referrer tells the service: the clinical and contact parts of the form."""

    condition: str
    problem: str
    red_flags: tuple[str, ...]
    consent_to_contact: bool
    preferred_contact: str
    patient_goals: str = ""
    current_acute_medication: str = ""
    acute_medication_days_per_month: int | None = None
    mental_health_concerns: str = ""
    interpreter_language: str = ""
    accessibility_needs: str = ""
    # {instrument code: raw answers}, scored by pathway.instruments (ID_MIGRAINE, PHQ-9, GAD-7).
    questionnaires: dict = field(default_factory=dict)
    # [{"medicine", "dose", "duration_weeks", "stopped_reason"}]
    preventives: tuple[dict, ...] = ()


@dataclass(frozen=True)
class StatedDetails:
    """A self-referrer's own details, kept as stated until the team matches them."""

    given_name: str
    family_name: str
    date_of_birth: date
    practice: Organisation
    nhs_number: str = ""
    email: str = ""
    mobile: str = ""


def _content_fields(content: ReferralContent) -> dict:
    return {
        "condition": content.condition,
        "problem": content.problem,
        "patient_goals": content.patient_goals,
        "current_acute_medication": content.current_acute_medication,
        "acute_medication_days_per_month": content.acute_medication_days_per_month,
        "mental_health_concerns": content.mental_health_concerns,
        "consent_to_contact": content.consent_to_contact,
        "preferred_contact": content.preferred_contact,
        "interpreter_language": content.interpreter_language,
        "accessibility_needs": content.accessibility_needs,
    }


def _screen(age: int, red_flags) -> tuple[tuple[str, ...], str]:
    """Validated flags and the urgency of a referral that may be sent; raises ReferralError for
    an unknown code and EmergencyFlagsPresent for an emergency."""
    try:
        flags = rules.validated_red_flags(red_flags)
        urgency = rules.triage_urgency(age, flags)
    except ValueError as exc:
        raise ReferralError(f"The red-flag checklist could not be read: {exc}") from exc
    if urgency == rules.EMERGENCY:
        raise EmergencyFlagsPresent()
    return flags, urgency


def _require_consent(content: ReferralContent) -> None:
    if not content.consent_to_contact:
        raise ReferralError("The patient must agree to be contacted by the service.")


def _open_episode(*, actor, patient: Patient, condition: str, now) -> Episode:
    """The patient's open episode for the condition, or a new one (status referred)."""
    episode = (
        Episode.objects.select_for_update()
        .open()
        .filter(patient=patient, condition=condition)
        .first()
    )
    if episode is not None:
        return episode
    return Episode.objects.create(
        patient=patient,
        condition=condition,
        status=Episode.Status.REFERRED,
        opened_at=now,
        created_by=actor,
        updated_by=actor,
    )


def _check_no_open_referral(patient: Patient, condition: str) -> None:
    if Referral.objects.open().filter(patient=patient, condition=condition).exists():
        raise DuplicateOpenReferral(referral_condition_label(condition))


def _save_questionnaires(
    *, referral: Referral, patient: Patient, questionnaires: dict, completed_by, completed_at
) -> None:
    context = (
        Assessment.Context.SELF
        if referral.source == Referral.Source.SELF
        else Assessment.Context.REFERRAL
    )
    for code, answers in questionnaires.items():
        try:
            scored = instruments.score(code, answers)
        except instruments.InvalidAnswers as exc:
            raise ReferralError(f"{code}: {exc}.") from exc
        assessment = Assessment.objects.create(
            patient=patient,
            instrument=code,
            answers=list(answers),
            total=scored.total,
            band=scored.band or "",
            alert=scored.alert,
            context=context,
            completed_by=completed_by,
            completed_at=completed_at,
            created_by=completed_by,
            updated_by=completed_by,
        )
        referral.assessments.add(assessment)
        assessment_recorded.send(sender=Assessment, assessment=assessment)


@transaction.atomic
def submit_referral(
    *,
    actor,
    source: str,
    content: ReferralContent,
    patient: Patient | None = None,
    new_patient: dict | None = None,
) -> Referral:
    """Send a GP or partner referral and return it.

    Give either an existing `patient` the actor may see or `new_patient` data for
    pathway.services.create_patient (created in the same transaction, so nothing is half-saved).
    Opens or reuses the patient's episode for the condition and records `referral_received`.

    Raises EmergencyFlagsPresent for an emergency flag, DuplicateOpenReferral when the patient
    already has an open referral for the condition, and ReferralError for missing consent, an
    unknown red-flag code or invalid questionnaire answers.
    """
    if source not in (Referral.Source.GP, Referral.Source.PARTNER):
        raise ReferralError("Only GPs and partners send referrals this way.")
    if (patient is None) == (new_patient is None):
        raise ReferralError("Choose the patient, or give a new patient's details.")
    _require_consent(content)
    now = timezone.now()
    date_of_birth = patient.date_of_birth if patient else new_patient["date_of_birth"]
    age = rules.age_in_years(date_of_birth, timezone.localdate(now))
    flags, urgency = _screen(age, content.red_flags)
    if patient is None:
        patient = kernel.create_patient(actor=actor, data=new_patient)
    _check_no_open_referral(patient, content.condition)
    try:
        with transaction.atomic():
            episode = _open_episode(
                actor=actor, patient=patient, condition=content.condition, now=now
            )
            referral = Referral.objects.create(
                **_content_fields(content),
                source=source,
                patient=patient,
                episode=episode,
                referrer=actor,
                red_flags=list(flags),
                urgency=urgency,
                age_at_referral=age,
                submitted_at=now,
                created_by=actor,
                updated_by=actor,
            )
    except IntegrityError as exc:
        # Two referrals racing for the same patient and condition: the partial unique
        # constraints (one open episode, one open referral) let one through.
        raise DuplicateOpenReferral(referral_condition_label(content.condition)) from exc
    PreventiveTried.objects.bulk_create(
        PreventiveTried(referral=referral, **row) for row in content.preventives
    )
    _save_questionnaires(
        referral=referral,
        patient=patient,
        questionnaires=content.questionnaires,
        completed_by=actor,
        completed_at=now,
    )
    kernel.record_milestone(
        episode=episode, kind=MilestoneKind.REFERRAL_RECEIVED, occurred_at=now, actor=actor
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=referral,
        fields=[*_content_fields(content), "red_flags", "urgency", "preventives"],
    )
    return referral


def referral_condition_label(condition: str) -> str:
    return Referral(condition=condition).get_condition_display()


@transaction.atomic
def submit_self_referral(
    *,
    stated: StatedDetails,
    content: ReferralContent,
    id_migraine_answers: list[bool] | None = None,
) -> Referral:
    """Record a self-referral, pending until the team verifies it and matches it to a patient.

    Raises NotAnAdult when the self-referrer is under rules.ADULT_AGE, EmergencyFlagsPresent for
    an emergency flag and ReferralError for missing consent, an unknown code or invalid ID
    Migraine answers.
    """
    _require_consent(content)
    now = timezone.now()
    try:
        age = rules.age_in_years(stated.date_of_birth, timezone.localdate(now))
    except ValueError as exc:
        raise ReferralError("Enter a date of birth in the past.") from exc
    if not rules.is_adult(age):
        raise NotAnAdult()
    flags, urgency = _screen(age, content.red_flags)
    if id_migraine_answers is not None:
        try:
            instruments.score("ID_MIGRAINE", id_migraine_answers)
        except instruments.InvalidAnswers as exc:
            raise ReferralError(f"ID Migraine: {exc}.") from exc
    referral = Referral.objects.create(
        **_content_fields(content),
        source=Referral.Source.SELF,
        red_flags=list(flags),
        urgency=urgency,
        age_at_referral=age,
        submitted_at=now,
        stated_given_name=stated.given_name,
        stated_family_name=stated.family_name,
        stated_date_of_birth=stated.date_of_birth,
        stated_nhs_number=stated.nhs_number,
        stated_practice=stated.practice,
        stated_email=stated.email,
        stated_mobile=stated.mobile,
        id_migraine_answers=list(id_migraine_answers) if id_migraine_answers else None,
    )
    record_event(
        actor=None,
        action=AuditEvent.Action.CREATE,
        obj=referral,
        fields=[*_content_fields(content), "red_flags", "urgency", "stated_details"],
    )
    return referral


@transaction.atomic
def record_emergency_stop(
    *,
    actor,
    source: str,
    red_flags,
    condition: str = "",
    patient: Patient | None = None,
    stated_practice: Organisation | None = None,
) -> EmergencyStop:
    """Record that the red-flag screen stopped a referral and which advice it gave; return it.

    GPs and partners get the clinical advice (rules.emergency_advice), self-referrers the
    plain-English advice (rules.patient_emergency_advice). No referral is created. Raises
    ReferralError for an unknown code or when no emergency flag is present.
    """
    try:
        flags = rules.validated_red_flags(red_flags)
    except ValueError as exc:
        raise ReferralError(f"The red-flag checklist could not be read: {exc}") from exc
    if not rules.is_emergency(flags):
        raise ReferralError("No emergency red flag is ticked, so there is nothing to stop.")
    is_self = source == Referral.Source.SELF
    advice = rules.patient_emergency_advice(flags) if is_self else rules.emergency_advice(flags)
    stop = EmergencyStop.objects.create(
        source=source,
        condition=condition,
        patient=None if is_self else patient,
        stated_practice=stated_practice if is_self else None,
        red_flags=list(flags),
        advice=advice,
        created_by=None if is_self else actor,
        updated_by=None if is_self else actor,
    )
    record_event(
        actor=None if is_self else actor,
        action=AuditEvent.Action.CREATE,
        patient=stop.patient,
        obj=stop,
        fields=["red_flags", "advice"],
    )
    return stop


@transaction.atomic
def match_self_referral(
    *, actor, referral: Referral, patient: Patient, confirmed_differences: Iterable[str] = ()
) -> Referral:
    """Match a verified self-referral to the patient's record (which the caller has checked
    `actor` may see) and return it.

    When the record differs from what the self-referrer gave (rules.identity_differences), every
    difference must be in `confirmed_differences`: the rules.MATCH_FIELDS codes the clinician was
    shown side by side and confirmed as the same person. The audit row names them (never their
    values). Opens or reuses the patient's episode and records `referral_received` at the moment
    the self-referral arrived, so the triage clock is not reset by matching. Saves the ID Migraine
    answers as an assessment.

    Raises MatchNotConfirmed for an unconfirmed difference, ReferralError when the referral is
    not an unmatched, undecided self-referral, and DuplicateOpenReferral when the patient already
    has an open referral for the condition.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.source != Referral.Source.SELF or referral.patient_id is not None:
        raise ReferralError("Only an unmatched self-referral can be matched to a patient.")
    if referral.status != Referral.Status.SUBMITTED:
        raise ReferralAlreadyDecided()
    # Compared with the rows as they are now, not the caller's copies.
    patient = Patient.objects.get(pk=patient.pk)
    differences = selectors.match_differences(referral, patient)
    if not set(differences) <= set(confirmed_differences):
        raise MatchNotConfirmed(differences)
    _check_no_open_referral(patient, referral.condition)
    try:
        with transaction.atomic():
            episode = _open_episode(
                actor=actor,
                patient=patient,
                condition=referral.condition,
                now=referral.submitted_at,
            )
            referral.patient = patient
            referral.episode = episode
            referral.matched_at = timezone.now()
            referral.matched_by = actor
            referral.updated_by = actor
            referral.save(
                update_fields=[
                    "patient",
                    "episode",
                    "matched_at",
                    "matched_by",
                    "updated_by",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:
        raise DuplicateOpenReferral(referral.get_condition_display()) from exc
    if referral.id_migraine_answers:
        _save_questionnaires(
            referral=referral,
            patient=patient,
            questionnaires={"ID_MIGRAINE": referral.id_migraine_answers},
            completed_by=None,
            completed_at=referral.submitted_at,
        )
    kernel.record_milestone(
        episode=episode,
        kind=MilestoneKind.REFERRAL_RECEIVED,
        occurred_at=referral.submitted_at,
        actor=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=patient,
        obj=referral,
        fields=[
            "patient",
            "episode",
            "matched_at",
            "matched_by",
            # Which details differed and were confirmed as the same person, by name only (an
            # audit field name, like the others, so no value can reach the row).
            *(f"confirmed_mismatch_{code}" for code in differences),
        ],
    )
    return referral


def _made_by_match(referral: Referral, episode: Episode) -> bool:
    """Whether the episode was opened by matching this referral and holds nothing else: no other
    referral, no milestone but the referral's own, and no row of another app (a care plan, an
    appointment) pointing at it."""
    if episode.status != Episode.Status.REFERRED or episode.opened_at != referral.submitted_at:
        return False
    if episode.milestones.exclude(kind=MilestoneKind.REFERRAL_RECEIVED).exists():
        return False
    pointing = [
        relation
        for relation in Episode._meta.get_fields(include_hidden=True)
        if relation.auto_created and not relation.concrete and relation.one_to_many
    ]
    for relation in pointing:
        if relation.related_model is Milestone:
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: episode})
        if relation.related_model is Referral:
            rows = rows.exclude(pk=referral.pk)
        if rows.exists():
            return False
    return True


@transaction.atomic
def unmatch_self_referral(*, actor, referral: Referral) -> Referral:
    """Undo the match of a self-referral made to the wrong person, while it is still waiting for
    triage, and return it unmatched.

    The ID Migraine answers saved to the record at matching are marked entered in error (they
    stay on the referral, to be saved again at the right match). An episode the match opened,
    holding nothing else, is marked entered in error and loses its referral-received milestone,
    so the wrong patient's record and the pathway figures no longer show it; an episode the
    match reused is left as it was. The audit row is on the wrong patient's record.

    Raises ReferralError when the referral is not a matched self-referral, and
    ReferralAlreadyDecided once it is decided or closed (decided referrals are corrected by
    marking them entered in error).
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.source != Referral.Source.SELF or referral.patient_id is None:
        raise ReferralError("Only a matched self-referral can be unmatched.")
    if referral.status != Referral.Status.SUBMITTED:
        raise ReferralAlreadyDecided()
    wrong_patient, episode = referral.patient, referral.episode
    saved = list(referral.assessments.filter(patient=wrong_patient, entered_in_error=False))
    for assessment in saved:
        assessment.entered_in_error = True
        assessment.updated_by = actor
        assessment.save(update_fields=["entered_in_error", "updated_by", "updated_at"])
    referral.assessments.remove(*saved)
    referral.patient = None
    referral.episode = None
    referral.matched_at = None
    referral.matched_by = None
    now = timezone.now()
    referral.unmatched_at = now
    referral.unmatched_by = actor
    referral.updated_by = actor
    referral.save(
        update_fields=[
            "patient",
            "episode",
            "matched_at",
            "matched_by",
            "unmatched_at",
            "unmatched_by",
            "updated_by",
            "updated_at",
        ]
    )
    if episode is not None and _made_by_match(referral, episode):
        episode.milestones.all().delete()
        episode.status = Episode.Status.ENTERED_IN_ERROR
        episode.closed_at = now
        episode.updated_by = actor
        episode.save(update_fields=["status", "closed_at", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.ENTERED_IN_ERROR,
            patient=wrong_patient,
            obj=episode,
            fields=["status", "closed_at"],
        )
    for assessment in saved:
        record_event(
            actor=actor,
            action=AuditEvent.Action.ENTERED_IN_ERROR,
            patient=wrong_patient,
            obj=assessment,
            fields=["entered_in_error"],
        )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=wrong_patient,
        obj=referral,
        fields=["patient", "episode", "matched_at", "matched_by", "unmatched_at", "unmatched_by"],
    )
    return referral


@dataclass(frozen=True)
class Decision:
    """A triage decision: accept with a priority, reject with a coded reason and advice, or
    redirect to another service with a note."""

    decision: str
    priority: str = ""
    rejection_reason: str = ""
    redirect_to: str = ""
    advice_to_referrer: str = ""
    note: str = ""

    def validate(self) -> None:
        """Raise ReferralError when the decision lacks what its kind needs."""
        if self.decision not in rules.DECISION_STATUS:
            raise ReferralError("Choose accept, reject or redirect.")
        if self.decision == rules.ACCEPT and self.priority not in rules.PRIORITIES:
            raise ReferralError("Choose a priority: urgent or routine.")
        if self.decision == rules.REJECT:
            if self.rejection_reason not in rules.REJECTION_REASONS:
                raise ReferralError("Choose the reason for rejecting the referral.")
            if not self.advice_to_referrer.strip():
                raise ReferralError("Give advice to the referrer when rejecting a referral.")
        if self.decision == rules.REDIRECT and self.redirect_to not in rules.REDIRECT_DESTINATIONS:
            raise ReferralError("Choose where to redirect the referral.")


@transaction.atomic
def triage_referral(*, actor, referral: Referral, decision: Decision) -> Referral:
    """Decide a submitted referral and return it.

    The status move is checked against rules.check_transition and claimed by compare-and-swap,
    so two clinicians deciding at once cannot both succeed. Writes the `triaged` milestone; on
    accept sets the episode's priority (which selects its first-contact target) and makes it
    active; on reject or redirect discharges an episode that this referral had only opened
    (status referred), leaving an episode already in care alone. Writes the audit row, tells the
    referrer through the outbox and renders the triage-outcome letter in the worker, both on
    commit.

    Accepting at a lower priority than the screen's urgency needs the reason in `decision.note`.

    Raises ReferralAlreadyDecided, ReferralNotMatched (accepting an unmatched self-referral),
    PriorityReasonNeeded (a lower priority without a reason) and ReferralError for an incomplete
    decision.
    """
    decision.validate()
    new_status = rules.DECISION_STATUS[decision.decision]
    # Decide on the row as it is now, not on the caller's copy (it may have been matched or
    # decided since the page was loaded).
    referral = Referral.objects.select_related("patient", "referrer", "episode").get(pk=referral.pk)
    current = referral.status
    try:
        rules.check_transition(current, new_status)
    except ValueError as exc:
        raise ReferralAlreadyDecided() from exc
    if decision.decision == rules.ACCEPT and referral.patient_id is None:
        raise ReferralNotMatched()
    if (
        decision.decision == rules.ACCEPT
        and rules.priority_below_screen(referral.urgency, decision.priority)
        and not decision.note.strip()
    ):
        # A lower priority than the screen changes the patient's wait: the reason is kept in
        # the decision note, which the referral page shows as the reason.
        raise PriorityReasonNeeded(referral.urgency, decision.priority)
    now = timezone.now()
    accepted = decision.decision == rules.ACCEPT
    fields = {
        "status": new_status,
        "priority": decision.priority if accepted else "",
        "rejection_reason": (
            decision.rejection_reason if decision.decision == rules.REJECT else ""
        ),
        "redirect_to": decision.redirect_to if decision.decision == rules.REDIRECT else "",
        "advice_to_referrer": decision.advice_to_referrer.strip(),
        "decision_note": decision.note.strip(),
        "decided_at": now,
        "decided_by": actor,
        "updated_by": actor,
        "updated_at": now,
    }
    claimed = Referral.objects.filter(pk=referral.pk, status=current).update(**fields)
    if not claimed:
        raise ReferralAlreadyDecided()
    referral.refresh_from_db()
    episode = referral.episode
    if episode is not None:
        kernel.record_milestone(
            episode=episode, kind=MilestoneKind.TRIAGED, occurred_at=now, actor=actor
        )
        if accepted:
            episode.priority = decision.priority
            episode.status = Episode.Status.ACTIVE
            episode.responsible_clinician = episode.responsible_clinician or actor
            episode.updated_by = actor
            episode.save(
                update_fields=[
                    "priority",
                    "status",
                    "responsible_clinician",
                    "updated_by",
                    "updated_at",
                ]
            )
        elif episode.status == Episode.Status.REFERRED:
            _discharge(episode=episode, actor=actor, now=now)
    record_event(
        actor=actor,
        action=AuditEvent.Action.DECIDE,
        patient=referral.patient,
        obj=referral,
        fields=[name for name, value in fields.items() if value and name != "updated_at"],
    )
    _tell_referrer(referral)
    referral_uuid = str(referral.uuid)
    transaction.on_commit(lambda: letters.enqueue_triage_letter(referral_uuid))
    return referral


def _discharge(*, episode: Episode, actor, now) -> None:
    episode.status = Episode.Status.DISCHARGED
    episode.closed_at = now
    episode.updated_by = actor
    episode.save(update_fields=["status", "closed_at", "updated_by", "updated_at"])
    kernel.record_milestone(
        episode=episode, kind=MilestoneKind.DISCHARGED, occurred_at=now, actor=actor
    )


def _tell_referrer(referral: Referral) -> None:
    """Queue a message with no clinical detail: only that there is an outcome to read."""
    link = settings.SITE_URL + reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
    if referral.referrer_id is not None:
        queue_notification(
            channel="email",
            kind="referral_decision",
            template="referrals-decision",
            idempotency_key=f"referrals-decision:{referral.uuid}:email",
            user=referral.referrer,
            context={"link": link},
        )
        return
    if referral.patient is None:
        # An unmatched self-referral has no record to message through the outbox; the team
        # contacts the person directly with the details they gave.
        return
    channel = referral.preferred_contact
    if channel not in ("sms", "email"):
        channel = "sms" if referral.patient.can_receive("sms") else "email"
    queue_notification(
        channel=channel,
        kind="referral_decision",
        template="referrals-self-decision",
        idempotency_key=f"referrals-self-decision:{referral.uuid}:{channel}",
        patient=referral.patient,
        context={"link": settings.SITE_URL + reverse("pathway:patient-home")},
    )


@transaction.atomic
def close_referral(*, actor, referral: Referral) -> Referral:
    """Close a referral: a submitted one is withdrawn, an accepted one ends at discharge.
    Returns it. A withdrawn referral's episode is discharged if the referral had only opened it.

    Raises ReferralError when the move is not allowed by rules.check_transition.
    """
    current = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).get()
    try:
        rules.check_transition(current, rules.CLOSED)
    except ValueError as exc:
        raise ReferralError("This referral is already closed or decided against.") from exc
    now = timezone.now()
    claimed = Referral.objects.filter(pk=referral.pk, status=current).update(
        status=rules.CLOSED, closed_at=now, updated_by=actor, updated_at=now
    )
    if not claimed:
        raise ReferralError("This referral changed while you were closing it. Try again.")
    referral.refresh_from_db()
    if (
        current == rules.SUBMITTED
        and referral.episode is not None
        and referral.episode.status == Episode.Status.REFERRED
    ):
        _discharge(episode=referral.episode, actor=actor, now=now)
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=referral.patient,
        obj=referral,
        fields=["status", "closed_at"],
    )
    return referral
