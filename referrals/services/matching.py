"""Matching a self-referral to the patient's record, and undoing a match to the wrong person."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from pathway import instruments
from pathway import services as kernel
from pathway.audit import record_event
from pathway.models import Assessment, AuditEvent, Episode, Milestone, Patient
from pathway.models.episodes import MilestoneKind
from pathway.notifications.outbox import withdraw_queued
from pathway.signals import red_flags_for_patient_in_care
from referrals import rules, selectors
from referrals.models import Referral
from referrals.services.copies import carry_red_flags, held_for
from referrals.services.errors import (
    DuplicateOpenReferral,
    MatchNotConfirmed,
    ReferralAlreadyDecided,
    ReferralError,
)
from referrals.services.rescreening import screen_again
from referrals.services.submission import (
    ReferralContent,
    _check_can_refer,
    _content_fields,
    _open_episode,
    _save_questionnaires,
    _screen,
)


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

    The screen is run again with the age the record's date of birth gives: `screen_note` on the
    referral returned says when that changed its urgency or whether it is for an adult.

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
    _check_can_refer(patient, referral.condition)
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
    # The record's date of birth is the one confirmed, not the one the self-referrer typed: a
    # new headache at 50 or over is urgent on age alone.
    referral.screen_note = screen_again(
        referral, patient.date_of_birth, actor=actor, age_from="the age on the patient's record"
    )
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


# What an episode opened by a match may hold and still be only the match's: before triage, and
# after a triage decision (an acceptance's `triaged`, a rejection's discharge).
UNDECIDED_TRACE = ({Episode.Status.REFERRED}, {MilestoneKind.REFERRAL_RECEIVED})
DECIDED_TRACE = (
    {Episode.Status.REFERRED, Episode.Status.ACTIVE, Episode.Status.DISCHARGED},
    {MilestoneKind.REFERRAL_RECEIVED, MilestoneKind.TRIAGED, MilestoneKind.DISCHARGED},
)


def _made_by_match(referral: Referral, episode: Episode, trace=UNDECIDED_TRACE) -> bool:
    """Whether the episode was opened by matching this referral and holds nothing else: no other
    referral, no milestone but those `trace` allows, and no row of another app (a care plan, an
    appointment) pointing at it."""
    statuses, kinds = trace
    if episode.status not in statuses or episode.opened_at != referral.submitted_at:
        return False
    if episode.milestones.exclude(kind__in=kinds).exists():
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


def _answers_in_error(*, actor, referral: Referral, patient) -> list:
    """Mark the answers a match saved to `patient`'s record entered in error, with their audit
    rows, and return them."""
    saved = list(referral.assessments.filter(patient=patient, entered_in_error=False))
    for assessment in saved:
        assessment.entered_in_error = True
        assessment.updated_by = actor
        assessment.save(update_fields=["entered_in_error", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.ENTERED_IN_ERROR,
            patient=patient,
            obj=assessment,
            fields=["entered_in_error"],
        )
    return saved


def _episode_in_error(*, actor, episode: Episode, patient, now) -> None:
    """Mark an episode opened only by a wrong match entered in error, without its milestones, so
    the wrong record and the pathway figures no longer show it."""
    episode.milestones.all().delete()
    episode.status = Episode.Status.ENTERED_IN_ERROR
    episode.closed_at = episode.closed_at or now
    episode.updated_by = actor
    episode.save(update_fields=["status", "closed_at", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.ENTERED_IN_ERROR,
        patient=patient,
        obj=episode,
        fields=["status", "closed_at"],
    )


@transaction.atomic
def unmatch_self_referral(*, actor, referral: Referral) -> Referral:
    """Undo the match of a self-referral made to the wrong person, while it is still waiting for
    triage, and return it unmatched.

    The ID Migraine answers saved to the record at matching are marked entered in error (they
    stay on the referral, to be saved again at the right match). An episode the match opened,
    holding nothing else, is marked entered in error and loses its referral-received milestone,
    so the wrong patient's record and the pathway figures no longer show it; an episode the
    match reused is left as it was. The audit row is on the wrong patient's record. The screen
    is run again with the age the self-referrer gave (`screen_note`, as for a match).

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
    saved = _answers_in_error(actor=actor, referral=referral, patient=wrong_patient)
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
        _episode_in_error(actor=actor, episode=episode, patient=wrong_patient, now=now)
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=wrong_patient,
        obj=referral,
        fields=["patient", "episode", "matched_at", "matched_by", "unmatched_at", "unmatched_by"],
    )
    # The wrong record's age goes with it: screened again with the age the self-referrer gave.
    referral.screen_note = (
        screen_again(
            referral,
            referral.stated_date_of_birth,
            actor=actor,
            age_from="the age the self-referrer gave",
        )
        if referral.stated_date_of_birth
        else ""
    )
    return referral


