"""Which organisations a commissioner may report on, and the practices under each."""

from django.db.models import Q, QuerySet

from pathway.models import Organisation


def organisations_for(user) -> QuerySet[Organisation]:
    """The ICBs a commissioner belongs to and every PCN and practice under them."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    if user.role == "admin" and user.is_superuser:
        icbs = Organisation.objects.filter(kind=Organisation.Kind.ICB)
    elif user.role == "commissioner":
        icbs = Organisation.objects.filter(kind=Organisation.Kind.ICB, memberships__user=user)
    else:
        return Organisation.objects.none()
    icb_ids = list(icbs.values_list("id", flat=True))
    return Organisation.objects.filter(
        Q(id__in=icb_ids) | Q(parent_id__in=icb_ids) | Q(parent__parent_id__in=icb_ids),
        kind__in=[Organisation.Kind.ICB, Organisation.Kind.PCN, Organisation.Kind.PRACTICE],
    ).order_by("kind", "name")


def practice_ids_under(org: Organisation) -> list[int]:
    """The GP practices an ICB, PCN or practice covers."""
    return list(
        Organisation.objects.filter(
            Q(id=org.id) | Q(parent_id=org.id) | Q(parent__parent_id=org.id),
            kind=Organisation.Kind.PRACTICE,
        ).values_list("id", flat=True)
    )


def in_scope(practice_ids, via: str = "patient") -> Q:
    """Rows of the live patients registered at `practice_ids`, reached from the filtered model
    through `via` ("" for patients themselves). A patient record entered in error (a duplicate
    made under a mistyped NHS number, say) counts in no figure, as it shows on no care team's
    page (`Patient.objects.live()`)."""
    prefix = f"{via}__" if via else ""
    return Q(
        **{
            f"{prefix}registered_practice_id__in": practice_ids,
            f"{prefix}entered_in_error": False,
        }
    )
