"""Treatment trials: recording a medicine, reviewing it, and a step of reducing it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from careplans import rules, selectors, services
from careplans.forms import ReductionForm, TrialForm, TrialReviewForm
from careplans.views.lookups import _plan_or_404, _plan_page, _staff_context, _trial_or_404
from pathway.audit import record_view
from pathway.views.access import clinician_required


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def trial_add(request, plan_uuid):
    plan = _plan_or_404(request.user, plan_uuid)
    form = TrialForm(
        request.POST if request.method == "POST" else None, condition=plan.episode.condition
    )
    warning = None
    if request.method == "POST" and form.is_valid():
        try:
            trial = services.add_trial(actor=request.user, plan=plan, data=form.cleaned_data)
        except services.NeedsAcknowledgement as exc:
            warning = exc.prompt
            # Shown again with this warning's key and the box unticked: a tick given beside
            # another warning (before the medicine or its figures changed) is not this one's.
            form.data = form.data.copy()
            form.data["start_warning_shown"] = warning.key
            form.data.pop("start_warning_acknowledged", None)
            form.add_error(
                "start_warning_acknowledged",
                "Read the NICE advice, then tick the box if you still want to record this "
                "medicine.",
            )
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            message = "Treatment recorded."
            if trial.already_taking and not form.cleaned_data["already_taking"]:
                message += (
                    " It started before the referral, so it is recorded as a medicine "
                    f"{plan.patient.given_name} already takes, not a treatment started by the "
                    "care team."
                )
            messages.success(request, message)
            return redirect(_plan_page(plan.patient, "treatments"))
    elif request.method == "GET":
        record_view(actor=request.user, patient=plan.patient, obj=plan)
    if warning is None:
        # The box acknowledges a NICE warning: it is shown only beside one. A tick sent with
        # another problem is dropped, so the warning is shown again once that is put right.
        del form.fields["start_warning_acknowledged"]
    # The MHRA's pregnancy prevention programmes, before a medicine is chosen: it informs and
    # does not block.
    pregnancy = (
        rules.pregnancy_prevention_notice()
        if selectors.could_become_pregnant(plan.patient, timezone.localdate())
        else None
    )
    return render(
        request,
        "careplans/trial_form.html",
        _staff_context(
            request, plan.patient, plan=plan, form=form, warning=warning, pregnancy=pregnancy
        ),
    )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def trial_review(request, trial_uuid):
    trial = _trial_or_404(request.user, trial_uuid)
    patient = trial.plan.patient
    if request.method == "POST" and request.POST.get("action") == "entered_in_error":
        try:
            services.mark_trial_entered_in_error(actor=request.user, trial=trial)
        except services.CarePlanError as exc:
            messages.error(request, str(exc))
            return redirect("careplans:trial-review", trial_uuid=trial.uuid)
        messages.success(
            request,
            f"{trial.display_name} is marked as entered in error and is no longer on the plan.",
        )
        return redirect(_plan_page(patient, "treatments"))
    form = TrialReviewForm(
        request.POST if request.method == "POST" else None,
        instance=trial,
        condition=trial.plan.episode.condition,
    )
    differences: list[selectors.SavedDifference] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        based_on = data.pop("based_on", None)
        try:
            services.review_trial(actor=request.user, trial=trial, data=data, based_on=based_on)
        except services.ChangedSinceOpened as exc:
            form.add_error(
                None,
                f"{exc} Your review has not been saved. Check what is saved now, then save "
                "again to replace it with what is in the form.",
            )
            labels = {name: field.label for name, field in form.fields.items()}
            differences = selectors.trial_differences(trial, data, labels)
            form.set_based_on(exc.changed_at)
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Review of {trial.display_name} saved.")
            return redirect(_plan_page(patient, "treatments"))
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=trial)
    today = timezone.localdate()
    view = selectors.trial_view(
        trial,
        trial.plan.episode.condition,
        today,
        could_be_pregnant=selectors.could_become_pregnant(patient, today),
    )
    return render(
        request,
        "careplans/trial_review.html",
        _staff_context(
            request, patient, trial=trial, view=view, form=form, differences=differences
        ),
    )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def reduction_add(request, trial_uuid):
    trial = _trial_or_404(request.user, trial_uuid)
    patient = trial.plan.patient
    if request.method == "POST" and request.POST.get("action") == "remove":
        decided = trial.review_decision
        try:
            removed = services.remove_latest_reduction(
                actor=request.user, trial=trial, step_uuid=request.POST.get("step", "")
            )
        except services.CarePlanError as exc:
            messages.error(request, str(exc))
        else:
            said = f"The step of {removed.reduced_on:%-d %B %Y} is marked as entered in error."
            # As removing the step left them.
            trial.refresh_from_db(fields=["outcome", "review_decision"])
            if removed.outcome_on_removal and trial.carries_on:
                outcome = trial.get_outcome_display().lower()
                said += f" {trial.display_name} is recorded as {outcome} again."
            if decided == rules.REVIEW_REDUCE and trial.review_decision != decided:
                said += " The review decision is no longer to reduce and stop: " + (
                    f"it is “{trial.get_review_decision_display()}” again."
                    if trial.review_decision
                    else "none is recorded."
                )
            messages.success(request, said)
        return redirect("careplans:reduction-add", trial_uuid=trial.uuid)
    form = ReductionForm(request.POST if request.method == "POST" else None, trial=trial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_reduction(actor=request.user, trial=trial, data=form.cleaned_data)
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Change to {trial.display_name} recorded.")
            return redirect(_plan_page(patient, "treatments"))
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=trial)
    return render(
        request,
        "careplans/reduction_form.html",
        _staff_context(
            request,
            patient,
            trial=trial,
            form=form,
            steps=selectors.reduction_steps(trial),
        ),
    )
