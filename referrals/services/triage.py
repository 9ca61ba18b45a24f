"""Triage decisions, telling the referrer, and closing a referral."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from pathway import services as kernel
from pathway.audit import record_event
from pathway.models import AuditEvent, Episode
from pathway.models.episodes import MilestoneKind
from pathway.notifications import opt_out
from pathway.notifications.outbox import queue_notification
from pathway.signals import referral_episode_ended
from referrals import letters, rules
from referrals.models import Referral
from referrals.services.errors import (
    PriorityReasonNeeded,
    RedFlagsChanged,
    ReferralAlreadyDecided,
    ReferralError,
    ReferralNotMatched,
)

REDIRECT_ELSEWHERE_NEEDS_ADVICE = (
    "Say in the advice to the referrer which service to refer the patient to: 'Other service' "
    "names none."
)


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
    # The red flags and urgency the page showed when the decision was made; None when not
    # known.
    shown_red_flags: tuple[str, ...] | None = None
    shown_urgency: str = ""

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
        if (
            self.decision == rules.REDIRECT
            and self.redirect_to == rules.REDIRECT_ELSEWHERE
            and not self.advice_to_referrer.strip()
        ):
            # "Other service" names none: the advice is where the referrer reads which.
            raise ReferralError(REDIRECT_ELSEWHERE_NEEDS_ADVICE)


def _why_screen_changed(referral: Referral, added: tuple[str, ...]) -> str:
    """Where a change to the referral's red flags or urgency came from, as RedFlagsChanged puts
    it: the latest copy of it that gives the flags `added` (a copy the patient sent, closed by
    the team or their self-referral form sent again, or a GP's or partner's referral refused for
    it); when none were added, the latest such copy or the screen run again with a corrected date
    of birth (Referral.rescreened_at), whichever came last. "" when neither is found."""
    copies = (
        Referral.objects.filter(duplicate_of=referral)
        .filter(Q(source=Referral.Source.SELF) | Q(patient_id=referral.patient_id))
        .select_related("referrer")
        .order_by("-created_at", "-pk")
    )
    if added:
        copy = next((item for item in copies if set(added) & set(item.red_flags)), None)
        way = "from"
    else:
        copy = copies.first()
        way = "with"
        if referral.rescreened_at is not None and (
            copy is None or referral.rescreened_at > copy.created_at
        ):
            # Corrected on the record, or the record's once matched (services.rescreening).
            return "with the patient's date of birth as it stands now"
    if copy is None:
        return ""
    if copy.source == Referral.Source.SELF:
        return f"{way} a copy of it the patient sent"
    return f"{way} a referral for the patient that {copy.referrer.full_name} sent"


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
    # decided since the page was loaded), locked so that no red flag is carried onto it
    # (close_as_duplicate) between this read and the decision.
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("patient", "referrer", "episode")
        .get(pk=referral.pk)
    )
    current = referral.status
    if decision.shown_red_flags is not None and current == rules.SUBMITTED:
        added = rules.red_flags_only_in(referral.red_flags, decision.shown_red_flags)
        if added or decision.shown_urgency != referral.urgency:
            raise RedFlagsChanged(
                rules.red_flags_in_words(added),
                referral.get_urgency_display().lower(),
                reason=_why_screen_changed(referral, added),
            )
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
        "tell_by_team": rules.why_team_tells(
            status=new_status,
            self_referral=referral.referrer_id is None,
            matched=referral.patient is not None,
            channel=outcome_channel(referral),
            has_account=referral.patient is not None and referral.patient.user_id is not None,
            died=referral.patient is not None and referral.patient.date_of_death is not None,
        ),
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
            kernel.discharge_episode(episode=episode, actor=actor, now=now)
            referral_episode_ended.send(Referral, episode=episode, actor=actor, now=now)
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


def outcome_channel(referral: Referral) -> str | None:
    """How the referrer hears that the decision is ready: by email to a referring clinician;
    a self-referrer by the text message or email they chose, or else the other, where the
    patient may be sent it (consent and contact details, `Patient.can_receive`). None when no
    message can go: a self-referral not matched to a patient record, or a patient who may be
    sent neither. The care team then tells them by phone or letter."""
    if referral.referrer_id is not None:
        return "email"
    patient = referral.patient
    if patient is None:
        return None
    # Their choice first; a text message first when they chose phone or letter.
    order = ("email", "sms") if referral.preferred_contact == "email" else ("sms", "email")
    return next((channel for channel in order if patient.can_receive(channel)), None)


def _tell_referrer(referral: Referral) -> None:
    """Queue a message with no clinical detail: only that there is an outcome to read."""
    channel = outcome_channel(referral)
    if channel is None:
        return
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
    queue_notification(
        channel=channel,
        kind="referral_decision",
        template="referrals-self-decision",
        idempotency_key=f"referrals-self-decision:{referral.uuid}:{channel}",
        patient=referral.patient,
        context={
            "link": settings.SITE_URL
            + reverse("referrals:yours", kwargs={"referral_uuid": referral.uuid}),
            "preferences_link": opt_out.url_for(referral.patient),
        },
    )


@transaction.atomic
def record_outcome_told(*, actor, referral: Referral, how: str) -> Referral:
    """Record how the team told a self-referrer a decision only the team could tell them (by
    phone or letter, `how`), which takes the referral off the list of outcomes to tell. Returns
    it.

    Raises ReferralError when `how` is empty, the referral needs no telling by the team, or
    someone has recorded it already.
    """
    how = how.strip()
    if not how:
        raise ReferralError("Say how and when the patient was told, for example 'Phoned 4 Dec'.")
    current = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
    if not current.tell_by_team or current.entered_in_error:
        raise ReferralError(
            "This outcome reaches the patient by message, so there is no telling to record."
        )
    if current.told_at is not None:
        raise ReferralError(
            f"{current.told_by.full_name} recorded telling the patient on "
            f"{timezone.localtime(current.told_at):%-d %B %Y at %H:%M}."
        )
    now = timezone.now()
    Referral.objects.filter(pk=current.pk).update(
        told_at=now, told_by=actor, told_how=how, updated_by=actor, updated_at=now
    )
    current.refresh_from_db()
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=current.patient,
        obj=current,
        fields=["told_at", "told_by", "told_how"],
    )
    return current


@transaction.atomic
def close_referral(*, actor, referral: Referral, patient_died: bool = False) -> Referral:
    """Close a referral: a submitted one is withdrawn, an accepted one ends at discharge.
    Returns it. A withdrawn referral's episode is discharged if the referral had only opened it.
    A submitted referral standing for copies of others (the patient's own self-referral, or
    another referrer's red flags) is not withdrawn by its referrer, unless `patient_died`: the
    patient's death ends every request for their care, the copies' with it.

    Raises ReferralError when the move is not allowed by rules.check_transition.
    """
    # Locked, so a second referral's red flags added meanwhile (keep_refused_referral, which
    # locks it too) are seen by the check below instead of withdrawn unseen.
    current = (
        Referral.objects.select_for_update()
        .filter(pk=referral.pk)
        .values_list("status", flat=True)
        .get()
    )
    try:
        rules.check_transition(current, rules.CLOSED)
    except ValueError as exc:
        raise ReferralError("This referral is already closed or decided against.") from exc
    copies = Referral.objects.filter(duplicate_of=referral)
    guarded = current == rules.SUBMITTED and not patient_died
    if guarded and copies.filter(source=Referral.Source.SELF).exists():
        # Its red flags and the request itself stand for the patient's own self-referral too.
        raise ReferralError(
            "The patient also asked for this care in a self-referral, which the team closed as "
            "a copy of this referral: withdrawing it would withdraw their request too. Ask the "
            "care team instead."
        )
    if guarded and copies.exclude(red_flags=[]).exclude(referrer=actor).exists():
        # Another referrer's red flags were added to it (services.keep_refused_referral).
        raise ReferralError(
            "Another referrer's referral for this patient and condition, sent while this one "
            "was open, added its red flags to it: withdrawing it would withdraw them too. Ask "
            "the care team instead."
        )
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
        kernel.discharge_episode(episode=referral.episode, actor=actor, now=now)
        referral_episode_ended.send(Referral, episode=referral.episode, actor=actor, now=now)
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=referral.patient,
        obj=referral,
        fields=["status", "closed_at"],
    )
    return referral
