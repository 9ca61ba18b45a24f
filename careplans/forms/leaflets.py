"""Leaflets: attaching one to a plan, and the admin's leaflet editor."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careplans import rules
from careplans.leaflet_files import split_sources
from careplans.models import Leaflet
from careplans.safe_markdown import is_allowed_href, problems
from pathway.forms import Textarea


class AttachLeafletForm(forms.Form):
    leaflet = forms.ChoiceField(
        label="Leaflet",
        error_messages={
            "required": "Choose a leaflet to add.",
            "invalid_choice": "Choose a leaflet from the list.",
        },
    )
    notify = forms.BooleanField(
        label="Tell the patient by text or email that there is something new to read",
        required=False,
    )

    def __init__(self, *args, leaflets, agreed: bool = True, **kwargs):
        """`leaflets`: (slug, title) pairs to choose from. `agreed`: whether the plan has an
        agreed version; until it has, the patient sees none of it, so nobody is told."""
        super().__init__(*args, **kwargs)
        self.fields["leaflet"].choices = [("", "Choose a leaflet"), *leaflets]
        if not agreed:
            del self.fields["notify"]
            self.fields["leaflet"].help_text = "The patient can read it once the plan is agreed."


class LeafletAdminForm(forms.ModelForm):
    """The admin's leaflet editor: Markdown subset only, known medicines, https sources."""

    class Meta:
        model = Leaflet
        fields = [
            "slug",
            "title",
            "summary",
            "condition",
            "medicines",
            "body_markdown",
            "sources",
            "review_on",
            "is_published",
        ]
        # Line breaks as one character (browsers send two): text saved again unchanged is
        # unchanged, and does not become a new version of the leaflet.
        widgets = {
            "body_markdown": Textarea(attrs={"rows": 30}),
            "sources": Textarea(attrs={"rows": 6}),
        }

    def clean(self):
        data = super().clean()
        day = data.get("review_on")
        if day is not None and day < timezone.localdate() and data.get("is_published"):
            # Patients are shown "Due for review by" it: a date gone by reads as out of date.
            self.add_error(
                "review_on",
                "A published leaflet's review date must be today or later: review it, then set "
                "the next date.",
            )
        return data

    def clean_body_markdown(self):
        text = self.cleaned_data.get("body_markdown", "")
        found = problems(text)
        if found:
            raise forms.ValidationError(found)
        return text

    def clean_medicines(self):
        text = " ".join(self.cleaned_data.get("medicines", "").split())
        unknown = rules.unknown_medicine_tokens(text)
        if unknown:
            raise forms.ValidationError(
                f"Use medicine codes or classes from the list: {', '.join(unknown)} is not one."
            )
        return text

    def clean_sources(self):
        text = self.cleaned_data.get("sources", "")
        pairs = split_sources(text)
        if not pairs:
            raise forms.ValidationError(
                "List at least one source: a title, then | and the address."
            )
        for title, address in pairs:
            if address and not (address.startswith("https://") and is_allowed_href(address)):
                raise forms.ValidationError(f"The address for “{title}” must start with https://.")
        return text
