"""Small pieces shared by the reviews views."""

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed

from reviews.selectors import PAGE_SIZE


def post_only(request):
    """405 for anything but POST, answered after the object lookup so that another team's
    object still answers 404 first. Returns None for a POST."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def page_of(request, rows, per_page: int = PAGE_SIZE):
    """One page of `rows` from ?page=, never an error for a bad or out-of-range number."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def not_saved(form, *, by, at) -> dict:
    """What the user wrote in `form`'s text boxes, by label, to show when someone else had
    already recorded the same thing (another tab, another clinician): shown, never saved."""
    answers = []
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField):
            text = str(form.data.get(form.add_prefix(name)) or "").strip()
            if text:
                answers.append((field.label, text))
    return {"by": getattr(by, "full_name", "") or "Someone", "at": at, "answers": answers}