# A self-referral's own fields, copied when a decided wrong match is corrected; the match, the
# decision and the bookkeeping are not.
NOT_COPIED = {
    "id",
    "uuid",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "patient",
    "episode",
    "matched_at",
    "matched_by",
    "status",
    "priority",
    "rejection_reason",
    "redirect_to",
    "advice_to_referrer",
    "decision_note",
    "decided_at",
    "decided_by",
    "tell_by_team",
    "told_at",
    "told_by",
    "told_how",
    "closed_at",
    "entered_in_error",
    "unmatched_at",
    "unmatched_by",
    # Unique: it moves to the copy (correct_decided_wrong_match).
    "submission_token",
}


@transaction.atomic
def correct_decided_wrong_match(*, actor, referral: Referral) -> Referral:
    """Correct a self-referral that was matched to the wrong person and then decided: the
    referral is marked entered in error on the wrong record (with the ID Migraine answers saved
    there and the episode the match opened, if it holds nothing else), a decision message not
    yet sent is withdrawn, and a copy of what the self-referrer sent waits to be matched and
    triaged again, from the time it first arrived. Returns the copy.

    Raises ReferralError when the referral is not a decided, matched self-referral, or when the
    wrong patient's care has started on it (an appointment, a care plan, a later milestone):
    that record needs correcting by hand."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.source != Referral.Source.SELF or referral.patient_id is None:
        raise ReferralError("Only a matched self-referral can be corrected this way.")
    if referral.entered_in_error:
        raise ReferralError("This referral has already been corrected.")
    if referral.status == Referral.Status.SUBMITTED:
        raise ReferralError("This referral is not decided yet: undo the match instead.")
    wrong_patient, episode = referral.patient, referral.episode
    if episode is not None and not _made_by_match(referral, episode, DECIDED_TRACE):
        raise ReferralError(
            f"{wrong_patient.full_name}'s care has started on this referral (an appointment, a "
            "care plan or a later step), so it cannot be corrected here. Ask an administrator "
            "to correct the record, and contact the self-referrer with the details they gave."
        )
    now = timezone.now()
    _answers_in_error(actor=actor, referral=referral, patient=wrong_patient)
    # The self-referral form's one-time token goes with what was sent, to the copy: that form
    # sent again finds the referral still waiting for the team, not the one in error.
    token = referral.submission_token
    referral.entered_in_error = True
    referral.submission_token = None
    referral.updated_by = actor
    referral.save(
        update_fields=["entered_in_error", "submission_token", "updated_by", "updated_at"]
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.ENTERED_IN_ERROR,
        patient=wrong_patient,
        obj=referral,
        fields=["entered_in_error", *(["submission_token"] if token else [])],
    )
    if episode is not None:
        _episode_in_error(actor=actor, episode=episode, patient=wrong_patient, now=now)
    withdraw_queued(
        prefix=f"referrals-self-decision:{referral.uuid}:",
        reason="Withdrawn: the referral was matched to the wrong person",
    )
    copied = {
        field.attname: getattr(referral, field.attname)
        for field in Referral._meta.concrete_fields
        if field.name not in NOT_COPIED
    }
    copy = Referral.objects.create(
        **copied,
        submission_token=token,
        status=Referral.Status.SUBMITTED,
        unmatched_at=now,
        unmatched_by=actor,
        created_by=actor,
        updated_by=actor,
    )
    record_event(actor=actor, action=AuditEvent.Action.CREATE, obj=copy, object_type="")
    return copy


@dataclass(frozen=True)
class ClosedCopy:
    """What close_as_duplicate did: the closed copy, the red flags only it gave, and whether
    they (or the urgency both give together) were carried onto an original waiting for triage,
    now at `urgency`, or sent to the clinicians of a patient in care."""

    copy: Referral
    carried: tuple[str, ...] = ()
    urgency: str = ""
    to_triage: bool = False
    to_care: bool = False


@transaction.atomic
def close_as_duplicate(
    *,
    actor,
    referral: Referral,
    original: Referral,
    add_red_flags: bool = False,
    same_person: Patient | None = None,
    confirmed_differences: Iterable[str] = (),
) -> ClosedCopy:
    """Close an undecided, unmatched self-referral as a second copy of `original` (one of
    selectors.possible_duplicates for `actor`, and still open): it is marked entered in error,
    pointing at the original, so it leaves the triage queue and every figure without counting
    as a rejection. Nobody is messaged: an unmatched self-referral has no record to message.
    Returns what was done (ClosedCopy).

    A red flag is never closed away unseen. When the self-referral gives red flags the original
    does not, it is closed only with `add_red_flags`, which carries them over: an original still
    waiting for triage takes them and is screened again (its urgency can only rise); for an
    original already accepted into care, the flags reach a clinician caring for the patient as
    a safety alert (pathway.signals.red_flags_for_patient_in_care).

    The original may also be the open referral of `same_person`, a record the clinician tried to
    match the self-referral to (which that open referral prevented): every way the record
    differs from what the self-referrer gave must be in `confirmed_differences`, as for a match.

    Raises ReferralError when the referral has been matched or decided meanwhile, the original
    is not one of its possible duplicates (nor the confirmed person's) or is closed, or the
    referral names a red flag the original does not and `add_red_flags` is not given."""
    # Both rows locked in one statement, in id order, so that two clinicians closing each
    # as a copy of the other wait for one another instead of deadlocking.
    locked = {
        row.pk: row
        for row in Referral.objects.select_for_update()
        .filter(pk__in=[referral.pk, original.pk])
        .order_by("pk")
    }
    referral = locked[referral.pk]
    if referral.entered_in_error or not selectors.awaiting_match(referral):
        raise ReferralError(
            "This self-referral has been matched, decided or closed since the page was opened."
        )
    candidates = selectors.possible_duplicates(actor, referral)
    if not any(item.pk == original.pk for item in candidates) and not _theirs(
        actor, referral, original, same_person, confirmed_differences
    ):
        raise ReferralError("Choose one of the referrals this one may be a copy of.")
    original = locked[original.pk]
    if original.entered_in_error:
        raise ReferralError(
            f"Referral {original.reference} has itself been closed as a copy since the page was "
            "opened. Open this one again to see what it may be a copy of."
        )
    if not original.is_open:
        raise ReferralError(
            f"Referral {original.reference} is {original.get_status_display().lower()}: this "
            "one may be a new request rather than a copy, so triage it."
        )
    missing = rules.red_flags_only_in(referral.red_flags, original.red_flags)
    urgency = urgency_together(referral, original)
    if (missing or urgency != original.urgency) and not add_red_flags:
        given = (
            f"gives red flags referral {original.reference} does not "
            f"({rules.red_flags_in_words(missing)})"
            if missing
            else f"makes referral {original.reference} {urgency} at the age it gives"
        )
        raise ReferralError(
            f"This self-referral {given}. Add its red flags to referral {original.reference} "
            "as you close this one, or triage this one."
        )
    referral.entered_in_error = True
    referral.duplicate_of = original
    referral.updated_by = actor
    referral.save(update_fields=["entered_in_error", "duplicate_of", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.ENTERED_IN_ERROR,
        patient=original.patient,
        obj=referral,
        fields=["entered_in_error", "duplicate_of"],
    )
    if not missing and urgency == original.urgency:
        return ClosedCopy(copy=referral)
    in_care = original.status != rules.SUBMITTED
    carry_red_flags(
        actor=actor, copy=referral, original=original, red_flags=missing, urgency=urgency
    )
    return ClosedCopy(
        copy=referral, carried=missing, urgency=urgency, to_triage=not in_care, to_care=in_care
    )


# A PHQ-9 with the same answers from the same referrer within this time is the same form sent
# again (a double click, Back then Send), not a new answer: its alert is not raised twice.
SENT_AGAIN_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class RefusedReferral:
    """What keep_refused_referral did with a referral refused as a second one: the open
    referral (None when it closed meanwhile), the copy kept (None when nothing needed keeping),
    the red flags it carried (`carried`) and those the team had already (`held`, on the open
    referral or an earlier copy of it), whether they went onto the open referral for triage
    (now at the open referral's urgency) or to the clinicians caring for the patient as a
    safety alert, and whether its PHQ-9 self-harm answer raised an alert (`self_harm`) or had
    been sent within SENT_AGAIN_WITHIN already (`self_harm_sent`)."""

    original: Referral | None
    # The form's PHQ-9 answered question 9 above 0, whatever became of it.
    self_harm_answer: bool = False
    copy: Referral | None = None
    carried: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    to_triage: bool = False
    to_care: bool = False
    self_harm: bool = False
    self_harm_sent: bool = False


@transaction.atomic
def keep_refused_referral(
    *, actor, source: str, content: ReferralContent, patient: Patient
) -> RefusedReferral:
    """A GP's or partner's referral that submit_referral refused because `patient` already has
    an open referral for the condition (DuplicateOpenReferral), kept when something in it would
    otherwise reach no one: red flags the team does not have (on the open referral or an
    earlier copy of it), or that make them more urgent at the patient's age now, or a PHQ-9
    answering question 9 above 0 (unless the referrer sent the same answers within
    SENT_AGAIN_WITHIN: the form sent twice).

    It is kept as close_as_duplicate keeps a self-referral: a copy entered in error, pointing at
    the open referral, so it joins no list or figure. Its red flags go onto the open referral
    when that is the practice's own referral waiting for triage (its urgency can only rise);
    otherwise (the patient is in care, or the open referral is their own self-referral, whose
    match to them could yet be undone) to the clinicians caring for the patient as a safety
    alert. Its PHQ-9 is saved on the patient's record with the copy (and with the practice's
    referral waiting for triage, which triage then puts first), which raises the safety alert
    every such answer raises (pathway.signals.assessment_recorded). Nothing else on the form is
    kept: the referrer was told it was not sent."""
    original = (
        Referral.objects.select_for_update()
        .open()
        .filter(patient=patient, condition=content.condition)
        .first()
    )
    phq9 = content.questionnaires.get("PHQ-9")
    risky = phq9 is not None and instruments.score("PHQ-9", phq9).alert
    if original is None:
        return RefusedReferral(original=None, self_harm_answer=risky)
    now = timezone.now()
    age = rules.age_in_years(patient.date_of_birth, timezone.localdate(now))
    flags, urgency = _screen(age, content.red_flags)
    held = held_for(original, patient)
    missing, together = held.adding(flags, age)
    carry = bool(missing) or together != held.urgency
    sent = risky and (
        Assessment.objects.filter(
            patient=patient,
            instrument="PHQ-9",
            answers=list(phq9),
            completed_by=actor,
            completed_at__gte=now - SENT_AGAIN_WITHIN,
            entered_in_error=False,
        ).exists()
    )
    had = tuple(code for code in flags if code not in missing)
    if not (carry or (risky and not sent)):
        return RefusedReferral(
            original=original, self_harm_answer=risky, held=had, self_harm_sent=sent
        )
    copy = Referral.objects.create(
        **_content_fields(content),
        source=source,
        patient=patient,
        referrer=actor,
        red_flags=list(flags),
        urgency=urgency,
        age_at_referral=age,
        submitted_at=now,
        entered_in_error=True,
        duplicate_of=original,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=copy,
        fields=["red_flags", "urgency", "entered_in_error", "duplicate_of"],
    )
    # The practice's own referral waiting for triage takes what the copy brings; a matched
    # self-referral does not (its match could yet be undone, taking it to another person).
    takes = original.status == rules.SUBMITTED and original.source != Referral.Source.SELF
    if risky and not sent:
        _save_questionnaires(
            referral=copy,
            patient=patient,
            questionnaires={"PHQ-9": phq9},
            completed_by=actor,
            completed_at=now,
        )
        if takes:
            # So triage sees the answer with the referral and puts it first, as any referral
            # sent with a self-harm answer.
            original.assessments.add(*copy.assessments.all())
    to_triage = carry and takes
    if to_triage:
        carry_red_flags(
            actor=actor, copy=copy, original=original, red_flags=missing, urgency=together
        )
    elif carry:
        red_flags_for_patient_in_care.send(
            Referral, copy=copy, original=original, red_flags=missing, actor=actor
        )
    return RefusedReferral(
        original=original,
        self_harm_answer=risky,
        copy=copy,
        carried=missing,
        held=had,
        to_triage=to_triage,
        to_care=carry and not to_triage,
        self_harm=risky and not sent,
        self_harm_sent=sent,
    )


def _theirs(actor, referral, original, same_person, confirmed_differences) -> bool:
    """Whether `original` is the open referral of `same_person` for the self-referral's
    condition, visible to `actor`, with every difference from what was given confirmed."""
    if same_person is None:
        return False
    patient = Patient.objects.get(pk=same_person.pk)
    if not set(selectors.match_differences(referral, patient)) <= set(confirmed_differences):
        return False
    found = selectors.open_referral_of(actor, patient, referral.condition)
    return found is not None and found.pk == original.pk


def urgency_together(copy: Referral, original: Referral) -> str:
    """The urgency of `original` holding its own red flags and `copy`'s, at either's age (an
    urgency never lowered: rules.urgency_with_flags_added)."""
    return rules.urgency_with_flags_added(
        original.urgency,
        [*original.red_flags, *copy.red_flags],
        {original.age_at_referral, copy.age_at_referral},
    )
