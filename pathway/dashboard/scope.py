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
