"""Matching a self-referral to the patient's record, undoing a match to the wrong person,
correcting a decided referral matched to the wrong person, and closing a self-referral sent
twice."""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pathway.audit import record_view
from pathway.contact import display_uk_mobile, is_uk_mobile
from pathway.forms import PatientForm
from pathway.permissions import patients_visible_to
from pathway.views.patients import add_from_form, existing_shown
from referrals import rules, selectors, services
from referrals.forms import DuplicateForm, MatchForm, UnmatchForm
from referrals.forms.matching import candidate_label
from referrals.models import Referral
from referrals.views.triage import _render_detail, triage_required


@triage_required
@require_POST
def match(request, referral_uuid):
    referral = selectors.referral_for(request.user, referral_uuid)
    form = MatchForm(request.POST, user=request.user, referral=referral)
    if not form.is_valid():
        return _render_match_check(request, referral, form, status=400)
    try:
        matched = services.match_self_referral(
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
    except services.DuplicateOpenReferral as exc:
        open_referral = selectors.open_referral_of(request.user, form.patient, referral.condition)
        if open_referral is None:
            form.add_error("nhs_number", str(exc))
            return _render_match_check(request, referral, form, status=409)
        # The self-referral may be theirs, sent while they already wait or are in care: offer
        # to close it as a copy of their open referral, its red flags carried over.
        form.add_error(
            "nhs_number",
            f"{form.patient.full_name} already has an open referral for "
            f"{referral.get_condition_display().lower()}: referral {open_referral.reference}. "
            "If this self-referral is theirs, close it as a copy of that one.",
        )
        duplicate_form = DuplicateForm(
            candidates=[open_referral],
            red_flags=referral.red_flags,
            initial={
                "original": str(open_referral.uuid),
                "same_person": same_person_token(
                    referral, form.patient, form.confirmed_differences
                ),
            },
        )
        return _render_match_check(
            request,
            referral,
            form,
            status=409,
            duplicates=[(open_referral, candidate_label(open_referral))],
            duplicates_of=form.patient,
            duplicate_form=duplicate_form,
        )
    except services.ReferralError as exc:
        form.add_error("nhs_number", str(exc))
        return _render_match_check(request, referral, form, status=409)
    messages.success(request, f"Self-referral matched to {form.patient.full_name}.")
    _screened_again(request, matched)
    return redirect("referrals:detail", referral_uuid=referral.uuid)


@triage_required
@require_http_methods(["GET", "HEAD", "POST"])
def add_patient(request, referral_uuid):
    """A self-referrer with no patient record yet: add one, starting from what they gave, and
    match the referral to it. When the record added differs from what they gave (the clinician
    corrected a detail), the match is left for the clinician to check on the referral page."""
    referral = selectors.referral_for(request.user, referral_uuid)
    back = reverse("referrals:detail", args=[referral.uuid]) + "#match"
    if not (referral.is_unmatched and referral.status == Referral.Status.SUBMITTED):
        messages.info(request, "This referral is no longer waiting to be matched to a patient.")
        return redirect(back)
    form = PatientForm(request.POST or None, user=request.user, initial=_stated(referral))
    if request.method == "POST" and form.is_valid():
        patient = add_from_form(request, form)
        if patient is not None:
            return _match_added(request, referral, patient, back)
    existing = existing_shown(request, form)
    return render(
        request,
        "pathway/patient_form.html",
        {"form": form, "existing": existing, "referral": referral, "back": back},
    )


def _stated(referral: Referral) -> dict:
    """The patient form's starting values: what the self-referrer gave about themselves, with
    consent to the one way they chose to be contacted, texts or emails (they agreed to be
    contacted, as a GP's new patient does: services.submit_referral). The clinician can change
    any of it."""
    mobile = referral.stated_mobile if is_uk_mobile(referral.stated_mobile) else ""
    chose = referral.preferred_contact
    return {
        "nhs_number": referral.stated_nhs_number,
        "given_name": referral.stated_given_name,
        "family_name": referral.stated_family_name,
        "date_of_birth": referral.stated_date_of_birth,
        "registered_practice": referral.stated_practice_id,
        # A landline given for a phone call is not a mobile the record can text.
        "mobile": display_uk_mobile(mobile) if mobile else "",
        "email": referral.stated_email,
        "sms_consent": referral.consent_to_contact and chose == "sms" and bool(mobile),
        "email_consent": referral.consent_to_contact
        and chose == "email"
        and bool(referral.stated_email),
    }


def _screened_again(request, referral: Referral) -> None:
    """Say when matching or unmatching changed the referral's urgency, or whether it is for an
    adult, by the age it now goes by."""
    if referral.screen_note:
        messages.warning(request, referral.screen_note)


def _match_added(request, referral, patient, back):
    try:
        matched = services.match_self_referral(
            actor=request.user, referral=referral, patient=patient
        )
    except services.MatchNotConfirmed:
        messages.warning(
            request,
            f"{patient.full_name} has been added. Their record differs from what the "
            "self-referrer gave: check it is the same person, then match the referral below.",
        )
        return redirect(back)
    except services.ReferralError as exc:
        messages.warning(request, f"{patient.full_name} has been added. {exc}")
        return redirect(back)
    messages.success(
        request, f"{patient.full_name} has been added and the self-referral matched to them."
    )
    _screened_again(request, matched)
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
        unmatched = services.unmatch_self_referral(actor=request.user, referral=referral)
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
    _screened_again(request, unmatched)
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
    candidates = selectors.possible_duplicates(request.user, referral)
    same_person, confirmed = _same_person(request, referral)
    # Shown again on an error as it was offered: the open referral of the record matched.
    offered = {}
    if same_person is not None:
        theirs = selectors.open_referral_of(request.user, same_person, referral.condition)
        if theirs is not None and theirs not in candidates:
            candidates.append(theirs)
            offered = {
                "duplicates": [(theirs, candidate_label(theirs))],
                "duplicates_of": same_person,
            }
    form = DuplicateForm(request.POST, candidates=candidates, red_flags=referral.red_flags)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, duplicate_form=form, **offered)
    original = form.chosen
    try:
        closed = services.close_as_duplicate(
            actor=request.user,
            referral=referral,
            original=original,
            add_red_flags=form.cleaned_data.get("add_red_flags", False),
            same_person=same_person,
            confirmed_differences=confirmed,
        )
    except services.ReferralError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, referral, status=409, duplicate_form=form, **offered)
    messages.success(
        request,
        f"The self-referral from {referral.display_name} is closed as a copy of referral "
        f"{original.reference}. It is no longer in the triage queue." + _carried(closed),
    )
    return redirect("referrals:detail", referral_uuid=original.uuid)


