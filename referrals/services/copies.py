"""A second referral for what a referral already asks, kept as a copy of it (entered in error,
pointing at it) so that nothing it gives is lost: what the team holds already, and the red
flags a copy carries over, onto the referral while it waits for triage or to the clinicians
caring for the patient after that.

Used by services.close_as_duplicate and services.keep_refused_referral (a second referral the
team or the service refused), and by services.submit_self_referral (the self-referral form sent
again with its one-time token)."""

from dataclasses import dataclass

from django.db.models import Q

from pathway.audit import record_event
from pathway.models import AuditEvent
from pathway.signals import red_flags_for_patient_in_care
from referrals import rules
from referrals.models import Referral


@dataclass(frozen=True)
class Held:
    """What the team has already for a referral: its red flags with those of its earlier copies
    (carried onto it, or sent to the clinicians caring for the patient), the ages they were
    screened at, and the urgency they give together."""

    red_flags: tuple[str, ...]
    ages: frozenset[int]
    urgency: str

    def adding(self, red_flags, age: int) -> tuple[tuple[str, ...], str]:
        """The codes of `red_flags` (screened at `age`) not held yet, and the urgency all of
        them give together (never below what is held: rules.urgency_with_flags_added)."""
        missing = rules.red_flags_only_in(red_flags, self.red_flags)
        together = rules.urgency_with_flags_added(
            self.urgency, [*self.red_flags, *red_flags], self.ages | {age}
        )
        return missing, together


def held_for(original: Referral, patient) -> Held:
    """What the team holds for `original`: its own red flags and those of its earlier copies,
    the patient's own self-referrals closed or kept as copies and referrals for `patient` kept
    as copies (one for another patient is left from a match undone)."""
    earlier = list(
        original.duplicates.filter(Q(source=Referral.Source.SELF) | Q(patient=patient)).values_list(
            "red_flags", "age_at_referral"
        )
    )
    red_flags = (*original.red_flags, *(code for codes, _ in earlier for code in codes))
    ages = frozenset({original.age_at_referral, *(copy_age for _, copy_age in earlier)})
    return Held(
        red_flags=red_flags,
        ages=ages,
        urgency=rules.urgency_with_flags_added(original.urgency, red_flags, ages),
    )


def carry_red_flags(
    *, actor, copy: Referral, original: Referral, red_flags: tuple, urgency: str
) -> None:
    """The red flags only `copy` gives, and the urgency the two give together, carried to
    `original`: while it waits for triage it takes them (its urgency can only rise), with its
    audit row; after that they reach a clinician caring for the patient as a safety alert
    (pathway.signals.red_flags_for_patient_in_care). `actor` is None when the patient sent the
    copy (the self-referral form sent again)."""
    if original.status != rules.SUBMITTED:
        red_flags_for_patient_in_care.send(
            Referral, copy=copy, original=original, red_flags=red_flags, actor=actor
        )
        return
    fields = []
    if red_flags:
        original.red_flags = list(rules.validated_red_flags([*original.red_flags, *red_flags]))
        fields.append("red_flags")
    if urgency != original.urgency:
        original.urgency = urgency
        fields.append("urgency")
    original.updated_by = actor
    original.save(update_fields=[*fields, "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=original.patient,
        obj=original,
        fields=fields,
    )
