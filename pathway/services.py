"""Kernel writes. Each runs in one transaction and leaves its audit row."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.utils import timezone

from pathway import signals
from pathway.audit import record_event, who_saved
from pathway.models import Assessment, AuditEvent, Episode, Milestone, Patient, User
from pathway.models.episodes import ONCE_ONLY_MILESTONES, MilestoneKind
from pathway.notifications import outbox


class PortalInviteError(Exception):
    """The patient cannot be invited to the portal; the message says why and what to do."""


class InviteAddressChanged(PortalInviteError):
    """The invitation would go to another address than the one the user was shown: `address`
    is where it would go now."""

    def __init__(self, address: str):
        super().__init__(f"The invitation would now go to {address}.")
        self.address = address


@transaction.atomic
def create_patient(*, actor, data: dict) -> Patient:
    """Create a patient from validated form data and return it."""
    patient = Patient(**data, created_by=actor, updated_by=actor)
    if patient.sms_consent or patient.email_consent:
        patient.consent_recorded_at = timezone.now()
    patient.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=patient,
        fields=data.keys(),
    )
    return patient


class ChangedSinceOpened(Exception):
    """The record was saved after the form was opened: saving would overwrite that change.
    `changed_by` and `changed_at` say who and when, for the message."""

    def __init__(self, *, changed_by: str, changed_at: datetime):
        self.changed_by = changed_by
        self.changed_at = changed_at
        local = timezone.localtime(changed_at)
        when = f"{local:%-I:%M}{local:%p}".lower() + f" on {local:%-d %B %Y}"
        super().__init__(
            f"This patient's record was changed by {changed_by} at {when}, after you opened "
            "this page."
        )


@transaction.atomic
def update_contact_preferences(*, actor, patient: Patient, data: dict) -> Patient:
    """Save a patient's contact details and consent; consent changes are dated. Opting back in
    clears an earlier opt-out; while opted out, unticked boxes keep the consent given before
    (see `_keep_consent_while_opted_out`)."""
    ticked = data.get("sms_consent", patient.sms_consent) or data.get(
        "email_consent", patient.email_consent
    )
    data = _keep_consent_while_opted_out(patient, data, ticked=ticked)
    changed = _contact_changes(patient, data, ticked=ticked)
    _save_contact_details(actor=actor, patient=patient, data=data, changed=changed)
    return patient


@transaction.atomic
def change_contact_details(*, actor, patient: Patient, data: dict, based_on: datetime) -> list[str]:
    """Record contact details and consent the patient gave the care team, as
    `update_contact_preferences` saves them (consent changes dated, a ticked channel ends an
    opt-out), and return the names of the fields changed. Nothing changed saves nothing and
    writes no audit row. The portal account's sign-in email is not touched.

    `data` holds mobile, email, sms_consent and email_consent. For a patient who opted out,
    unticked consent is not a change: the consent given before the opt-out stays.

    `based_on` is the record's updated_at when the form was opened: a record saved since (by
    the patient on their own page, a colleague, an invitation) is not overwritten: nothing is
    saved and ChangedSinceOpened is raised."""
    # Returns the changed names rather than the patient (which the caller holds): the page
    # names what changed, and only the locked copy below knows.
    current = _lock_as_opened(patient, actor=actor, based_on=based_on)
    ticked = data["sms_consent"] or data["email_consent"]
    data = _keep_consent_while_opted_out(current, data, ticked=ticked)
    changed = _contact_changes(current, data, ticked=ticked)
    if changed:
        _save_contact_details(actor=actor, patient=current, data=data, changed=changed)
    return changed


def lock_patient(patient_id: int) -> None:
    """Lock the patient's row for the caller's transaction, to serialise changes to their care
    (PostgreSQL). Taken before the other rows such a change locks (an episode, a clinician), so
    two changes never wait for each other. Every lock on a patient is FOR NO KEY UPDATE: rows
    written meanwhile that point at the patient (audit rows, appointments) do not wait for it,
    so holding it while waiting for another row cannot deadlock with them."""
    Patient.objects.select_for_update(no_key=True).filter(pk=patient_id).first()


def _lock_as_opened(patient: Patient, *, actor, based_on: datetime) -> Patient:
    """The patient's record, locked for the caller's transaction, as long as it is still the
    revision the form was opened on (`based_on`); ChangedSinceOpened, saying who saved it and
    when, if it was saved since."""
    current = (
        Patient.objects.select_for_update(of=("self",), no_key=True)
        .select_related("updated_by")
        .get(pk=patient.pk)
    )
    if current.updated_at != based_on:
        name = who_saved(current.updated_by, actor, patient_user_id=current.user_id)
        raise ChangedSinceOpened(changed_by=name, changed_at=current.updated_at)
    return current


def _keep_consent_while_opted_out(patient: Patient, data: dict, *, ticked: bool) -> dict:
    """The boxes show unticked while the patient is opted out: saved unticked, they mean "still
    opted out", not a withdrawal of the consent given before, which is kept (and not re-dated)
    for as long as its number or address is."""
    if patient.opted_out_at is None or ticked:
        return data
    mobile = data.get("mobile", patient.mobile)
    email = data.get("email", patient.email)
    return {
        **data,
        "sms_consent": patient.sms_consent and bool(mobile),
        "email_consent": patient.email_consent and bool(email),
    }


def _contact_changes(patient: Patient, data: dict, *, ticked: bool) -> list[str]:
    """The names of the fields `data` changes on `patient`, with "opted_out_at" when a channel
    is `ticked` for a patient who had opted out of all messages (which opts them back in)."""
    changed = [name for name, value in data.items() if getattr(patient, name) != value]
    if patient.opted_out_at is not None and ticked:
        changed.append("opted_out_at")
    return changed


def _save_contact_details(*, actor, patient: Patient, data: dict, changed: list[str]) -> None:
    """Write `data` and its audit row (the `changed` names). Runs in the caller's transaction."""
    for name, value in data.items():
        setattr(patient, name, value)
    if {"sms_consent", "email_consent"} & set(changed):
        patient.consent_recorded_at = timezone.now()
    if "opted_out_at" in changed:
        # Opting out keeps the ticks; saving the form with a channel ticked opts back in.
        patient.opted_out_at = None
        patient.consent_recorded_at = timezone.now()
    patient.updated_by = actor
    patient.save()
    record_event(
        actor=actor, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient, fields=changed
    )


