"""What a reviews view answers when it does not take a request: a method other than POST, or
something someone else had already recorded (shown back, never saved)."""

from django import forms
from django.http import HttpResponseNotAllowed


def post_only(request):
    """405 for anything but POST, answered after the object lookup so that another team's
    object still answers 404 first. Returns None for a POST."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def not_saved(form, *, by, at) -> dict:
    """What the user entered in `form`, by label (a choice by its words, a ticked box as
    "Yes"), to show when someone else had already recorded the same thing (another tab,
    another clinician): shown, never saved, so nothing chosen, such as a same-day risk
    assessment, is lost without a word."""
    answers = []
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        values = form.data.getlist(key) if hasattr(form.data, "getlist") else [form.data.get(key)]
        values = [str(value).strip() for value in values if str(value or "").strip()]
        if not values:
            continue
        if isinstance(field, forms.BooleanField):
            answers.append((field.label or name, "Yes"))
            continue
        labels = {str(code): label for code, label in getattr(field, "choices", ()) or ()}
        words = ", ".join(str(labels.get(value, value)) for value in values)
        answers.append((field.label or name, words))
    return {"by": getattr(by, "full_name", "") or "Someone", "at": at, "answers": answers}
