import itertools

import pytest

from referrals import rules
from referrals.rules import (
    ALLOWED_TRANSITIONS,
    RED_FLAGS,
    RED_FLAGS_BY_TIER,
    REDIRECT_DESTINATIONS,
    REFERRAL_STATUSES,
    REJECTION_REASONS,
    TransitionNotAllowed,
    check_transition,
    emergency_advice,
    triage_urgency,
    urgent_advice,
)

# The vocabulary of clinical-rules.md section 9, "Triage rule used by the app (CONVENTION)".
EMERGENCY_CODES = [
    "thunderclap_onset",
    "worsening_headache_with_fever",
    "new_neurological_deficit",
    "new_cognitive_dysfunction",
    "impaired_consciousness",
    "papilloedema",
    "acute_angle_closure_glaucoma_signs",
    "jaw_claudication",
    "scalp_tenderness",
    "gca_visual_symptoms",
    "suspected_giant_cell_arteritis",
]
URGENT_CODES = [
    "progressive_subacute_neurological_deficit",
    "change_in_personality",
    "recent_head_trauma_within_3_months",
    "headache_triggered_by_cough_valsalva_sneeze",
    "headache_triggered_by_exercise",
    "orthostatic_headache",
    "substantial_change_in_headache_characteristics",
]
NEW_HEADACHE_QUALIFIED_CODES = [
    "compromised_immunity",
    "history_of_malignancy",
    "malignancy_known_to_metastasise_to_brain",
    "vomiting_without_obvious_cause",
]
QUALIFIER_CODES = ["new_onset_headache", "neck_stiffness"]
GCA_CODES = [
    "jaw_claudication",
    "scalp_tenderness",
    "gca_visual_symptoms",
    "suspected_giant_cell_arteritis",
]
ALL_CODES = EMERGENCY_CODES + URGENT_CODES + NEW_HEADACHE_QUALIFIED_CODES + QUALIFIER_CODES

STATUSES = ["submitted", "accepted", "rejected", "redirected", "closed"]
ALLOWED = {
    ("submitted", "accepted"),
    ("submitted", "rejected"),
    ("submitted", "redirected"),
    ("submitted", "closed"),
    ("accepted", "closed"),
}
ALL_TRANSITIONS = list(itertools.product(STATUSES, STATUSES))


# Vocabulary and display grouping


def test_it_labels_exactly_the_codes_of_the_convention_table():
    assert set(RED_FLAGS) == set(ALL_CODES)
    assert len(RED_FLAGS) == len(ALL_CODES)


def test_it_gives_every_code_a_short_plain_label():
    for code, label in RED_FLAGS.items():
        assert label.strip() == label, code
        assert 0 < len(label) <= 90, code
        assert "_" not in label, code


def test_it_groups_every_code_exactly_once_for_the_checklist_in_label_order():
    grouped = [code for _heading, codes in RED_FLAGS_BY_TIER for code in codes]
    assert grouped == list(RED_FLAGS)


def test_it_groups_the_checklist_by_tier():
    headings = [heading for heading, _codes in RED_FLAGS_BY_TIER]
    emergency, urgent, new_headache = (set(codes) for _heading, codes in RED_FLAGS_BY_TIER)
    assert headings[0].startswith("Emergency")
    assert emergency == set(EMERGENCY_CODES) | {"neck_stiffness"}
    assert urgent == set(URGENT_CODES)
    assert new_headache == set(NEW_HEADACHE_QUALIFIED_CODES) | {"new_onset_headache"}


def test_it_names_its_age_thresholds():
    assert rules.NEW_HEADACHE_AGE_THRESHOLD == 50
    assert rules.MALIGNANCY_YOUNG_AGE_LIMIT == 20


# Tier of every code


@pytest.mark.parametrize("code", EMERGENCY_CODES)
@pytest.mark.parametrize("age", [0, 30, 49, 50, 90])
def test_it_triages_an_emergency_flag_as_emergency_at_any_age(code, age):
    assert triage_urgency(age, [code]) == "emergency"


@pytest.mark.parametrize("code", URGENT_CODES)
@pytest.mark.parametrize("age", [0, 30, 49, 50, 90])
def test_it_triages_an_urgent_flag_as_urgent_at_any_age(code, age):
    assert triage_urgency(age, [code]) == "urgent"


@pytest.mark.parametrize("code", URGENT_CODES)
def test_it_triages_an_urgent_flag_as_urgent_without_a_new_headache(code):
    assert triage_urgency(30, {code}) == "urgent"
    assert triage_urgency(30, {code, "new_onset_headache"}) == "urgent"


