"""Care-plan forms. Messages follow the NHS.UK style: say what to do, not what went wrong."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from careplans import rules
from careplans.leaflet_files import split_sources
from careplans.models import (
    AcuteTreatment,
    CarePlanVersion,
    Goal,
    Leaflet,
    MedicationReduction,
    Responsibility,
    SelfManagementItem,
    SupportItem,
    TreatmentTrial,
)
from careplans.safe_markdown import is_allowed_href, problems
from pathway.forms import BasedOnField, revision_token
from pathway.instruments import PSFS_MAX_ACTIVITIES
from pathway.models import Episode

TEXT_LIMIT = 2000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def rating_field(label: str, *, required: bool = True) -> forms.IntegerField:
    message = f"Enter {label.lower()} as a whole number from 0 to 10."
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=10,
        required=required,
        error_messages={
            "required": f"Enter {label.lower()} from 0 to 10.",
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-2"}),
    )


def days_field(label: str, *, help_text: str = "") -> forms.DecimalField:
    message = f"Enter {label.lower()} as a number from 0 to {rules.MAX_DAYS_PER_MONTH}."
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=rules.MAX_DAYS_PER_MONTH,
        max_digits=4,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "max_digits": message,
            "max_decimal_places": f"Enter {label.lower()} with up to 2 decimal places.",
        },
    )


def mme_field() -> forms.DecimalField:
    message = "Enter the oral morphine equivalent as a number of mg a day, 0 or more."
    return forms.DecimalField(
        label="Oral morphine equivalent, mg a day",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=1,
        help_text="Opioids only. Used to show the dose going down over time.",
        error_messages={"invalid": message, "min_value": message, "max_digits": message},
    )


def no_future_date(value, message="The date must be today or in the past."):
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)
    return value


class BasedOnMixin:
    """Optimistic concurrency for forms that change a saved row: the form carries the row's
    revision token, and the service refuses a save based on an older copy.

    A missing token means "do not check" (a form opened before the token existed); the pages
    always send one."""

    def set_based_on(self, updated_at: datetime) -> None:
        """Carry the row's current revision from now on, keeping everything else the user typed
        (used after a refused save, so saving again is a deliberate choice)."""
        token = revision_token(updated_at)
        self.fields["based_on"].initial = token
        if self.is_bound:
            data = self.data.copy()
            data[self.add_prefix("based_on")] = token
            self.data = data


class StartPlanForm(forms.Form):
    episode = forms.ModelChoiceField(
        queryset=Episode.objects.none(),
        label="Which part of their care is this plan for?",
        empty_label=None,
        error_messages={"required": "Choose the episode this plan is for."},
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
        self.fields["episode"].label_from_instance = lambda e: (
            f"{e.get_condition_display()} (opened {timezone.localtime(e.opened_at):%-d %B %Y})"
        )


class VersionForm(BasedOnMixin, forms.ModelForm):
    based_on = BasedOnField(required=False)
    what_matters = forms.CharField(
        label="What matters to me",
        help_text="In the patient's own words.",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    acute_plan = forms.CharField(
        label="Plan for headache or pain attacks",
        help_text="What to take and do when an attack starts. The limits for each medicine are "
        "added from the list below.",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    wellbeing_notes = forms.CharField(
        label="Mental health and wellbeing",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_review_on = forms.DateField(
        label="Next review date",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter the next review date as a real date."},
    )
    change_summary = forms.CharField(
        label="Why this version changed",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = CarePlanVersion
        fields = [
            "what_matters",
            "acute_plan",
            "wellbeing_notes",
            "next_review_on",
            "change_summary",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["based_on"].initial = revision_token(self.instance.updated_at)

    def clean_next_review_on(self):
        value = self.cleaned_data.get("next_review_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError("The next review date must be today or later.")
        return value


class GoalForm(forms.ModelForm):
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


class SelfManagementForm(forms.ModelForm):
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


class SupportForm(forms.ModelForm):
    description = forms.CharField(
        label="Support", max_length=300, error_messages={"required": "Describe the support."}
    )
    contact = forms.CharField(label="How to get in touch", max_length=200, required=False)

    class Meta:
        model = SupportItem
        fields = ["kind", "description", "contact"]
        labels = {"kind": "Type of support"}
        error_messages = {"kind": {"required": "Choose the type of support."}}


class ResponsibilityForm(forms.ModelForm):
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


class AcuteForm(forms.ModelForm):
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


class ItemFormSet(BaseInlineFormSet):
    """Rows of a draft. A blank extra row is ignored; a ticked "remove" box deletes the row."""

    def changes(self):
        from careplans.services import ItemChange

        result = []
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


class AgreeForm(BasedOnMixin, forms.Form):
    based_on = BasedOnField(required=False)
    confirm = forms.BooleanField(
        label="I have agreed this plan with the patient",
        error_messages={"required": "Confirm that you agreed this plan with the patient."},
    )

    def __init__(self, *args, version: CarePlanVersion | None = None, **kwargs):
        """`version`: the draft shown for agreement, whose revision the form carries."""
        super().__init__(*args, **kwargs)
        if version is not None:
            self.fields["based_on"].initial = revision_token(version.updated_at)


class TrialForm(forms.Form):
    medicine_code = forms.ChoiceField(
        label="Medicine",
        choices=[("", "Choose a medicine")] + [(m.code, m.name) for m in rules.MEDICINES.values()],
        help_text="Choose from the list where you can: the NICE checks only work on listed "
        "medicines.",
        error_messages={"required": "Choose the medicine."},
    )
    medicine_name = forms.CharField(
        label="Name of the medicine, if other", max_length=120, required=False
    )
    role = forms.ChoiceField(
        label="What is it for?",
        choices=TreatmentTrial.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the medicine is for."},
    )
    dose = forms.CharField(
        label="Dose",
        max_length=200,
        help_text="For example: 10 mg at night, rising by 10 mg every 2 weeks",
        error_messages={"required": "Enter the dose."},
    )
    started_on = forms.DateField(
        label="Start date",
        widget=DateInput(),
        error_messages={
            "required": "Enter the start date.",
            "invalid": "Enter the start date as a real date.",
        },
    )
    review_due = forms.DateField(
        label="Review date",
        required=False,
        widget=DateInput(),
        help_text=f"Leave blank for {rules.TRIAL_REVIEW_DAYS // 7} weeks after the start date.",
        error_messages={"invalid": "Enter the review date as a real date."},
    )
    already_taking = forms.BooleanField(
        label="The patient already takes this medicine (it was not started by this plan)",
        required=False,
    )
    baseline_headache_days = days_field(
        "Headache days a month before starting", help_text="From the diary: days per 30 days."
    )
    baseline_migraine_days = days_field("Migraine days a month before starting")
    daily_morphine_equivalent_mg = mme_field()
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    start_warning_acknowledged = forms.BooleanField(
        label="I have read the NICE advice and still want to record this medicine",
        required=False,
    )

    def clean_started_on(self):
        return no_future_date(
            self.cleaned_data.get("started_on"), "The start date must be today or in the past."
        )

    def clean(self):
        data = super().clean()
        started, review = data.get("started_on"), data.get("review_due")
        if started and review and review < started:
            self.add_error("review_due", "The review date must be on or after the start date.")
        if data.get("medicine_code") == rules.OTHER and not data.get("medicine_name", "").strip():
            self.add_error("medicine_name", "Enter the name of the medicine.")
        _check_days(self, "baseline_headache_days", "baseline_migraine_days")
        return data


def _check_days(form, headache_field: str, migraine_field: str) -> None:
    headache, migraine = (
        form.cleaned_data.get(headache_field),
        form.cleaned_data.get(migraine_field),
    )
    if headache is not None and migraine is not None and migraine > headache:
        form.add_error(migraine_field, "Migraine days cannot be more than headache days.")


class TrialReviewForm(BasedOnMixin, forms.ModelForm):
    based_on = BasedOnField(required=False)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=TreatmentTrial.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the treatment."},
    )
    adequate_trial = forms.BooleanField(
        label="It was given at an adequate dose for long enough",
        required=False,
        help_text="Needed for a medicine that did not work to count as a failed preventive.",
    )
    review_due = forms.DateField(
        label="Next review date",
        required=False,
        widget=DateInput(),
        help_text="Needed if the treatment carries on (ongoing or effective). Leave it blank "
        "if it did not work, was not tolerated or was stopped.",
        error_messages={"invalid": "Enter the next review date as a real date."},
    )
    baseline_headache_days = days_field("Headache days a month before starting")
    baseline_migraine_days = days_field("Migraine days a month before starting")
    month3_headache_days = days_field(
        "Headache days a month at 12 weeks", help_text="From the diary: days per 30 days."
    )
    month3_migraine_days = days_field("Migraine days a month at 12 weeks")
    review_decision = forms.ChoiceField(
        label="Review of a medicine NICE advises against starting",
        choices=TreatmentTrial._meta.get_field("review_decision").choices,
        required=False,
        widget=forms.RadioSelect,
    )
    daily_morphine_equivalent_mg = mme_field()
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = TreatmentTrial
        fields = [
            "outcome",
            "adequate_trial",
            "review_due",
            "baseline_headache_days",
            "baseline_migraine_days",
            "month3_headache_days",
            "month3_migraine_days",
            "review_decision",
            "daily_morphine_equivalent_mg",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on"].initial = revision_token(self.instance.updated_at)
        if self.instance.review_due and self.instance.review_due < timezone.localdate():
            # A date already passed is not a next review: ask for a new one.
            self.initial["review_due"] = None

    def clean(self):
        data = super().clean()
        review = data.get("review_due")
        if "review_due" not in self.errors and data.get("outcome"):
            problem = rules.next_review_problem(
                outcome=data["outcome"], review_due=review, today=timezone.localdate()
            )
            if problem:
                self.add_error("review_due", problem)
        if review and review < self.instance.started_on:
            self.add_error("review_due", "The review date must be on or after the start date.")
        _check_days(self, "baseline_headache_days", "baseline_migraine_days")
        _check_days(self, "month3_headache_days", "month3_migraine_days")
        return data

    def _post_clean(self):
        # The service writes the trial; the form only validates (no construct_instance).
        pass


class ReductionForm(forms.Form):
    step = forms.ChoiceField(
        label="What changed?",
        choices=MedicationReduction.Step.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the dose was reduced or stopped."},
    )
    reduced_on = forms.DateField(
        label="Date",
        widget=DateInput(),
        error_messages={"required": "Enter the date.", "invalid": "Enter the date as a real date."},
    )
    dose = forms.CharField(label="New dose", max_length=200, required=False)
    daily_morphine_equivalent_mg = mme_field()

    def __init__(self, *args, trial: TreatmentTrial, **kwargs):
        super().__init__(*args, **kwargs)
        self.trial = trial

    def clean_reduced_on(self):
        value = no_future_date(self.cleaned_data.get("reduced_on"))
        if value and value < self.trial.started_on:
            raise forms.ValidationError("The date must be on or after the medicine started.")
        return value

    def clean(self):
        data = super().clean()
        if (
            data.get("step") == MedicationReduction.Step.REDUCED
            and not data.get("dose", "").strip()
        ):
            self.add_error("dose", "Enter the new dose.")
        return data


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

    def __init__(self, *args, leaflets, **kwargs):
        """`leaflets`: (slug, title) pairs to choose from."""
        super().__init__(*args, **kwargs)
        self.fields["leaflet"].choices = [("", "Choose a leaflet"), *leaflets]


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


def error_links(form, *formsets) -> list[tuple[str, str]]:
    """(field id, message) pairs for an NHS.UK error summary over a form and (formset, row name)
    pairs; a row's messages say which row, e.g. "Goal 2: Enter the goal."."""
    links = [("", error) for error in form.non_field_errors()]
    links += [(bound.auto_id, error) for bound in form for error in bound.errors]
    for formset, row_name in formsets:
        links += [("", error) for error in formset.non_form_errors()]
        for number, row in enumerate(formset.forms, start=1):
            label = f"{row_name} {number}" if row.instance.pk else f"New {row_name.lower()}"
            links += [("", f"{label}: {error}") for error in row.non_field_errors()]
            links += [(b.auto_id, f"{label}: {error}") for b in row for error in b.errors]
    return links
