"""The GP's and partner's referral: the form, its live red-flag screen and patient lookup, and
the emergency stop."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pathway.audit import record_view
from pathway.care_teams import care_team_contacts
from pathway.permissions import patient_for, patients_visible_to
from pathway.views.access import role_required
from referrals import rules, selectors, services
from referrals.forms import (
    NewPatientForm,
    PreventiveFormSet,
    ReferralForm,
    ScreenForm,
    preventive_rows,
    resend_initial,
)
from referrals.models import Referral
from referrals.views.screening import _screen_outcome, _ticked

gp_required = role_required("gp")


def _uuid_or_404(value: str) -> uuid.UUID:
    """A UUID from a query string; a malformed one answers 404 like an unknown record."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError) as exc:
        raise Http404("No such record") from exc


def _red_flag_sections(form_field_value=()):
    """The GP checklist grouped by tier, with each code's label and ticked state."""
    ticked = set(form_field_value or ())
    return [
        {
            "heading": heading,
            "flags": [
                {"code": code, "label": rules.RED_FLAGS[code], "checked": code in ticked}
                for code in codes
            ],
        }
        for heading, codes in rules.RED_FLAGS_BY_TIER
    ]


@gp_required
@require_http_methods(["GET", "HEAD", "POST"])
def create(request):
    initial, preventives = {}, []
    preselected = request.GET.get("patient")
    if preselected:
        patient = patient_for(request.user, _uuid_or_404(preselected))
        initial["nhs_number"] = patient.nhs_number_display
    # A rejected or redirected referral sent again: the form starts from its answers.
    earlier, refused, resent_open = None, "", False
    if request.GET.get("resend"):
        earlier = selectors.referral_for(request.user, _uuid_or_404(request.GET["resend"]))
        refused = _cannot_resend(request.user, earlier)
        if refused and request.method != "POST":
            messages.warning(request, refused)
            return redirect("referrals:detail", referral_uuid=earlier.uuid)
        resent_open = bool(refused) and _sent_again_and_open(request.user, earlier)
        initial, preventives = resend_initial(earlier)
    # Bound on every POST, even an empty one, so the form's cleaned data always exists.
    data = request.POST if request.method == "POST" else None
    form = ReferralForm(data, user=request.user, initial=initial)
    formset = PreventiveFormSet(data, prefix="preventive", initial=preventives)
    new_form = None
    if request.method == "POST":
        form_ok = form.is_valid()
        someone_else = (
            form.patient and not earlier and _typed_for_someone_else(request, form.patient)
        )
        flags = form.cleaned_data.get("red_flags") if "red_flags" not in form.errors else None
        if flags and rules.is_emergency(flags):
            stop = services.record_emergency_stop(
                actor=request.user,
                source=form.cleaned_data.get("referring_as") or Referral.Source.GP,
                red_flags=flags,
                condition=form.cleaned_data.get("condition") or "",
                # Not on the record the number found when the details typed are someone else's.
                patient=None if someone_else else form.patient,
                phq9=form.cleaned_data.get("phq9"),
                phq9_unread="phq9" in form.errors,
            )
            return redirect("referrals:emergency-stop", stop_uuid=stop.uuid)
        if someone_else:
            form.add_error("nhs_number", someone_else)
            form_ok = False
        # A new patient's details are checked when the NHS number is not found, and also
        # when it is not valid yet but they have been filled in: every problem in one round.
        typed = set(_new_patient_initial(request)) - {"sex"}  # sex has a default
        if form.needs_new_patient or ("nhs_number" in form.errors and typed):
            new_form = NewPatientForm(data, prefix="new", user=request.user)
            form_ok = new_form.is_valid() and form_ok
        if form.needs_new_patient and "red_flags" not in form.errors:
            # With the age the live screen uses, so the two agree.
            born = new_form.cleaned_data.get("date_of_birth") if new_form else None
            form_ok = form.check_new_onset(born) and form_ok
        # Checked with the other answers, not after them, whenever the contact details it
        # needs are known and valid, so every problem is named in one round.
        contact_known = "preferred_contact" in form.cleaned_data and (
            form.patient is not None
            or (new_form is not None and not {"mobile", "email"} & set(new_form.errors))
        )
        if contact_known and (problem := _unreachable(form, new_form)):
            form.add_error("preferred_contact", problem)
            form_ok = False
        if refused and not resent_open:
            # The answers stay on the page with the reason, and nothing is sent.
            form.add_error(None, refused)
            form_ok = False
        # Sent again meanwhile (the form sent twice, or a colleague) as a referral still open:
        # the service refuses it as a second open referral, and what the form gives that the
        # team does not have (red flags, a PHQ-9 self-harm answer) is kept as for any other
        # (services.keep_refused_referral), never dropped with the refusal.
        if form_ok and formset.is_valid():
            content = form.content(preventive_rows(formset))
            try:
                referral = services.submit_referral(
                    actor=request.user,
                    source=form.cleaned_data["referring_as"],
                    content=content,
                    patient=form.patient,
                    new_patient=new_form.patient_data(form.cleaned_data["nhs_number"])
                    if new_form
                    else None,
                    resends=earlier,
                )
            except services.DuplicateOpenReferral as exc:
                kept = services.keep_refused_referral(
                    actor=request.user,
                    source=form.cleaned_data["referring_as"],
                    content=content,
                    patient=form.patient,
                )
                # Refused for the referral that sent this one again: the reason names it.
                why = (
                    services.ReferralError(refused)
                    if resent_open and kept.original and kept.original.resends_id == earlier.pk
                    else exc
                )
                form.add_error(None, _refused(why, form.patient, kept, request.user))
            except services.ReferralError as exc:
                form.add_error(None, str(exc))
            else:
                urgency = referral.get_urgency_display()
                sent = f"Referral {referral.reference} sent as {urgency[0].lower()}{urgency[1:]}."
                if earlier is not None:
                    sent = f"{sent[:-1]}, sending referral {earlier.reference} again."
                messages.success(request, sent)
                return redirect("referrals:detail", referral_uuid=referral.uuid)
    if new_form is None:
        # Unbound unless the patient is new, so a found patient shows no errors here.
        new_form = NewPatientForm(
            prefix="new", user=request.user, initial=_new_patient_initial(request)
        )
    # A number already in the form (a patient chosen before, or the form shown again) is
    # looked up as typing one would be.
    typed = "" if earlier else str(form["nhs_number"].value() or "").strip()
    lookup = (
        render_to_string(
            "referrals/includes/patient_lookup.html", _lookup(request, typed), request=request
        )
        if typed and "nhs_number" not in form.errors
        else ""
    )
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "new_form": new_form,
            "formset": formset,
            "earlier": earlier,
            "lookup": lookup,
            "sections": _red_flag_sections(form["red_flags"].value()),
            "screen": _screen_outcome(
                codes=form["red_flags"].value() or [],
                age=_form_age(form, new_form),
                plain=False,
                condition=form["condition"].value() or "",
            )
            if request.method == "POST"
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


