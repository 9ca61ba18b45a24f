"""Referral and triage pages. Thin: parse the form, fetch through the access helpers, call one
service, then redirect or render. Another person's referral answers 404."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pathway import instruments
from pathway.audit import record_view
from pathway.links import uuid_link
from pathway.models.episodes import Condition
from pathway.navigation import patient_tabs
from pathway.permissions import patient_for
from pathway.views.access import role_required, staff_required
from referrals import letters, rules, selectors, services, throttle
from referrals.forms import (
    DecisionForm,
    MatchForm,
    NewPatientForm,
    PreventiveFormSet,
    ReferralForm,
    ScreenForm,
    SelfReferralForm,
    UnmatchForm,
    WaitingListFilterForm,
    preventive_rows,
)
from referrals.models import Referral

PAGE_SIZE = 25
gp_required = role_required("gp")
# Triage is for the care team only (DESIGN.md section 5: a GP cannot triage).
triage_required = role_required("clinician")
SELF_REFERRAL_SESSION_KEY = "referrals_self_referral"


def _uuid_or_404(value: str) -> uuid.UUID:
    """A UUID from a query string; a malformed one answers 404 like an unknown record."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError) as exc:
        raise Http404("No such record") from exc


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


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


def _screen_outcome(*, codes, age, plain: bool) -> dict:
    """What the live screen shows for the ticked codes: the tier and its advice."""
    try:
        flags = rules.validated_red_flags(codes)
    except ValueError as exc:
        return {"error": str(exc)}
    if rules.is_emergency(flags):
        advice = rules.patient_emergency_advice(flags) if plain else rules.emergency_advice(flags)
        return {"tier": rules.EMERGENCY, "advice": advice}
    tier = rules.triage_urgency(age, flags) if age is not None else rules.urgency_at_any_age(flags)
    if tier is None:
        return {"tier": None, "needs_age": True}
    if tier == rules.URGENT:
        advice = [rules.PATIENT_URGENT_ADVICE] if plain else rules.urgent_advice(flags)
        return {"tier": tier, "advice": advice}
    return {"tier": tier}


def _ticked(request) -> list[str]:
    return request.POST.getlist("red_flags")


# GP and partner referral


@gp_required
@require_http_methods(["GET", "POST"])
def create(request):
    initial = {}
    preselected = request.GET.get("patient")
    if preselected:
        patient = patient_for(request.user, _uuid_or_404(preselected))
        initial["nhs_number"] = patient.nhs_number_display
    # Bound on every POST, even an empty one, so the form's cleaned data always exists.
    data = request.POST if request.method == "POST" else None
    form = ReferralForm(data, user=request.user, initial=initial)
    formset = PreventiveFormSet(data, prefix="preventive")
    new_form = None
    if request.method == "POST":
        form_ok = form.is_valid()
        flags = form.cleaned_data.get("red_flags") if "red_flags" not in form.errors else None
        if flags and rules.is_emergency(flags):
            stop = services.record_emergency_stop(
                actor=request.user,
                source=form.cleaned_data.get("referring_as") or Referral.Source.GP,
                red_flags=flags,
                condition=form.cleaned_data.get("condition") or "",
                patient=form.patient,
            )
            return redirect("referrals:emergency-stop", stop_uuid=stop.uuid)
        if form.needs_new_patient:
            new_form = NewPatientForm(data, prefix="new", user=request.user)
            form_ok = new_form.is_valid() and form_ok
        # Checked with the other answers, not after them, whenever the contact details it
        # needs are known and valid, so every problem is named in one round.
        contact_known = "preferred_contact" in form.cleaned_data and (
            form.patient is not None
            or (new_form is not None and not {"mobile", "email"} & set(new_form.errors))
        )
        if contact_known and (problem := _unreachable(form, new_form)):
            form.add_error("preferred_contact", problem)
            form_ok = False
        if form_ok and formset.is_valid():
            try:
                referral = services.submit_referral(
                    actor=request.user,
                    source=form.cleaned_data["referring_as"],
                    content=form.content(preventive_rows(formset)),
                    patient=form.patient,
                    new_patient=new_form.patient_data(form.cleaned_data["nhs_number"])
                    if new_form
                    else None,
                )
            except services.ReferralError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Referral {referral.reference} sent ({referral.get_urgency_display()}).",
                )
                return redirect("referrals:detail", referral_uuid=referral.uuid)
    if new_form is None:
        # Unbound unless the patient is new, so a found patient shows no errors here.
        new_form = NewPatientForm(
            prefix="new", user=request.user, initial=_new_patient_initial(request)
        )
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "new_form": new_form,
            "formset": formset,
            "sections": _red_flag_sections(form["red_flags"].value()),
            "screen": _screen_outcome(
                codes=form["red_flags"].value() or [],
                age=_form_age(form, new_form),
                plain=False,
            )
            if request.method == "POST"
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


