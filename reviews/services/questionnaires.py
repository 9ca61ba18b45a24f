"""Questionnaire requests, the patient's answers, and safety alerts (PHQ-9 item 9, a review
asking for a same-day risk assessment, and new red flags for a patient in care)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pathway import instruments
from pathway.audit import record_event
from pathway.models import Assessment, AuditEvent, Episode, Patient, User
from pathway.permissions import clinicians_caring_for
from reviews import messaging, rules
from reviews.errors import ReviewsError, StaleState
from reviews.models import QuestionnaireRequest, Review, SafetyAlert
from reviews.questionnaires import QUESTIONNAIRES
from reviews.selectors import assessments_after, last_psfs_activities

MY_QUESTIONNAIRES = "reviews:my-questionnaires"


def not_under_care(patient: Patient) -> str:
    """Why a questionnaire cannot be sent to a patient with no open episode of care (discharged,
    or never referred): questionnaires measure care under way."""
    if patient.has_died:
        return (
            f"{patient.full_name} died on {patient.date_of_death:%-d %B %Y}: no questionnaire "
            "can be sent."
        )
    return (
        f"{patient.full_name} has no open episode of care, so questionnaires cannot be sent. "
        "A new referral is needed first."
    )


@transaction.atomic
def request_questionnaire(
    *,
    actor: User | None,
    patient: Patient,
    instrument: str,
    context: str = QuestionnaireRequest.Context.REVIEW,
    due: date | None = None,
) -> QuestionnaireRequest:
    """Ask the patient to complete a questionnaire in the portal, and tell them. Returns the
    request. Raises ReviewsError if the same questionnaire is already waiting for them, or
    when the patient has no open episode of care."""
    if instrument not in QUESTIONNAIRES:
        raise ReviewsError("Choose a questionnaire from the list.", field="instrument")
    today = timezone.localdate()
    due = due or today + timedelta(days=rules.QUESTIONNAIRE_DUE_DAYS)
    if due < today:
        raise ReviewsError("The date it is due must be today or later.", field="due")
    if problem := rules.too_far_ahead(due, today=today):
        raise ReviewsError(problem, field="due")
    if not patient.episodes.open().exists():
        raise ReviewsError(not_under_care(patient), field="instrument")
    try:
        with transaction.atomic():
            request = QuestionnaireRequest.objects.create(
                patient=patient,
                instrument=instrument,
                context=context,
                requested_by=actor,
                requested_at=timezone.now(),
                due=due,
                activities=last_psfs_activities(patient) if instrument == "PSFS" else [],
                created_by=actor,
                updated_by=actor,
            )
    except IntegrityError as exc:
        raise ReviewsError(
            f"A {instrument} is already waiting for this patient to complete.",
            field="instrument",
        ) from exc
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=request,
        fields=["instrument", "context", "due"],
    )
    # One invitation for the questionnaires sent together: one sent while today's invitation
    # is still waiting to go joins it; one sent after it went is announced on its own.
    invitations = f"{_messages_key(request)}:requested"
    if not messaging.still_queued(invitations):
        messaging.queue_for_patient(
            patient=patient,
            kind="questionnaire_requested",
            template="reviews-questionnaire-requested",
            key=f"{invitations}:{request.uuid}",
            path=reverse(MY_QUESTIONNAIRES),
        )
    return request


@transaction.atomic
def cancel_questionnaire_request(
    *, actor: User, request: QuestionnaireRequest
) -> QuestionnaireRequest:
    """Cancel a questionnaire still waiting for the patient and withdraw its messages not yet
    sent. Returns it. Raises StaleState if it was completed or cancelled already."""
    changed = QuestionnaireRequest.objects.filter(
        pk=request.pk, status=QuestionnaireRequest.Status.REQUESTED
    ).update(
        status=QuestionnaireRequest.Status.CANCELLED,
        cancelled_at=timezone.now(),
        updated_by=actor,
        updated_at=timezone.now(),
    )
    if not changed:
        raise StaleState("This questionnaire has already been completed or cancelled.")
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=request.patient,
        obj=request,
        fields=["status"],
    )
    _withdraw_messages(request, "Withdrawn: the questionnaire request was cancelled")
    request.refresh_from_db()
    return request


def _sent_on(request: QuestionnaireRequest) -> date:
    return timezone.localtime(request.requested_at).date()


def _messages_key(request: QuestionnaireRequest) -> str:
    return rules.questionnaire_messages_key(request.patient.uuid, _sent_on(request))


def _withdraw_messages(request: QuestionnaireRequest, reason: str) -> None:
    """Withdraw the messages still waiting to go about the questionnaires sent with this one
    (the invitation, held for quiet hours, and the 3- and 6-day reminders) once none sent that
    day is left to fill in: this one is completed or cancelled, and so is every other."""
    day_starts = timezone.make_aware(datetime.combine(_sent_on(request), time.min))
    others_waiting = (
        QuestionnaireRequest.objects.filter(
            patient_id=request.patient_id,
            status=QuestionnaireRequest.Status.REQUESTED,
            requested_at__gte=day_starts,
            requested_at__lt=day_starts + timedelta(days=1),
        )
        .exclude(pk=request.pk)
        .exists()
    )
    # Messages queued before questionnaires shared theirs are keyed by the request alone.
    keys = [f"questionnaire:{request.uuid}"]
    if not others_waiting:
        keys.append(_messages_key(request))
    messaging.withdraw(keys=keys, reason=reason)


def _validate_activities(request: QuestionnaireRequest, activities: list[str]) -> list[str]:
    late = request.status == QuestionnaireRequest.Status.COMPLETED
    if request.activities and not (late and activities):
        # Follow-ups re-rate the baseline's activities (clinical-rules.md section 5). Answers
        # sent to a completed request keep the names the patient gave with them: its own
        # names are the ones sent first.
        return list(request.activities)
    names = [name.strip()[:100] for name in activities if name and name.strip()]
    if not names:
        raise ReviewsError("Name at least one activity you find hard.", field="activity_1")
    return names


@transaction.atomic
def submit_questionnaire(
    *,
    actor: User,
    request: QuestionnaireRequest,
    answers: list,
    activities: list[str] | None = None,
    unscored: list | None = None,
) -> tuple[Assessment, SafetyAlert | None]:
    """Score and store the patient's answers as one Assessment and complete the request.

    A PHQ-9 with item 9 above 0 raises a SafetyAlert and emails the responsible clinician in
    the same transaction. Returns (assessment, alert or None). Raises ReviewsError for answers
    that cannot be scored, or that cannot all be true (MIDAS days counted twice,
    rules.midas_answers_problems).

    Answers are never dropped because the request stopped waiting meanwhile (a page left
    open, a second window, Back and send again): a risky answer must reach a clinician.
    A request cancelled meanwhile is completed by them after all. One already completed keeps
    its assessment, and answers that differ from it are stored as an assessment of their own
    (`reviews.selectors.assessments_after`); only answers repeating ones already recorded
    raise StaleState and create nothing."""
    locked = QuestionnaireRequest.objects.select_for_update().get(pk=request.pk)
    names: list[str] = []
    if locked.instrument == "PSFS":
        names = _validate_activities(locked, activities or [])
        answers = answers[: len(names)]
    try:
        result = instruments.score(locked.instrument, answers)
    except instruments.InvalidAnswers as exc:
        raise ReviewsError("Answer every question with one of the options given.") from exc
    if locked.instrument == "MIDAS" and (problems := rules.midas_answers_problems(answers)):
        number, problem = problems[0]
        raise ReviewsError(problem, field=f"item_{number}")
    answers = list(answers)
    left_out = {"activities": names, "unscored_answers": list(unscored or [])}
    if locked.status == QuestionnaireRequest.Status.COMPLETED:
        return _late_answers(
            actor=actor, request=locked, answers=answers, result=result, left_out=left_out
        )
    now = timezone.now()
    assessment = _store(
        actor=actor, request=locked, answers=answers, result=result, now=now, left_out=left_out
    )
    QuestionnaireRequest.objects.filter(pk=locked.pk).update(
        status=QuestionnaireRequest.Status.COMPLETED,
        assessment=assessment,
        completed_at=now,
        activities=names or locked.activities,
        unscored_answers=left_out["unscored_answers"],
        updated_by=actor,
        updated_at=now,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=locked.patient,
        obj=locked,
        fields=["status", "assessment"],
    )
    if locked.status == QuestionnaireRequest.Status.REQUESTED:
        _withdraw_messages(locked, "Withdrawn: the questionnaire was completed")
    alert = _alert_for(assessment, result, request=locked)
    request.refresh_from_db()
    return assessment, alert


def _late_answers(
    *, actor: User, request: QuestionnaireRequest, answers: list, result, left_out: dict
) -> tuple[Assessment, SafetyAlert | None]:
    kept = assessments_after(request).values_list("answers", "activities")
    sent = (answers, left_out["activities"])
    first = (request.assessment.answers, list(request.activities))
    if sent in [first, *((stored, list(names)) for stored, names in kept)]:
        raise StaleState("You have already sent this questionnaire. Thank you.")
    assessment = _store(
        actor=actor,
        request=request,
        answers=answers,
        result=result,
        now=timezone.now(),
        left_out=left_out,
    )
    request.late_answers.add(assessment)
    return assessment, _alert_for(assessment, result, request=request)


def _store(
    *, actor: User, request: QuestionnaireRequest, answers: list, result, now, left_out: dict
):
    assessment = Assessment.objects.create(
        patient=request.patient,
        instrument=request.instrument,
        answers=answers,
        activities=left_out["activities"],
        unscored_answers=left_out["unscored_answers"],
        total=round(result.total, 2),
        band=result.band or "",
        alert=result.alert,
        context=request.context,
        completed_by=actor,
        completed_at=now,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=request.patient,
        obj=assessment,
        fields=["answers", "total", "band", "alert"],
    )
    return assessment


def _alert_for(assessment: Assessment, result, **source) -> SafetyAlert | None:
    if result.alert and assessment.instrument == "PHQ-9":
        return raise_safety_alert(assessment=assessment, **source)
    return None


def _responsible_clinician(
    patient: Patient, caring: list[User], fallback: User | None, about: Episode | None = None
) -> User | None:
    """The clinician responsible for the episode the alert is `about` if it is open, else for
    the patient's newest open episode naming one, else `fallback`, whoever of these first is
    still caring for the patient (active, and a member of their practice, its PCN or a service
    it hosts: `caring`, as `clinicians_caring_for` finds them; one who moved elsewhere could
    not open the alert); else None (the alert then goes to the whole team)."""
    caring_ids = {clinician.pk for clinician in caring}
    candidates = []
    if about is not None and about.is_open:
        candidates.append(about.responsible_clinician)
    candidates.extend(
        episode.responsible_clinician
        for episode in patient.episodes.open()
        .filter(responsible_clinician__isnull=False)
        .select_related("responsible_clinician")
        .order_by("-opened_at")
    )
    candidates.append(fallback)
    return next(
        (user for user in candidates if user is not None and user.pk in caring_ids),
        None,
    )


def _open_alert(
    *,
    patient: Patient,
    kind: str,
    raised_at,
    fallback: User | None,
    about: Episode | None = None,
    **source,
) -> SafetyAlert:
    """Open one alert for the record in `source` (`assessment=` or `review=`), write its audit
    row and email the responsible clinician (no clinical detail in the email: only that
    something needs them, and a link). Runs in the caller's transaction; a record raises at most
    one alert, so calling again returns the first."""
    caring = clinicians_caring_for(patient)
    clinician = _responsible_clinician(patient, caring, fallback, about)
    alert, created = SafetyAlert.objects.get_or_create(
        **source,
        defaults={
            "patient": patient,
            "kind": kind,
            "raised_at": raised_at,
            "responsible_clinician": clinician,
        },
    )
    if created:
        record_event(
            actor=None,
            action=AuditEvent.Action.CREATE,
            patient=patient,
            obj=alert,
            fields=["kind", "responsible_clinician"],
        )
        path = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
        if clinician is not None:
            recipients = [(clinician, f"safety-alert:{alert.uuid}")]
        else:
            # No one is responsible (or they have left): every clinician caring for the patient
            # is told, so the alert never waits for someone to happen on the worklist.
            recipients = [(member, f"safety-alert:{alert.uuid}:{member.uuid}") for member in caring]
        for user, key in recipients:
            messaging.queue_for_staff(
                user=user,
                kind="safety_alert",
                template="reviews-safety-alert",
                key=key,
                path=path,
            )
    return alert


def raise_safety_alert(
    *, assessment: Assessment, request: QuestionnaireRequest | None = None
) -> SafetyAlert:
    """Open a PHQ-9 item 9 alert for the team's worklist and email the responsible clinician
    (the clinician who sent the questionnaire if no open episode names one). Returns it."""
    return _open_alert(
        patient=assessment.patient,
        kind=SafetyAlert.Kind.PHQ9_ITEM9,
        raised_at=assessment.completed_at,
        fallback=request.requested_by if request is not None else None,
        assessment=assessment,
    )


def raise_review_alert(*, review: Review) -> SafetyAlert:
    """Open a same-day risk assessment alert for a review whose mental-health follow-up asks
    for one, as a PHQ-9 item 9 answer does: on the team's worklist until a clinician records
    the action, and emailed to the responsible clinician (the clinician who recorded the review
    if no open episode names one). Returns it."""
    return _open_alert(
        patient=review.patient,
        kind=SafetyAlert.Kind.SAME_DAY_RISK,
        raised_at=review.completed_at,
        fallback=review.completed_by,
        review=review,
    )


def alert_on_new_red_flags(sender, *, copy, original, red_flags, actor, **kwargs) -> SafetyAlert:
    """Red flags in a self-referral closed as a copy of the referral that brought the patient
    into care, which that referral does not hold, or which make it more urgent at the age the
    copy gives (pathway.signals.red_flags_for_patient_in_care): a safety alert for the patient,
    emailed to the clinician responsible for that referral's episode (else as for any alert),
    on the worklist until a clinician records what was done."""
    return _open_alert(
        patient=original.patient,
        kind=SafetyAlert.Kind.RED_FLAGS,
        raised_at=timezone.now(),
        fallback=actor,
        about=original.episode,
        referral=copy,
    )


def alert_on_emergency_stop(sender, *, stop, actor, **kwargs) -> SafetyAlert:
    """A GP's or partner's referral for a patient already in care, stopped by an emergency red
    flag (pathway.signals.emergency_stop_for_patient_in_care): a safety alert for the patient,
    emailed to the clinician responsible for their care (else to every clinician caring for
    them), on the worklist until a clinician records what was done. The referrer was told to
    arrange same-day care; the team learns of it and of the flags, which no referral carries."""
    return _open_alert(
        patient=stop.patient,
        kind=SafetyAlert.Kind.EMERGENCY_STOP,
        raised_at=stop.created_at,
        fallback=actor,
        emergency_stop=stop,
    )


def alert_on_risky_answer(sender, *, assessment: Assessment, **kwargs) -> None:
    """A PHQ-9 with item 9 above 0 recorded by another app (a GP's referral) raises the same
    alert as one the patient sends us (`pathway.signals.assessment_recorded`)."""
    if assessment.alert and assessment.instrument == "PHQ-9":
        raise_safety_alert(assessment=assessment)


# An alert's record of action says who, when and what: "ok" or "done" does not.
MIN_ACTION_WORDS = 4


@transaction.atomic
def resolve_alert(*, actor: User, alert: SafetyAlert, action_taken: str) -> SafetyAlert:
    """Record what was done about an alert; it then leaves the worklist. Returns it."""
    action_taken = action_taken.strip()
    if len(action_taken.split()) < MIN_ACTION_WORDS:
        raise ReviewsError(
            "Describe the action taken in a sentence: who contacted the patient, when, and "
            "what was agreed.",
            field="action_taken",
        )
    now = timezone.now()
    changed = SafetyAlert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(
        action_taken=action_taken,
        resolved_at=now,
        resolved_by=actor,
        updated_by=actor,
        updated_at=now,
    )
    if not changed:
        raise StaleState("Another clinician has already recorded the action for this alert.")
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=alert.patient,
        obj=alert,
        fields=["action_taken", "resolved_at", "resolved_by"],
    )
    alert.refresh_from_db()
    return alert
