"""The main POST (and filter) views, fed random form data through the test client as the person
who uses them: invalid data gives a page with messages or a 4xx, never a 500 (DESIGN.md
section 10). The client re-raises any exception a view lets escape, so a crash fails here."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from careplans import forms as careplan_forms
from diaries import forms as diary_forms
from pathway import forms as kernel_forms
from pathway.dashboard.forms import DashboardFilterForm
from referrals import forms as referral_forms
from reviews import forms as review_forms
from reviews.questionnaires import QUESTIONNAIRES
from tests.security.fuzzing import FUZZ_VIEWS, JUNK, arguments, build, management_values, value_for
from tests.security.journeys import as_user

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Target:
    """One view: who uses it, its URL arguments, and the forms whose fields it reads, each with
    the prefix its fields carry (formset rows are "<prefix>-<n>-")."""

    url_name: str
    persona: str
    forms: tuple = ()
    kwargs: object = None
    method: str = "post"
    formsets: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)
    questionnaire: str = ""


def _careplan(world):
    from careplans.models import CarePlan
    from tests.careplans import builders

    existing = CarePlan.objects.filter(patient=world.patient).first()
    return existing or builders.plan(world.patient, actor=world.clinician)


def _trial(world):
    from tests.careplans import builders

    plan = _careplan(world)
    # One ongoing line per medicine: a plan already taking it gives that one.
    return plan.trials.filter(outcome="ongoing").first() or builders.trial(
        plan, actor=world.clinician
    )


def _referral(world):
    from tests.referrals import builders

    return {"referral_uuid": builders.referral(world.patient, world.gp).uuid}


def _self_referral(world):
    from tests.referrals import builders

    return {"referral_uuid": builders.self_referral(world.practice_a).uuid}


def _self_referral_sent_twice(world):
    from tests.referrals import builders

    builders.self_referral(world.practice_a)
    return _self_referral(world)


def _appointment(world, **fields):
    from tests.reviews import builders

    return {"appointment_uuid": builders.appointment(world.patient, world.clinician, **fields).uuid}


def _questionnaire(code):
    def kwargs(world):
        from tests.reviews import builders

        return {"request_uuid": builders.questionnaire_request(world.patient, instrument=code).uuid}

    return kwargs


def _episode(world):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=world.patient)
    return {"patient_uuid": world.patient.uuid}


def _patient(world):
    return {"patient_uuid": world.patient.uuid}


def _session(world):
    from tests.reviews import builders

    return {"session_uuid": builders.group_session(world.service).uuid}


def _booking(world):
    from tests.reviews import builders

    booking = builders.booking(builders.group_session(world.service), world.patient)
    return {"booking_uuid": booking.uuid}


def _alert(world):
    from tests.reviews import builders

    return {"alert_uuid": builders.safety_alert(world.patient).uuid}


def _mdt(world):
    from tests.reviews import builders

    return {"case_uuid": builders.mdt_case(world.patient).uuid}


def _draft(world):
    return {"version_uuid": _careplan(world).versions.get(number=1).uuid}


YESTERDAY = lambda w: {"day": timezone.localdate() - timedelta(days=1)}  # noqa: E731
DRAFT_FORMSETS = tuple(
    (prefix, formset.form) for _, formset, prefix, _, _ in careplan_forms.DRAFT_FORMSETS
)
DIARY = {
    "forms": (("", diary_forms.DayForm), ("episode-0-", diary_forms.EpisodeForm)),
    "formsets": ("episode",),
    "extra": {
        "action": st.sampled_from(["", "headache_free", "remove", "save", "x"]),
        "add_episode": st.sampled_from(["", "1"]),
        "episode-0-DELETE": st.sampled_from(["", "on"]),
        "episode-1-severity": JUNK,
        "next": st.sampled_from(["", "today", "calendar", "https://evil.example/"]),
    },
}
TARGETS = [
    Target("pathway:patient-create", "gp", (("", kernel_forms.PatientForm),)),
    Target("pathway:patient-search", "gp", (("", kernel_forms.PatientSearchForm),), method="get"),
    Target(
        "pathway:contact-preferences",
        "patient",
        (("", kernel_forms.ContactPreferencesForm),),
        extra={"opt_out": st.sampled_from(["", "1"])},
    ),
    Target("dashboard:home", "commissioner", (("", DashboardFilterForm),), method="get"),
    Target("diaries:today", "patient", **DIARY),
    Target("diaries:day", "patient", kwargs=YESTERDAY, **DIARY),
    Target(
        "diaries:episode-form",
        "patient",
        method="get",
        extra={"episode-TOTAL_FORMS": management_values()},
    ),
    Target(
        "diaries:patient-diary",
        "clinician",
        (("", diary_forms.WindowForm),),
        kwargs=_patient,
        method="get",
    ),
    Target("diaries:report-request", "patient", (("", diary_forms.WindowForm),), kwargs=_patient),
    Target(
        "referrals:create",
        "gp",
        (
            ("", referral_forms.ReferralForm),
            ("new-", referral_forms.NewPatientForm),
            ("preventive-0-", referral_forms.PreventiveForm),
        ),
        formsets=("preventive",),
        extra={"red_flags": st.sampled_from(["thunderclap_onset", "new_onset_over_50", "x"])},
    ),
    Target(
        "referrals:screen",
        "gp",
        (("", referral_forms.ScreenForm),),
        extra={"new-date_of_birth": JUNK, "red_flags": JUNK},
    ),
    Target("referrals:patient-lookup", "gp", (("", referral_forms.ScreenForm),)),
    Target("referrals:self-refer", "anonymous", (("", referral_forms.SelfReferralForm),)),
    Target("referrals:self-refer-screen", "anonymous", (("", referral_forms.ScreenForm),)),
    Target("referrals:decide", "clinician", (("", referral_forms.DecisionForm),), kwargs=_referral),
    Target(
        "referrals:match", "clinician", (("", referral_forms.MatchForm),), kwargs=_self_referral
    ),
    Target(
        "referrals:close-duplicate",
        "clinician",
        (("", referral_forms.DuplicateForm),),
        kwargs=_self_referral_sent_twice,
    ),
    Target(
        "referrals:waiting-list",
        "clinician",
        (("", referral_forms.WaitingListFilterForm),),
        method="get",
        extra={"page": JUNK},
    ),
    Target("referrals:triage-queue", "clinician", method="get", extra={"page": JUNK}),
    Target(
        "careplans:plan-start",
        "clinician",
        (("", careplan_forms.StartPlanForm),),
        kwargs=_episode,
    ),
    Target(
        "careplans:draft-edit",
        "clinician",
        (("", careplan_forms.VersionForm),)
        + tuple((f"{prefix}-0-", form) for prefix, form in DRAFT_FORMSETS),
        kwargs=_draft,
        formsets=tuple(prefix for prefix, _ in DRAFT_FORMSETS),
        extra={"agree": st.just("1"), "add_more": st.just("1"), "goals-0-id": JUNK},
    ),
    Target("careplans:draft-agree", "clinician", (("", careplan_forms.AgreeForm),), kwargs=_draft),
    Target(
        "careplans:trial-add",
        "clinician",
        (("", careplan_forms.TrialForm),),
        kwargs=lambda w: {"plan_uuid": _careplan(w).uuid},
    ),
    Target(
        "careplans:trial-review",
        "clinician",
        (("", careplan_forms.TrialReviewForm),),
        kwargs=lambda w: {"trial_uuid": _trial(w).uuid},
    ),
    Target(
        "careplans:reduction-add",
        "clinician",
        (("", careplan_forms.ReductionForm),),
        kwargs=lambda w: {"trial_uuid": _trial(w).uuid},
    ),
    Target(
        "careplans:leaflet-attach",
        "clinician",
        (("", careplan_forms.AttachLeafletForm),),
        kwargs=lambda w: {"plan_uuid": _careplan(w).uuid},
    ),
    Target("careplans:leaflet-list", "anonymous", method="get", extra={"condition": JUNK}),
    Target(
        "reviews:appointment-create",
        "clinician",
        (("", review_forms.AppointmentForm),),
        kwargs=_patient,
        extra={"request": JUNK},
    ),
    Target(
        "reviews:appointment-reschedule",
        "clinician",
        (("", review_forms.RescheduleForm),),
        kwargs=_appointment,
    ),
    Target(
        "reviews:appointment-cancel",
        "clinician",
        (("", review_forms.CancelForm),),
        kwargs=_appointment,
    ),
    Target(
        "reviews:appointment-attendance",
        "clinician",
        kwargs=lambda w: _appointment(w, start=timezone.now() - timedelta(hours=2)),
        extra={"attendance": st.one_of(st.sampled_from(["attended", "did_not_attend"]), JUNK)},
    ),
    Target(
        "reviews:appointment-not-rebooking",
        "clinician",
        (("", review_forms.NotRebookingForm),),
        kwargs=lambda w: _appointment(
            w, start=timezone.now() - timedelta(days=2), status="did_not_attend"
        ),
        extra={"undo": st.one_of(st.just("yes"), JUNK)},
    ),
    Target(
        "reviews:review",
        "clinician",
        (("", review_forms.ReviewForm),),
        kwargs=lambda w: _appointment(w, start=timezone.now() - timedelta(hours=1)),
    ),
    Target(
        "reviews:questionnaire-request",
        "clinician",
        (("", review_forms.QuestionnaireRequestForm),),
        kwargs=_patient,
    ),
    Target("reviews:mdt-create", "clinician", (("", review_forms.MdtCaseForm),), kwargs=_patient),
    Target("reviews:mdt-case", "clinician", (("", review_forms.MdtDiscussionForm),), kwargs=_mdt),
    Target("reviews:alert", "clinician", (("", review_forms.AlertActionForm),), kwargs=_alert),
    Target("reviews:group-session-create", "clinician", (("", review_forms.GroupSessionForm),)),
    Target(
        "reviews:group-session-invite",
        "clinician",
        (("", review_forms.InviteForm),),
        kwargs=_session,
    ),
    Target(
        "reviews:group-booking",
        "clinician",
        kwargs=_booking,
        extra={"action": st.one_of(st.sampled_from(["attended", "did_not_attend", "book"]), JUNK)},
    ),
    Target(
        "reviews:appointments",
        "clinician",
        (("", review_forms.AppointmentFilterForm),),
        method="get",
        extra={"page": JUNK},
    ),
    Target(
        "reviews:my-appointment-rearrange",
        "patient",
        (("", review_forms.RearrangeForm),),
        kwargs=_appointment,
    ),
    Target(
        "reviews:my-appointment-cancel",
        "patient",
        (("", review_forms.PatientCancelForm),),
        kwargs=_appointment,
    ),
    Target("reviews:my-booking-request", "patient", (("", review_forms.BookingRequestForm),)),
    Target(
        "reviews:my-group-booking",
        "patient",
        kwargs=_booking,
        extra={"action": st.one_of(st.just("cancel"), JUNK)},
    ),
    Target("reviews:my-group-booking-cancel", "patient", kwargs=_booking),
] + [
    Target(
        "reviews:my-questionnaire",
        "patient",
        (("", review_forms.AnswersForm),),
        kwargs=_questionnaire(code),
        questionnaire=code,
    )
    for code in QUESTIONNAIRES
]


def _user(world, persona):
    return {
        "patient": world.patient_user,
        "gp": world.gp,
        "clinician": world.clinician,
        "commissioner": world.commissioner,
    }.get(persona)


def _strategy(target: Target, world):
    parts = {}
    for prefix, form_class in target.forms:
        variant = {}
        if target.questionnaire:
            variant["questionnaire"] = QUESTIONNAIRES[target.questionnaire]
        fields = build(form_class, None, arguments(form_class, world, **variant)).fields
        parts.update({f"{prefix}{name}": value_for(f) for name, f in fields.items()})
    for prefix in target.formsets:
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            parts[f"{prefix}-{key}"] = management_values().map(lambda v: [v])
    for name, strategy in target.extra.items():
        parts[name] = strategy.map(lambda v: [v])
    return st.fixed_dictionaries(
        {name: st.one_of(st.none(), strategy) for name, strategy in parts.items()}
    ).map(lambda chosen: {k: v for k, v in chosen.items() if v is not None})


def test_every_post_view_of_every_app_is_fuzzed():
    """New POST views should join TARGETS: list the named URLs that take a form here."""
    names = {target.url_name for target in TARGETS}
    for expected in (
        "pathway:patient-create",
        "diaries:today",
        "referrals:create",
        "referrals:decide",
        "careplans:draft-edit",
        "reviews:review",
        "reviews:my-questionnaire",
    ):
        assert expected in names


@pytest.mark.parametrize(
    "target", TARGETS, ids=lambda t: "-".join(filter(None, (t.url_name, t.questionnaire)))
)
def test_a_view_never_answers_500_to_random_input(target, client, world):
    kwargs = target.kwargs(world) if target.kwargs else {}
    url = reverse(target.url_name, kwargs=kwargs)
    user = _user(world, target.persona)
    if user is not None:
        as_user(client, user)
    send = getattr(client, target.method)

    @FUZZ_VIEWS
    @given(data=_strategy(target, world))
    def check(data):
        response = send(url, data)
        assert response.status_code < 500, (response.status_code, data)
        assert response.status_code in (200, 302, 400, 404, 405, 409, 429), response.status_code

    check()


@pytest.mark.parametrize(
    ("url_name", "kwargs", "prefixes"),
    [
        ("careplans:draft-edit", _draft, [prefix for prefix, _ in DRAFT_FORMSETS]),
        ("diaries:today", None, ["episode"]),
        ("referrals:create", None, ["preventive"]),
    ],
)
def test_a_huge_row_count_is_refused_without_building_the_rows(
    url_name, kwargs, prefixes, client, world
):
    """A formset builds the rows its posted TOTAL_FORMS asks for, up to its absolute maximum:
    that maximum must be small, or one request costs seconds of CPU and megabytes of page."""
    url = reverse(url_name, kwargs=kwargs(world) if kwargs else {})
    persona = {"careplans": "clinician", "diaries": "patient", "referrals": "gp"}
    as_user(client, _user(world, persona[url_name.split(":")[0]]))
    data = {}
    for prefix in prefixes:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "1000000",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000000",
            }
        )
    response = client.post(url, data)
    assert response.status_code in (200, 400)
    assert len(response.content) < 500_000