def _new_patient_initial(request) -> dict:
    """What was typed into the new-patient fields, to show again when they were not needed."""
    return {
        name: request.POST.get(f"new-{name}")
        for name in NewPatientForm.base_fields
        if request.POST.get(f"new-{name}")
    }


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
            "date_of_birth": request.POST.get("new-date_of_birth", ""),
        }
    )
    age = _age_for_screen(request, form)
    outcome = _screen_outcome(codes=_ticked(request), age=age, plain=False)
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
    form = ScreenForm({"nhs_number": request.POST.get("nhs_number", "")})
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
    response = render(request, "referrals/includes/patient_lookup.html", context)
    # The patient's age may change the screen: the checklist re-runs it when it hears this.
    response["HX-Trigger"] = "patient-changed"
    return response


@gp_required
def emergency_stop(request, stop_uuid):
    stop = selectors.emergency_stop_for(request.user, stop_uuid)
    if stop.patient is not None:
        record_view(actor=request.user, patient=stop.patient, obj=stop)
    return render(
        request,
        "referrals/emergency_stop.html",
        {"stop": stop, "flags": [rules.RED_FLAGS[code] for code in stop.red_flags]},
    )


@gp_required
def mine(request):
    page = _page(request, selectors.referrals_for_referrer(request.user))
    return render(request, "referrals/referral_mine.html", {"page": page})


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
        return f"Enter the patient's {need} below, or choose another way to contact them."
    return f"The patient's record has no {need}. Choose another way to contact them."


# Self-referral (public)


# Shown above the kept answers when an address has sent too many referrals this hour.
SELF_REFERRAL_THROTTLED_MESSAGE = (
    "We have had a lot of referrals from this internet connection in the last hour, so we have "
    "not sent yours yet. Your answers are saved on this page: try sending it again in up to "
    f"{throttle.SELF_REFERRAL_WINDOW // 60} minutes, or ask your GP practice to refer you."
)


@require_http_methods(["GET", "POST"])
def self_refer(request):
    if request.method == "GET":
        return _render_self_refer(request, SelfReferralForm())
    form = SelfReferralForm(request.POST)
    if form.is_spam:
        # Answer a bot as if it had succeeded, so it learns nothing; nothing is saved.
        return redirect("referrals:self-refer-sent")
    form_ok = form.is_valid()
    address = throttle.client_address(request)
    flags = form.cleaned_data.get("red_flags") if "red_flags" not in form.errors else None
    if flags and rules.is_emergency(flags):
        # The advice is shown whatever the count; only the row recording it is limited.
        advice = rules.patient_emergency_advice(flags)
        if throttle.allow_self_referral(address):
            advice = services.record_emergency_stop(
                actor=None,
                source=Referral.Source.SELF,
                red_flags=flags,
                condition=form.cleaned_data.get("condition") or "",
                stated_practice=form.cleaned_data.get("practice"),
            ).advice
        return render(request, "referrals/self_refer_stopped.html", {"advice": advice})
    if form_ok:
        # Only a submission that would be saved counts towards the limit: a person correcting
        # their answers never uses it up, and a flood still stops after the limit's rows.
        if not throttle.allow_self_referral(address):
            form.add_error(None, SELF_REFERRAL_THROTTLED_MESSAGE)
            return _render_self_refer(request, form, status=429)
        try:
            referral = services.submit_self_referral(
                stated=form.stated(),
                content=form.content(),
                id_migraine_answers=form.cleaned_data.get("id_migraine"),
            )
        except services.ReferralError as exc:
            form.add_error(None, str(exc))
        else:
            request.session[SELF_REFERRAL_SESSION_KEY] = {
                "reference": referral.reference,
                "urgent": referral.urgency == rules.URGENT,
            }
            return redirect("referrals:self-refer-sent")
    return _render_self_refer(request, form, status=400)


