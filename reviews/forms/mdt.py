"""The MDT list."""

from __future__ import annotations

from django import forms

from pathway.forms import Textarea
from reviews.forms.base import ServiceErrorsMixin

# A question is read out at the meeting; the notes and actions are a record of it.
QUESTION_LIMIT = 1000
NOTES_LIMIT = 4000


class MdtCaseForm(ServiceErrorsMixin, forms.Form):
    question = forms.CharField(
        label="Question for the MDT",
        max_length=QUESTION_LIMIT,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write the question for the MDT.",
            "max_length": f"Keep the question to {QUESTION_LIMIT:,} characters or fewer.",
        },
    )


class MdtDiscussionForm(ServiceErrorsMixin, forms.Form):
    notes = forms.CharField(
        label="Discussion notes",
        required=False,
        max_length=NOTES_LIMIT,
        widget=Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": f"Keep the discussion notes to {NOTES_LIMIT:,} characters or fewer."
        },
    )
    agreed_actions = forms.CharField(
        label="Agreed actions",
        help_text="Who does what, by when",
        max_length=NOTES_LIMIT,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write the agreed actions, or 'no change' if none.",
            "max_length": f"Keep the agreed actions to {NOTES_LIMIT:,} characters or fewer.",
        },
    )