SAME_PERSON_SALT = "referrals.close-duplicate.same-person"
# The offer stands for as long as a page is likely to stay open.
SAME_PERSON_MAX_AGE = 12 * 60 * 60


def same_person_token(referral, patient, differences) -> str:
    """The record a clinician matched the self-referral to, and the differences they confirmed,
    signed for the close-as-copy form."""
    return signing.dumps(
        [str(referral.uuid), str(patient.uuid), list(differences)], salt=SAME_PERSON_SALT
    )


def _same_person(request, referral):
    """The record and confirmed differences of the offer posted with the close-as-copy form
    (same_person_token), for this referral and a patient the user may see; (None, ()) when not
    given, tampered with, out of date or for someone else."""
    value = request.POST.get("same_person", "")
    try:
        referral_uuid, patient_uuid, differences = signing.loads(
            value, salt=SAME_PERSON_SALT, max_age=SAME_PERSON_MAX_AGE
        )
        patient = patients_visible_to(request.user).filter(uuid=patient_uuid).first()
    except (signing.BadSignature, ValueError, TypeError, ValidationError):
        return None, ()
    if referral_uuid != str(referral.uuid) or patient is None:
        return None, ()
    return patient, tuple(differences)


def _carried(closed: services.ClosedCopy) -> str:
    """What became of the closed copy's red flags (services.close_as_duplicate)."""
    if not (closed.to_triage or closed.to_care):
        return ""
    words = (
        f"Its red flags ({rules.red_flags_in_words(closed.carried)})"
        if closed.carried
        else "Its red flags, at the age it gives,"
    )
    if closed.to_triage:
        urgency = Referral.Urgency(closed.urgency).label.lower()
        return f" {words} are carried to this referral, screened again as {urgency}."
    return (
        f" {words} are sent to the clinicians caring for the patient as a safety alert on the "
        "worklist."
    )


def _render_match_check(request, referral, form, *, status, **more):
    """The referral page with the match form's errors and, when the record found differs from
    what the self-referrer gave, both side by side for the clinician to check."""
    extra = {"match_form": form, **more}
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
