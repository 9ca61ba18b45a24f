"""Treatment trials: recording a medicine, its review, and a step of reducing it."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careplans import rules
from careplans.forms.fields import (
    TEXT_LIMIT,
    BasedOnMixin,
    DateInput,
    days_field,
    mme_field,
    no_future_date,
)
from careplans.models import MedicationReduction, TreatmentTrial
from careplans.models.trials import BOTOX_FIGURES, RECENT_MONTHS
from careplans.services.trials import figures_not_due
from pathway.forms import BasedOnField, Textarea, TooLongInWords, revision_token


class TrialForm(TooLongInWords, forms.Form):
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
        help_text="For a medicine the patient already took before the referral, the day they "
        "started it: it is recorded as a medicine they already take, and its review is "
        "counted from today.",
        error_messages={
            "required": "Enter the start date.",
            "invalid": "Enter the start date as a real date.",
        },
    )
    review_due = forms.DateField(
        label="Review date",
        required=False,
        widget=DateInput(),
        help_text=f"Leave blank for {rules.TRIAL_REVIEW_DAYS // 7} weeks after the start date "
        f"({rules.TRIAL_REVIEW_DAYS // 7} weeks from today for a medicine the patient already "
        "takes).",
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
        widget=Textarea(attrs={"rows": 2}),
    )
    start_warning_acknowledged = forms.BooleanField(
        label="I have read the NICE advice and still want to record this medicine",
        required=False,
    )
    # The key of the warning the box was shown beside (Prompt.key): ticked for one warning, it
    # does not acknowledge another.
    start_warning_shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, condition: str = "", **kwargs):
        """`condition`: the plan's. A chronic-pain plan is not asked for headache and migraine
        days."""
        super().__init__(*args, **kwargs)
        if condition == rules.CHRONIC_PAIN:
            del self.fields["baseline_headache_days"]
            del self.fields["baseline_migraine_days"]
            # Its treatments are for pain, not headache prevention or attacks.
            self.fields["role"].choices = [
                (TreatmentTrial.Role.PAIN, TreatmentTrial.Role.PAIN.label)
            ]
            self.fields["role"].initial = TreatmentTrial.Role.PAIN

    def clean_started_on(self):
        return no_future_date(
            self.cleaned_data.get("started_on"), "The start date must be today or in the past."
        )

    def clean(self):
        data = super().clean()
        started, review = data.get("started_on"), data.get("review_due")
        if started and review and review < started:
            self.add_error("review_due", "The review date must be on or after the start date.")
        elif review and (problem := rules.first_review_problem(review, today=timezone.localdate())):
            self.add_error("review_due", problem)
        code = data.get("medicine_code")
        if code == rules.OTHER and not data.get("medicine_name", "").strip():
            self.add_error("medicine_name", "Enter the name of the medicine.")
        mme = data.get("daily_morphine_equivalent_mg")
        if code and mme is not None and (problem := rules.morphine_equivalent_problem(code)):
            self.add_error("daily_morphine_equivalent_mg", problem)
        if "baseline_headache_days" in self.fields:
            _check_days(self, "baseline_headache_days", "baseline_migraine_days", "before starting")
            if code in rules.MEDICINES and (
                problem := rules.botox_baseline_problem(
                    medicine_class=rules.medicine_class_of(code),
                    role=data.get("role", ""),
                    baseline_headache_days=data.get("baseline_headache_days"),
                )
            ):
                self.add_error("baseline_headache_days", problem)
        return data


def _check_days(form, headache_field: str, migraine_field: str, when: str) -> None:
    headache, migraine = (
        form.cleaned_data.get(headache_field),
        form.cleaned_data.get(migraine_field),
    )
    if headache is not None and migraine is not None and migraine > headache:
        form.add_error(migraine_field, f"Migraine days cannot be more than headache days {when}.")


class TrialReviewForm(TooLongInWords, BasedOnMixin, forms.ModelForm):
    based_on = BasedOnField(required=False)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=TreatmentTrial.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the treatment."},
    )
    # A yes/no question with nothing chosen until the clinician answers: a ticked box by default
    # counted a medicine stopped after a few days as a failed preventive.
    adequate_trial = forms.TypedChoiceField(
        label="If it did not work: was it given at an adequate dose for long enough?",
        choices=[("yes", "Yes"), ("no", "No, the dose or the time was not enough")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose yes or no."},
    )
    short_trial_confirmed = forms.BooleanField(
        label="It was an adequate trial even though it was tried for less than "
        f"{rules.ADEQUATE_TRIAL_DAYS // 7} weeks",
        required=False,
        help_text="Tick only if you answered yes above. The app takes "
        f"{rules.ADEQUATE_TRIAL_DAYS // 7} weeks as the shortest adequate trial of a preventive: "
        "a shorter one counts towards CGRP antibodies and botulinum toxin A only when you "
        "confirm it here.",
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
    cycle2_headache_days = days_field(
        "Headache days a month after 2 treatment cycles",
        help_text="From the diary: days per 30 days, from 24 weeks after the first treatment.",
    )
    recent_month1_headache_days = days_field(
        "Last 3 months: headache days in month 1 (the oldest)",
        help_text="From the diary's 30-day months for the last 90 days. Give all 3 months or none.",
        what="the headache days in month 1",
    )
    recent_month2_headache_days = days_field(
        "Last 3 months: headache days in month 2", what="the headache days in month 2"
    )
    recent_month3_headache_days = days_field(
        "Last 3 months: headache days in month 3 (the latest)", what="the headache days in month 3"
    )
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
        widget=Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = TreatmentTrial
        fields = [
            "outcome",
            "adequate_trial",
            "short_trial_confirmed",
            "review_due",
            "baseline_headache_days",
            "baseline_migraine_days",
            "month3_headache_days",
            "month3_migraine_days",
            *BOTOX_FIGURES,
            "review_decision",
            "daily_morphine_equivalent_mg",
            "notes",
        ]

    # Asked only where they mean something (or were recorded before): headache and migraine
    # days for a headache preventive, NICE's review for a medicine it advises against starting
    # for the condition, the oral morphine equivalent for an opioid.
    HEADACHE_DAYS = (
        "baseline_headache_days",
        "baseline_migraine_days",
        "month3_headache_days",
        "month3_migraine_days",
    )

    def __init__(self, *args, condition: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        trial = self.instance
        asked = {
            self.HEADACHE_DAYS: trial.role == TreatmentTrial.Role.PREVENTIVE,
            ("review_decision",): rules.advised_against(
                condition=condition, medicine_class=trial.medicine_class
            ),
            BOTOX_FIGURES: trial.is_botox_for_migraine,
        }
        for names, relevant in asked.items():
            if not relevant and all(getattr(trial, name) in (None, "") for name in names):
                for name in names:
                    del self.fields[name]
        # Only an opioid has an oral morphine equivalent: never asked (or shown) for anything
        # else, even where an older record holds one.
        if not rules.has_morphine_equivalent(trial.medicine_class):
            del self.fields["daily_morphine_equivalent_mg"]
        if trial.role == TreatmentTrial.Role.PREVENTIVE:
            self.fields["adequate_trial"].help_text = _adequacy_hint(trial, timezone.localdate())
            # The clinician's own answer is shown again only for a trial already recorded as
            # not working; any other stored value was never an answer to this question.
            self.initial["adequate_trial"] = (
                {True: "yes", False: "no"}.get(trial.adequate_trial)
                if trial.outcome == TreatmentTrial.Outcome.INEFFECTIVE
                else None
            )
        else:
            del self.fields["adequate_trial"]
        if not self._may_need_short_trial_confirmation(timezone.localdate()):
            del self.fields["short_trial_confirmed"]
        self.fields["based_on"].initial = revision_token(trial.updated_at)
        # Needed while the treatment carries on, as its hint says: not "(optional)".
        self.fields["review_due"].conditionally_required = True
        if trial.review_due and trial.review_due < timezone.localdate():
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
        if "baseline_headache_days" in self.fields:
            _check_days(self, "baseline_headache_days", "baseline_migraine_days", "before starting")
            _check_days(self, "month3_headache_days", "month3_migraine_days", "at 12 weeks")
            self._check_figures_due(data)
            self._check_cgrp_figures(data)
        if RECENT_MONTHS[0] in self.fields:
            self._check_recent_months(data)
        if "adequate_trial" in self.fields and "adequate_trial" not in self.errors:
            problem = rules.adequacy_problem(
                role=self.instance.role,
                outcome=data.get("outcome", ""),
                adequate=data.get("adequate_trial"),
                name=self.instance.display_name,
            )
            if problem:
                self.add_error("adequate_trial", problem)
            else:
                self._check_short_trial(data)
        return data

    def _may_need_short_trial_confirmation(self, today) -> bool:
        """Whether the box confirming a short trial is asked: for a preventive recorded as not
        working less than 12 weeks after it started, or one that would be if recorded today
        (rules.needs_short_trial_confirmation), or one confirmed before (so it can be seen
        and taken back)."""
        trial = self.instance
        if trial.role != TreatmentTrial.Role.PREVENTIVE:
            return False
        recorded_short = (
            trial.outcome == TreatmentTrial.Outcome.INEFFECTIVE
            and rules.is_short_trial(trial.days_tried)
        )
        return (
            rules.is_short_trial((today - trial.started_on).days)
            or recorded_short
            or trial.short_trial_confirmed
        )

    def _check_short_trial(self, data) -> None:
        """A preventive said to be an adequate trial but recorded as not working less than 12
        weeks after it started needs the box ticked (rules.needs_short_trial_confirmation): the
        rules name no minimum duration, so the app warns and asks rather than refusing. The
        days are counted to the day its outcome was first recorded, or to today for an outcome
        recorded now, as the service counts them."""
        trial = self.instance
        outcome = data.get("outcome", "")
        if outcome == trial.outcome and trial.days_tried is not None:
            days = trial.days_tried
        else:
            days = (timezone.localdate() - trial.started_on).days
        needed = rules.needs_short_trial_confirmation(
            role=trial.role, outcome=outcome, adequate=data.get("adequate_trial"), days_tried=days
        )
        if not needed or data.get("short_trial_confirmed"):
            return
        name, weeks = trial.display_name, rules.ADEQUATE_TRIAL_DAYS // 7
        when = (
            f"{name} is recorded as not working on the day it started"
            if days == 0
            else f"{name} is recorded as not working {days} day{'' if days == 1 else 's'} "
            "after it started"
        )
        message = (
            f"{when}, less than the {weeks} weeks the app takes as an adequate trial. Tick the "
            "box if it was an adequate trial even so, or answer no."
        )
        if "short_trial_confirmed" in self.fields:
            self.add_error("short_trial_confirmed", message)
        else:
            self.add_error("adequate_trial", message)

    def _check_figures_due(self, data) -> None:
        """Figures that cannot exist yet (services.figures_not_due), on their own fields; and a
        baseline of 0 for botulinum toxin A, from which no fall can be measured."""
        for name, message in figures_not_due(self.instance, data):
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        problem = rules.botox_baseline_problem(
            medicine_class=self.instance.medicine_class,
            role=self.instance.role,
            baseline_headache_days=data.get("baseline_headache_days"),
        )
        if problem and "baseline_headache_days" not in self.errors:
            self.add_error("baseline_headache_days", problem)

    def _check_cgrp_figures(self, data) -> None:
        """A CGRP antibody to prevent headaches is not recorded as carrying on once 12 weeks
        have run without the figures NICE's stopping rule reads (rules.cgrp_figures_problems):
        each missing one on its own field. The service does not check it, as it does not check
        the next review date: the plan's prompts ask for any figure still missing."""
        trial = self.instance
        if not trial.is_cgrp_for_migraine:
            return
        problems = rules.cgrp_figures_problems(
            outcome=data.get("outcome", ""),
            days_on_treatment=(timezone.localdate() - trial.started_on).days,
            baseline_headache_days=data.get("baseline_headache_days"),
            baseline_migraine_days=data.get("baseline_migraine_days"),
            month3_migraine_days=data.get("month3_migraine_days"),
            name=trial.display_name,
        )
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)

    def _check_recent_months(self, data) -> None:
        """The last 3 months' headache days are given all together or not at all."""
        if any(name in self.errors for name in RECENT_MONTHS):
            return
        missing = [name for name in RECENT_MONTHS if data.get(name) is None]
        if missing and len(missing) < len(RECENT_MONTHS):
            for name in missing:
                number = RECENT_MONTHS.index(name) + 1
                self.add_error(
                    name,
                    f"Enter the headache days in month {number}, or leave all "
                    f"{rules.EPISODIC_MONTHS} months empty.",
                )

    def _post_clean(self):
        # The service writes the trial; the form only validates (no construct_instance).
        pass


def _adequacy_hint(trial: TreatmentTrial, today) -> str:
    """What the clinician needs to answer the adequacy question: what NICE asks, and when the
    record says the medicine started (the app does not know when it stopped)."""
    days = (today - trial.started_on).days
    since = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
    return (
        "NICE counts a preventive that did not work towards CGRP antibodies and botulinum "
        "toxin A only if it was tried at an adequate dose for an adequate length of time; the "
        f"app takes {rules.ADEQUATE_TRIAL_DAYS // 7} weeks as the shortest. "
        f"{trial.display_name} is recorded as started on {trial.started_on:%-d %B %Y} ({since})."
    )


class ReductionForm(TooLongInWords, forms.Form):
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
        if not rules.has_morphine_equivalent(trial.medicine_class):
            del self.fields["daily_morphine_equivalent_mg"]  # opioids only

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
