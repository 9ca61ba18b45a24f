"""Referral reads, scoped through `pathway.permissions` (deny by default)."""

from datetime import timedelta
from uuid import UUID

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from pathway.episode_letters import LETTER_ATTEMPTS
from pathway.models import Milestone, Organisation, Patient, Target, User
from pathway.models.episodes import MilestoneKind
from pathway.nhs_number import format as format_nhs_number
from pathway.permissions import (
    patients_visible_to,
    practice_ids_for,
    practices_with_a_care_team,
)
from referrals import rules
from referrals.models import EmergencyStop, Referral, ReferralLetter


def referrals_visible_to(user) -> QuerySet[Referral]:
    """Referrals `user` may see.

    GP: the referrals they made, and those of patients registered at their practices.
    Clinician: those of patients in their PCNs, and unmatched self-referrals that named one of
    their practices. Superuser administrator: all. Anyone else: none.
    """
    live = Referral.objects.live()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return live.none()
    if user.role == User.Role.ADMIN and user.is_superuser:
        return live
    practices = practice_ids_for(user)
    if user.role == User.Role.GP:
        return live.filter(Q(referrer=user) | Q(patient__registered_practice_id__in=practices))
    if user.role == User.Role.CLINICIAN:
        return live.filter(
            Q(patient__in=patients_visible_to(user))
            | Q(patient__isnull=True, stated_practice_id__in=practices)
        )
    return live.none()


def referral_for(user, referral_uuid: UUID | str) -> Referral:
    """The referral with this public UUID if `user` may see it; Http404 otherwise."""
    try:
        return (
            referrals_visible_to(user)
            .select_related(
                "patient__registered_practice",
                "referrer",
                "decided_by",
                "matched_by",
                "stated_practice",
                "episode",
                "resends__decided_by",
            )
            .prefetch_related("preventives", "assessments", "letters")
            .get(uuid=referral_uuid)
        )
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such referral") from exc


def sent_again_as(user, referral: Referral) -> Referral | None:
    """The referral that sends `referral` again (Referral.resends), if `user` may see it and it
    was not withdrawn before triage."""
    return (
        referrals_visible_to(user)
        .standing()
        .filter(resends=referral)
        .select_related("referrer")
        .first()
    )


def came_back_to(user, *, since) -> QuerySet[Referral]:
    """Referrals `user` sent that the team rejected or redirected since `since`, latest decision
    first, that nothing has followed in the service: not sent again, and no later referral of
    the patient for the condition, other than one withdrawn before triage (the advice is still
    to act on). Patients who have died, or who have moved to a practice `user` does not work
    with (they cannot refer them again), are left out."""
    followed = Referral.objects.standing().filter(
        Q(resends=OuterRef("pk"))
        | Q(
            patient=OuterRef("patient"),
            condition=OuterRef("condition"),
            submitted_at__gt=OuterRef("decided_at"),
        )
    )
    return (
        referrals_visible_to(user)
        .filter(
            referrer=user,
            status__in=rules.RESENDABLE_STATUSES,
            decided_at__gte=since,
            patient__date_of_death__isnull=True,
            patient__registered_practice_id__in=sorted(practice_ids_for(user)),
        )
        .exclude(Exists(followed))
        .select_related("patient")
        .order_by("-decided_at", "-id")
    )


def _letters():
    # Letter bytes are never needed in lists: defer them.
    return Prefetch("letters", queryset=ReferralLetter.objects.defer("pdf").order_by("created_at"))


def _sent_again():
    # The referral that sent each one again, as `sent_again` (a list of none or one).
    return Prefetch(
        "sent_again_as",
        queryset=Referral.objects.standing().only("uuid", "resends", "submitted_at"),
        to_attr="sent_again",
    )


def referrals_for_referrer(user) -> QuerySet[Referral]:
    """'My referrals' for a GP or partner: newest first, with patient, decider and letters."""
    return (
        referrals_visible_to(user)
        .select_related("patient", "decided_by", "referrer")
        .prefetch_related(_letters(), _sent_again())
        .order_by("-submitted_at", "-id")
    )