def _render_self_refer(request, form, status=200):
    return render(
        request,
        "referrals/self_refer.html",
        {"form": form, "triage_days": rules.target_days_for(selectors.triage_targets(), "any")},
        status=status,
    )


@require_POST
def self_refer_screen(request):
    """The self-referral's live safety screen (htmx), in plain English."""
    form = ScreenForm({"date_of_birth": request.POST.get("date_of_birth", "")})
    form.is_valid()
    dob = getattr(form, "cleaned_data", {}).get("date_of_birth")
    age = rules.age_in_years(dob, timezone.localdate()) if dob else None
    outcome = _screen_outcome(codes=_ticked(request), age=age, plain=True)
    return render(request, "referrals/includes/self_screen_result.html", {"screen": outcome})


def self_refer_sent(request):
    sent = request.session.pop(SELF_REFERRAL_SESSION_KEY, None)
    return render(
        request,
        "referrals/self_refer_sent.html",
        {
            "sent": sent,
            "urgent_advice": [rules.PATIENT_URGENT_ADVICE],
            "triage_days": rules.target_days_for(selectors.triage_targets(), "any"),
        },
    )


# Triage


# What a triage queue row shows (templates/referrals/triage_queue.html): nothing else is loaded.
TRIAGE_ROW_FIELDS = (
    "uuid",
    "patient",
    "stated_given_name",
    "stated_family_name",
    "urgency",
    "condition",
    "source",
    "submitted_at",
    "patient__given_name",
    "patient__family_name",
    "patient__nhs_number",
    "patient__registered_practice__name",
)


@triage_required
def triage_queue(request):
    # The whole queue's ids in order (one query, which also gives the count), then one page's
    # referrals with their joins by id: sorting the queue with its patient and practice joins
    # attached costs far more than sorting ids, and the ids are already the user's to see.
    ids = list(selectors.triage_queue_for(request.user).values_list("id", flat=True))
    page = _page(request, ids)
    loaded = (
        Referral.objects.select_related("patient__registered_practice")
        .only(*TRIAGE_ROW_FIELDS)
        .in_bulk(page.object_list)
    )
    target = rules.target_days_for(selectors.triage_targets(), "any")
    now = timezone.now()
    link = uuid_link("referrals:detail", "referral_uuid")
    rows = [
        {
            "referral": referral,
            "url": link(referral.uuid),
            "condition": Condition(referral.condition).label,
            "source": Referral.Source(referral.source).label,
            "clock": rules.wait_clock(started_at=referral.submitted_at, target_days=target, now=now)
            if target
            else None,
        }
        for referral in (loaded[pk] for pk in page.object_list if pk in loaded)
    ]
    return render(
        request, "referrals/triage_queue.html", {"page": page, "rows": rows, "target": target}
    )


@triage_required
def waiting_list(request):
    filters = WaitingListFilterForm(request.GET or None, user=request.user)
    practice, priority = None, ""
    if filters.is_bound and filters.is_valid():
        practice = filters.cleaned_data.get("practice")
        priority = filters.cleaned_data.get("priority") or ""
    targets = selectors.first_contact_targets()
    referrals = selectors.waiting_list_for(
        request.user,
        targets=targets,
        practice_id=practice.id if practice else None,
        priority=priority,
    )
    page = _page(request, referrals)
    now = timezone.now()
    rows = []
    for referral in page:
        days = rules.target_days_for(targets, referral.priority)
        started = referral.triaged_at or referral.decided_at
        clock = rules.wait_clock(started_at=started, target_days=days, now=now) if days else None
        rows.append({"referral": referral, "clock": clock})
    return render(
        request,
        "referrals/waiting_list.html",
        {"page": page, "rows": rows, "filters": filters},
    )