# What the care team may correct on a patient's record (correct_patient_details). The NHS number
# and the registered practice decide who may see the record, so only an administrator changes
# them.
CORRECTABLE_DETAILS = ("given_name", "family_name", "date_of_birth", "sex")


@dataclass(frozen=True)
class DetailsCorrected:
    """What correct_patient_details changed: field names, and what other apps did about it."""

    changed: list[str]
    notes: list[str]


@transaction.atomic
def correct_patient_details(
    *, actor, patient: Patient, data: dict, based_on: datetime
) -> DetailsCorrected:
    """Correct a patient's name, date of birth or sex (`data`, keyed by CORRECTABLE_DETAILS)
    and audit the names of the fields changed. Nothing changed saves nothing, sends nothing and
    writes no audit row. Apps hear of the correction (signals.patient_details_corrected) in the
    same transaction, and what they say they did comes back as `notes`.

    `based_on` is the record's updated_at when the form was opened: a record saved since is not
    overwritten: nothing is saved and ChangedSinceOpened is raised."""
    current = _lock_as_opened(patient, actor=actor, based_on=based_on)
    changed = [name for name in CORRECTABLE_DETAILS if getattr(current, name) != data[name]]
    if not changed:
        return DetailsCorrected(changed=[], notes=[])
    for name in changed:
        setattr(current, name, data[name])
    current.updated_by = actor
    current.save()
    record_event(
        actor=actor, action=AuditEvent.Action.UPDATE, patient=current, obj=current, fields=changed
    )
    replies = signals.patient_details_corrected.send(
        sender=Patient, patient=current, changed=changed, actor=actor
    )
    return DetailsCorrected(changed=changed, notes=[note for _, notes in replies for note in notes])


@transaction.atomic
def opt_out_of_messages(*, actor, patient: Patient) -> Patient:
    """Stop every message to this patient, whatever channel consent they gave. The daily diary
    reminder is turned off too: the page shows it off, and opting back in does not bring it back
    unasked. `actor` is None when the patient used the link in a message without signing in:
    the record keeps who last changed it, and the audit row has no actor."""
    changed = ["opted_out_at", "diary_nudge"] if patient.diary_nudge else ["opted_out_at"]
    patient.opted_out_at = timezone.now()
    patient.diary_nudge = False
    _save_by(patient, actor, changed)
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=patient,
        obj=patient,
        fields=changed,
    )
    return patient


