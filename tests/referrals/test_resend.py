"""A referral the team rejected or redirected, sent again by the GP with what the advice asked
for: the form starts from the earlier answers (never its red flags, consent or questionnaire
scores), the new referral names the one it sends again, and a referral is sent again once. The
GP's home page lists their referrals that came back, until another referral follows."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from pathway.models import AuditEvent, Patient
from referrals import selectors, services
from referrals.models import PreventiveTried, Referral
from referrals.services import ReferralError
from reviews.models import SafetyAlert
from tests.factories import PatientFactory, UserFactory
from tests.referrals import builders
from tests.referrals.test_refused_referral_kept import _words

pytestmark = pytest.mark.django_db

CREATE = reverse("referrals:create")
ADVICE = "Please resend with the preventives tried and a 4-week headache diary."


def _rejected(world, **fields):
    made = builders.referral(
        world.patient,
        world.gp,
        problem="Headaches most days.",
        patient_goals="Get back to work.",
        current_acute_medication="Sumatriptan 50 mg",
        acute_medication_days_per_month=12,
        interpreter_language="Polish",
        red_flags=("change_in_personality",),
        questionnaires={"PHQ-9": [1, 1, 0, 0, 0, 0, 0, 0, 0]},
        preventives=(
            {
                "medicine": "Propranolol",
                "dose": "80 mg",
                "duration_weeks": 6,
                "stopped_reason": "not_tolerated",
            },
        ),
    )
    decision = {
        "decision": "reject",
        "rejection_reason": "insufficient_information",
        "advice_to_referrer": ADVICE,
        **fields,
    }
    return services.triage_referral(
        actor=world.clinician, referral=made, decision=services.Decision(**decision)
    )


def _send_again(world, earlier, patient=None, **content):
    return services.submit_referral(
        actor=world.gp,
        source="gp",
        patient=patient or world.patient,
        content=builders.content(**content),
        resends=earlier,
    )


def _resend_url(referral):
    return f"{CREATE}?resend={referral.uuid}"


def _detail(referral):
    return reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})


def _form(world, **overrides):
    data = {
        "referring_as": "gp",
        "nhs_number": world.patient.nhs_number,
        "condition": "headache",
        "problem": "Headaches most days. Diary of 4 weeks attached: 18 headache days.",
        "consent_to_contact": "on",
        "preferred_contact": "email",
        "preventive-TOTAL_FORMS": "4",
        "preventive-INITIAL_FORMS": "1",
        "preventive-MIN_NUM_FORMS": "0",
        "preventive-MAX_NUM_FORMS": "10",
        "preventive-0-medicine": "Propranolol",
        "preventive-0-stopped_reason": "not_tolerated",
        "preventive-1-medicine": "Amitriptyline",
        "preventive-1-dose": "10 mg",
        "preventive-1-duration_weeks": "8",
        "preventive-1-stopped_reason": "ineffective",
    }
    data.update(overrides)
    return data


def test_the_service_sends_a_rejected_referral_again_and_audits_the_link(world):
    earlier = _rejected(world)

    again = _send_again(world, earlier, problem="With a diary now.")

    assert again.resends == earlier
    assert again.status == Referral.Status.SUBMITTED
    assert list(earlier.sent_again_as.all()) == [again]
    event = AuditEvent.objects.get(object_uuid=again.uuid, action=AuditEvent.Action.CREATE)
    assert "resends" in event.fields


@pytest.mark.parametrize(
    ("decision", "status"),
    [("accept", "accepted"), (None, "submitted")],
)
def test_only_a_rejected_or_redirected_referral_is_sent_again(world, decision, status):
    other = builders.content(condition="chronic_pain")
    if decision:
        made = builders.decided(world.other_patient, world.gp, world.clinician, decision)
    else:
        made = builders.referral(world.other_patient, world.gp)
    assert made.status == status
    problem = services.resend_problem(made)
    assert f"is {status}: only a referral the team rejected or redirected" in problem

    with pytest.raises(ReferralError, match="only a referral the team rejected or redirected"):
        services.submit_referral(
            actor=world.gp, source="gp", patient=world.other_patient, content=other, resends=made
        )
    assert not Referral.objects.filter(condition="chronic_pain").exists()


def test_a_redirected_referral_is_sent_again(world):
    earlier = builders.decided(world.patient, world.gp, world.clinician, "redirect")
    assert services.resend_problem(earlier) == ""
    again = _send_again(world, earlier)
    assert again.resends == earlier


def test_a_referral_is_sent_again_once_and_for_its_own_patient(world):
    earlier = _rejected(world)
    with pytest.raises(ReferralError, match="is for another patient"):
        _send_again(world, earlier, world.other_patient)
    again = _send_again(world, earlier)
    # Rejected again, the first referral still cannot be sent a second time; the second can.
    services.triage_referral(
        actor=world.clinician,
        referral=again,
        decision=services.Decision(
            decision="reject", rejection_reason="other", advice_to_referrer="Not yet."
        ),
    )
    assert f"was sent again already, as referral {again.reference}" in services.resend_problem(
        earlier
    )
    with pytest.raises(ReferralError, match="was sent again already"):
        _send_again(world, earlier)
    assert services.resend_problem(Referral.objects.get(pk=again.pk)) == ""


def test_the_database_keeps_one_live_resend_and_never_a_referral_resending_itself(world):
    earlier = _rejected(world)
    again = _send_again(world, earlier)
    copy = builders.referral(world.patient, world.gp, condition="chronic_pain")
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=copy.pk).update(resends=earlier)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=copy.pk).update(resends=copy)
    # A copy marked entered in error no longer counts.
    Referral.objects.filter(pk=again.pk).update(entered_in_error=True)
    Referral.objects.filter(pk=copy.pk).update(resends=earlier)


def test_the_form_starts_from_the_earlier_answers_but_asks_flags_consent_and_scores_again(
    world, login
):
    earlier = _rejected(world)
    response = login(world.gp).get(_resend_url(earlier))

    assert response.status_code == 200
    body = response.content.decode()
    assert f"Refer {world.patient.full_name} again" in body
    assert "rejected (not enough information to triage)" in body
    assert ADVICE in body
    form = response.context["form"]
    assert form["nhs_number"].value() == world.patient.nhs_number_display
    assert form["problem"].value() == "Headaches most days."
    assert form["patient_goals"].value() == "Get back to work."
    assert form["acute_medication_days_per_month"].value() == 12
    assert form["interpreter_language"].value() == "Polish"
    assert form["preferred_contact"].value() == "email"
    # Asked again: they may have changed since.
    assert not form["red_flags"].value()
    assert not form["consent_to_contact"].value()
    assert not form["phq9"].value()
    formset = response.context["formset"]
    assert formset.forms[0]["medicine"].value() == "Propranolol"
    assert formset.forms[0]["dose"].value() == "80 mg"
    assert formset.forms[0]["stopped_reason"].value() == "not_tolerated"
    # Rows are left for what the advice asked for.
    assert len(formset.forms) == 4
    assert 'name="preventive-0-medicine"' in body and 'value="Propranolol"' in body
    # The patient is the earlier referral's: named, not looked up or added again.
    assert f'<input type="hidden" name="nhs_number" value="{world.patient.nhs_number}">' in body
    assert "New patient" not in body


def test_the_gp_sends_it_again_and_triage_sees_both_together(world, login):
    earlier = _rejected(world)
    gp = login(world.gp)
    response = gp.post(_resend_url(earlier), _form(world))

    again = Referral.objects.get(resends=earlier)
    assert response.status_code == 302
    assert response["Location"] == _detail(again)
    assert [p.medicine for p in PreventiveTried.objects.filter(referral=again)] == [
        "Propranolol",
        "Amitriptyline",
    ]
    page = gp.get(response["Location"]).content.decode()
    assert f"sending referral {earlier.reference} again" in page
    mine = gp.get(reverse("referrals:mine")).content.decode()
    assert f'as <a href="{_detail(again)}">referral {again.reference}</a>' in mine

    nurse = login(world.clinician)
    page = nurse.get(_detail(again)).content.decode()
    assert "This referral sends again" in page
    assert f'href="{_detail(earlier)}">referral {earlier.reference}</a>' in page
    assert ADVICE in page
    queue = nurse.get(reverse("referrals:triage-queue")).content.decode()
    assert "Sent again" in queue
    page = nurse.get(_detail(earlier)).content.decode()
    assert f'href="{_detail(again)}">referral {again.reference}</a>' in page
    assert "Send this referral again" not in page  # a clinician does not refer


def test_the_earlier_page_offers_sending_again_until_it_is_sent(world, login):
    earlier = _rejected(world)
    gp = login(world.gp)
    page = gp.get(_detail(earlier)).content.decode()
    assert f'href="{CREATE}?resend={earlier.uuid}"' in page
    assert "Done what the advice asks?" in page

    gp.post(_resend_url(earlier), _form(world))

    page = gp.get(_detail(earlier)).content.decode()
    assert "Send this referral again" not in page
    assert "Sent again" in page
    # The form, opened again from an old tab, says why and goes back to the referral.
    response = gp.get(_resend_url(earlier), follow=True)
    assert response.redirect_chain == [(_detail(earlier), 302)]
    assert "was sent again already" in response.content.decode()


def test_a_form_sent_twice_sends_the_referral_again_once(world, login):
    earlier = _rejected(world)
    gp = login(world.gp)
    gp.post(_resend_url(earlier), _form(world))
    response = gp.post(_resend_url(earlier), _form(world, problem="Typed again."))
    # The second says why nothing more was sent, and keeps what was typed on the page.
    assert response.status_code == 400
    body = response.content.decode()
    again = Referral.objects.get(resends=earlier)
    assert f"was sent again already, as referral {again.reference}" in body
    assert "Typed again." in body


SELF_HARM = "0 0 0 0 0 0 0 0 2"
HEAD_INJURY = "recent_head_trauma_within_3_months"


def _sent_again_by_colleague(world, earlier) -> Referral:
    colleague = UserFactory(role="gp", full_name="Dr Colleague", organisations=[world.practice_a])
    return services.submit_referral(
        actor=colleague,
        source="gp",
        patient=world.patient,
        content=builders.content(),
        resends=earlier,
    )


def test_a_form_a_colleague_sent_again_first_keeps_its_red_flags_and_self_harm_answer(world, login):
    earlier = _rejected(world)
    again = _sent_again_by_colleague(world, earlier)

    response = login(world.gp).post(
        _resend_url(earlier), _form(world, red_flags=[HEAD_INJURY], phq9=SELF_HARM)
    )

    assert response.status_code == 400
    page = _words(response)
    assert (
        f"{world.patient.full_name} already has an open referral for headache (referral "
        f"{again.reference}, sent by Dr Colleague), so this one has not been sent. This form "
        "has not been sent as a new referral, but its red flags (Head injury in the last 3 "
        f"months) were added to referral {again.reference}, now urgent (within 2 weeks), for "
        "triage (the team's decision goes to Dr Colleague, who sent it), and its PHQ-9 answer "
        "to question 9 (thoughts of self-harm) went to the care team as a safety alert. Assess "
        "the risk of self-harm with the patient today." in page
    )
    again.refresh_from_db()
    assert (again.red_flags, again.urgency) == ([HEAD_INJURY], "urgent")
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.kind == SafetyAlert.Kind.PHQ9_ITEM9
    assert list(again.assessments.all()) == [alert.assessment]
    copy = Referral.objects.get(duplicate_of=again)
    assert (copy.referrer, copy.entered_in_error, copy.resends) == (world.gp, True, None)
    # Still one referral sends the earlier one again: the colleague's.
    assert list(Referral.objects.live().filter(resends=earlier)) == [again]


def test_the_form_sent_twice_with_a_red_flag_ticked_since_adds_it_to_the_referral_sent(
    world, login
):
    earlier = _rejected(world)
    gp = login(world.gp)
    gp.post(_resend_url(earlier), _form(world))
    again = Referral.objects.get(resends=earlier)

    response = gp.post(_resend_url(earlier), _form(world, red_flags=[HEAD_INJURY]))

    assert response.status_code == 400
    page = _words(response)
    assert f"was sent again already, as referral {again.reference}" in page
    assert (
        "This form has not been sent as a new referral, but its red flags (Head injury in the "
        f"last 3 months) were added to referral {again.reference}, now urgent (within 2 weeks), "
        "for triage." in page
    )
    again.refresh_from_db()
    assert (again.red_flags, again.urgency) == ([HEAD_INJURY], "urgent")


def test_a_form_sent_again_for_a_referral_sent_again_and_decided_since_is_refused(world, login):
    earlier = _rejected(world)
    again = _send_again(world, earlier)
    services.triage_referral(
        actor=world.clinician,
        referral=again,
        decision=services.Decision(
            decision="reject", rejection_reason="other", advice_to_referrer="Not yet."
        ),
    )

    response = login(world.gp).post(_resend_url(earlier), _form(world, red_flags=[HEAD_INJURY]))

    # Nothing is open to take the flags: the form stays on the page with the reason, so the GP
    # sends the newer referral again instead.
    assert response.status_code == 400
    assert f"was sent again already, as referral {again.reference}" in _words(response)
    assert not Referral.objects.filter(duplicate_of__isnull=False).exists()


def test_the_service_refuses_a_referral_sent_again_twice_as_a_second_open_one(world):
    """What the form relies on: sent again while the first one sent again is open, it is a
    second referral for the patient and condition, whose new red flags are kept."""
    earlier = _rejected(world)
    again = _sent_again_by_colleague(world, earlier)
    content = builders.content(red_flags=(HEAD_INJURY,))

    with pytest.raises(services.DuplicateOpenReferral):
        services.submit_referral(
            actor=world.gp, source="gp", patient=world.patient, content=content, resends=earlier
        )
    kept = services.keep_refused_referral(
        actor=world.gp, source="gp", content=content, patient=world.patient
    )

    assert (kept.original, kept.carried, kept.to_triage) == (again, (HEAD_INJURY,), True)


def test_an_accepted_referral_is_not_offered_and_its_form_goes_back(world, login):
    accepted = builders.decided(world.patient, world.gp, world.clinician, "accept")
    gp = login(world.gp)
    assert "Send this referral again" not in gp.get(_detail(accepted)).content.decode()
    response = gp.get(_resend_url(accepted), follow=True)
    assert response.redirect_chain == [(_detail(accepted), 302)]
    assert "only a referral the team rejected or redirected" in response.content.decode()


def test_a_gp_who_cannot_refer_the_patient_is_not_offered_it(world, login):
    earlier = _rejected(world)
    # The patient moved to a practice the referring GP does not work with.
    world.patient.registered_practice = world.practice_c
    world.patient.save()
    gp = login(world.gp)
    page = gp.get(_detail(earlier)).content.decode()
    assert "Send this referral again" not in page
    response = gp.get(_resend_url(earlier), follow=True)
    assert "not registered at a practice you work with" in response.content.decode()
    assert not Referral.objects.filter(resends=earlier).exists()


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_referral_answers_404(world, login, value):
    assert login(world.gp).get(f"{CREATE}?resend={value}").status_code == 404


def test_another_practices_gp_cannot_open_the_referral_to_send_again(world, login):
    earlier = _rejected(world)
    assert login(world.other_gp).get(_resend_url(earlier)).status_code == 404
    response = login(world.other_gp).post(_resend_url(earlier), _form(world))
    assert response.status_code == 404
    assert not Referral.objects.filter(resends=earlier).exists()


# The GP's home page: referrals that came back ---------------------------------------------------

HOME = reverse("pathway:gp-home")


def _came_back(user):
    from django.utils import timezone

    return list(selectors.came_back_to(user, since=timezone.now() - timedelta(days=28)))


def test_the_gp_home_lists_referrals_that_came_back_until_they_are_sent_again(world, login):
    earlier = _rejected(world)
    redirected = builders.decided(world.other_patient, world.gp, world.clinician, "redirect")
    gp = login(world.gp)

    body = gp.get(HOME).content.decode()
    assert (
        f"Your referral of {world.patient.full_name} was rejected (not enough information to "
        "triage) on"
    ) in body
    assert f'href="{_detail(earlier)}">Read the advice</a>' in body
    assert f"Your referral of {world.other_patient.full_name} was redirected to Neurology" in body

    gp.post(_resend_url(earlier), _form(world))

    body = gp.get(HOME).content.decode()
    assert world.patient.full_name not in body
    assert _came_back(world.gp) == [redirected]


def test_a_referral_sent_again_then_withdrawn_comes_back_on_the_list(world, login):
    earlier = _rejected(world)
    gp = login(world.gp)
    gp.post(_resend_url(earlier), _form(world))
    again = Referral.objects.get(resends=earlier)
    assert _came_back(world.gp) == []
    gp.post(reverse("referrals:withdraw", args=[again.uuid]))
    again.refresh_from_db()
    assert again.status == "closed"
    # The advice still waits to be acted on, and the referral can be sent again.
    assert _came_back(world.gp) == [earlier]
    home = gp.get(HOME).content.decode()
    assert f"Your referral of {world.patient.full_name} was rejected" in home
    page = gp.get(_detail(earlier)).content.decode()
    assert "Send this referral again" in page
    assert f'As <a href="/referrals/{again.uuid}/">' not in page
    gp.post(_resend_url(earlier), _form(world))
    resent = Referral.objects.get(resends=earlier, status="submitted")
    assert resent != again
    assert _came_back(world.gp) == []


def test_the_decision_words_are_escaped_once(world, login):
    _rejected(world, rejection_reason="not_eligible_age")
    body = login(world.gp).get(HOME).content.decode()
    assert "rejected (patient&#x27;s age is outside the service&#x27;s eligibility)" in body
    assert "&amp;#x27;" not in body


def test_a_later_referral_for_the_condition_or_a_death_ends_the_line(world):
    earlier = _rejected(world)
    assert _came_back(world.gp) == [earlier]
    # Referred again without "send again": the referral came back and was acted on.
    builders.referral(world.patient, world.gp, condition="headache")
    assert _came_back(world.gp) == []

    redirected = builders.decided(world.other_patient, world.gp, world.clinician, "redirect")
    assert _came_back(world.gp) == [redirected]
    Patient.objects.filter(pk=world.other_patient.pk).update(date_of_death=date(2026, 1, 2))
    assert _came_back(world.gp) == []


def test_a_patient_who_moved_to_a_practice_the_gp_does_not_work_with_leaves_the_list(world):
    earlier = _rejected(world)
    assert _came_back(world.gp) == [earlier]
    # Their new practice refers them, if they need it: this GP cannot send it again.
    Patient.objects.filter(pk=world.patient.pk).update(registered_practice=world.practice_c)
    assert _came_back(world.gp) == []


def test_only_the_referrer_sees_it_and_only_for_four_weeks(world, login):
    earlier = _rejected(world)
    colleague = UserFactory(role="gp", full_name="Dr Colleague", organisations=[world.practice_a])
    assert _came_back(colleague) == []
    assert "Nothing needs you now" in login(colleague).get(HOME).content.decode()

    Referral.objects.filter(pk=earlier.pk).update(
        decided_at=earlier.decided_at - timedelta(days=29)
    )
    assert _came_back(world.gp) == []


def test_the_home_page_lists_five_and_counts_the_rest_in_one_query(
    world, login, django_assert_max_num_queries
):
    for n in range(6):
        patient = PatientFactory(registered_practice=world.practice_a, family_name=f"Many{n}")
        builders.decided(patient, world.gp, world.clinician, "reject")
    assert Patient.objects.filter(family_name__startswith="Many").count() == 6
    gp = login(world.gp)
    gp.get(HOME)
    # Session, user, memberships, the list; and the discharges list (reviews.referrer_tasks).
    with django_assert_max_num_queries(5):
        body = gp.get(HOME).content.decode()
    assert body.count("Your referral of") == 5
    assert "More of your referrals came back in the last 28 days." in body
    assert f'href="{reverse("referrals:mine")}">See them all in My referrals</a>' in body
