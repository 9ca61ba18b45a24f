"""Paging for the reviews views' lists."""

from django.core.paginator import Paginator

from reviews.selectors import PAGE_SIZE


def page_of(request, rows, per_page: int = PAGE_SIZE):
    """One page of `rows` from ?page=, never an error for a bad or out-of-range number."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
