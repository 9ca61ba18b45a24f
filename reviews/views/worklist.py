from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pathway.audit import record_view
from pathway.contact import display_uk_mobile
from pathway.views.access import clinician_required
from pathway.views.not_saved import not_saved
from referrals import rules as referral_rules
from referrals import services as referral_services
from reviews import rules, selectors, sources, worklist
from reviews.errors import ReviewsError
from reviews.forms import AlertActionForm
from reviews.questionnaires import self_harm_answer
from reviews.rendering import worklist_rows
from reviews.services import questionnaires as questionnaire_services
from reviews.views.paging import page_of


@clinician_required
def worklist_page(request):
    """The care team's home: patients needing attention, most urgent first."""
    clinicians, practices = selectors.worklist_filter_choices(request.user)
    clinician = _pick(clinicians, request.GET.get("clinician"), key="uuid")
    practice = _pick(practices, request.GET.get("practice"), key="ods_code")
    practice_id = practice.pk if practice else None
    result = worklist.worklist_for(request.user, clinician=clinician, practice_id=practice_id)
    page = page_of(request, result.ranked)
    kept = list(page.object_list)
    rows = worklist.page_rows(
        kept,
        request.user,
        clinician=clinician,
        practice_id=practice_id,
        checked_at=result.checked_at,
    )
    counts = worklist.counts_as_shown(result.counts, kept, rows)
    to_match = sources.red_flag_self_referrals_to_match(request.user, practice_id=practice_id)
    return render(
        request,
        "reviews/worklist.html",
        {
            "to_match": to_match[: sources.SELF_REFERRALS_TO_MATCH_SHOWN],
            "more_to_match": len(to_match) > sources.SELF_REFERRALS_TO_MATCH_SHOWN,
            "page": page,
            "rows": rows,
            "rows_html": worklist_rows(rows),
            "counts": [(label, counts[code]) for code, label in rules.WORKLIST_CATEGORIES],
            "clinicians": clinicians,
            "practices": practices,
            "clinician": clinician,
            "practice": practice,
            # Pages are of the list as kept: a row the re-check dropped still counts there.
            "total": len(result.ranked),
            "checked_at": result.checked_at,
        },
    )


def _pick(options, value, *, key):
    if not value:
        return None
    return next((o for o in options if str(getattr(o, key)) == value), None)


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_detail(request, alert_uuid):
    """A safety alert (PHQ-9 item 9, a same-day risk assessment asked for at a review, new red
    flags in a self-referral, or a referral stopped by an emergency red flag for a patient in
    care): see it and record the action taken, which resolves it."""
    alert = selectors.alert_for(request.user, alert_uuid)
    record_view(actor=request.user, patient=alert.patient, obj=alert)
    form = AlertActionForm(request.POST or None)
    if alert.kind == alert.Kind.RED_FLAGS:
        form.fields["action_taken"].help_text = (
            "A sentence or more: who contacted the patient, when, and what was arranged (for "
            "example an urgent assessment, a referral on the 2-week route, the GP informed)"
        )
    elif alert.kind == alert.Kind.EMERGENCY_STOP:
        form.fields["action_taken"].help_text = (
            "A sentence or more: who you spoke to, when, what happened (for example admitted, "
            "or seen and sent home) and what changes in the patient's care here"
        )
    if request.method == "POST" and alert.resolved_at is not None:
        # Someone closed it first (another tab or another clinician): nothing typed is lost.
        return render(
            request,
            "reviews/alert_detail.html",
            {
                **_alert_context(alert),
                "not_saved": not_saved(form, by=alert.resolved_by, at=alert.resolved_at),
            },
            status=409,
        )
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire_services.resolve_alert(
                actor=request.user, alert=alert, action_taken=form.cleaned_data["action_taken"]
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "The action is recorded and the alert is closed.")
            return redirect("reviews:worklist")
    return render(request, "reviews/alert_detail.html", {**_alert_context(alert), "form": form})


def _alert_context(alert) -> dict:
    """The alert page's record: the alert, the patient's number to call, and, for an alert
    raised when no one was responsible for the patient's care (it went to every clinician
    caring for them), who is responsible now (a referral accepted since names someone)."""
    responsible_now = []
    if alert.responsible_clinician is None:
        held = selectors.responsible_for_care([alert.patient_id])
        responsible_now = held.get(alert.patient_id, [])
    return {
        "alert": alert,
        "patient": alert.patient,
        "mobile": display_uk_mobile(alert.patient.mobile),
        "responsible_now": responsible_now,
        "self_harm_answer": self_harm_answer(alert.assessment.answers) if alert.assessment else "",
        **(_red_flags_context(alert.referral) if alert.referral else {}),
    }


def _red_flags_context(copy) -> dict:
    """For an alert raised by red flags in a second referral kept as a copy (a self-referral
    closed as one, or a GP's or partner's refused for the open referral): the flags the
    referral in care does not hold, in words, and the screen's advice when both referrals'
    flags together, at either's age, are more urgent than the referral in care was screened."""
    original = copy.duplicate_of
    together = [*original.red_flags, *copy.red_flags]
    urgency = referral_services.urgency_together(copy, original)
    return {
        "new_flags": [
            referral_rules.RED_FLAGS[code]
            for code in referral_rules.red_flags_only_in(copy.red_flags, original.red_flags)
        ],
        "copy_age": copy.age_at_referral,
        "flag_advice": (
            referral_rules.urgent_advice(together)
            if urgency != original.urgency and urgency != referral_rules.ROUTINE
            else []
        ),
    }