def _cannot_resend(user, earlier: Referral) -> str:
    """Why `user` cannot send `earlier` again, in words, or "": the rules of
    services.resend_problem, and the patient must be one they may refer (at their practices)."""
    if problem := services.resend_problem(earlier):
        return problem
    if not patients_visible_to(user).filter(pk=earlier.patient_id).exists():
        return (
            f"{earlier.patient.full_name} is not registered at a practice you work with, so you "
            "cannot refer them again. Their practice can."
        )
    return ""


def _sent_again_and_open(user, earlier: Referral) -> bool:
    """Whether `earlier` was sent again already (services.resend_problem's refusal) as a
    referral `user` may see that is still open: the form sent again then is a second referral
    for what that one asks, which services.keep_refused_referral keeps what is new of."""
    again = selectors.sent_again_as(user, earlier)
    return again is not None and again.is_open and not earlier.entered_in_error


def _new_patient_initial(request) -> dict:
    """What was typed into the new-patient fields: checked beside an NHS number not valid yet,
    and shown again when they were not needed. Read by each field's widget, so the date of
    birth's day, month and year boxes count as typed when any of them is."""
    typed = {}
    for name, field in NewPatientForm.base_fields.items():
        value = field.widget.value_from_datadict(request.POST, request.FILES, f"new-{name}")
        if any(str(part or "").strip() for part in value) if isinstance(value, list) else value:
            typed[name] = value
    return typed


# The new-patient details that say who the patient is (the others are only how to reach them).
IDENTIFYING_DETAILS = ("given_name", "family_name", "date_of_birth")


