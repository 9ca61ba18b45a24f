"""The page size of the team's lists, and the lookup behind every `*_for(user, uuid)` helper: the
one object the user may see, or Http404."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

PAGE_SIZE = 25


def _get_or_404(queryset: QuerySet, **lookup):
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # ValidationError: a malformed UUID from a query string (?request=garbage).
        raise Http404("Not found") from exc