@pytest.mark.parametrize("code", NEW_HEADACHE_QUALIFIED_CODES)
def test_it_triages_a_new_headache_qualifier_with_a_new_headache_as_urgent(code):
    assert triage_urgency(19, ["new_onset_headache", code]) == "urgent"


@pytest.mark.parametrize("code", NEW_HEADACHE_QUALIFIED_CODES)
@pytest.mark.parametrize("age", [0, 19, 20, 49, 50, 90])
def test_it_triages_a_new_headache_qualifier_without_a_new_headache_as_routine(code, age):
    assert triage_urgency(age, [code]) == "routine"


@pytest.mark.parametrize("code", ["compromised_immunity", "vomiting_without_obvious_cause"])
@pytest.mark.parametrize("age", [0, 19, 20, 49, 50, 90])
def test_it_triages_immunity_and_vomiting_with_a_new_headache_as_urgent_at_any_age(code, age):
    assert triage_urgency(age, ["new_onset_headache", code]) == "urgent"


# Age boundaries


def test_it_triages_a_new_headache_alone_at_49_as_routine():
    assert triage_urgency(49, ["new_onset_headache"]) == "routine"


def test_it_triages_a_new_headache_alone_at_50_as_urgent():
    assert triage_urgency(50, ["new_onset_headache"]) == "urgent"


@pytest.mark.parametrize("age", [0, 16, 19, 20, 35, 49])
def test_it_triages_a_new_headache_alone_under_50_as_routine(age):
    assert triage_urgency(age, ["new_onset_headache"]) == "routine"


@pytest.mark.parametrize("age", [50, 51, 65, 100])
def test_it_triages_a_new_headache_alone_at_50_or_over_as_urgent(age):
    assert triage_urgency(age, ["new_onset_headache"]) == "urgent"


@pytest.mark.parametrize("age", [50, 80])
def test_it_triages_older_age_without_a_new_headache_as_routine(age):
    assert triage_urgency(age, []) == "routine"


@pytest.mark.parametrize("age", [0, 12, 19])
def test_it_triages_a_history_of_malignancy_with_a_new_headache_under_20_as_urgent(age):
    assert triage_urgency(age, ["new_onset_headache", "history_of_malignancy"]) == "urgent"


@pytest.mark.parametrize("age", [20, 21, 35, 49])
def test_it_triages_a_history_of_malignancy_with_a_new_headache_from_20_to_49_as_routine(age):
    assert triage_urgency(age, ["new_onset_headache", "history_of_malignancy"]) == "routine"


def test_it_still_triages_a_history_of_malignancy_at_50_as_urgent_because_of_age():
    assert triage_urgency(50, ["new_onset_headache", "history_of_malignancy"]) == "urgent"


@pytest.mark.parametrize("age", [0, 19, 20, 21, 49, 50, 90])
def test_it_triages_a_cancer_known_to_spread_to_the_brain_with_a_new_headache_as_urgent(age):
    flags = ["new_onset_headache", "malignancy_known_to_metastasise_to_brain"]
    assert triage_urgency(age, flags) == "urgent"


def test_it_triages_both_cancer_flags_with_a_new_headache_at_20_as_urgent():
    flags = [
        "new_onset_headache",
        "history_of_malignancy",
        "malignancy_known_to_metastasise_to_brain",
    ]
    assert triage_urgency(20, flags) == "urgent"


def test_it_triages_a_new_headache_with_all_qualifiers_missing_as_routine_under_50():
    assert triage_urgency(49, ["new_onset_headache"]) == "routine"


# Qualifiers that are not flags on their own


def test_it_triages_neck_stiffness_alone_as_routine():
    assert triage_urgency(30, ["neck_stiffness"]) == "routine"


def test_it_triages_worsening_headache_with_fever_as_emergency_with_or_without_neck_stiffness():
    assert triage_urgency(30, ["worsening_headache_with_fever"]) == "emergency"
    assert triage_urgency(30, ["worsening_headache_with_fever", "neck_stiffness"]) == "emergency"


def test_it_triages_all_new_headache_qualifiers_without_a_new_headache_as_routine():
    assert triage_urgency(10, NEW_HEADACHE_QUALIFIED_CODES) == "routine"
    assert triage_urgency(70, NEW_HEADACHE_QUALIFIED_CODES + ["neck_stiffness"]) == "routine"


# Highest tier wins


def test_it_triages_no_flags_as_routine():
    assert triage_urgency(30, []) == "routine"
    assert triage_urgency(30, set()) == "routine"


def test_it_lets_an_emergency_flag_beat_urgent_flags():
    flags = URGENT_CODES + ["new_onset_headache", "compromised_immunity", "papilloedema"]
    assert triage_urgency(60, flags) == "emergency"