def _typed_for_someone_else(request, patient) -> str:
    """Why the referral cannot go to `patient`, found by the NHS number, in words, or "": the
    name or date of birth typed under "New patient" is not theirs, so the number may be wrong
    by a digit and the referral, its red flags and its screen would go on another person's
    record."""
    typed = [name for name in _new_patient_initial(request) if name in IDENTIFYING_DETAILS]
    if not typed:
        return ""
    details = NewPatientForm(request.POST, prefix="new", user=request.user)
    details.is_valid()
    given = details.cleaned_data
    typed_identity = rules.Identity(
        given_name=given.get("given_name", ""),
        family_name=given.get("family_name", ""),
        date_of_birth=given.get("date_of_birth"),
    )
    record = rules.Identity(
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
    )
    # Only what was typed is compared: an empty box is not a difference here.
    differs = set(rules.identity_differences(typed_identity, record)) & set(typed)
    if not differs:
        return ""
    return (
        f"This NHS number is {patient.full_name}'s, born {patient.date_of_birth:%-d %B %Y}, "
        'but the name or date of birth under "New patient" is not theirs. Check the NHS '
        f"number, or clear the new patient's details to refer {patient.full_name}."
    )


def _form_age(form, new_form) -> int | None:
    """The patient's age from a bound referral form, when it is known."""
    born = form.patient.date_of_birth if form.patient else None
    if born is None and new_form.is_bound and new_form.is_valid():
        born = new_form.cleaned_data["date_of_birth"]
    return rules.age_in_years(born, timezone.localdate()) if born else None


@gp_required
@require_POST
def screen(request):
    """The live red-flag screen (htmx): the tier and what to do, as the boxes are ticked."""
    form = ScreenForm(
        {
            "nhs_number": request.POST.get("nhs_number", ""),
            **ScreenForm.date_of_birth_data(request.POST, name="new-date_of_birth"),
        }
    )
    age = _age_for_screen(request, form)
    outcome = _screen_outcome(
        codes=_ticked(request),
        age=age,
        plain=False,
        condition=request.POST.get("condition", ""),
    )
    known = form.cleaned_data.get("nhs_number") and selectors.visible_patient_by_nhs_number(
        request.user, form.cleaned_data["nhs_number"]
    )
    if age is not None and not rules.is_adult(age) and not known:
        # A new patient's date of birth: the lookup warns for a patient on record.
        outcome["under_age"] = {"age": age, "adult_age": rules.ADULT_AGE}
    return render(request, "referrals/includes/screen_result.html", {"screen": outcome})


def _age_for_screen(request, form) -> int | None:
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    today = timezone.localdate()
    number = data.get("nhs_number")
    if number:
        patient = selectors.visible_patient_by_nhs_number(request.user, number)
        if patient is not None:
            return rules.age_in_years(patient.date_of_birth, today)
    if data.get("date_of_birth"):
        return rules.age_in_years(data["date_of_birth"], today)
    return None


@gp_required
@require_POST
def patient_lookup(request):
    """Find the patient by NHS number at the GP's practices (htmx)."""
    context = _lookup(request, request.POST.get("nhs_number", ""))
    response = render(request, "referrals/includes/patient_lookup.html", context)
    # The patient's age may change the screen: the checklist re-runs it when it hears this.
    response["HX-Trigger"] = "patient-changed"
    return response


def _lookup(request, typed: str) -> dict:
    """What the NHS number lookup says about `typed`: the patient found at the GP's
    practices (their age and open referrals), one registered elsewhere, or none."""
    form = ScreenForm({"nhs_number": typed})
    number_ok = form.is_valid() or "nhs_number" not in form.errors
    number = form.cleaned_data.get("nhs_number") if number_ok else None
    context = {"invalid": not number_ok, "searched": bool(number)}
    if number:
        context["patient"] = selectors.visible_patient_by_nhs_number(request.user, number)
        if context["patient"] is not None:
            # The answer shows the patient's name and date of birth: a read of their record.
            record_view(actor=request.user, patient=context["patient"])
            age = rules.age_in_years(context["patient"].date_of_birth, timezone.localdate())
            if not rules.is_adult(age):
                context["under_age"] = {"age": age, "adult_age": rules.ADULT_AGE}
            context["open_referrals"] = selectors.open_referrals_of(context["patient"])
        context["elsewhere"] = context["patient"] is None and selectors.nhs_number_is_registered(
            number
        )
    return context


@gp_required
def emergency_stop(request, stop_uuid):
    stop = selectors.emergency_stop_for(request.user, stop_uuid)
    if stop.patient is not None:
        record_view(actor=request.user, patient=stop.patient, obj=stop)
    return render(
        request,
        "referrals/emergency_stop.html",
        {"stop": stop, "flags": stop.red_flag_labels},
    )


