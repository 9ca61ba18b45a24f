"""The MDT list: flag a case with a question, record the discussion and agreed actions."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Patient, User
from reviews.errors import ReviewsError, StaleState
from reviews.models import MdtCase


def _words(question: str) -> str:
    """A question as compared for repeats: the same words whatever the spacing or capitals."""
    return " ".join(question.split()).casefold()


def _who(user: User | None, actor: User) -> str:
    if user is None:
        return "someone else"
    if user.pk == actor.pk:
        return "you"
    return user.full_name


def _at(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%-d %B %Y}"


def _open_case_asking(patient: Patient, question: str) -> MdtCase | None:
    """The patient's case waiting for the MDT with the same question (see `_words`), or None.
    A patient has few open cases, so they are compared here rather than in SQL."""
    wanted = _words(question)
    cases = MdtCase.objects.filter(patient=patient, status=MdtCase.Status.OPEN)
    cases = cases.select_related("created_by").order_by("created_at")
    return next((case for case in cases if _words(case.question) == wanted), None)


def _already_listed(case: MdtCase, patient: Patient, actor: User) -> ReviewsError:
    return ReviewsError(
        f"This question is already on the MDT list for {patient.full_name}, added by "
        f"{_who(case.created_by, actor)} at {_at(case.created_at)}. It will be discussed "
        "there, so it has not been added again.",
        field="question",
    )


@transaction.atomic
def flag_for_mdt(*, actor: User, patient: Patient, question: str) -> MdtCase:
    """Add the patient to the next MDT meeting's list with the question to discuss. Returns
    the case.

    Raises ReviewsError for an empty question, or for one already waiting on the list for this
    patient (a form sent twice, Back and send again, or a colleague who asked it first), which
    names who added it and when. A different question for the same patient is a case of its
    own."""
    question = question.strip()
    if not question:
        raise ReviewsError("Write the question for the MDT.", field="question")
    if waiting := _open_case_asking(patient, question):
        raise _already_listed(waiting, patient, actor)
    try:
        # The database refuses the same question twice while one is open (two requests at
        # once, both past the check above): reviews_mdtcase_one_open_per_question.
        with transaction.atomic():
            case = MdtCase.objects.create(
                patient=patient, question=question, created_by=actor, updated_by=actor
            )
    except IntegrityError as exc:
        waiting = _open_case_asking(patient, question)
        if waiting is None:
            raise
        raise _already_listed(waiting, patient, actor) from exc
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=case,
        fields=["question"],
    )
    return case


@transaction.atomic
def record_mdt_discussion(
    *, actor: User, case: MdtCase, notes: str, agreed_actions: str
) -> MdtCase:
    """Record the discussion and agreed actions; the case leaves the open list. Returns it.

    Raises ReviewsError without agreed actions, and StaleState when the outcome was recorded
    already (another clinician, another tab), naming who and when: theirs is kept, nothing is
    saved over it."""
    agreed_actions = agreed_actions.strip()
    if not agreed_actions:
        raise ReviewsError(
            "Write the agreed actions, or 'no change' if none.", field="agreed_actions"
        )
    now = timezone.now()
    changed = MdtCase.objects.filter(pk=case.pk, status=MdtCase.Status.OPEN).update(
        status=MdtCase.Status.DISCUSSED,
        notes=notes.strip(),
        agreed_actions=agreed_actions,
        discussed_at=now,
        updated_by=actor,
        updated_at=now,
    )
    if not changed:
        recorded = MdtCase.objects.select_related("updated_by").get(pk=case.pk)
        raise StaleState(
            f"The outcome of this case was recorded by {_who(recorded.updated_by, actor)} at "
            f"{_at(recorded.discussed_at)}, before you sent yours. Yours has not been saved."
        )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=case.patient,
        obj=case,
        fields=["status", "notes", "agreed_actions", "discussed_at"],
    )
    case.refresh_from_db()
    return case