def test_it_lets_an_urgent_flag_beat_routine_qualifiers():
    assert triage_urgency(30, ["history_of_malignancy", "orthostatic_headache"]) == "urgent"


def test_it_triages_every_code_together_as_emergency():
    assert triage_urgency(30, ALL_CODES) == "emergency"


def test_it_triages_every_non_emergency_code_together_as_urgent():
    flags = URGENT_CODES + NEW_HEADACHE_QUALIFIED_CODES + QUALIFIER_CODES
    assert triage_urgency(30, flags) == "urgent"


# Input shapes and bad input


def test_it_accepts_any_iterable_of_codes_and_ignores_duplicates():
    assert triage_urgency(30, ("thunderclap_onset", "thunderclap_onset")) == "emergency"
    assert triage_urgency(50, (code for code in ["new_onset_headache"])) == "urgent"
    assert triage_urgency(50, frozenset({"new_onset_headache"})) == "urgent"


def test_it_rejects_an_unknown_code():
    with pytest.raises(ValueError, match="worst_headache_ever"):
        triage_urgency(30, ["worst_headache_ever"])


def test_it_rejects_an_unknown_code_even_beside_an_emergency_flag():
    with pytest.raises(ValueError, match="Thunderclap_Onset"):
        triage_urgency(30, ["thunderclap_onset", "Thunderclap_Onset"])


@pytest.mark.parametrize("flags", [[None], [1], [("thunderclap_onset",)], [["papilloedema"]], 7])
def test_it_rejects_a_code_that_is_not_a_string(flags):
    with pytest.raises(ValueError):
        triage_urgency(30, flags)


def test_it_rejects_a_single_string_instead_of_a_collection():
    with pytest.raises(ValueError, match="collection"):
        triage_urgency(30, "thunderclap_onset")


@pytest.mark.parametrize("age", [-1, -50])
def test_it_rejects_a_negative_age(age):
    with pytest.raises(ValueError, match="negative"):
        triage_urgency(age, [])


@pytest.mark.parametrize("age", [50.0, 49.5, "50", None, True, False])
def test_it_rejects_an_age_that_is_not_an_int(age):
    with pytest.raises(ValueError, match="whole number"):
        triage_urgency(age, ["new_onset_headache"])


def test_it_accepts_age_zero():
    assert triage_urgency(0, []) == "routine"


# Emergency and urgent advice


def test_it_gives_no_emergency_advice_without_an_emergency_flag():
    assert emergency_advice([]) == []
    assert emergency_advice(URGENT_CODES + NEW_HEADACHE_QUALIFIED_CODES + QUALIFIER_CODES) == []


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
def test_it_advises_999_or_a_and_e_for_an_acute_medical_emergency(code):
    advice = " ".join(emergency_advice([code]))
    assert "999" in advice
    assert "A&E" in advice
    assert "same-day medical assessment" in advice.lower()


@pytest.mark.parametrize("code", EMERGENCY_CODES)
def test_it_gives_advice_for_every_emergency_flag(code):
    advice = emergency_advice([code])
    assert advice
    assert any("triage" in line for line in advice)


@pytest.mark.parametrize("code", GCA_CODES)
def test_it_advises_same_day_rheumatology_or_ophthalmology_for_gca_features(code):
    advice = " ".join(emergency_advice([code]))
    assert "same-day specialist assessment (rheumatology or ophthalmology)" in advice
    assert "glucocorticoids" in advice
    assert "999" not in advice


def test_it_advises_same_day_ophthalmology_for_gca_visual_symptoms():
    advice = emergency_advice(["gca_visual_symptoms"])
    assert any("Visual symptoms" in line and "same-day ophthalmology" in line for line in advice)


@pytest.mark.parametrize("code", ["jaw_claudication", "scalp_tenderness"])
def test_it_leaves_out_the_visual_advice_without_visual_symptoms(code):
    assert not any("Visual symptoms" in line for line in emergency_advice([code]))


def test_it_advises_same_day_eye_casualty_for_acute_angle_closure_glaucoma():
    advice = " ".join(emergency_advice(["acute_angle_closure_glaucoma_signs"]))
    assert "same-day ophthalmology" in advice
    assert "eye casualty" in advice
    assert "999" not in advice


def test_it_combines_emergency_advice_for_mixed_flags_without_repeating_lines():
    advice = emergency_advice(
        ["thunderclap_onset", "papilloedema", "jaw_claudication", "gca_visual_symptoms"]
    )
    assert len(advice) == len(set(advice))
    assert "999" in advice[0]
    assert any("rheumatology" in line for line in advice)
    assert any("Visual symptoms" in line for line in advice)


def test_it_rejects_an_unknown_code_in_emergency_advice():
    with pytest.raises(ValueError):
        emergency_advice(["not_a_flag"])


