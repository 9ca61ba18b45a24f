"""Matching a self-referral to the patient's record, undoing a match to the wrong person,
correcting a decided referral matched to the wrong person, and closing a self-referral sent
twice."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathway.audit import record_view
from referrals import selectors, services
from referrals.forms import DuplicateForm, MatchForm, UnmatchForm
from referrals.views.triage import _render_detail, triage_required


@triage_required
@require_POST
def match(request, referral_uuid):
    referral = selectors.referral_for(request.user, referral_uuid)
    form = MatchForm(request.POST, user=request.user, referral=referral)
    if not form.is_valid():
        return _render_match_check(request, referral, form, status=400)
    try:
        services.match_self_referral(
            actor=request.user,
            referral=referral,
            patient=form.patient,
            confirmed_differences=form.confirmed_differences,
        )
    except services.MatchNotConfirmed as exc:
        # The record differs from what the self-referrer gave: show both side by side for the
        # clinician to check and confirm. Not an error yet, so not a 4xx.
        form.differences = exc.differences
        return _render_match_check(request, referral, form, status=200)
    except services.ReferralError as exc:
        form.add_error("nhs_number", str(exc))
        return _render_match_check(request, referral, form, status=409)
    messages.success(request, f"Self-referral matched to {form.patient.full_name}.")
    return redirect("referrals:detail", referral_uuid=referral.uuid)


@triage_required
@require_POST
def unmatch(request, referral_uuid):
    referral = selectors.referral_for(request.user, referral_uuid)
    form = UnmatchForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, unmatch_form=form)
    wrong_name = referral.display_name
    try:
        services.unmatch_self_referral(actor=request.user, referral=referral)
    except services.ReferralError as exc:
        messages.error(request, str(exc))
        return _render_detail(
            request, selectors.referral_for(request.user, referral_uuid), status=409
        )
    messages.success(
        request,
        f"The match to {wrong_name}'s record was undone. Match the self-referral to the right "
        "patient before accepting it.",
    )
    return redirect(reverse("referrals:detail", args=[referral.uuid]) + "#match")


@triage_required
@require_POST
def correct_match(request, referral_uuid):
    """A decided self-referral matched to the wrong person: see
    services.correct_decided_wrong_match."""
    referral = selectors.referral_for(request.user, referral_uuid)
    form = UnmatchForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, unmatch_form=form)
    wrong_name = referral.display_name
    try:
        copy = services.correct_decided_wrong_match(actor=request.user, referral=referral)
    except services.ReferralError as exc:
        messages.error(request, str(exc))
        return _render_detail(request, referral, status=409)
    messages.success(
        request,
        f"The referral matched to {wrong_name} is marked entered in error on their record. "
        "This copy of what the self-referrer sent waits to be matched to the right person and "
        "triaged again.",
    )
    return redirect(reverse("referrals:detail", args=[copy.uuid]) + "#match")


@triage_required
@require_POST
def close_duplicate(request, referral_uuid):
    """An undecided self-referral that is a copy of another referral: see
    services.close_as_duplicate."""
    referral = selectors.referral_for(request.user, referral_uuid)
    form = DuplicateForm(
        request.POST, candidates=selectors.possible_duplicates(request.user, referral)
    )
    if not form.is_valid():
        return _render_detail(request, referral, status=400, duplicate_form=form)
    original = form.chosen
    try:
        services.close_as_duplicate(actor=request.user, referral=referral, original=original)
    except services.ReferralError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, referral, status=409, duplicate_form=form)
    messages.success(
        request,
        f"The self-referral from {referral.display_name} is closed as a copy of referral "
        f"{original.reference}. It is no longer in the triage queue.",
    )
    return redirect("referrals:detail", referral_uuid=original.uuid)


def _render_match_check(request, referral, form, *, status):
    """The referral page with the match form's errors and, when the record found differs from
    what the self-referrer gave, both side by side for the clinician to check."""
    extra = {"match_form": form}
    if form.patient is not None and form.needs_confirmation:
        # The comparison shows the record's name, date of birth and practice: a read of it.
        record_view(actor=request.user, patient=form.patient, obj=referral)
        extra["match_check"] = {
            "summary": str(services.MatchNotConfirmed(form.differences)),
            "patient_uuid": form.patient.uuid,
            "differences": ",".join(form.differences),
            "rows": selectors.match_comparison(referral, form.patient),
        }
    return _render_detail(request, referral, status=status, **extra)
