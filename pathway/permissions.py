"""Who may see and change which patients (DESIGN.md section 5). Deny by default.

Every view and API that touches a patient goes through `patient_for` (404 when not visible) or
scopes its queryset with `patients_visible_to`.
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from pathway.models import Membership, Organisation, Patient, User


def practice_ids_for(user) -> set[int]:
    """Practices whose patients a GP or clinician may see.

    GP: the practices they belong to. Clinician: every practice in the PCNs they belong to
    (directly, or through a service hosted by a PCN), plus any practice they belong to directly.
    Kept on the user object, which lives for one request: a page asks several times.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    role, kept = getattr(user, "_practice_ids", (None, None))
    if role != user.role:
        kept = frozenset(_practice_ids(user))
        user._practice_ids = (user.role, kept)
    return set(kept)


def clinicians_caring_for(patient) -> list:
    """The active clinicians who may see the patient, by name: the team an alert goes to when
    no one is responsible for the patient. One query, the reverse of `practice_ids_for`: a
    member of the patient's practice, of its PCN, or of a service that PCN hosts."""
    practice = patient.registered_practice_id
    pcn = Organisation.objects.filter(pk=practice).values("parent_id")
    caring = _caring_membership(practice, pcn, via="memberships__")
    return list(
        User.objects.filter(caring, role=User.Role.CLINICIAN, is_active=True)
        .distinct()
        .order_by("full_name", "id")
    )


def _caring_membership(practice, pcn, *, via: str = "") -> Q:
    """A membership (reached through `via`) that lets its member see the patients of `practice`:
    of the practice, of its PCN (`pcn`, a query of the practice's parent), or of a service that
    PCN hosts. Each alternative is one Q, so its conditions hold for the same membership."""
    return (
        Q(**{f"{via}organisation_id": practice})
        | Q(
            **{
                f"{via}organisation__kind": Organisation.Kind.PCN,
                f"{via}organisation_id__in": pcn,
            }
        )
        | Q(
            **{
                f"{via}organisation__kind": Organisation.Kind.SERVICE,
                f"{via}organisation__parent_id__in": pcn,
            }
        )
    )


def cares_for(user: str, practice: str) -> Exists:
    """Whether the user named by the outer query's field `user` may see patients of the
    practice its field `practice` names (as `clinicians_caring_for` finds them). For a row that
    names its clinician and its patient's practice, such as an alert and who holds it."""
    # Nested in the membership query: its outer query is two levels out.
    pcn = Organisation.objects.filter(pk=OuterRef(OuterRef(practice))).values("parent_id")
    return Exists(
        Membership.objects.filter(user_id=OuterRef(user)).filter(
            _caring_membership(OuterRef(practice), pcn)
        )
    )


def practices_with_a_care_team() -> QuerySet[Organisation]:
    """GP practices whose patients at least one active clinician may see (the reverse of
    `practice_ids_for`): a referral from anywhere else would reach no triage queue."""
    clinicians = Membership.objects.filter(user__role=User.Role.CLINICIAN, user__is_active=True)
    return Organisation.objects.filter(kind=Organisation.Kind.PRACTICE).filter(
        Exists(clinicians.filter(organisation_id=OuterRef("pk")))
        | Exists(
            clinicians.filter(
                organisation__kind=Organisation.Kind.PCN, organisation_id=OuterRef("parent_id")
            )
        )
        | Exists(
            clinicians.filter(
                organisation__kind=Organisation.Kind.SERVICE,
                organisation__parent_id=OuterRef("parent_id"),
            )
        )
    )


def memberships_of(user) -> list:
    """The user's memberships with their organisations, read once per user object (one
    request): practice and team lookups both start from them."""
    kept = getattr(user, "_memberships", None)
    if kept is None:
        kept = list(user.memberships.select_related("organisation"))
        user._memberships = kept
    return kept


def _practice_ids(user) -> set[int]:
    memberships = memberships_of(user)
    practices = {
        m.organisation_id for m in memberships if m.organisation.kind == Organisation.Kind.PRACTICE
    }
    if user.role == User.Role.GP:
        return practices
    if user.role != User.Role.CLINICIAN:
        return set()
    practices |= set(
        Organisation.objects.filter(
            kind=Organisation.Kind.PRACTICE, parent_id__in=pcn_ids_for(user)
        ).values_list("id", flat=True)
    )
    return practices


def pcn_ids_for(user) -> set[int]:
    """The PCNs a user belongs to, directly or through a service a PCN hosts."""
    memberships = memberships_of(user)
    pcns = {m.organisation_id for m in memberships if m.organisation.kind == Organisation.Kind.PCN}
    pcns |= {
        m.organisation.parent_id
        for m in memberships
        if m.organisation.kind == Organisation.Kind.SERVICE and m.organisation.parent_id
    }
    return pcns


def patients_visible_to(user) -> QuerySet[Patient]:
    """The patients `user` may see: their own record for a patient, their practices' or PCNs'
    patients for care staff, every patient for an administrator, none for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    if user.role == User.Role.PATIENT:
        return Patient.objects.live().filter(user=user)
    if user.role in (User.Role.GP, User.Role.CLINICIAN):
        # Sorted, so the same practices always give the same SQL (the worklist keys on it).
        practices = sorted(practice_ids_for(user))
        return Patient.objects.live().filter(registered_practice_id__in=practices)
    if user.role == User.Role.ADMIN and user.is_superuser:
        return Patient.objects.live()
    return Patient.objects.none()


def practices_visible_to(user) -> QuerySet[Organisation]:
    """The practices whose patients `user` may see, by name, for filters and forms: the same
    scope as `patients_visible_to` (every practice for an administrator, none for anyone else
    outside the care team)."""
    practices = Organisation.objects.filter(kind=Organisation.Kind.PRACTICE).order_by("name")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return practices.none()
    if user.role == User.Role.ADMIN and user.is_superuser:
        return practices
    return practices.filter(id__in=practice_ids_for(user))


def patient_for(user, patient_uuid: UUID | str, **annotations) -> Patient:
    """The patient with this public UUID if `user` may see them, with their practice (which
    the staff patient banner shows) and any `annotations` a page needs read in the same query.
    Raises Http404 otherwise, so another person's record is indistinguishable from one that
    does not exist."""
    try:
        return (
            patients_visible_to(user)
            .select_related("registered_practice")
            .annotate(**annotations)
            .get(uuid=patient_uuid)
        )
    except (Patient.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("No such patient") from exc


def own_patient_record(user, **annotations) -> Patient:
    """The signed-in patient's own record, with any `annotations` a page needs read in the same
    query. Raises Http404 for anyone who is not a patient."""
    if not getattr(user, "is_authenticated", False) or user.role != User.Role.PATIENT:
        raise Http404("Not a patient account")
    try:
        return Patient.objects.live().annotate(**annotations).get(user=user)
    except Patient.DoesNotExist as exc:
        raise Http404("No linked patient record") from exc
