"""A referral's page and the triage decision made on it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from pathway import first_contacts, instruments
from pathway.audit import record_view
from pathway.contact import display_uk_mobile
from pathway.models.episodes import Condition
from pathway.permissions import patients_visible_to
from pathway.views.access import role_required
from referrals import rules, selectors, services
from referrals.forms import DecisionForm, DuplicateForm, MatchForm, ToldForm, UnmatchForm
from referrals.forms.matching import candidate_label
from referrals.models import Referral
from referrals.referrer_tasks import decision_words
from referrals.views.records import with_episode_letters

# Triage is for the care team only (DESIGN.md section 5: a GP cannot triage).
triage_required = role_required("clinician")


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
            initial={
                "priority": referral.urgency,
                "shown_screen": DecisionForm.shown_token(referral),
            },
            urgency=referral.urgency,
        ),
        "match_form": MatchForm(
            user=request.user,
            referral=referral,
            initial={"nhs_number": referral.stated_nhs_number},
        ),
        "unmatch_form": UnmatchForm(),
        # Another referral that seems to be from the same person, for an unmatched
        # self-referral waiting for triage; and copies of this one closed as duplicates.
        "duplicates": [
            (item, candidate_label(item))
            for item in selectors.possible_duplicates(request.user, referral)
        ],
        # With the red flags each gave, and those this referral does not hold (carried onto
        # it while it waited for triage; for a referral in care, sent to its clinicians as a
        # safety alert).
        "copies": [
            (
                copy,
                rules.red_flags_in_words(copy.red_flags),
                rules.red_flags_in_words(
                    rules.red_flags_only_in(copy.red_flags, referral.red_flags)
                ),
            )
            for copy in selectors.closed_copies_of(referral)
        ],
        # A decided self-referral matched to the wrong person is corrected, not unmatched.
        "can_correct_match": request.user.role == "clinician"
        and referral.source == Referral.Source.SELF
        and referral.patient_id is not None
        and referral.status != "submitted"
        and not referral.entered_in_error,
        "emergency_tier": rules.EMERGENCY,
        "adult_age": rules.ADULT_AGE,
        # A GP sees the referrals they sent, but a patient's other records only at their own
        # practices: no link to a page that would answer 404.
        "can_see_patient": referral.patient_id is not None
        and patients_visible_to(request.user).filter(pk=referral.patient_id).exists(),
    }
    # Letters about the care the referral began, such as the discharge summary.
    context["episode_letters"] = (
        with_episode_letters([referral], request.user)[0].episode_letters
        if referral.episode_id
        else []
    )
    if referral.status in rules.RESENDABLE_STATUSES and not referral.entered_in_error:
        context["sent_again"] = selectors.sent_again_as(request.user, referral)
        # Offered to a GP or partner who may refer the patient, until it has been sent again.
        context["can_send_again"] = (
            request.user.role == "gp"
            and context["can_see_patient"]
            and not context["sent_again"]
            and not services.resend_problem(referral)
        )
    if context["duplicates"] and context["can_triage"]:
        context["duplicate_form"] = DuplicateForm(
            candidates=[item for item, _ in context["duplicates"]], red_flags=referral.red_flags
        )
    if referral.id_migraine_answers and not context["assessments"]:
        score = instruments.score("ID_MIGRAINE", referral.id_migraine_answers)
        context["pending_id_migraine"] = {
            "total": score.total,
            "band": instruments.band_label("ID_MIGRAINE", score.band),
        }
    if referral.urgency == rules.URGENT:
        context["urgent_advice"] = rules.urgent_advice(referral.red_flags)
    age = referral.age_at_referral
    if (
        referral.source == Referral.Source.SELF
        and referral.status == rules.SUBMITTED
        and referral.condition == Condition.HEADACHE
        and rules.triage_urgency(age, [*referral.red_flags, rules.NEW_ONSET_HEADACHE])
        != referral.urgency
    ):
        # A GP must say whether the headache is new; a self-referrer who did not tick it may
        # simply have missed it, so when a new headache would make it urgent, that is asked.
        context["ask_if_new"] = {
            "flags": [
                rules.RED_FLAGS[code]
                for code in rules.qualified_without_new_onset(referral.red_flags, age)
            ],
            "age": age,
        }
    if referral.headache_not_new and referral.urgency != rules.URGENT:
        # What the referrer said, and the flags it kept from changing the tier.
        context["said_not_new"] = {
            "flags": [
                rules.RED_FLAGS[code]
                for code in rules.qualified_without_new_onset(referral.red_flags, age)
            ]
        }
    if referral.decided_at and referral.status == rules.ACCEPTED:
        context["first_contact"] = rules.first_contact_target(
            selectors.contact_targets(),
            referral.priority,
            received_at=referral.submitted_at,
            triaged_at=referral.decided_at,
        )
        context["below_screen"] = rules.priority_below_screen(referral.urgency, referral.priority)
        if request.user.role == "clinician" and referral.episode_id and referral.patient_id:
            # For the care team: whether the first contact happened, and if not, where its
            # first conversation stands (as the waiting list says).
            context["first_contact_held"] = selectors.first_contact_at(referral.episode_id)
            if context["first_contact_held"] is None:
                context["first_conversation"] = first_contacts.for_referrals([referral]).get(
                    referral.episode_id
                )
    # The decision's note is for the team, or for the service a referral is redirected to: the
    # referrer sees it for a redirect (they pass it on) and when it gives the reason for a
    # priority below the screen's; the team's own note on an acceptance stays the team's.
    context["show_decision_note"] = bool(referral.decision_note) and (
        request.user.role != "gp"
        or referral.status == rules.REDIRECTED
        or context.get("below_screen", False)
    )
    # A self-referrer's number as they would write it (a mobile, or a landline to ring).
    context["stated_phone"] = display_uk_mobile(referral.stated_mobile)
    if referral.source == Referral.Source.SELF and referral.patient is not None:
        # A match made despite differences stays visible, so a wrong match can be spotted.
        differences = selectors.match_differences(referral, referral.patient)
        if differences:
            context["matched_differences"] = services.describe_differences(differences)
            context["matched_difference_count"] = len(differences)
    if referral.tell_by_team:
        context.update(_to_tell(request, referral))
    if not rules.is_adult(referral.age_at_referral):
        context["age_reason_label"] = rules.REJECTION_REASONS["not_eligible_age"]
    if referral.status == "submitted":
        context["clock"] = rules.triage_clock(
            submitted_at=referral.submitted_at,
            urgency=referral.urgency,
            targets=selectors.triage_targets(),
            now=timezone.now(),
        )
    context.update(extra)
    return context


def _to_tell(request, referral) -> dict:
    """What the page needs for an outcome only the team can tell the self-referrer: why, as it
    was when decided; for the care team, how to reach them and the form to record telling."""
    why = rules.TELL_REASONS[referral.tell_by_team]
    if request.user.role != "clinician":
        return {"to_tell": {"why": why}}
    patient = referral.patient
    return {
        "to_tell": {
            "why": why,
            "phone": display_uk_mobile(
                (patient.mobile if patient else "") or referral.stated_mobile
            ),
            "email": (patient.email if patient else "") or referral.stated_email,
            "for_team": True,
        },
        "told_form": ToldForm() if referral.told_at is None else None,
    }


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
        decided = services.triage_referral(
            actor=request.user, referral=referral, decision=form.decision_value()
        )
    except services.ReferralAlreadyDecided as exc:
        messages.error(request, str(exc))
        return _render_detail(
            request, selectors.referral_for(request.user, referral_uuid), status=409
        )
    except services.RedFlagsChanged as exc:
        # The form comes back as typed, now showing the referral's screen as it is.
        referral = selectors.referral_for(request.user, referral_uuid)
        data = request.POST.copy()
        data["shown_screen"] = DecisionForm.shown_token(referral)
        form = DecisionForm(data, urgency=referral.urgency)
        form.is_valid()
        form.add_error(None, str(exc))
        return _render_detail(request, referral, status=409, decision_form=form)
    except services.PriorityReasonNeeded as exc:
        form.add_error("note", str(exc))
        return _render_detail(request, referral, status=400, decision_form=form)
    except services.ReferralError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, referral, status=400, decision_form=form)
    outcome = f"Referral {decided.reference} {decision_words(decided)}."
    channel = services.outcome_channel(decided)
    if decided.tell_by_team:
        # It stays on the outcomes to tell until someone records telling them.
        messages.warning(
            request,
            f"{outcome} {rules.TELL_REASONS[decided.tell_by_team]}: tell them the outcome by "
            "phone or letter. It stays on 'Outcomes to tell' until you record that.",
        )
    elif channel is None:
        messages.warning(
            request,
            f"{outcome} No text message or email can be sent to the patient (no consent or "
            "contact details for either): tell them the outcome by phone or letter.",
        )
    elif decided.referrer_id is not None:
        messages.success(request, f"{outcome} The referrer will be told.")
    elif decided.patient.user_id is None:
        way = "A text message" if channel == "sms" else "An email"
        messages.warning(
            request,
            f"{outcome} The patient has no account to read the outcome in. {way} will tell "
            "them the team will contact them: tell them the outcome by phone or letter.",
        )
    else:
        way = "a text message" if channel == "sms" else "an email"
        messages.success(
            request, f"{outcome} The patient will be sent {way} asking them to sign in and read it."
        )
    return redirect("referrals:triage-queue")


@triage_required
@require_POST
def record_told(request, referral_uuid):
    """Record how the team told a self-referrer an outcome no message could lead them to."""
    referral = selectors.referral_for(request.user, referral_uuid)
    form = ToldForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, told_form=form)
    try:
        services.record_outcome_told(
            actor=request.user, referral=referral, how=form.cleaned_data["how"]
        )
    except services.ReferralError as exc:
        messages.error(request, str(exc))
        return redirect("referrals:detail", referral_uuid=referral.uuid)
    messages.success(
        request,
        f"Recorded that {referral.display_name} was told the outcome of referral "
        f"{referral.reference}.",
    )
    return redirect("referrals:outcomes-to-tell")


@role_required("gp")
@require_POST
def withdraw(request, referral_uuid):
    """The referring practice takes back a referral the team has not triaged yet (sent for the
    wrong patient, or no longer needed): it leaves the triage queue and the episode it opened
    ends. Once triaged, the team holds it: the page says to contact them. A patient's own
    self-referral is theirs to take back, not the practice's."""
    referral = selectors.referral_for(request.user, referral_uuid)
    if referral.source == Referral.Source.SELF:
        messages.error(
            request,
            "This is the patient's own self-referral, so it is not the practice's to withdraw. "
            "If it should not go ahead, tell the care team, who will triage it.",
        )
    elif referral.status != Referral.Status.SUBMITTED:
        messages.error(
            request,
            "This referral has been triaged or closed, so it cannot be withdrawn here. Contact "
            "the care team about it.",
        )
    else:
        try:
            services.close_referral(actor=request.user, referral=referral)
        except services.ReferralError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Referral withdrawn. The care team will not triage it.")
    return redirect("referrals:detail", referral_uuid=referral.uuid)
