"""An episode's care by the team: who is responsible for it, and discharge from the pathway.

Discharge ends the episode (its `discharged` milestone), closes the accepted referral and
cancels the episode's appointments still to come. When no other episode stays open it also
cancels what is left of the patient's care: appointments, questionnaires waiting, group places
and invitations to come, and requests for an appointment; and it tells the patient once that
their care has ended (instead of a message for each appointment). While another episode stays
open, each cancelled appointment is told as usual. Discharge is refused while a safety alert
about the patient is open: an alert is closed only by recording the action taken. A discharged
episode is not reopened; the patient is referred again, which opens a new one.

A discharge records why (`Discharge.Reason`) and, optionally, a note for the GP; the worker then
renders the discharge summary for the GP practice (reviews.letters). A discharge because the
patient has died records the date of death, ends all of the patient's care at once and tells
them nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pathway import services as kernel
from pathway.audit import record_event
from pathway.models import AuditEvent, Episode, Patient, User
from pathway.permissions import clinicians_caring_for
from pathway.templatetags.results import result_text
from referrals import services as referral_services
from referrals.models import Referral
from reviews import letters, messaging, rules, selectors
from reviews.errors import ReviewsError, ScopeChanged, StaleState
from reviews.models import (
    BookingRequest,
    Discharge,
    SafetyAlert,
)
from reviews.models.discharges import NOTE_MAX_LENGTH
from reviews.services import appointments as appointment_services
from reviews.services import groups as group_services
from reviews.services import questionnaires as questionnaire_services

DISCHARGE_CANCELLATION_REASON = "Discharged from the pathway"
# Why a message queued before the patient's last episode ended was not sent (shown to staff).
CARE_ENDED = "Withdrawn: the patient was discharged"


def _locked_open(episode: Episode) -> Episode:
    """The episode, locked after its patient (as booking an appointment locks them), while it
    is open; StaleState once it has ended."""
    kernel.lock_patient(episode.patient_id)
    locked = Episode.objects.select_for_update().get(pk=episode.pk)
    if not locked.is_open:
        raise StaleState("This episode has already ended. Check it below.")
    return locked


@transaction.atomic
def change_responsible_clinician(
    *, actor: User, episode: Episode, clinician: User, shown: str | None = None
) -> Episode:
    """Make `clinician` responsible for the open episode and return it. Safety alerts about the
    patient that are still open and were the previous clinician's pass to `clinician`, who is
    emailed about each, so no alert waits for someone who has handed over.

    `shown` is the uuid of the clinician the page showed as responsible ("" for none): a change
    made by someone else since is refused with StaleState rather than overwritten unseen.
    Raises ReviewsError unless `clinician` is an active clinician caring for the patient."""
    episode = _locked_open(episode)
    current = episode.responsible_clinician
    if shown is not None and shown != (str(current.uuid) if current else ""):
        raise StaleState(
            f"Someone else has changed the responsible clinician since this page was opened: it "
            f"is now {current.full_name if current else 'no one'}. Check, then choose again."
        )
    if clinician not in clinicians_caring_for(episode.patient):
        raise ReviewsError(
            "Choose an active clinician who cares for this patient's practice.", field="clinician"
        )
    previous = episode.responsible_clinician
    if previous == clinician:
        return episode
    episode.responsible_clinician = clinician
    episode.updated_by = actor
    episode.save(update_fields=["responsible_clinician", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=episode.patient,
        obj=episode,
        fields=["responsible_clinician"],
    )
    handed = SafetyAlert.objects.filter(
        patient=episode.patient, resolved_at__isnull=True, responsible_clinician=previous
    )
    for alert in handed:
        alert.responsible_clinician = clinician
        alert.save(update_fields=["responsible_clinician", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=episode.patient,
            obj=alert,
            fields=["responsible_clinician"],
        )
        messaging.queue_for_staff(
            user=clinician,
            kind="safety_alert",
            template="reviews-safety-alert",
            key=f"safety-alert:{alert.uuid}:{clinician.uuid}",
            path=reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}),
        )
    return episode


@transaction.atomic
def discharge_episode(
    *,
    actor: User,
    episode: Episode,
    reason: str,
    note_for_gp: str = "",
    date_of_death: date | None = None,
    shown: str | None = None,
) -> Episode:
    """Discharge the patient from an active episode for `reason` (a `Discharge.Reason`) and
    return it (see the module docstring). `shown`, when given, is the fingerprint of what the
    clinician was shown would end (selectors.DischargeScope.fingerprint).

    When the patient has died (`date_of_death`, needed for that reason alone), their death is
    recorded first (pathway.services.record_death: nothing is sent to them from then on), and
    all their care ends with this episode: every other open episode is ended too (discharged
    for the same reason, or its referral waiting for triage withdrawn), and every appointment,
    questionnaire, group place and request still to come is cancelled, untold.

    Raises ReviewsError for a reason outside the vocabulary, "another reason" without a note,
    "finished the pathway" without a first contact and an agreed care plan, a note over its
    limit, a date of death missing, in the future, before birth or given for another reason,
    while a safety alert about the patient is open, or before the referral is accepted (triage
    decides a referral still waiting); StaleState if the episode has ended
    already; ScopeChanged if what the discharge ends is no longer what was shown."""
    note_for_gp = note_for_gp.strip()
    _check_discharge_reason(reason, note_for_gp)
    episode = _locked_open(episode)
    patient = episode.patient
    died = reason == Discharge.Reason.DIED
    _check_date_of_death(patient, date_of_death, died=died)
    if SafetyAlert.objects.filter(patient=patient, resolved_at__isnull=True).exists():
        raise ReviewsError(
            "A safety alert about this patient is open. Record the action taken on it before "
            "discharging."
        )
    if episode.status != Episode.Status.ACTIVE:
        raise ReviewsError(
            "This referral is waiting for triage. Decide it on the referral page instead."
        )
    _check_reason_fits_the_care(episode, reason)
    if not died and not note_for_gp:
        _check_severe_scores_handed_on(episode)
    now = timezone.now()
    if shown is not None and shown != selectors.ended_by_discharge(episode, now).fingerprint():
        raise ScopeChanged(
            "The patient's care has changed since this page was shown, for example an "
            "appointment booked or moved. Check what the discharge ends below, then discharge "
            "again."
        )
    if died:
        kernel.record_death(actor=actor, patient=patient, date_of_death=date_of_death)
        # What follows reads `patient` (whether to tell them): it must know.
        patient.refresh_from_db(fields=["date_of_death", "diary_nudge"])
        _end_other_episodes(actor=actor, episode=episode, note_for_gp=note_for_gp, now=now)
    scope = selectors.ended_by_discharge(episode, now)
    last = scope.last
    for appointment in scope.coming:
        appointment_services.cancel_appointment(
            actor=actor,
            appointment=appointment,
            reason=DISCHARGE_CANCELLATION_REASON,
            tell_patient=not last and not died,
        )
    if last:
        _end_the_rest_of_the_care(actor=actor, patient=patient, scope=scope)
    else:
        # Sessions for the condition they are discharged from; no discharge message tells them.
        for booking in scope.places:
            group_services.cancel_place(actor=actor, booking=booking, tell_patient=not died)
    _discharge(actor=actor, episode=episode, reason=reason, note_for_gp=note_for_gp, now=now)
    if last and not died:
        # Nothing queued before (a diary nudge, an annual-review invitation) goes out after the
        # message saying their care has ended.
        messaging.withdraw_for_patient(patient=patient, reason=CARE_ENDED)
        messaging.queue_for_patient(
            patient=patient,
            kind="discharged",
            template="reviews-discharged",
            key=f"discharged:{episode.uuid}",
            path=reverse("pathway:patient-home"),
        )
    return episode


# Why an appointment booked for a referral that was not taken on was cancelled (shown to staff),
# and why messages queued to the patient were not sent.
REFERRAL_ENDED_CANCELLATION_REASON = "The referral was closed before care began"
REFERRAL_ENDED = "Withdrawn: the referral was closed before care began"


def end_care_booked_before_triage(sender, *, episode: Episode, actor, now, **kwargs) -> None:
    """A referral ended the episode it had opened before the team took the patient on
    (pathway.signals.referral_episode_ended): what was booked for that episode is cancelled,
    and the patient told, so no reminder of an appointment that will not happen goes out. With
    no other episode open, what they would still be asked for or sent ends too, as at a
    discharge; messages already queued are withdrawn first, so the cancellations still reach
    them."""
    scope = selectors.ended_by_discharge(episode, now)
    if scope.last:
        messaging.withdraw_for_patient(patient=episode.patient, reason=REFERRAL_ENDED)
        _end_the_rest_of_the_care(actor=actor, patient=episode.patient, scope=scope)
    for appointment in scope.coming:
        appointment_services.cancel_appointment(
            actor=actor, appointment=appointment, reason=REFERRAL_ENDED_CANCELLATION_REASON
        )


def _discharge(*, actor: User, episode: Episode, reason: str, note_for_gp: str, now) -> None:
    """End the active episode: its accepted referral closed, its `discharged` milestone, the
    `Discharge` record, each audited, and the summary for the GP rendered after commit."""
    patient = episode.patient
    for referral in Referral.objects.open().filter(episode=episode):
        referral_services.close_referral(
            actor=actor, referral=referral, patient_died=reason == Discharge.Reason.DIED
        )
    kernel.discharge_episode(episode=episode, actor=actor, now=now)
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=patient,
        obj=episode,
        fields=["status", "closed_at"],
    )
    discharge = Discharge.objects.create(
        episode=episode,
        patient=patient,
        reason=reason,
        note_for_gp=note_for_gp,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=discharge,
        fields=["reason", "note_for_gp"] if note_for_gp else ["reason"],
    )
    discharge_uuid = str(discharge.uuid)
    transaction.on_commit(lambda: letters.enqueue_discharge_letter(discharge_uuid))


def _end_other_episodes(*, actor: User, episode: Episode, note_for_gp: str, now) -> None:
    """After a death: the patient's other open episodes end too. An active one is discharged
    for the same reason (its own summary goes to the GP); one whose referral waits for triage
    has the referral withdrawn, which ends it."""
    others = (
        Episode.objects.select_for_update()
        .filter(patient=episode.patient)
        .open()
        .exclude(pk=episode.pk)
        .order_by("opened_at")
    )
    for other in others:
        if other.status == Episode.Status.ACTIVE:
            _discharge(
                actor=actor,
                episode=other,
                reason=Discharge.Reason.DIED,
                note_for_gp=note_for_gp,
                now=now,
            )
            continue
        for referral in Referral.objects.open().filter(episode=other):
            referral_services.close_referral(actor=actor, referral=referral, patient_died=True)
        other.refresh_from_db()
        if other.is_open:
            kernel.discharge_episode(episode=other, actor=actor, now=now)
            record_event(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                patient=other.patient,
                obj=other,
                fields=["status", "closed_at"],
            )


def _check_date_of_death(patient, date_of_death: date | None, *, died: bool) -> None:
    if not died:
        if date_of_death is not None:
            raise ReviewsError(
                "Give a date of death only when the patient has died.", field="date_of_death"
            )
        return
    if problem := kernel.death_date_problem(patient, date_of_death, today=timezone.localdate()):
        raise ReviewsError(problem, field="date_of_death")


def _check_discharge_reason(reason: str, note_for_gp: str) -> None:
    if reason not in Discharge.Reason.values:
        raise ReviewsError("Choose why the patient is being discharged.", field="reason")
    if reason == Discharge.Reason.OTHER and not note_for_gp:
        raise ReviewsError(
            "Say why the patient is being discharged, in the note for the GP.",
            field="note_for_gp",
        )
    if len(note_for_gp) > NOTE_MAX_LENGTH:
        raise ReviewsError(
            f"The note for the GP must be {NOTE_MAX_LENGTH:,} characters or fewer.",
            field="note_for_gp",
        )


def severe_scores_left(episode: Episode) -> list:
    """The patient's PHQ-9 and GAD-7 scores in a band that prompts a review with no review since
    (selectors.unreviewed_severe_scores), when discharging `episode` ends their care with the
    team: the worklist, which lists them until a review, then no longer would."""
    patient = episode.patient
    if patient.episodes.open().exclude(pk=episode.pk).exists():
        return []  # still in the team's care: the worklist keeps them
    return list(
        selectors.unreviewed_severe_scores(Patient.objects.filter(pk=patient.pk)).order_by(
            "completed_at"
        )
    )


def _check_severe_scores_handed_on(episode: Episode) -> None:
    """Raise ReviewsError (on the note for the GP) when discharging leaves a severe mood or
    anxiety score unreviewed (severe_scores_left) and the note does not hand it on: the patient
    was told the team would see their answers."""
    left = severe_scores_left(episode)
    if left:
        scores = "; ".join(
            f"{score.instrument} of {timezone.localtime(score.completed_at):%-d %B %Y}, "
            f"{result_text(score)}"
            for score in left
        )
        raise ReviewsError(
            f"{episode.patient.given_name} has a severe mood or anxiety score with no review "
            f"since ({scores}). Say in the note for the GP what follow-up is arranged for it.",
            field="note_for_gp",
        )


def _check_reason_fits_the_care(episode: Episode, reason: str) -> None:
    """Raise ReviewsError (on the reason) for "Finished the pathway" given to an episode without
    a first contact and an agreed care plan (rules.finished_pathway_problem): the GP's summary
    would say the patient is managing with a care plan they never had, and the dashboard would
    count a completion. The message names the reasons that fit."""
    if reason != Discharge.Reason.GOALS_MET:
        return
    reached = set(
        episode.milestones.filter(kind__in=rules.FINISHED_PATHWAY_MILESTONES).values_list(
            "kind", flat=True
        )
    )
    if problem := rules.finished_pathway_problem(reached):
        others = [
            f'"{label}"'
            for value, label in Discharge.Reason.choices
            if value != Discharge.Reason.GOALS_MET
        ]
        raise ReviewsError(
            f"{problem}, so they have not finished the pathway. Choose the reason that fits "
            f"instead: {', '.join(others[:-1])} or {others[-1]}.",
            field="reason",
        )


def _end_the_rest_of_the_care(*, actor: User, patient, scope) -> None:
    """Questionnaires waiting, group places and invitations to come, and appointment requests:
    what a patient leaving the team's care would otherwise still be asked for or offered."""
    for request in scope.waiting:
        questionnaire_services.cancel_questionnaire_request(actor=actor, request=request)
    for booking in scope.places:
        # The team withdraws them; the one discharge message covers them all.
        group_services.cancel_place(actor=actor, booking=booking, tell_patient=False)
    for request in BookingRequest.objects.filter(
        patient=patient, status=BookingRequest.Status.OPEN
    ):
        appointment_services.close_booking_request(actor=actor, request=request)