def _unreachable(form, new_form) -> str:
    """Why the way the patient prefers to be contacted cannot work (a text message with no
    mobile number on the record or in the new patient's details), or ""."""
    if new_form is not None:
        mobile, email = new_form.cleaned_data.get("mobile"), new_form.cleaned_data.get("email")
    else:
        mobile, email = form.patient.mobile, form.patient.email
    missing = rules.missing_contact_detail(
        form.cleaned_data["preferred_contact"], mobile=mobile, email=email
    )
    if missing is None:
        return ""
    need = {"mobile": "mobile number", "email": "email address"}[missing]
    if new_form is not None:
        return (
            f"Enter the patient's {need} under New patient, or choose another way to contact them."
        )
    return f"The patient's record has no {need}. Choose another way to contact them."


def _refused(exc, patient, kept: services.RefusedReferral, referrer) -> str:
    """The form's error for a referral refused because the patient already has one open: which
    referral that is (the referrer's own is in their list; a colleague's or the patient's own
    self-referral is not), and what became of the form (`_kept`); or, when that referral closed
    meanwhile, to send the form again, with the self-harm risk to assess today if it gave one."""
    original = kept.original
    if original is None:
        said = (
            "This patient's open referral for this condition has just closed, so this form was "
            "not sent. Send it again to refer them."
        )
        if kept.self_harm_answer:
            said += f" Assess the risk of self-harm with the patient today.{_teams(patient)}"
        return said
    if original.referrer_id == referrer.pk:
        said = str(exc)
    else:
        whose = (
            "their own self-referral"
            if original.source == Referral.Source.SELF
            else f"sent by {original.referrer.full_name}"
        )
        said = (
            f"{patient.full_name} already has an open referral for "
            f"{original.get_condition_display().lower()} (referral {original.reference}, "
            f"{whose}), so this one has not been sent."
        )
    return said + _kept(patient, kept, referrer)


def _teams(patient) -> str:
    """ " The care team: <name, phone or email>; ..." for the teams caring for patients of the
    patient's practice, or "" when none can be reached."""
    teams = "; ".join(
        f"{team.name}, {team.phone}" if team.phone else f"{team.name}, {team.email}"
        for team in care_team_contacts(patient)
    )
    return f" The care team: {teams}." if teams else ""


def _kept(patient, kept: services.RefusedReferral, referrer) -> str:
    """For a referral `referrer` sent that was refused because the patient already has one
    open: what of its red flags and PHQ-9 self-harm answer reached the care team
    (services.keep_refused_referral), who hears the decision on flags added to another's
    referral, what the team had already, and the self-harm risk to assess today; "" when it
    gave neither."""
    reached = []
    if kept.to_triage:
        original = kept.original
        added = (
            f"its red flags ({rules.red_flags_in_words(kept.carried)}) were added to referral "
            f"{original.reference}, "
            if kept.carried
            else f"referral {original.reference} was screened again with its red flags, "
        )
        reached.append(f"{added}now {original.get_urgency_display().lower()}, for triage")
        if original.referrer_id not in (None, referrer.pk):
            decision = f" (the team's decision goes to {original.referrer.full_name}, who sent it)"
            reached[-1] += decision
    if kept.to_care:
        what = rules.red_flags_in_words(kept.carried or kept.held)
        reached.append(
            f"its red flags ({what}) went to the clinicians caring for {patient.given_name} as "
            "a safety alert"
        )
    if kept.self_harm:
        reached.append(
            "its PHQ-9 answer to question 9 (thoughts of self-harm) went to the care team as a "
            "safety alert"
        )
    said = (
        f" This form has not been sent as a new referral, but {', and '.join(reached)}."
        if reached
        else ""
    )
    # Flags the team had already, unless named above (screened again with all of them).
    already = kept.held if kept.carried or not (kept.to_triage or kept.to_care) else ()
    if already:
        other = "other " if kept.carried else ""
        said += f" The team already has its {other}red flags ({rules.red_flags_in_words(already)})."
    if kept.self_harm_sent:
        said += " Its PHQ-9 answers were sent within the last hour, so the team has them already."
    if not kept.self_harm_answer:
        return said
    return f"{said} Assess the risk of self-harm with the patient today.{_teams(patient)}"