def _detail_context(request, referral, **extra) -> dict:
    context = {
        "referral": referral,
        "preventives": list(referral.preventives.all()),
        "assessments": [
            {
                "name": assessment.get_instrument_display(),
                "total": assessment.total,
                "band": instruments.band_text(
                    assessment.instrument, assessment.band, float(assessment.total)
                ),
                "alert": assessment.alert,
            }
            for assessment in referral.assessments.all()
        ],
        "letters": list(referral.letters.all()),
        "can_triage": request.user.role == "clinician" and referral.status == "submitted",
        "decision_form": DecisionForm(
            initial={"priority": referral.urgency}, urgency=referral.urgency
        ),
        "match_form": MatchForm(
            user=request.user,
            referral=referral,
            initial={"nhs_number": referral.stated_nhs_number},
        ),
        "unmatch_form": UnmatchForm(),
        # A decided self-referral matched to the wrong person is corrected, not unmatched.
        "can_correct_match": request.user.role == "clinician"
        and referral.source == Referral.Source.SELF
        and referral.patient_id is not None
        and referral.status != "submitted"
        and not referral.entered_in_error,
        "emergency_tier": rules.EMERGENCY,
        "adult_age": rules.ADULT_AGE,
    }
    if referral.id_migraine_answers and not context["assessments"]:
        score = instruments.score("ID_MIGRAINE", referral.id_migraine_answers)
        context["pending_id_migraine"] = {
            "total": score.total,
            "band": instruments.band_label("ID_MIGRAINE", score.band),
        }
    if referral.urgency == rules.URGENT:
        context["urgent_advice"] = rules.urgent_advice(referral.red_flags)
    if referral.decided_at and referral.status == rules.ACCEPTED:
        days = rules.target_days_for(selectors.first_contact_targets(), referral.priority)
        context["first_contact_days"] = days
        context["below_screen"] = rules.priority_below_screen(referral.urgency, referral.priority)
    if referral.source == Referral.Source.SELF and referral.patient is not None:
        # A match made despite differences stays visible, so a wrong match can be spotted.
        differences = selectors.match_differences(referral, referral.patient)
        if differences:
            context["matched_differences"] = services.describe_differences(differences)
            context["matched_difference_count"] = len(differences)
    if not rules.is_adult(referral.age_at_referral):
        context["age_reason_label"] = rules.REJECTION_REASONS["not_eligible_age"]
    if referral.status == "submitted":
        target = rules.target_days_for(selectors.triage_targets(), "any")
        if target:
            context["clock"] = rules.wait_clock(
                started_at=referral.submitted_at, target_days=target, now=timezone.now()
            )
    context.update(extra)
    return context


def _render_detail(request, referral, status=200, **extra):
    return render(
        request,
        "referrals/referral_detail.html",
        _detail_context(request, referral, **extra),
        status=status,
    )


@role_required("gp", "clinician", "admin")
def detail(request, referral_uuid):
    referral = selectors.referral_for(request.user, referral_uuid)
    record_view(actor=request.user, patient=referral.patient, obj=referral)
    return _render_detail(request, referral)


@triage_required
@require_POST
def decide(request, referral_uuid):
    referral = selectors.referral_for(request.user, referral_uuid)
    form = DecisionForm(request.POST, urgency=referral.urgency)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, decision_form=form)
    try:
        services.triage_referral(
            actor=request.user, referral=referral, decision=form.decision_value()
        )
    except services.ReferralAlreadyDecided as exc:
        messages.error(request, str(exc))
        return _render_detail(
            request, selectors.referral_for(request.user, referral_uuid), status=409
        )
    except services.PriorityReasonNeeded as exc:
        form.add_error("note", str(exc))
        return _render_detail(request, referral, status=400, decision_form=form)
    except services.ReferralError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, referral, status=400, decision_form=form)
    messages.success(request, f"Referral {referral.reference} decided. The referrer will be told.")
    return redirect("referrals:triage-queue")


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


# Letters and the patient page


@staff_required
def letter(request, letter_uuid):
    found = selectors.letter_for(request.user, letter_uuid)
    letters.record_letter_download(actor=request.user, letter=found)
    response = HttpResponse(bytes(found.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
def patient_referrals(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    record_view(actor=request.user, patient=patient, object_type="referrals.referral")
    return render(
        request,
        "referrals/patient_referrals.html",
        {
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "referrals": list(selectors.referrals_for_patient(patient)),
        },
    )