def test_it_advises_the_two_week_route_for_urgent_referrals():
    advice = urgent_advice()
    assert len(advice) == 1
    assert "within 2 weeks" in advice[0]


def test_it_advises_direct_access_mri_for_a_progressive_deficit():
    advice = " ".join(urgent_advice(["progressive_subacute_neurological_deficit"]))
    assert "MRI" in advice
    assert "NG12" in advice


@pytest.mark.parametrize("code", ["recent_head_trauma_within_3_months", "compromised_immunity"])
def test_it_prompts_escalation_to_same_day_for_context_dependent_flags(code):
    advice = " ".join(urgent_advice([code, "new_onset_headache"]))
    assert "escalate to same day" in advice
    assert "anticoagulated" in advice


def test_it_rejects_an_unknown_code_in_urgent_advice():
    with pytest.raises(ValueError):
        urgent_advice(["not_a_flag"])


# Referral status transitions


def test_it_lists_the_five_referral_statuses():
    assert list(REFERRAL_STATUSES) == STATUSES
    assert set(ALLOWED_TRANSITIONS) == set(STATUSES)


def test_it_allows_exactly_the_expected_transitions():
    table = {(old, new) for old, targets in ALLOWED_TRANSITIONS.items() for new in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("current", "new"), ALL_TRANSITIONS)
def test_it_allows_or_forbids_each_status_transition(current, new):
    if (current, new) in ALLOWED:
        assert check_transition(current, new) is None
    else:
        with pytest.raises(TransitionNotAllowed, match=f"'{current}' to '{new}'"):
            check_transition(current, new)


@pytest.mark.parametrize("status", ["accepted", "rejected", "redirected"])
def test_it_never_lets_a_decided_referral_be_decided_again(status):
    for decision in ["accepted", "rejected", "redirected"]:
        with pytest.raises(TransitionNotAllowed):
            check_transition(status, decision)


def test_it_makes_transition_not_allowed_a_value_error():
    assert issubclass(TransitionNotAllowed, ValueError)


@pytest.mark.parametrize(
    ("current", "new"),
    [("draft", "submitted"), ("submitted", "triaged"), ("Submitted", "accepted"), ("", "closed")],
)
def test_it_rejects_an_unknown_status_as_a_plain_value_error(current, new):
    with pytest.raises(ValueError, match="Unknown referral status") as raised:
        check_transition(current, new)
    assert not isinstance(raised.value, TransitionNotAllowed)


# Coded reasons and destinations


def test_it_codes_the_rejection_reasons():
    assert set(REJECTION_REASONS) == {
        "red_flags_need_urgent_route",
        "not_eligible_age",
        "outside_area",
        "needs_specialist_service",
        "insufficient_information",
        "already_under_specialist",
        "other",
    }
    assert all(label for label in REJECTION_REASONS.values())


def test_it_codes_the_redirect_destinations():
    assert set(REDIRECT_DESTINATIONS) == {
        "neurology",
        "mental_health",
        "social_prescribing",
        "msk_physiotherapy",
        "other",
    }
    assert all(label for label in REDIRECT_DESTINATIONS.values())


def test_it_keeps_its_tables_read_only():
    with pytest.raises(TypeError):
        RED_FLAGS["new_code"] = "New"  # type: ignore[index]
    with pytest.raises(TypeError):
        ALLOWED_TRANSITIONS["rejected"] = frozenset({"accepted"})  # type: ignore[index]


@pytest.mark.parametrize(
    ("ticked", "asked_about"),
    [
        (["compromised_immunity"], ("compromised_immunity",)),
        (
            ["vomiting_without_obvious_cause", "history_of_malignancy"],
            ("history_of_malignancy", "vomiting_without_obvious_cause"),
        ),
        (["compromised_immunity", "new_onset_headache"], ()),
        (["orthostatic_headache"], ()),
        ([], ()),
    ],
)
def test_flags_counting_only_with_a_new_headache_are_named_when_it_is_not_ticked(
    ticked, asked_about
):
    assert rules.qualified_without_new_onset(ticked) == asked_about


@pytest.mark.parametrize(
    ("age", "asked"), [(None, True), (19, True), (20, False), (49, False), (50, True)]
)
def test_a_history_of_cancer_is_asked_about_only_where_a_new_headache_would_change_the_tier(
    age, asked
):
    # Urgent with a new headache under 20; from 50 a new headache is urgent on its own.
    codes = rules.qualified_without_new_onset(["history_of_malignancy"], age)
    assert (codes == ("history_of_malignancy",)) is asked
    if age is not None:
        urgent = rules.triage_urgency(age, ["history_of_malignancy", "new_onset_headache"])
        assert (urgent == "urgent") is asked
