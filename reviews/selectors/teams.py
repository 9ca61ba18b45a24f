"""Teams and their clinicians, and the worklist's filter choices."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from pathway.models import Organisation, User
from pathway.permissions import memberships_of, pcn_ids_for, practices_visible_to


def team_organisation_ids(user) -> set[int]:
    """Organisations whose group sessions `user` runs: their own memberships, the PCN hosting a
    service they belong to, and the services hosted by a PCN they belong to."""
    if not getattr(user, "is_authenticated", False) or user.role not in ("clinician", "admin"):
        return set()
    if user.role == "admin" and user.is_superuser:
        return set(Organisation.objects.values_list("id", flat=True))
    pcns = pcn_ids_for(user)
    ids = {m.organisation_id for m in memberships_of(user)} | pcns
    ids |= set(
        Organisation.objects.filter(kind="service", parent_id__in=pcns).values_list("id", flat=True)
    )
    return ids


def team_clinicians(user) -> QuerySet[User]:
    """Active clinicians who share a team with `user` (including `user`)."""
    return (
        User.objects.filter(
            role=User.Role.CLINICIAN,
            is_active=True,
            memberships__organisation_id__in=team_organisation_ids(user),
        )
        .distinct()
        .order_by("full_name")
    )


# How long the worklist's filter choices are kept (seconds).
FILTER_CHOICES_SECONDS = 60


def worklist_filter_choices(user) -> tuple[list[User], list[Organisation]]:
    """The worklist's filters: the team's clinicians (`team_clinicians`) and the practices
    `user` may see (`practices_visible_to`), with only the fields the filters show.

    Kept in the cache for a minute under the user's role and memberships, which both lists
    follow from, so their three queries (about 2.5 ms of the page's 13) run once a minute per
    team. A clinician who joins or leaves a team, or a practice that moves, shows in the
    choices within that minute; the worklist's rows are scoped afresh on every view."""
    organisations = sorted({m.organisation_id for m in memberships_of(user)})
    key = "worklist-filters:{}:{}:{}".format(
        user.role, int(user.is_superuser), ",".join(map(str, organisations))
    )
    kept = cache.get(key)
    if kept is None:
        kept = (
            list(team_clinicians(user).only("id", "uuid", "full_name")),
            list(practices_visible_to(user).only("id", "ods_code", "name")),
        )
        cache.set(key, kept, FILTER_CHOICES_SECONDS)
    return kept
