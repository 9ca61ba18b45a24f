"""Pure additions to referrals.rules: decisions, flag validation, age, plain-English screen,
targets and wait clocks, priorities below the screen, the adult age and matching a
self-referral's details to a record. No database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from referrals import rules
from referrals.rules import (
    DECISION_STATUS,
    PATIENT_RED_FLAG_QUESTIONS,
    RED_FLAGS,
    age_in_years,
    check_transition,
    is_emergency,
    patient_emergency_advice,
    target_days_for,
    triage_urgency,
    validated_red_flags,
    wait_clock,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# Decisions


def test_each_decision_leads_to_a_status_allowed_from_submitted():
    assert DECISION_STATUS == {"accept": "accepted", "reject": "rejected", "redirect": "redirected"}
    for status in DECISION_STATUS.values():
        check_transition("submitted", status)


@pytest.mark.parametrize("status", ["accepted", "rejected", "redirected", "closed"])
@pytest.mark.parametrize("decision_status", sorted(DECISION_STATUS.values()))
def test_no_decision_can_be_made_on_a_decided_or_closed_referral(status, decision_status):
    with pytest.raises(rules.TransitionNotAllowed):
        check_transition(status, decision_status)


def test_open_and_decided_statuses_partition_the_table_sensibly():
    assert set(rules.OPEN_STATUSES) == {"submitted", "accepted"}
    assert set(rules.DECIDED_STATUSES) == set(DECISION_STATUS.values())


# Flag validation


def test_it_returns_flags_in_checklist_order_without_duplicates():
    assert validated_red_flags(["papilloedema", "thunderclap_onset", "papilloedema"]) == (
        "thunderclap_onset",
        "papilloedema",
    )
    assert validated_red_flags([]) == ()


@pytest.mark.parametrize("flags", [["nope"], "thunderclap_onset", [None], 3])
def test_it_rejects_bad_flag_input(flags):
    with pytest.raises(ValueError):
        validated_red_flags(flags)


@pytest.mark.parametrize("code", list(RED_FLAGS))
@pytest.mark.parametrize("age", [0, 19, 20, 49, 50, 90])
def test_is_emergency_agrees_with_triage_urgency_for_every_code_and_age(code, age):
    for flags in ([code], [code, "new_onset_headache"]):
        assert is_emergency(flags) == (triage_urgency(age, flags) == "emergency")


def test_is_emergency_rejects_unknown_codes():
    with pytest.raises(ValueError):
        is_emergency(["thunderclap_onset", "unknown"])


# Age


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1976, 6, 15), date(2026, 6, 14), 49),
        (date(1976, 6, 15), date(2026, 6, 15), 50),
        (date(2006, 1, 1), date(2025, 12, 31), 19),
        (date(2006, 1, 1), date(2026, 1, 1), 20),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2026, 5, 1), date(2026, 5, 1), 0),
    ],
)
def test_it_counts_completed_years(born, on, age):
    assert age_in_years(born, on) == age


def test_it_refuses_a_birth_after_the_date():
    with pytest.raises(ValueError):
        age_in_years(date(2026, 5, 2), date(2026, 5, 1))


# Plain-English screen for self-referral


def test_every_patient_question_is_a_known_code_in_checklist_order():
    assert set(PATIENT_RED_FLAG_QUESTIONS) <= set(RED_FLAGS)
    order = [code for code in RED_FLAGS if code in PATIENT_RED_FLAG_QUESTIONS]
    assert list(PATIENT_RED_FLAG_QUESTIONS) == order


def test_patients_are_not_asked_about_clinicians_findings():
    assert set(RED_FLAGS) - set(PATIENT_RED_FLAG_QUESTIONS) == {
        "papilloedema",
        "suspected_giant_cell_arteritis",
    }


def test_patient_questions_avoid_codes_and_jargon():
    for code, question in PATIENT_RED_FLAG_QUESTIONS.items():
        assert "_" not in question, code
        for jargon in ("papilloedema", "claudication", "orthostatic", "Valsalva", "malignancy"):
            assert jargon.lower() not in question.lower(), code


@pytest.mark.parametrize(
    "code",
    [
        "thunderclap_onset",
        "worsening_headache_with_fever",
        "new_neurological_deficit",
        "new_cognitive_dysfunction",
        "impaired_consciousness",
        "papilloedema",
    ],
)
def test_it_tells_a_patient_with_an_acute_flag_to_call_999(code):
    advice = patient_emergency_advice([code])
    assert advice[0] == rules.PATIENT_CALL_999_ADVICE
    assert advice[-1] == rules.PATIENT_DO_NOT_WAIT_ADVICE


@pytest.mark.parametrize("code", ["gca_visual_symptoms", "acute_angle_closure_glaucoma_signs"])
def test_it_sends_a_patient_with_eye_symptoms_to_eye_casualty_today(code):
    advice = patient_emergency_advice([code])
    assert rules.PATIENT_EYE_ADVICE in advice
    assert rules.PATIENT_CALL_999_ADVICE not in advice


@pytest.mark.parametrize("code", ["jaw_claudication", "scalp_tenderness"])
def test_it_asks_a_patient_with_gca_features_to_be_seen_today(code):
    advice = patient_emergency_advice([code])
    assert rules.PATIENT_GCA_ADVICE in advice
    assert rules.PATIENT_EYE_ADVICE not in advice


@pytest.mark.parametrize("code", list(RED_FLAGS))
def test_patient_advice_exists_exactly_when_the_referral_is_an_emergency(code):
    assert bool(patient_emergency_advice([code])) == is_emergency([code])


@pytest.mark.parametrize(
    ("codes", "route"),
    [
        (["thunderclap_onset", "jaw_claudication"], rules.PATIENT_CALL_999_ADVICE),
        (["papilloedema", "gca_visual_symptoms"], rules.PATIENT_CALL_999_ADVICE),
        (["gca_visual_symptoms", "jaw_claudication"], rules.PATIENT_EYE_ADVICE),
        (["acute_angle_closure_glaucoma_signs", "scalp_tenderness"], rules.PATIENT_EYE_ADVICE),
    ],
)
def test_a_patient_is_sent_to_one_place_the_most_urgent_and_told_to_mention_the_rest(codes, route):
    assert patient_emergency_advice(codes) == [
        route,
        rules.PATIENT_TELL_EVERY_SYMPTOM_ADVICE,
        rules.PATIENT_DO_NOT_WAIT_ADVICE,
    ]


def test_one_route_needs_no_word_about_the_rest():
    assert rules.PATIENT_TELL_EVERY_SYMPTOM_ADVICE not in patient_emergency_advice(
        ["thunderclap_onset", "impaired_consciousness"]
    )


def test_patient_advice_lines_are_not_repeated():
    advice = patient_emergency_advice(list(RED_FLAGS))
    assert len(advice) == len(set(advice))


# Targets and clocks


def test_it_prefers_the_priority_specific_target_then_any():
    targets = {"urgent": 14, "routine": 28}
    assert target_days_for(targets, "urgent") == 14
    assert target_days_for(targets, "routine") == 28
    assert target_days_for({"any": 5}, "urgent") == 5
    assert target_days_for({"any": 5, "urgent": 2}, "urgent") == 2
    assert target_days_for({}, "routine") is None


def test_the_triage_clock_uses_the_target_for_the_referrals_urgency_or_for_any():
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    received = now - timedelta(days=3)
    targets = {"any": 5, "urgent": 2}
    urgent = rules.triage_clock(submitted_at=received, urgency="urgent", targets=targets, now=now)
    routine = rules.triage_clock(submitted_at=received, urgency="routine", targets=targets, now=now)
    assert (urgent.target_days, urgent.days_waited, urgent.breached) == (2, 3, True)
    assert (routine.target_days, routine.days_left, routine.breached) == (5, 2, False)
    assert rules.triage_clock(submitted_at=received, urgency="urgent", targets={}, now=now) is None


TARGETS = rules.ContactTargets(
    from_triage={"urgent": 14, "routine": 28}, from_referral={"urgent": 14}
)


def test_an_urgent_first_contact_is_due_14_days_from_referral_when_triage_was_later():
    target = rules.first_contact_target(
        TARGETS, "urgent", received_at=START, triaged_at=START + timedelta(days=4)
    )
    assert (target.measured_from, target.days, target.label) == (
        "referral",
        14,
        "14 days from referral",
    )
    assert target.due_at == START + timedelta(days=14)


def test_a_first_contact_target_from_triage_applies_when_it_ends_first():
    target = rules.first_contact_target(
        rules.ContactTargets(from_triage={"urgent": 5}, from_referral={"urgent": 14}),
        "urgent",
        received_at=START,
        triaged_at=START + timedelta(days=2),
    )
    assert (target.measured_from, target.due_at) == ("triage", START + timedelta(days=7))


def test_a_tie_is_counted_from_referral_and_routine_has_only_its_triage_target():
    tie = rules.first_contact_target(TARGETS, "urgent", received_at=START, triaged_at=START)
    assert tie.measured_from == "referral"
    routine = rules.first_contact_target(
        TARGETS, "routine", received_at=START, triaged_at=START + timedelta(days=3)
    )
    assert (routine.measured_from, routine.days) == ("triage", 28)


def test_without_a_target_or_a_start_there_is_no_first_contact_target():
    empty = rules.ContactTargets(from_triage={}, from_referral={})
    assert rules.first_contact_target(empty, "urgent", received_at=START, triaged_at=START) is None
    untriaged = rules.first_contact_target(TARGETS, "routine", received_at=START, triaged_at=None)
    assert untriaged is None
    from_referral = rules.first_contact_target(
        TARGETS, "urgent", received_at=START, triaged_at=None
    )
    assert from_referral.measured_from == "referral"


def test_a_new_wait_has_the_whole_target_left():
    clock = wait_clock(started_at=START, target_days=5, now=START)
    assert (clock.days_waited, clock.days_left, clock.breached) == (0, 5, False)
    assert clock.due_at == START + timedelta(days=5)


def test_a_wait_counts_completed_days_only():
    clock = wait_clock(started_at=START, target_days=5, now=START + timedelta(days=4, hours=23))
    assert (clock.days_waited, clock.days_left, clock.breached) == (4, 1, False)


def test_a_wait_is_not_breached_at_the_due_moment():
    clock = wait_clock(started_at=START, target_days=5, now=START + timedelta(days=5))
    assert (clock.days_left, clock.breached, clock.days_over) == (0, False, 0)


def test_a_wait_is_breached_just_after_the_due_moment():
    clock = wait_clock(
        started_at=START, target_days=5, now=START + timedelta(days=5, microseconds=1)
    )
    assert (clock.days_left, clock.breached, clock.days_over) == (0, True, 0)


def test_a_breached_wait_counts_days_over():
    clock = wait_clock(started_at=START, target_days=28, now=START + timedelta(days=31, hours=2))
    assert (clock.days_waited, clock.days_left, clock.breached, clock.days_over) == (
        31,
        -3,
        True,
        3,
    )


def test_a_start_after_now_counts_as_no_wait():
    clock = wait_clock(started_at=START, target_days=5, now=START - timedelta(hours=1))
    assert (clock.days_waited, clock.breached) == (0, False)


@pytest.mark.parametrize("days", [0, -1, 1.5, "5", None, True])
def test_it_refuses_a_target_that_is_not_a_positive_whole_number(days):
    with pytest.raises(ValueError):
        wait_clock(started_at=START, target_days=days, now=START)


# Urgency before the age is known


@pytest.mark.parametrize("code", list(RED_FLAGS))
def test_urgency_at_any_age_agrees_with_every_age_when_it_answers(code):
    for flags in ([code], [code, "new_onset_headache"], [code, "history_of_malignancy"]):
        tiers = {triage_urgency(age, flags) for age in range(0, 121)}
        expected = tiers.pop() if len(tiers) == 1 else None
        assert rules.urgency_at_any_age(flags) == expected, flags


def test_urgency_at_any_age_needs_the_age_for_a_new_headache():
    assert rules.urgency_at_any_age(["new_onset_headache"]) is None
    assert rules.urgency_at_any_age(["new_onset_headache", "history_of_malignancy"]) is None
    assert rules.urgency_at_any_age(["orthostatic_headache"]) == "urgent"
    assert rules.urgency_at_any_age([]) == "routine"
    assert rules.urgency_at_any_age(["papilloedema"]) == "emergency"


def test_urgency_at_any_age_rejects_unknown_codes():
    with pytest.raises(ValueError):
        rules.urgency_at_any_age(["nope"])


# Accepting below the screen's urgency


@pytest.mark.parametrize(
    ("urgency", "priority", "below"),
    [
        ("urgent", "routine", True),
        ("urgent", "urgent", False),
        ("routine", "routine", False),
        ("routine", "urgent", False),
    ],
)
def test_only_a_priority_lower_than_the_screen_is_below_it(urgency, priority, below):
    assert rules.priority_below_screen(urgency, priority) is below


@pytest.mark.parametrize(("urgency", "priority"), [("soon", "routine"), ("urgent", "")])
def test_below_screen_refuses_an_unknown_tier(urgency, priority):
    with pytest.raises(ValueError):
        rules.priority_below_screen(urgency, priority)


# Adults only


@pytest.mark.parametrize(("age", "adult"), [(0, False), (17, False), (18, True), (90, True)])
def test_the_service_is_for_people_aged_18_and_over(age, adult):
    assert rules.is_adult(age) is adult


# Matching a self-referral to a record

RECORD = rules.Identity(
    given_name="Alice",
    family_name="O'Neill",
    date_of_birth=date(1980, 5, 17),
    nhs_number="9434765919",
    practice=1,
)


def _stated(**overrides):
    values = {
        "given_name": "Alice",
        "family_name": "O'Neill",
        "date_of_birth": date(1980, 5, 17),
        "nhs_number": "9434765919",
        "practice": 1,
    }
    values.update(overrides)
    return rules.Identity(**values)


def test_the_same_details_have_no_differences():
    assert rules.identity_differences(_stated(), RECORD) == ()


def test_case_spacing_and_curly_apostrophes_are_not_differences():
    stated = _stated(given_name="  aLICE ", family_name="o\u2019neill")
    assert rules.identity_differences(stated, RECORD) == ()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"given_name": "Alicia"}, "given_name"),
        ({"family_name": "ONeill"}, "family_name"),
        ({"date_of_birth": date(1980, 5, 18)}, "date_of_birth"),
        ({"date_of_birth": date(1980, 7, 5)}, "date_of_birth"),
        ({"nhs_number": "4010232137"}, "nhs_number"),
        ({"practice": 2}, "practice"),
    ],
)
def test_each_differing_detail_is_named(overrides, code):
    assert rules.identity_differences(_stated(**overrides), RECORD) == (code,)


def test_differences_come_in_display_order():
    stated = _stated(practice=2, given_name="Bob", date_of_birth=date(1990, 1, 1))
    assert rules.identity_differences(stated, RECORD) == (
        "given_name",
        "date_of_birth",
        "practice",
    )
    assert list(rules.MATCH_FIELDS) == [
        "given_name",
        "family_name",
        "date_of_birth",
        "nhs_number",
        "practice",
    ]


def test_an_nhs_number_or_practice_not_given_is_not_a_difference():
    assert rules.identity_differences(_stated(nhs_number="", practice=None), RECORD) == ()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"given_name": " "}, "given_name"),
        ({"family_name": ""}, "family_name"),
        ({"date_of_birth": None}, "date_of_birth"),
    ],
)
def test_a_missing_name_or_date_of_birth_cannot_be_checked_so_differs(overrides, code):
    assert rules.identity_differences(_stated(**overrides), RECORD) == (code,)


@pytest.mark.parametrize(
    ("preferred", "mobile", "email", "missing"),
    [
        ("sms", "", "a@example.test", "mobile"),
        ("phone", "", "", "mobile"),
        ("email", "+447700900123", "", "email"),
        ("sms", "+447700900123", "", None),
        ("email", "", "a@example.test", None),
        ("letter", "", "", None),
    ],
)
def test_each_way_of_contact_needs_its_own_detail(preferred, mobile, email, missing):
    assert rules.missing_contact_detail(preferred, mobile=mobile, email=email) == missing


# Red flags carried from a copy of a referral


def test_flags_only_one_referral_gives_come_in_checklist_order():
    assert rules.red_flags_only_in(
        ["compromised_immunity", "new_onset_headache", "change_in_personality"],
        ["change_in_personality"],
    ) == ("new_onset_headache", "compromised_immunity")
    assert rules.red_flags_only_in([], ["new_onset_headache"]) == ()
    with pytest.raises(ValueError):
        rules.red_flags_only_in(["no_such_flag"], [])


def test_flags_in_words_use_the_checklist_wording():
    assert rules.red_flags_in_words(["compromised_immunity", "change_in_personality"]) == (
        f"{RED_FLAGS['change_in_personality']}; {RED_FLAGS['compromised_immunity']}"
    )


def test_flags_added_together_can_make_a_referral_urgent():
    # Compromised immunity counts only with a new headache; together they are urgent.
    combined = ["new_onset_headache", "compromised_immunity"]
    assert rules.urgency_with_flags_added("routine", combined, {36}) == "urgent"


def test_a_new_headache_is_urgent_from_50_at_either_referrals_age():
    assert rules.urgency_with_flags_added("routine", ["new_onset_headache"], {49}) == "routine"
    assert rules.urgency_with_flags_added("routine", ["new_onset_headache"], {49, 50}) == "urgent"


def test_adding_flags_never_lowers_the_urgency():
    assert rules.urgency_with_flags_added("urgent", [], {40}) == "urgent"
    assert rules.urgency_with_flags_added("emergency", ["new_onset_headache"], {60}) == "emergency"


@pytest.mark.parametrize(
    ("urgency", "flags", "ages"),
    [("soon", [], {40}), ("routine", ["no_such_flag"], {40}), ("routine", [], set())],
)
def test_adding_flags_refuses_an_unknown_tier_or_flag_or_no_age(urgency, flags, ages):
    with pytest.raises(ValueError):
        rules.urgency_with_flags_added(urgency, flags, ages)
