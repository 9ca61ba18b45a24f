"""Sending referrals: by a GP or partner, by the patient themselves, and the record of a
referral stopped by an emergency red flag."""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from pathway import instruments
from pathway import services as kernel
from pathway.audit import record_event
from pathway.models import Assessment, AuditEvent, Episode, Organisation, Patient
from pathway.models.episodes import MilestoneKind
from pathway.permissions import practices_with_a_care_team
from pathway.signals import assessment_recorded, emergency_stop_for_patient_in_care
from referrals import rules
from referrals.models import EmergencyStop, PreventiveTried, Referral
from referrals.services.copies import carry_red_flags, held_for
from referrals.services.errors import (
    DuplicateOpenReferral,
    EmergencyFlagsPresent,
    NotAnAdult,
    ReferralError,
    SelfReferralAlreadySent,
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
    # The referrer said the headache is not new (Referral.headache_not_new).
    headache_not_new: bool = False


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
        "headache_not_new": content.headache_not_new,
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


def _agreed_messages(content: ReferralContent, new_patient: dict) -> dict:
    """A new patient's agreement to messages, from their referral: they agreed to be contacted
    by the service (a referral needs it) in the way they prefer, so a preferred text message or
    email, with its number or address given, is agreed to. Nothing else is assumed."""
    return {
        "sms_consent": content.preferred_contact == "sms" and bool(new_patient.get("mobile")),
        "email_consent": content.preferred_contact == "email" and bool(new_patient.get("email")),
    }


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


def _check_can_refer(patient: Patient, condition: str) -> None:
    if patient.has_died:
        raise ReferralError(
            f"{patient.full_name}'s record says they died on "
            f"{date_format(patient.date_of_death, 'j F Y')}, so they cannot be referred. If the "
            "record is wrong, contact the care team."
        )
    if Referral.objects.open().filter(patient=patient, condition=condition).exists():
        raise DuplicateOpenReferral(referral_condition_label(condition))
    if not practices_with_a_care_team().filter(pk=patient.registered_practice_id).exists():
        # It would reach no triage queue: no clinician of the service sees this practice.
        raise ReferralError(
            "No care team of this service takes referrals from "
            f"{patient.registered_practice.name}, {patient.full_name}'s GP practice, so this "
            "referral has not been sent. Refer them "
            "to the headache or pain service that covers their practice."
        )


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


def resend_problem(earlier: Referral) -> str:
    """Why `earlier` cannot be sent again (Referral.resends), in words for the referrer, or "".
    Only a live referral the team rejected or redirected, for a patient on record, is sent
    again, and only once."""
    if earlier.entered_in_error or earlier.patient_id is None:
        return (
            f"Referral {earlier.reference} cannot be sent again: it is not on a patient's record."
        )
    if earlier.status not in rules.RESENDABLE_STATUSES:
        status = earlier.get_status_display().lower()
        return (
            f"Referral {earlier.reference} is {status}: only a referral the team rejected or "
            "redirected can be sent again."
        )
    again = earlier.sent_again_as.standing().first()
    if again is not None:
        return (
            f"Referral {earlier.reference} was sent again already, as referral {again.reference} "
            f"on {date_format(timezone.localtime(again.submitted_at), 'j F Y')}."
        )
    return ""


def _check_resend(earlier: Referral, patient: Patient) -> None:
    """Raise ReferralError unless `earlier` may be sent again for `patient`. Locks it, so two
    copies sent at once are refused one by one."""
    earlier = Referral.objects.select_for_update().get(pk=earlier.pk)
    if problem := resend_problem(earlier):
        raise ReferralError(problem)
    if earlier.patient_id != patient.pk:
        raise ReferralError(
            f"Referral {earlier.reference} is for another patient. A referral sent again is for "
            "the same patient: check the NHS number."
        )


NEW_PATIENT_ADDED_MEANWHILE = (
    "A patient with this NHS number was added a moment ago, perhaps from another tab, so this "
    "referral has not been sent. Check the NHS number and send it again to refer them."
)


@transaction.atomic
def submit_referral(
    *,
    actor,
    source: str,
    content: ReferralContent,
    patient: Patient | None = None,
    new_patient: dict | None = None,
    resends: Referral | None = None,
) -> Referral:
    """Send a GP or partner referral and return it.

    Give either an existing `patient` the actor may see or `new_patient` data for
    pathway.services.create_patient (created in the same transaction, so nothing is half-saved).
    Opens or reuses the patient's episode for the condition and records `referral_received`.
    `resends` is the earlier referral, rejected or redirected, that this one sends again.

    Raises EmergencyFlagsPresent for an emergency flag, DuplicateOpenReferral when the patient
    already has an open referral for the condition, and ReferralError for missing consent, an
    unknown red-flag code, invalid questionnaire answers, or a referral `resend_problem` refuses
    or of another patient given as `resends`.
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
        try:
            with transaction.atomic():
                patient = kernel.create_patient(
                    actor=actor, data={**new_patient, **_agreed_messages(content, new_patient)}
                )
        except IntegrityError as exc:
            # Added between the form's check and now (the same form sent twice at once, or a
            # colleague): this referral may not be theirs to join without looking.
            raise ReferralError(NEW_PATIENT_ADDED_MEANWHILE) from exc
    _check_can_refer(patient, content.condition)
    if resends is not None:
        _check_resend(resends, patient)
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
                resends=resends,
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
        fields=[
            *_content_fields(content),
            "red_flags",
            "urgency",
            "preventives",
            *(["resends"] if resends else []),
        ],
    )
    return referral


def referral_condition_label(condition: str) -> str:
    return Referral(condition=condition).get_condition_display()


def submit_self_referral(
    *,
    stated: StatedDetails,
    content: ReferralContent,
    id_migraine_answers: list[bool] | None = None,
    submission_token: str | None = None,
) -> Referral:
    """Record a self-referral, pending until the team verifies it and matches it to a patient.

    `submission_token` is the form's one-time token. The form sent again with it (Back, then
    Send) for the same person and condition makes no second referral: it raises
    SelfReferralAlreadySent with the referral it made the first time (or, when the team closed
    that one as a copy, the referral it copied), once what its answers add is kept and committed
    (`_sent_before`: red flags are never dropped). For anyone or anything else, or when the team
    entered the first one in error with nothing in its place, it is a new referral, with a token
    of its own.

    Raises NotAnAdult when the self-referrer is under rules.ADULT_AGE, EmergencyFlagsPresent for
    an emergency flag and ReferralError for missing consent, an unknown code or invalid ID
    Migraine answers.
    """
    made = _record_self_referral(
        stated=stated,
        content=content,
        id_migraine_answers=id_migraine_answers,
        submission_token=submission_token,
    )
    if isinstance(made, SelfReferralAlreadySent):
        # Raised outside the transaction, so that what the answers added is kept.
        raise made
    return made


@transaction.atomic
def _record_self_referral(
    *, stated, content, id_migraine_answers, submission_token
) -> Referral | SelfReferralAlreadySent:
    """submit_self_referral's work, in one transaction: the new referral, or what to raise for
    a form sent before."""
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
    sent = _Sent(stated, content, flags, urgency, age, now, id_migraine_answers)
    earlier = _sent_with(submission_token)
    if earlier is not None:
        if already := _sent_before(earlier, sent):
            return already
        # Someone else, or another condition, sent from the same page, or a request no referral
        # stands for any more: a referral of its own.
        submission_token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            referral = _create_self_referral(sent, submission_token=submission_token)
    except IntegrityError:
        # The same form sent twice at once: the other request saved it.
        earlier = _sent_with(submission_token)
        if earlier is None or not _same_request(earlier, stated, content):
            raise
        return _sent_before(earlier, sent) or SelfReferralAlreadySent(
            _standing_for(earlier) or earlier
        )
    record_event(
        actor=None,
        action=AuditEvent.Action.CREATE,
        obj=referral,
        fields=[*_content_fields(content), "red_flags", "urgency", "stated_details"],
    )
    return referral


@dataclass(frozen=True)
class _Sent:
    """A self-referral form as sent, screened: what a referral or a copy is made from."""

    stated: StatedDetails
    content: ReferralContent
    red_flags: tuple[str, ...]
    urgency: str
    age: int
    now: datetime
    id_migraine_answers: list[bool] | None


def _sent_before(earlier: Referral, sent: _Sent) -> SelfReferralAlreadySent | None:
    """The form made `earlier` when it was sent before with its one-time token: what to raise,
    SelfReferralAlreadySent naming the referral that stands for it, or None when this is a
    referral of its own (another person or condition, or no referral stands for it any more).

    A red flag is never dropped because the form was sent twice. The answers sent now (Back, a
    box ticked, Send) are compared with what the team holds for the standing referral (its red
    flags and its copies', as for any copy: copies.held_for). When they give red flags it does
    not hold, or make it more urgent, they are kept as a copy of it entered in error, as a
    self-referral the team closes as a copy is: a referral still waiting for triage takes them
    and is screened again; after triage they reach the clinicians caring for the patient as a
    safety alert (copies.carry_red_flags). A referral decided before it was matched to anyone's
    record has no patient to alert about, so the form is then a new referral, for triage.
    Nothing else on the form is kept: the sent page says to tell the team."""
    standing = _standing_for(earlier)
    if standing is None or not _same_request(earlier, sent.stated, sent.content):
        return None
    # Locked, as close_as_duplicate and triage lock it, so flags are not added to it while it
    # is decided on a page that did not show them (triage_referral checks them under the lock).
    standing = Referral.objects.select_for_update().get(pk=standing.pk)
    if standing.entered_in_error:
        return None
    held = held_for(standing, standing.patient)
    missing, together = held.adding(sent.red_flags, sent.age)
    # What was sent now, with what the team holds: the page advises seeing the GP soon if urgent.
    urgent = together == rules.URGENT
    if not missing and together == held.urgency:
        return SelfReferralAlreadySent(standing, urgent=urgent)
    waiting = standing.status == rules.SUBMITTED
    if not waiting and standing.patient_id is None:
        return None
    copy = _create_self_referral(
        sent, submission_token=None, entered_in_error=True, duplicate_of=standing
    )
    record_event(
        actor=None,
        action=AuditEvent.Action.CREATE,
        patient=standing.patient,
        obj=copy,
        fields=["red_flags", "urgency", "entered_in_error", "duplicate_of"],
    )
    carry_red_flags(actor=None, copy=copy, original=standing, red_flags=missing, urgency=together)
    return SelfReferralAlreadySent(
        standing, urgent=urgent, carried=missing, to_triage=waiting, to_care=not waiting
    )


def _sent_with(submission_token: str | None) -> Referral | None:
    """The self-referral the form with this one-time token made, if it was sent before."""
    if not submission_token:
        return None
    return (
        Referral.objects.filter(submission_token=submission_token)
        .select_related("duplicate_of")
        .first()
    )


def _standing_for(earlier: Referral) -> Referral | None:
    """The live referral that stands for what `earlier` asked: itself, or the referral the team
    closed it as a copy of; None when it was entered in error with nothing in its place."""
    if not earlier.entered_in_error:
        return earlier
    original = earlier.duplicate_of
    if original is not None and not original.entered_in_error:
        return original
    return None


def _same_request(earlier: Referral, stated: StatedDetails, content: ReferralContent) -> bool:
    """Whether a form sent again asks for what `earlier` asked: the same person (name and date
    of birth as they gave them) for the same condition. Other answers may have changed since."""
    return earlier.condition == content.condition and _same_person(earlier, stated)


def _same_person(earlier: Referral, said) -> bool:
    """Whether `said` (StatedDetails or rules.Identity) names the person `earlier` was sent
    for: the same names and date of birth as they gave them then."""
    said_then = rules.Identity(
        given_name=earlier.stated_given_name,
        family_name=earlier.stated_family_name,
        date_of_birth=earlier.stated_date_of_birth,
    )
    said_now = rules.Identity(
        given_name=said.given_name,
        family_name=said.family_name,
        date_of_birth=said.date_of_birth,
    )
    return not rules.identity_differences(said_now, said_then)


def _create_self_referral(sent: _Sent, *, submission_token: str | None, **extra) -> Referral:
    stated = sent.stated
    return Referral.objects.create(
        **_content_fields(sent.content),
        source=Referral.Source.SELF,
        red_flags=list(sent.red_flags),
        urgency=sent.urgency,
        age_at_referral=sent.age,
        submitted_at=sent.now,
        stated_given_name=stated.given_name,
        stated_family_name=stated.family_name,
        stated_date_of_birth=stated.date_of_birth,
        stated_nhs_number=stated.nhs_number,
        stated_practice=stated.practice,
        stated_email=stated.email,
        stated_mobile=stated.mobile,
        id_migraine_answers=list(sent.id_migraine_answers) if sent.id_migraine_answers else None,
        submission_token=submission_token or None,
        **extra,
    )


def self_referrer_on_record(
    *, said: rules.Identity, submission_token: str | None, user
) -> Patient | None:
    """The patient on the record a self-referral form comes from, when the service knows who
    sent it; None for anyone else. For a form stopped by an emergency red flag, so that the
    clinicians caring for the patient hear of it (record_emergency_stop).

    Known are: the form sent again with its one-time token, for the person (name and date of
    birth, as they gave them) of a referral the team has matched to their record; and a
    signed-in patient whose details on the form are their record's own (name, date of birth,
    and the NHS number when given). Someone filling in the form for another person is neither."""
    earlier = _sent_with(submission_token)
    standing = _standing_for(earlier) if earlier is not None else None
    if standing is not None and standing.patient_id is not None and _same_person(earlier, said):
        return Patient.objects.live().filter(pk=standing.patient_id).first()
    if not user.is_authenticated or user.role != user.Role.PATIENT:
        return None
    patient = Patient.objects.live().filter(user=user).first()
    if patient is None:
        return None
    record = rules.Identity(
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        nhs_number=patient.nhs_number,
    )
    return None if rules.identity_differences(said, record) else patient


@transaction.atomic
def record_emergency_stop(
    *,
    actor,
    source: str,
    red_flags,
    condition: str = "",
    patient: Patient | None = None,
    stated_practice: Organisation | None = None,
    phq9: list[int] | None = None,
    phq9_unread: bool = False,
) -> EmergencyStop:
    """Record that the red-flag screen stopped a referral and which advice it gave; return it.

    GPs and partners get the clinical advice (rules.emergency_advice), self-referrers the
    plain-English advice (rules.patient_emergency_advice). A self-referrer's stop names
    `patient` only when the service knows who sent the form (self_referrer_on_record), and
    nobody else. No referral is created, so nothing
    the form held reaches the care team: a PHQ-9 (`phq9`, the item scores) with question 9
    above 0 is kept on the stop for its page to put to the GP (clinical-rules.md section 7: a
    risky answer is never silently dropped); so is `phq9_unread`, a PHQ-9 typed in that could
    not be read. A patient already under the service (an open episode) is also a safety alert
    for the clinicians caring for them (pathway.signals.emergency_stop_for_patient_in_care), who
    would otherwise not know they were sent for same-day care. Raises ReferralError for an
    unknown code or when no emergency flag is present.
    """
    try:
        flags = rules.validated_red_flags(red_flags)
    except ValueError as exc:
        raise ReferralError(f"The red-flag checklist could not be read: {exc}") from exc
    if not rules.is_emergency(flags):
        raise ReferralError("No emergency red flag is ticked, so there is nothing to stop.")
    is_self = source == Referral.Source.SELF
    advice = rules.patient_emergency_advice(flags) if is_self else rules.emergency_advice(flags)
    self_harm = None
    if phq9 and instruments.score("PHQ-9", phq9).alert:
        self_harm = phq9[instruments.PHQ9_SELF_HARM_ITEM - 1]
    stop = EmergencyStop.objects.create(
        source=source,
        condition=condition,
        patient=patient,
        stated_practice=stated_practice if is_self else None,
        red_flags=list(flags),
        advice=advice,
        phq9_self_harm_score=self_harm,
        phq9_unread=phq9_unread and not is_self,
        created_by=None if is_self else actor,
        updated_by=None if is_self else actor,
    )
    record_event(
        actor=None if is_self else actor,
        action=AuditEvent.Action.CREATE,
        patient=stop.patient,
        obj=stop,
        fields=["red_flags", "advice"]
        + (["phq9_self_harm_score"] if self_harm else [])
        + (["phq9_unread"] if stop.phq9_unread else []),
    )
    if stop.patient is not None and stop.patient.episodes.open().exists():
        emergency_stop_for_patient_in_care.send(sender=EmergencyStop, stop=stop, actor=actor)
    return stop
