"""A draft's rows: goals, self-management, support, responsibilities and acute treatments, as
formsets."""

from __future__ import annotations

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.http import QueryDict
from django.utils import timezone

from careplans import rules
from careplans.forms.fields import DateInput, plain_empty_choice, rating_field
from careplans.models import (
    AcuteTreatment,
    CarePlanVersion,
    Goal,
    Responsibility,
    SelfManagementItem,
    SupportItem,
)
from pathway.forms import TooLongInWords
from pathway.instruments import PSFS_MAX_ACTIVITIES


class GoalForm(TooLongInWords, forms.ModelForm):
    description = forms.CharField(
        label="Goal, in the patient's words",
        max_length=300,
        error_messages={"required": "Enter the goal."},
    )
    baseline = rating_field("Rating at the start")
    target = rating_field("Target rating")
    current = rating_field("Rating now", required=False)

    class Meta:
        model = Goal
        fields = ["description", "baseline", "target", "current"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rated_on = self.instance.current_rated_on
        if self.instance.current is not None and rated_on is not None:
            # Carried from an earlier version: a new rating replaces it.
            self.fields[
                "current"
            ].help_text = (
                f"Rated on {rated_on:%-d %B %Y}. Change it when the patient rates it again."
            )

    def clean(self):
        cleaned = super().clean()
        baseline, target = cleaned.get("baseline"), cleaned.get("target")
        if baseline is not None and target is not None and target < baseline:
            # 10 is doing it as well as before the problem: a goal aims at the start or higher.
            self.add_error(
                "target",
                f"The target rating must be at least the rating at the start ({baseline}). "
                "10 means being able to do it as well as before the problem.",
            )
        return cleaned


class SelfManagementForm(TooLongInWords, forms.ModelForm):
    action = forms.CharField(
        label="What I will do", max_length=300, error_messages={"required": "Enter what to do."}
    )
    support = forms.CharField(label="Help from the team", max_length=300, required=False)

    class Meta:
        model = SelfManagementItem
        fields = ["category", "action", "owner", "support"]
        labels = {"category": "Area", "owner": "Who does it"}
        error_messages = {
            "category": {"required": "Choose an area."},
            "owner": {"required": "Choose who does it."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_empty_choice(self.fields["category"], "Choose an area")
        plain_empty_choice(self.fields["owner"], "Choose who does it")


class SupportForm(TooLongInWords, forms.ModelForm):
    description = forms.CharField(
        label="Support", max_length=300, error_messages={"required": "Describe the support."}
    )
    contact = forms.CharField(label="How to get in touch", max_length=200, required=False)

    class Meta:
        model = SupportItem
        fields = ["kind", "description", "contact"]
        labels = {"kind": "Type of support"}
        error_messages = {"kind": {"required": "Choose the type of support."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_empty_choice(self.fields["kind"], "Choose the type of support")


class ResponsibilityForm(TooLongInWords, forms.ModelForm):
    person = forms.CharField(
        label="Name or role", max_length=120, error_messages={"required": "Enter who does it."}
    )
    action = forms.CharField(
        label="What they will do",
        max_length=300,
        error_messages={"required": "Enter what they will do."},
    )
    due_on = forms.DateField(
        label="By when",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter the date as a real date."},
    )

    class Meta:
        model = Responsibility
        fields = ["owner", "person", "action", "due_on"]
        labels = {"owner": "Who"}
        error_messages = {"owner": {"required": "Choose the patient or the care team."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_empty_choice(self.fields["owner"], "Choose who does it")

    def clean_due_on(self):
        value = self.cleaned_data.get("due_on")
        problem = rules.by_when_problem(
            due_on=value, saved=self.instance.due_on, today=timezone.localdate()
        )
        if problem:
            raise forms.ValidationError(problem)
        return value


class AcuteForm(TooLongInWords, forms.ModelForm):
    medicine = forms.CharField(
        label="Medicine and dose",
        max_length=200,
        error_messages={"required": "Enter the medicine and dose."},
    )

    class Meta:
        model = AcuteTreatment
        fields = ["medication_class", "medicine"]
        labels = {"medication_class": "Type of medicine"}
        error_messages = {"medication_class": {"required": "Choose the type of medicine."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_empty_choice(self.fields["medication_class"], "Choose the type of medicine")

    def clean(self):
        data = super().clean()
        if regular := rules.regular_medicine_named(data.get("medicine") or ""):
            # Its own record is a treatment trial, with a review date; as a medicine for attacks
            # the patient would be given an overuse limit for it.
            self.add_error(
                "medicine",
                f"{regular} is taken regularly, not for attacks or flare-ups: remove this row. "
                "If it is not among the plan's treatments yet, record it with 'Record a "
                "treatment' on the plan's page, which sets when it is reviewed.",
            )
            return data
        named = rules.named_class_mismatch(
            data.get("medicine") or "", data.get("medication_class") or ""
        )
        offered = {value for value, _ in self.fields["medication_class"].choices}
        if named is not None and data.get("medication_class"):
            # The type sets the limit the patient is given.
            self.add_error(
                "medication_class",
                f"{data['medicine']} is one of the {rules.ACUTE_CLASSES[named].lower()}: choose "
                "that type, so the plan gives its limit."
                if named in offered
                else f"{data['medicine']} is one of the {rules.ACUTE_CLASSES[named].lower()}, "
                "for migraine attacks, not for pain flare-ups.",
            )
        return data


class ItemFormSet(BaseInlineFormSet):
    """Rows of a draft. A blank extra row is ignored; a ticked "remove" box deletes the row.

    With `whole_list` (the form says when it was opened, so a save is checked against saves
    since), the form is the whole list: a saved row it does not hold is removed too. Only a
    save made after being told someone else saved the draft meanwhile
    (services.ChangedSinceOpened) can meet one, and that save replaces the draft with what is
    in the form, as the page says."""

    def changes(self, *, whole_list: bool = False):
        from careplans.services import ItemChange

        result = []
        if whole_list:
            shown = {form.instance.pk for form in self.forms if form.instance.pk}
            saved = self.model.objects.filter(version=self.instance).values_list("pk", flat=True)
            result = [ItemChange(pk=pk, delete=True) for pk in saved if pk not in shown]
        for form in self.forms:
            pk = form.instance.pk
            if self.can_delete and self._should_delete_form(form):
                if pk:
                    result.append(ItemChange(pk=pk, delete=True))
                continue
            if not form.has_changed() and pk is None:
                continue
            result.append(ItemChange(pk=pk, data=dict(form.cleaned_data)))
        return result


def _formset(model, form, *, extra=1, max_num=20, what="rows"):
    formset = type(
        f"{model.__name__}FormSetBase",
        (ItemFormSet,),
        {"default_error_messages": {"too_many_forms": f"Add up to %(num)d {what}."}},
    )
    return inlineformset_factory(
        CarePlanVersion,
        model,
        form=form,
        formset=formset,
        extra=extra,
        max_num=max_num,
        # Without this Django builds up to max_num + 1000 rows from the posted TOTAL_FORMS and
        # renders them all back: one request could cost half a minute of CPU.
        absolute_max=max_num,
        validate_max=True,
        can_delete=True,
    )


GoalFormSet = _formset(Goal, GoalForm, max_num=PSFS_MAX_ACTIVITIES, what="goals")
SelfManagementFormSet = _formset(SelfManagementItem, SelfManagementForm)
SupportFormSet = _formset(SupportItem, SupportForm)
ResponsibilityFormSet = _formset(Responsibility, ResponsibilityForm)
AcuteFormSet = _formset(AcuteTreatment, AcuteForm, max_num=len(rules.ACUTE_CLASSES) * 2)

# (relation name, formset class, prefix, heading, one row's name); relation names are those of
# services.ITEM_MODELS.
DRAFT_FORMSETS = [
    ("goals", GoalFormSet, "goals", "Goals", "Goal"),
    ("self_management", SelfManagementFormSet, "selfcare", "Looking after myself", "Item"),
    ("acute_treatments", AcuteFormSet, "acute", "Medicines for attacks", "Medicine"),
    ("support_items", SupportFormSet, "support", "Support and community links", "Support"),
    ("responsibilities", ResponsibilityFormSet, "who", "Who does what", "Responsibility"),
]


def rows_removed_meanwhile_as_new(data, version) -> tuple[QueryDict, int]:
    """The draft form as sent, with each row that names a row of the draft removed since the
    page was opened (by another tab or colleague) turned into a new row after the rows still
    there, so nothing typed is refused as "not one of the available choices": the save then
    meets the other person's (services.ChangedSinceOpened) and shows both. Returns the data and
    how many rows were turned."""
    data = data.copy()
    turned = 0
    for relation, formset_class, prefix, _, _ in DRAFT_FORMSETS:
        try:
            total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), formset_class.absolute_max)
            initial = min(int(data.get(f"{prefix}-INITIAL_FORMS", 0)), total)
        except ValueError:
            continue  # the formset's own check says the form is broken
        present = {str(pk) for pk in getattr(version, relation).values_list("pk", flat=True)}
        rows = [
            {
                key[len(f"{prefix}-{i}-") :]: data.getlist(key)
                for key in list(data)
                if key.startswith(f"{prefix}-{i}-")
            }
            for i in range(total)
        ]
        kept = [row for row in rows[:initial] if (row.get("id") or [""])[0] in present]
        gone = [{**row, "id": [""]} for row in rows[:initial] if row not in kept]
        if not gone:
            continue
        turned += len(gone)
        for i in range(total):
            for key in [key for key in list(data) if key.startswith(f"{prefix}-{i}-")]:
                del data[key]
        for i, row in enumerate([*kept, *gone, *rows[initial:]]):
            for name, values in row.items():
                data.setlist(f"{prefix}-{i}-{name}", values)
        data[f"{prefix}-INITIAL_FORMS"] = str(len(kept))
    return data, turned
