"""What a user typed into a form that someone else had already completed or closed (another
tab, another clinician): shown back to them, never saved, so nothing is lost without a word."""

from django import forms


def _answers(form, heading: str = "") -> list[tuple[str, str]]:
    answers = []
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        values = form.data.getlist(key) if hasattr(form.data, "getlist") else [form.data.get(key)]
        values = [str(value).strip() for value in values if str(value or "").strip()]
        if not values or isinstance(field.widget, forms.HiddenInput):
            continue
        label = f"{heading}: {field.label or name}" if heading else str(field.label or name)
        if isinstance(field, forms.BooleanField):
            answers.append((label, "Yes"))
            continue
        if isinstance(field, forms.DateField):
            values = [_as_written(field, value) for value in values]
        labels = {str(code): label for code, label in getattr(field, "choices", ()) or ()}
        answers.append((label, ", ".join(str(labels.get(value, value)) for value in values)))
    return answers


def _as_written(field: forms.DateField, value: str) -> str:
    """A date as pages write it ("4 January 2027"); as typed when it is not a date."""
    try:
        day = field.to_python(value)
    except forms.ValidationError:
        return value
    return f"{day:%-d %B %Y}" if day else value


def not_saved(form, *, by, at, more=(), done="recorded this") -> dict:
    """What the user entered in `form`, by label (a choice by its words, a ticked box as
    "Yes"), then in each of `more` ((heading, form) pairs, such as a formset's rows), for
    templates/includes/not_saved.html: who got there first (`by`), what they `done`, and when
    (`at`)."""
    answers = _answers(form)
    for heading, other in more:
        answers += _answers(other, heading)
    return {
        "by": getattr(by, "full_name", "") or "Someone",
        "done": done,
        "at": at,
        "answers": answers,
    }