@transaction.atomic
def stop_diary_reminders(*, actor, patient: Patient) -> Patient:
    """Turn off the opt-in evening diary reminder alone (the "stop these reminders" link in
    it); `actor` as for `opt_out_of_messages`."""
    if patient.diary_nudge:
        patient.diary_nudge = False
        _save_by(patient, actor, ["diary_nudge"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=patient,
            obj=patient,
            fields=["diary_nudge"],
        )
    return patient


def _save_by(patient: Patient, actor, changed: list[str]) -> None:
    if actor is None:
        patient.save(update_fields=[*changed, "updated_at"])
    else:
        patient.updated_by = actor
        patient.save(update_fields=[*changed, "updated_by", "updated_at"])


def death_date_problem(patient: Patient, day: date | None, *, today: date) -> str:
    """What is wrong with `day` as the patient's date of death, in words for the form, or ""."""
    if day is None:
        return "Enter the date the patient died."
    if day > today:
        return "The date the patient died cannot be in the future."
    if day < patient.date_of_birth:
        born = f"{patient.date_of_birth:%-d %B %Y}"
        return f"The date the patient died cannot be before their date of birth, {born}."
    if (seen := last_seen_alive(patient)) is not None and day < seen[0]:
        return (
            f"The patient {seen[1]} on {seen[0]:%-d %B %Y}, so the date they died cannot be "
            "before that. Check the date, and that this is the right patient."
        )
    return ""


def last_seen_alive(patient: Patient) -> tuple[date, str] | None:
    """The latest day the record shows the patient alive, and how ("was referred", "was seen
    by the care team", "answered a questionnaire", "used the patient portal"), or None: their
    latest referral received, first contact or review held, questionnaire answered (by them in
    the portal or recorded by staff), and the latest thing they did in the portal themselves."""
    signs = [
        (
            Episode.objects.filter(patient=patient).exclude(status=Episode.Status.ENTERED_IN_ERROR),
            "opened_at",
            "was referred",
        ),
        (
            Milestone.objects.filter(
                episode__patient=patient,
                kind__in=[MilestoneKind.FIRST_CONTACT, MilestoneKind.REVIEW_HELD],
                occurred_at__lte=timezone.now(),
            ).exclude(episode__status=Episode.Status.ENTERED_IN_ERROR),
            "occurred_at",
            "was seen by the care team",
        ),
        (
            Assessment.objects.filter(patient=patient, entered_in_error=False),
            "completed_at",
            "answered a questionnaire",
        ),
    ]
    if patient.user_id is not None:
        signs.append(
            (
                AuditEvent.objects.filter(patient=patient, actor_id=patient.user_id),
                "at",
                "used the patient portal",
            )
        )
    seen = []
    for rows, field, how in signs:
        moment = rows.order_by(f"-{field}").values_list(field, flat=True).first()
        if moment is not None:
            seen.append((timezone.localtime(moment).date(), how))
    return max(seen, default=None)


@transaction.atomic
def record_death(*, actor, patient: Patient, date_of_death: date) -> Patient:
    """Record that the patient died on `date_of_death`, and return them. From then on nothing
    is sent to them: every message still queued is withdrawn, and `Patient.can_receive` refuses
    the rest. The daily diary reminder is turned off, and their portal account is closed, which
    signs it out everywhere. The caller ends their care (reviews: discharge because the patient
    has died). Recording the same date again changes nothing.

    Raises ValueError for a date `death_date_problem` refuses, or one different from the date
    recorded already."""
    patient = Patient.objects.select_for_update(of=("self",), no_key=True).get(pk=patient.pk)
    if problem := death_date_problem(patient, date_of_death, today=timezone.localdate()):
        raise ValueError(problem)
    if patient.date_of_death is not None:
        if patient.date_of_death != date_of_death:
            raise ValueError(
                f"This patient's death is recorded already, on {patient.date_of_death:%-d %B %Y}."
            )
        return patient
    changed = ["date_of_death", "diary_nudge"] if patient.diary_nudge else ["date_of_death"]
    patient.date_of_death = date_of_death
    patient.diary_nudge = False
    patient.updated_by = actor
    patient.save(update_fields=[*changed, "updated_by", "updated_at"])
    record_event(
        actor=actor, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient, fields=changed
    )
    outbox.withdraw_queued_for_patient(patient=patient, reason=outbox.DIED)
    account = patient.user
    if account is not None and account.is_active:
        account.is_active = False
        account.save(update_fields=["is_active"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=patient,
            obj=account,
            fields=["is_active"],
        )
    return patient


def discharge_episode(*, episode: Episode, actor, now) -> Episode:
    """End the episode as discharged at `now`: its status, closing time and `discharged`
    milestone. A next review due after `now` is dropped: set ahead by a review, it would read as
    a review still to come. Runs in the caller's transaction; the caller writes the audit row for
    the change that discharged it (a referral withdrawn or rejected, a discharge by the team)."""
    episode.status = Episode.Status.DISCHARGED
    episode.closed_at = now
    episode.updated_by = actor
    episode.save(update_fields=["status", "closed_at", "updated_by", "updated_at"])
    episode.milestones.filter(kind=MilestoneKind.ANNUAL_REVIEW_DUE, occurred_at__gt=now).delete()
    record_milestone(episode=episode, kind=MilestoneKind.DISCHARGED, occurred_at=now, actor=actor)
    return episode


def record_milestone(*, episode: Episode, kind: str, occurred_at=None, actor=None) -> Milestone:
    """Add a milestone to an episode and return it. Once-only kinds (ONCE_ONLY_MILESTONES) are
    not duplicated: the existing row is returned. Runs in the caller's transaction."""
    defaults = {"occurred_at": occurred_at or timezone.now(), "recorded_by": actor}
    if kind in ONCE_ONLY_MILESTONES:
        milestone, _ = Milestone.objects.get_or_create(
            episode=episode, kind=kind, defaults=defaults
        )
        return milestone
    return Milestone.objects.create(episode=episode, kind=kind, **defaults)


@transaction.atomic
def invite_to_portal(*, actor, patient: Patient, shown_email: str | None = None) -> User:
    """Give the patient an account on the patient portal and email them a link to choose its
    password (Django's one-use password reset link), sent once the account is saved. They sign
    in with the email address on their record. Returns the account.

    An account that has never been signed in to is sent the link again (the first email may
    not have arrived, or its link expired): no second account is made.

    `shown_email` is the address the user was shown beside the button: if the invitation would
    now go elsewhere (the record was changed after the page was opened), nothing is sent and
    InviteAddressChanged is raised. None skips the check (a caller with no page).

    Raises PortalInviteError when the patient has died, has signed in to their account
    already, has no email address, or their email address is another account's."""
    patient = (
        Patient.objects.select_for_update(of=("self",), no_key=True)
        .select_related("user")
        .get(pk=patient.pk)
    )
    # Where it would go: the account's address once there is one (the link is sent again).
    address = patient.user.email if patient.user_id else patient.email
    if shown_email is not None and address and _email_key(shown_email) != _email_key(address):
        raise InviteAddressChanged(address)
    if patient.has_died:
        raise PortalInviteError(f"{patient.full_name}'s record says they have died.")
    if patient.user_id is not None:
        if patient.user.last_login is not None:
            raise PortalInviteError(
                f"{patient.full_name} already has a portal account and has signed in to it. "
                "If they have forgotten the password, they can reset it from the sign-in page."
            )
        email = patient.user.email
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=patient,
            obj=patient,
            fields=["portal_invitation"],
        )
        transaction.on_commit(lambda: send_portal_invitation(email))
        return patient.user
    if not patient.email:
        raise PortalInviteError(
            "Add the patient's email address first: the invitation goes there, and they sign "
            "in with it."
        )
    email = _email_key(patient.email)
    if User.objects.filter(email__iexact=email).exists():
        raise PortalInviteError(
            "Another account already uses this email address. Check it with the patient."
        )
    # A password no one knows, so that the invitation (a password reset link) can set theirs.
    user = User.objects.create_user(
        email=email,
        password=secrets.token_urlsafe(32),
        full_name=patient.full_name,
        role=User.Role.PATIENT,
    )
    patient.user = user
    patient.updated_by = actor
    patient.save(update_fields=["user", "updated_by", "updated_at"])
    record_event(
        actor=actor, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient, fields=["user"]
    )
    transaction.on_commit(lambda: send_portal_invitation(email))
    return user


def send_portal_invitation(email: str) -> None:
    """Email the account with this address a link to choose its password."""
    site = urlsplit(settings.SITE_URL)
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            subject_template_name="registration/portal_invite_subject.txt",
            email_template_name="registration/portal_invite_email.txt",
            extra_email_context={"site_name": settings.SERVICE_NAME},
        )


def _email_key(address: str) -> str:
    # Accounts keep addresses in lower case: the same mailbox typed another way matches.
    return address.strip().lower()
