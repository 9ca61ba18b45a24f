"""The public self-referral, its live safety screen and the page saying it was sent."""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pathway.contact import display_uk_mobile
from pathway.models import Episode, Patient, User
from referrals import rules, selectors, services, throttle
from referrals.forms import ScreenForm, SelfReferralForm
from referrals.models import Referral
from referrals.views.screening import _screen_outcome, _ticked

SELF_REFERRAL_SESSION_KEY = "referrals_self_referral"
# The one-time token of the last referral this browser sent: the form shown again in the same
# session (Back, when the browser fetches the page again and refills the answers) carries it, so
# sending it again makes no copy.
LAST_SENT_TOKEN_KEY = "referrals_self_referral_token"

# Shown above the kept answers when an address has sent too many referrals this hour.
SELF_REFERRAL_THROTTLED_MESSAGE = (
    "We have had a lot of referrals from this internet connection in the last hour, so we have "
    "not sent yours yet. Your answers are saved on this page: try sending it again in up to "
    f"{throttle.SELF_REFERRAL_WINDOW // 60} minutes, or ask your GP practice to refer you."
)


@require_http_methods(["GET", "HEAD", "POST"])
def self_refer(request):
    if request.method != "POST":
        sent_token = request.session.get(LAST_SENT_TOKEN_KEY)
        initial = {**_from_own_record(request.user), "submission": sent_token}
        return _render_self_refer(request, SelfReferralForm(initial=initial))
    form = SelfReferralForm(request.POST)
    if form.is_spam:
        # Answer a bot as if it had succeeded, so it learns nothing; nothing is saved.
        return redirect("referrals:self-refer-sent")
    form_ok = form.is_valid()
    address = throttle.client_address(request)
    flags = form.cleaned_data.get("red_flags") if "red_flags" not in form.errors else None
    back_pain = bool(form.cleaned_data.get("back_pain_emergency"))
    if back_pain or (flags and rules.is_emergency(flags)):
        advice = []
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
                    # The patient's clinicians are told when the service knows who this is.
                    patient=services.self_referrer_on_record(
                        said=form.identity(),
                        submission_token=form.cleaned_data.get("submission") or None,
                        user=request.user,
                    ),
                ).advice
        if back_pain:
            # Not a headache red flag: no stop is recorded for it (rules).
            advice = _with_back_pain_advice(advice)
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
                submission_token=form.cleaned_data["submission"] or None,
            )
        except services.SelfReferralAlreadySent as sent:
            return _sent(request, sent.referral, again=sent, token=form.cleaned_data["submission"])
        except services.ReferralError as exc:
            form.add_error(None, str(exc))
        else:
            return _sent(request, referral)
    return _render_self_refer(request, form, status=400)


def _sent(request, referral, *, again=None, token: str | None = None):
    """On to the page saying the referral was sent. `again` (services.SelfReferralAlreadySent)
    when the form had been sent before with its one-time token `token`: no second referral was
    made, `referral` is the one standing for that first sending, and the page says what became
    of the answers sent now (the urgent advice for what was just sent, and where red flags the
    team did not have went); the form shown again in this session keeps that token."""
    request.session[SELF_REFERRAL_SESSION_KEY] = {
        "reference": referral.reference,
        "urgent": again.urgent if again else referral.urgency == rules.URGENT,
        "again": again is not None,
        "flags_added": bool(again and again.carried and again.to_triage),
        "flags_told": bool(again and again.carried and again.to_care),
    }
    request.session[LAST_SENT_TOKEN_KEY] = token or referral.submission_token
    return redirect("referrals:self-refer-sent")


def _render_self_refer(request, form, status=200):
    return render(
        request,
        "referrals/self_refer.html",
        {
            "form": form,
            "triage_days": rules.target_days_for(selectors.triage_targets(), "any"),
            "under_care": _under_care(request.user),
            "screen": _screen_for(form),
        },
        status=status,
    )


def _with_back_pain_advice(advice: list[str]) -> list[str]:
    """The advice for back pain with nerve signs, with a headache flag's advice `advice` (if
    any) folded in: 999 is then the one place to go (rules.patient_emergency_advice gives one),
    and they are asked to tell of every symptom there."""
    *now, last = rules.PATIENT_BACK_PAIN_ADVICE
    also = [rules.PATIENT_TELL_EVERY_SYMPTOM_ADVICE] if advice else []
    return [*now, *also, last]


def _screen_for(form) -> dict | None:
    """The live screen's result for the answers on a form shown again (with its errors, or when
    it could not be sent yet), so advice given as boxes were ticked does not vanish with the
    page: None for a form not yet sent."""
    if not form.is_bound:
        return None
    born = getattr(form, "cleaned_data", {}).get("date_of_birth")
    back_pain = bool(form["back_pain_emergency"].value())
    return _public_screen(form["red_flags"].value() or [], born, back_pain=back_pain)


def _public_screen(ticked: list[str], born, *, back_pain: bool = False) -> dict:
    """The screen's result in plain English for the boxes a self-referrer ticked and their date
    of birth, when it is known; `back_pain` when the back-pain emergency is ticked too."""
    age = rules.age_in_years(born, timezone.localdate()) if born else None
    outcome = _screen_outcome(codes=rules.as_patient_answered(ticked), age=age, plain=True)
    if back_pain and "error" not in outcome:
        advice = outcome.get("advice", []) if outcome.get("tier") == rules.EMERGENCY else []
        return {"tier": rules.EMERGENCY, "advice": _with_back_pain_advice(advice)}
    return outcome


def _from_own_record(user) -> dict:
    """A signed-in patient's own details from their record, to start the form with: who they
    are, their practice (when the service covers it) and how to reach them. They can change any
    of them; the team still matches the referral to the record. Empty for anyone else."""
    if not user.is_authenticated or user.role != User.Role.PATIENT:
        return {}
    patient = Patient.objects.live().filter(user=user).first()
    if patient is None:
        return {}
    initial = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth,
        "nhs_number": patient.nhs_number_display,
        "mobile": display_uk_mobile(patient.mobile),
        "email": patient.email,
    }
    if selectors.self_referral_practices().filter(pk=patient.registered_practice_id).exists():
        initial["practice"] = patient.registered_practice_id
    return initial


def _under_care(user) -> bool:
    """Whether the person filling in the form is a signed-in patient the team already cares
    for: their team, not a second referral, is who to tell about a change."""
    if not user.is_authenticated or user.role != User.Role.PATIENT:
        return False
    episodes = Episode.objects.open().filter(patient__user=user, patient__entered_in_error=False)
    return episodes.exists()


@require_POST
def self_refer_screen(request):
    """The self-referral's live safety screen (htmx), in plain English."""
    form = ScreenForm(ScreenForm.date_of_birth_data(request.POST))
    form.is_valid()
    outcome = _public_screen(
        _ticked(request),
        getattr(form, "cleaned_data", {}).get("date_of_birth"),
        back_pain=request.POST.get("back_pain_emergency") == "on",
    )
    return render(request, "referrals/includes/self_screen_result.html", {"screen": outcome})


def self_refer_sent(request):
    # Kept in the session (not taken out on first view), so refreshing the page still shows the
    # reference and any advice to contact the GP practice soon. It holds nothing that names the
    # person, and the next referral from this browser replaces it.
    sent = request.session.get(SELF_REFERRAL_SESSION_KEY)
    return render(
        request,
        "referrals/self_refer_sent.html",
        {
            "sent": sent,
            "urgent_advice": [rules.PATIENT_URGENT_ADVICE],
            "triage_days": rules.target_days_for(selectors.triage_targets(), "any"),
        },
    )