def own_self_referrals(patient: Patient) -> QuerySet[Referral]:
    """The self-referrals a patient sent that were matched to their record, newest first: what
    they may read of their own referrals (a GP's referral is the GP's to explain)."""
    return (
        Referral.objects.live()
        .filter(patient=patient, source=Referral.Source.SELF)
        .order_by("-submitted_at", "-id")
    )


def own_self_referral(patient: Patient, referral_uuid: UUID | str) -> Referral:
    """One of the patient's own self-referrals; Http404 for any other referral."""
    try:
        return own_self_referrals(patient).get(uuid=referral_uuid)
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such referral") from exc


def referrals_for_patient(patient: Patient) -> QuerySet[Referral]:
    """A patient's referrals for the staff patient page, newest first."""
    return (
        Referral.objects.live()
        .filter(patient=patient)
        .select_related("referrer", "decided_by")
        .prefetch_related(_letters(), _sent_again())
        .order_by("-submitted_at", "-id")
    )


def triage_queue_for(user) -> QuerySet[Referral]:
    """Submitted referrals awaiting triage that a clinician may see: urgent ones and those
    sent with a self-harm answer (`with_risky_answers`) first, then the longest waiting."""
    if getattr(user, "role", None) != User.Role.CLINICIAN:
        return Referral.objects.none()
    risky = Exists(_risky_answer_links().filter(referral_id=OuterRef("pk")))
    urgent_first = Case(
        When(Q(urgency=rules.URGENT) | Q(risky), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        referrals_visible_to(user)
        .filter(status=Referral.Status.SUBMITTED)
        .select_related("patient__registered_practice", "referrer", "stated_practice")
        .order_by(urgent_first, "submitted_at", "id")
    )


# A referral whose screen found no red flag.
NO_RED_FLAGS = Q(red_flags=[])


def outcomes_to_tell_for(user) -> QuerySet[Referral]:
    """The self-referrals a clinician may see that were rejected or redirected with an outcome
    only the team can tell the patient (Referral.tell_by_team) and no one has recorded telling:
    those with red flags first, since the advice may be to seek urgent care, then the oldest
    decision."""
    if getattr(user, "role", None) != User.Role.CLINICIAN:
        return Referral.objects.none()
    no_flags = Case(
        When(NO_RED_FLAGS, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return (
        referrals_visible_to(user)
        .exclude(tell_by_team="")
        .filter(told_at__isnull=True)
        .select_related("patient", "decided_by")
        .alias(no_flags=no_flags)
        .order_by("no_flags", "decided_at", "id")
    )


def _risky_answer_links() -> QuerySet:
    """Links from referrals to the questionnaires sent with them whose answers raised a safety
    alert (PHQ-9 item 9 above 0)."""
    return Referral.assessments.through.objects.filter(assessment__alert=True)


def with_risky_answers(referral_ids) -> set[int]:
    """Those of `referral_ids` sent with a questionnaire whose answers raised a safety alert
    (`_risky_answer_links`). One query."""
    links = _risky_answer_links().filter(referral_id__in=list(referral_ids))
    return set(links.values_list("referral_id", flat=True))


def awaiting_triage_of(patients: QuerySet[Patient]) -> QuerySet[Referral]:
    """Submitted referrals of `patients` waiting for triage. `patients` must already be limited
    to those the caller may see (as `patients_visible_to` limits them)."""
    return Referral.objects.live().filter(status=Referral.Status.SUBMITTED, patient__in=patients)


def target_days(from_milestone: str, to_milestone: str) -> dict[str, int]:
    """{priority: days} of the pathway.Target rows between two milestones (one query)."""
    return dict(
        Target.objects.filter(from_milestone=from_milestone, to_milestone=to_milestone).values_list(
            "priority", "days"
        )
    )


def episode_urgency(episode: str = "pk") -> Subquery:
    """The urgency the red-flag screen gave the referral that opened an episode, as a
    subquery of a query whose `episode` field (its "pk" for an episode query) names the
    episode: what a wait for triage is measured by, there being no priority before triage."""
    return Subquery(
        Referral.objects.filter(episode=OuterRef(episode), entered_in_error=False)
        .order_by("submitted_at", "id")
        .values("urgency")[:1]
    )


def triage_targets() -> dict[str, int]:
    return target_days(MilestoneKind.REFERRAL_RECEIVED, MilestoneKind.TRIAGED)


def contact_targets() -> rules.ContactTargets:
    """The first-contact targets, from triage and from referral (one query)."""
    rows = Target.objects.filter(
        to_milestone=MilestoneKind.FIRST_CONTACT,
        from_milestone__in=(MilestoneKind.TRIAGED, MilestoneKind.REFERRAL_RECEIVED),
    ).values_list("from_milestone", "priority", "days")
    from_triage, from_referral = {}, {}
    for start, priority, days in rows:
        (from_triage if start == MilestoneKind.TRIAGED else from_referral)[priority] = days
    return rules.ContactTargets(from_triage=from_triage, from_referral=from_referral)


def first_contact_due(episode_ids) -> dict[int, rules.FirstContactTarget]:
    """The first-contact target of each of `episode_ids` whose referral was accepted (the one
    that falls due first, rules.first_contact_target), by episode id. Two queries."""
    targets = contact_targets()
    accepted = (
        Referral.objects.live()
        .filter(episode_id__in=list(episode_ids), status=rules.ACCEPTED)
        .only("episode_id", "priority", "submitted_at", "decided_at")
    )
    found = {}
    for referral in accepted:
        target = rules.first_contact_target(
            targets,
            referral.priority,
            received_at=referral.submitted_at,
            triaged_at=referral.decided_at,
        )
        earlier = found.get(referral.episode_id)
        if target is not None and (earlier is None or target.due_at < earlier.due_at):
            found[referral.episode_id] = target
    return found


def _due(started_at: str, days: int | None):
    if days is None:
        return None
    return ExpressionWrapper(
        F(started_at) + Value(timedelta(days=days)), output_field=DateTimeField()
    )


def waiting_list_for(
    user, *, targets: rules.ContactTargets, practice_id: int | None = None, priority: str = ""
) -> QuerySet[Referral]:
    """Accepted referrals whose episode has no first contact yet, for a clinician, with
    `triaged_at` (the episode's triage milestone) and `due_at` (when the priority's first-contact
    target that falls due first ends: from triage, or from the referral's submission) annotated,
    ordered by `due_at` so breaches come first.

    `targets` is contact_targets(); a priority without a target sorts last.
    """
    if getattr(user, "role", None) != User.Role.CLINICIAN:
        return Referral.objects.none()
    triaged = Milestone.objects.filter(episode=OuterRef("episode"), kind=MilestoneKind.TRIAGED)
    contacted = Milestone.objects.filter(
        episode=OuterRef("episode"), kind=MilestoneKind.FIRST_CONTACT
    )
    due_when = []
    for level in rules.PRIORITIES:
        from_triage = _due("triaged_at", rules.target_days_for(targets.from_triage, level))
        from_referral = _due("submitted_at", rules.target_days_for(targets.from_referral, level))
        if from_triage is not None and from_referral is not None:
            # The earlier of the two; without a triage milestone, from submission alone.
            earliest = Least(Coalesce(from_triage, from_referral), from_referral)
        else:
            earliest = from_triage if from_triage is not None else from_referral
        if earliest is not None:
            due_when.append(When(priority=level, then=earliest))
    due_at = (
        Case(*due_when, default=Value(None), output_field=DateTimeField())
        if due_when
        else Value(None, output_field=DateTimeField())
    )
    referrals = (
        referrals_visible_to(user)
        .filter(status=Referral.Status.ACCEPTED, episode__isnull=False)
        .annotate(
            triaged_at=Subquery(triaged.values("occurred_at")[:1]),
            contacted=Exists(contacted),
        )
        .filter(contacted=False)
        .annotate(due_at=due_at)
        .select_related("patient__registered_practice", "episode")
    )
    if practice_id is not None:
        referrals = referrals.filter(patient__registered_practice_id=practice_id)
    if priority:
        referrals = referrals.filter(priority=priority)
    return referrals.order_by(F("due_at").asc(nulls_last=True), "triaged_at", "id")


def first_contact_at(episode_id: int):
    """When the episode's first contact happened (its first such milestone), or None."""
    return (
        Milestone.objects.filter(episode_id=episode_id, kind=MilestoneKind.FIRST_CONTACT)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def self_referral_practices() -> QuerySet[Organisation]:
    """The GP practices a care team covers, for the self-referral form's 'your GP practice'
    question: a referral stating any other would reach no one's triage queue."""
    return practices_with_a_care_team().order_by("name")


def letter_for(user, letter_uuid: UUID | str) -> ReferralLetter:
    """A letter whose referral `user` may see (its referrer, or staff who can see the patient);
    Http404 otherwise."""
    try:
        return ReferralLetter.objects.select_related("referral__patient").get(
            uuid=letter_uuid, referral__in=referrals_visible_to(user)
        )
    except (ReferralLetter.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such letter") from exc


# How far back "My referrals" lists the referrals the red-flag screen stopped.
RECENT_STOP_DAYS = 30


def recent_emergency_stops(user) -> list[EmergencyStop]:
    """The referrals `user` started that the red-flag screen stopped in the last
    RECENT_STOP_DAYS days, newest first (at most 10), so the advice can be found again."""
    since = timezone.now() - timedelta(days=RECENT_STOP_DAYS)
    return list(
        EmergencyStop.objects.filter(created_by=user, entered_in_error=False, created_at__gte=since)
        .select_related("patient")
        .order_by("-created_at")[:10]
    )


def emergency_stop_for(user, stop_uuid: UUID | str) -> EmergencyStop:
    """An emergency stop recorded by `user` themselves; Http404 otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such record")
    try:
        return EmergencyStop.objects.select_related("patient", "created_by").get(
            uuid=stop_uuid, created_by=user, entered_in_error=False
        )
    except (EmergencyStop.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record") from exc


def visible_patient_by_nhs_number(user, nhs_number: str) -> Patient | None:
    """The patient with this (normalised) NHS number if `user` may see them."""
    return (
        patients_visible_to(user)
        .select_related("registered_practice")
        .filter(nhs_number=nhs_number)
        .first()
    )


def open_referrals_of(patient: Patient) -> list[Referral]:
    """The patient's open referrals, oldest first: a second one for the same condition would be
    refused, so the referrer is told at the lookup."""
    return list(Referral.objects.open().filter(patient=patient).order_by("submitted_at"))


def _stated_identity(referral: Referral) -> rules.Identity:
    return rules.Identity(
        given_name=referral.stated_given_name,
        family_name=referral.stated_family_name,
        date_of_birth=referral.stated_date_of_birth,
        nhs_number=referral.stated_nhs_number,
        practice=referral.stated_practice_id,
    )


def _record_identity(patient: Patient) -> rules.Identity:
    return rules.Identity(
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        nhs_number=patient.nhs_number,
        practice=patient.registered_practice_id,
    )


def possible_duplicates(user, referral: Referral) -> list[Referral]:
    """Other referrals `user` may see for the same condition that seem to be from the same
    person as an undecided, unmatched self-referral: the NHS number it gives, or its first
    name, last name and date of birth, on another self-referral or on a matched patient's
    record. Newest first, at most five; empty for any other referral. One query."""
    if referral.source != Referral.Source.SELF or not awaiting_match(referral):
        return []
    same = Q(
        stated_given_name__iexact=referral.stated_given_name,
        stated_family_name__iexact=referral.stated_family_name,
        stated_date_of_birth=referral.stated_date_of_birth,
    ) | Q(
        patient__given_name__iexact=referral.stated_given_name,
        patient__family_name__iexact=referral.stated_family_name,
        patient__date_of_birth=referral.stated_date_of_birth,
    )
    if referral.stated_nhs_number:
        number = referral.stated_nhs_number
        same |= Q(stated_nhs_number=number) | Q(patient__nhs_number=number)
    return list(
        referrals_visible_to(user)
        .filter(same, condition=referral.condition)
        .exclude(pk=referral.pk)
        .select_related("patient")
        .order_by("-submitted_at")[:5]
    )


def open_referral_of(user, patient: Patient, condition: str) -> Referral | None:
    """The patient's open referral for the condition, if `user` may see it (there is at most
    one: referrals_referral_one_open_per_condition)."""
    return (
        referrals_visible_to(user)
        .filter(patient=patient, condition=condition, status__in=rules.OPEN_STATUSES)
        .select_related("patient")
        .first()
    )


def closed_copies_of(referral: Referral) -> list[Referral]:
    """Self-referrals closed as copies of `referral` (services.close_as_duplicate), with who
    closed them, and GP and partner referrals kept as copies of it when refused for it
    (services.keep_refused_referral), with who sent them, while `referral` is still that
    patient's (a match undone leaves a GP's copy with its own patient). They are entered in
    error, so no other list shows them."""
    return list(
        Referral.objects.filter(duplicate_of=referral)
        .filter(Q(source=Referral.Source.SELF) | Q(patient_id=referral.patient_id))
        .select_related("updated_by", "referrer")
        .order_by("submitted_at")
    )


def awaiting_match(referral: Referral) -> bool:
    """Whether `referral` waits for triage with no patient record matched to it yet."""
    return referral.status == Referral.Status.SUBMITTED and referral.patient_id is None


def match_differences(referral: Referral, patient: Patient) -> tuple[str, ...]:
    """The rules.MATCH_FIELDS codes in which `patient`'s record differs from what the
    self-referrer gave; empty when they agree. No query."""
    return rules.identity_differences(_stated_identity(referral), _record_identity(patient))


def match_comparison(referral: Referral, patient: Patient) -> list[dict]:
    """The self-referrer's details and the record's side by side, one row per
    rules.MATCH_FIELDS code: label, both values as text and whether they differ. Loads the two
    practices (the referral's and the record's) if not already loaded."""
    differences = set(match_differences(referral, patient))

    def born(value):
        return date_format(value, "j F Y") if value else ""

    stated = {
        "given_name": referral.stated_given_name,
        "family_name": referral.stated_family_name,
        "date_of_birth": born(referral.stated_date_of_birth),
        "nhs_number": format_nhs_number(referral.stated_nhs_number)
        if referral.stated_nhs_number
        else "",
        "practice": referral.stated_practice.name if referral.stated_practice else "",
    }
    held = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": born(patient.date_of_birth),
        "nhs_number": patient.nhs_number_display,
        "practice": patient.registered_practice.name,
    }
    return [
        {
            "code": code,
            "label": label,
            "stated": stated[code],
            "record": held[code],
            "differs": code in differences,
        }
        for code, label in rules.MATCH_FIELDS.items()
    ]


def nhs_number_is_registered(nhs_number: str) -> bool:
    """Whether any live patient record holds this NHS number (visible or not)."""
    return Patient.objects.filter(nhs_number=nhs_number).exists()


def referrals_without_letter(limit: int = 200) -> list[str]:
    """UUIDs of decided referrals that have no triage-outcome letter yet and that the worker
    has not begun to render pathway.episode_letters.LETTER_ATTEMPTS times, oldest decision
    first (for the catch-up sweep)."""
    return [
        str(value)
        for value in Referral.objects.filter(
            decided_at__isnull=False, letter_attempts__lt=LETTER_ATTEMPTS
        )
        .exclude(letters__kind=ReferralLetter.Kind.TRIAGE_OUTCOME)
        .order_by("decided_at")
        .values_list("uuid", flat=True)[:limit]
    ]
