"""The MDT list."""

from __future__ import annotations

from django import forms

from reviews.forms.base import ServiceErrorsMixin


class MdtCaseForm(ServiceErrorsMixin, forms.Form):
    question = forms.CharField(
        label="Question for the MDT",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the question for the MDT."},
    )


class MdtDiscussionForm(ServiceErrorsMixin, forms.Form):
    notes = forms.CharField(
        label="Discussion notes", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    agreed_actions = forms.CharField(
        label="Agreed actions",
        help_text="Who does what, by when",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the agreed actions, or 'no change' if none."},
    )
