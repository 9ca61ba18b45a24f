"""The red-flag screen (clinical-rules.md section 9, "Triage rule used by the app (CONVENTION)"):
the vocabulary, the urgency tier, the advice to the referrer, and the same questions in plain
English for a self-referrer."""

from collections.abc import Iterable, Mapping
from types import MappingProxyType

# Urgency tiers, lowest to highest (clinical-rules.md section 9 convention table).
ROUTINE = "routine"
URGENT = "urgent"
EMERGENCY = "emergency"
TIERS: tuple[str, ...] = (ROUTINE, URGENT, EMERGENCY)

# A new headache at this age or older is urgent (ACR GCA criterion "age at onset >= 50"; SNOOP4;
# clinical-rules.md section 9 decisions: 49 is routine, 50 is urgent).
NEW_HEADACHE_AGE_THRESHOLD = 50

# A history of malignancy counts only under this age (NICE CG150 1.1.2 "age under 20 and a history
# of malignancy"; strictly < 20: 19 flags, 20 does not).
MALIGNANCY_YOUNG_AGE_LIMIT = 20

# The qualifier that the CG150 1.1.2 features and the older-age rule need (clinical-rules.md
# section 9); on its own, under the age threshold, it is not a flag.
NEW_ONSET_HEADACHE = "new_onset_headache"

# Recorded with worsening headache and fever ("± neck_stiffness" in the convention table); the
# table gives it no tier of its own.
NECK_STIFFNESS = "neck_stiffness"
FEVER_FLAG = "worsening_headache_with_fever"


def qualifier_without_its_flag(red_flags: Iterable[str]) -> bool:
    """Whether neck stiffness is ticked without worsening headache with fever, the flag it goes
    with: on its own it changes no tier, so the screen asks the referrer to check the fever."""
    codes = set(red_flags)
    return NECK_STIFFNESS in codes and FEVER_FLAG not in codes


def qualified_without_new_onset(
    red_flags: Iterable[str], age: int | None = None
) -> tuple[str, ...]:
    """The ticked flags that count only with a new-onset headache (NEW_HEADACHE_QUALIFIED_FLAGS,
    in their order) when new-onset headache is not ticked: on their own they change no tier, so
    the referrer is asked whether the headache is new. A history of cancer counts only under
    MALIGNANCY_YOUNG_AGE_LIMIT: at a known age from then until NEW_HEADACHE_AGE_THRESHOLD
    (where a new headache is urgent on its own) the answer would change nothing, so it is not
    asked about."""
    codes = set(red_flags)
    if NEW_ONSET_HEADACHE in codes:
        return ()
    if age is not None and MALIGNANCY_YOUNG_AGE_LIMIT <= age < NEW_HEADACHE_AGE_THRESHOLD:
        codes.discard(HISTORY_OF_MALIGNANCY)
    return tuple(code for code in NEW_HEADACHE_QUALIFIED_FLAGS if code in codes)


# Said on the referral form when such a flag is ticked without new-onset headache and the
# referrer has not said the headache is not new.
NEW_ONSET_UNANSWERED = (
    "{flags} count{s} as a red flag only with a new-onset headache. If the headache is new, tick "
    '"New-onset headache"; if it is a long-standing pattern, tick "The headache is not new".'
)
# Added for a chronic-pain referral: the checklist is of headache red flags, so a patient with
# no headache has none of them (the form's hint names the pain warning signs and their route).
NO_HEADACHE_UNTICK = (
    "If the patient has no headaches, untick the headache red flags. Warning signs in chronic "
    "pain, such as a history of cancer with new pain, need their own urgent route (for cancer, "
    "the urgent suspected cancer route), not this service."
)


def as_patient_answered(red_flags: Iterable[str]) -> list[str]:
    """The codes a self-referrer's ticks stand for. The public stiff-neck question asks about a
    headache and a high temperature as well (PATIENT_RED_FLAG_QUESTIONS): the signs the public
    pages send to 999, so a tick there counts as worsening headache with fever too."""
    codes = list(red_flags)
    if NECK_STIFFNESS in codes and FEVER_FLAG not in codes:
        codes.append(FEVER_FLAG)
    return codes


# Said on the referral form when neck stiffness is ticked without the fever flag it goes with
# and nothing else makes the referral an emergency: the referrer decides which it is.
NECK_STIFFNESS_WITHOUT_FEVER = (
    "Neck stiffness is a red flag with a worsening headache and fever. If the patient has a "
    'fever, tick "Worsening headache with fever" as well: that is an emergency. If they do not, '
    "untick neck stiffness and describe it under the problem."
)


# Emergency tier: same day (NICE CG150 1.1.1; NHS Highland high risk; BSR/CKS GCA; NW pathway).
EMERGENCY_FLAGS: tuple[str, ...] = (
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
)

# Giant cell arteritis features: same-day specialist assessment (BSR 2020; NICE CKS).
GCA_FLAGS: tuple[str, ...] = (
    "jaw_claudication",
    "scalp_tenderness",
    "gca_visual_symptoms",
    "suspected_giant_cell_arteritis",
)
GCA_VISUAL_SYMPTOMS = "gca_visual_symptoms"
ACUTE_ANGLE_CLOSURE_GLAUCOMA = "acute_angle_closure_glaucoma_signs"

# Emergency flags that need the acute medical route (999/A&E or the acute take) rather than a
# same-day eye or rheumatology service.
ACUTE_MEDICAL_FLAGS: tuple[str, ...] = tuple(
    code
    for code in EMERGENCY_FLAGS
    if code not in GCA_FLAGS and code != ACUTE_ANGLE_CLOSURE_GLAUCOMA
)

# Urgent tier on their own: within 2 weeks (NICE CG150 1.1.1; NHS Highland moderate risk; NICE NG12
# direct-access MRI within 2 weeks for progressive sub-acute deficit).
URGENT_FLAGS: tuple[str, ...] = (
    "progressive_subacute_neurological_deficit",
    "change_in_personality",
    "recent_head_trauma_within_3_months",
    "headache_triggered_by_cough_valsalva_sneeze",
    "headache_triggered_by_exercise",
    "orthostatic_headache",
    "substantial_change_in_headache_characteristics",
)

# Urgent only together with new_onset_headache (NICE CG150 1.1.2). history_of_malignancy also needs
# age < MALIGNANCY_YOUNG_AGE_LIMIT.
HISTORY_OF_MALIGNANCY = "history_of_malignancy"
NEW_HEADACHE_QUALIFIED_FLAGS: tuple[str, ...] = (
    "compromised_immunity",
    HISTORY_OF_MALIGNANCY,
    "malignancy_known_to_metastasise_to_brain",
    "vomiting_without_obvious_cause",
)

# Urgent flags after which the clinician should consider escalating to same day (clinical-rules.md
# section 9 decisions: anticoagulated, unwell, or febrile with immunocompromise).
CONTEXT_DEPENDENT_FLAGS: tuple[str, ...] = (
    "recent_head_trauma_within_3_months",
    "compromised_immunity",
)
PROGRESSIVE_DEFICIT = "progressive_subacute_neurological_deficit"

RED_FLAGS: Mapping[str, str] = MappingProxyType(
    {
        "thunderclap_onset": (
            "Thunderclap headache: sudden onset, at full intensity within 5 minutes"
        ),
        "worsening_headache_with_fever": "Worsening headache with fever",
        NECK_STIFFNESS: "Neck stiffness (with worsening headache and fever)",
        "new_neurological_deficit": "New neurological deficit of acute onset",
        "new_cognitive_dysfunction": "New problems with thinking, memory or confusion",
        "impaired_consciousness": "Reduced level of consciousness",
        "papilloedema": "Papilloedema (swollen optic discs)",
        "acute_angle_closure_glaucoma_signs": (
            "Symptoms or signs of acute angle-closure glaucoma (for example a painful red eye)"
        ),
        "jaw_claudication": "Jaw or tongue pain on chewing (claudication)",
        "scalp_tenderness": "Scalp tenderness",
        "gca_visual_symptoms": "Visual loss or double vision with features of giant cell arteritis",
        "suspected_giant_cell_arteritis": "Other features suggesting giant cell arteritis",
        "progressive_subacute_neurological_deficit": (
            "Loss of neurological function getting worse over days to weeks"
        ),
        "change_in_personality": "Change in personality",
        "recent_head_trauma_within_3_months": "Head injury in the last 3 months",
        "headache_triggered_by_cough_valsalva_sneeze": (
            "Headache brought on by coughing, sneezing or straining"
        ),
        "headache_triggered_by_exercise": "Headache brought on by exercise",
        "orthostatic_headache": "Headache that changes with posture (lying or standing)",
        "substantial_change_in_headache_characteristics": (
            "Substantial change in the usual pattern or character of headaches"
        ),
        NEW_ONSET_HEADACHE: "New-onset headache (not a long-standing headache pattern)",
        "compromised_immunity": "Compromised immunity (for example HIV, immunosuppressive drugs)",
        HISTORY_OF_MALIGNANCY: "History of cancer",
        "malignancy_known_to_metastasise_to_brain": (
            "History of a cancer known to spread to the brain"
        ),
        "vomiting_without_obvious_cause": "Vomiting without another obvious cause",
    }
)

# Checklist sections for display, in order: (heading, codes). Every code appears exactly once.
RED_FLAGS_BY_TIER: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Emergency: same day",
        (
            "thunderclap_onset",
            "worsening_headache_with_fever",
            NECK_STIFFNESS,
            "new_neurological_deficit",
            "new_cognitive_dysfunction",
            "impaired_consciousness",
            "papilloedema",
            "acute_angle_closure_glaucoma_signs",
            *GCA_FLAGS,
        ),
    ),
    ("Urgent: within 2 weeks", URGENT_FLAGS),
    (
        "Urgent with a new-onset headache: within 2 weeks",
        (NEW_ONSET_HEADACHE, *NEW_HEADACHE_QUALIFIED_FLAGS),
    ),
)

ACUTE_MEDICAL_ADVICE = (
    "Same-day medical assessment now: call 999 or send to A&E or the acute medical take."
)
GCA_ADVICE = (
    "Suspected giant cell arteritis: start high-dose glucocorticoids without waiting and arrange "
    "same-day specialist assessment (rheumatology or ophthalmology); BSR: ideally the same working "
    "day, always within 3 working days."
)
GCA_VISUAL_ADVICE = (
    "Visual symptoms (new visual loss or double vision): same-day ophthalmology assessment."
)
GLAUCOMA_ADVICE = "Suspected acute angle-closure glaucoma: same-day ophthalmology (eye casualty)."
NOT_THIS_PATHWAY_ADVICE = (
    "Do not wait for this pathway's triage: a referral here does not replace same-day care."
)
URGENT_ADVICE = (
    "Urgent: arrange specialist referral or investigation so that it happens within 2 weeks."
)
PROGRESSIVE_DEFICIT_ADVICE = (
    "Progressive, sub-acute loss of central neurological function (adults): consider urgent "
    "direct-access MRI brain (CT if MRI is contraindicated) within 2 weeks (NICE NG12)."
)
ESCALATION_ADVICE = (
    "Head injury or compromised immunity: escalate to same day if the patient is anticoagulated, "
    "unwell, or immunocompromised and febrile."
)


def _validated_codes(red_flags: Iterable[str]) -> frozenset[str]:
    """Return the red-flag codes as a set; raise ValueError for a bare string or an unknown code."""
    if isinstance(red_flags, str):
        raise ValueError("Red flags must be a collection of codes, not a single string.")
    try:
        codes = frozenset(red_flags)
    except TypeError as error:
        raise ValueError(f"Red flags must be a collection of code strings: {error}.") from error
    unknown = sorted(repr(code) for code in codes if code not in RED_FLAGS)
    if unknown:
        raise ValueError(f"Unknown red-flag code(s): {', '.join(unknown)}.")
    return codes


def _validated_age(age: int) -> int:
    """Return the age; raise ValueError unless it is a non-negative whole number of years."""
    if isinstance(age, bool) or not isinstance(age, int):
        raise ValueError(f"Age must be a whole number of years, got {age!r}.")
    if age < 0:
        raise ValueError(f"Age cannot be negative, got {age}.")
    return age


def _is_urgent(age: int, codes: frozenset[str]) -> bool:
    if codes.intersection(URGENT_FLAGS):
        return True
    if NEW_ONSET_HEADACHE not in codes:
        return False
    if age >= NEW_HEADACHE_AGE_THRESHOLD:
        return True
    qualified = set(codes.intersection(NEW_HEADACHE_QUALIFIED_FLAGS))
    if age >= MALIGNANCY_YOUNG_AGE_LIMIT:
        qualified.discard(HISTORY_OF_MALIGNANCY)
    return bool(qualified)


def triage_urgency(age: int, red_flags: Iterable[str]) -> str:
    """Return 'emergency', 'urgent' or 'routine' for a patient's age and red-flag codes.

    The highest tier present wins (clinical-rules.md section 9 convention table). Raises ValueError
    for an unknown code, a bare string instead of a collection, or an age that is not a
    non-negative int.
    """
    age = _validated_age(age)
    codes = _validated_codes(red_flags)
    if codes.intersection(EMERGENCY_FLAGS):
        return EMERGENCY
    if _is_urgent(age, codes):
        return URGENT
    return ROUTINE


def emergency_advice(red_flags: Iterable[str]) -> list[str]:
    """Return what the referrer should do now for the emergency flags present, most general first.

    Returns an empty list when no emergency-tier flag is present. Raises ValueError for an unknown
    code or a bare string.
    """
    codes = _validated_codes(red_flags)
    if not codes.intersection(EMERGENCY_FLAGS):
        return []
    advice: list[str] = []
    if codes.intersection(ACUTE_MEDICAL_FLAGS):
        advice.append(ACUTE_MEDICAL_ADVICE)
    if codes.intersection(GCA_FLAGS):
        advice.append(GCA_ADVICE)
    if GCA_VISUAL_SYMPTOMS in codes:
        advice.append(GCA_VISUAL_ADVICE)
    if ACUTE_ANGLE_CLOSURE_GLAUCOMA in codes:
        advice.append(GLAUCOMA_ADVICE)
    advice.append(NOT_THIS_PATHWAY_ADVICE)
    return advice


def urgent_advice(red_flags: Iterable[str] = ()) -> list[str]:
    """Return the advice for the 2-week route, with extra lines for the flags that need them.

    Raises ValueError for an unknown code or a bare string.
    """
    codes = _validated_codes(red_flags)
    advice = [URGENT_ADVICE]
    if PROGRESSIVE_DEFICIT in codes:
        advice.append(PROGRESSIVE_DEFICIT_ADVICE)
    if codes.intersection(CONTEXT_DEPENDENT_FLAGS):
        advice.append(ESCALATION_ADVICE)
    return advice


def validated_red_flags(red_flags: Iterable[str]) -> tuple[str, ...]:
    """Return the codes without duplicates, in checklist order (the order of RED_FLAGS).

    Raises ValueError for an unknown code, a non-string code or a bare string.
    """
    codes = _validated_codes(red_flags)
    return tuple(code for code in RED_FLAGS if code in codes)


def red_flags_only_in(red_flags: Iterable[str], other: Iterable[str]) -> tuple[str, ...]:
    """Return the codes of `red_flags` that `other` does not hold, in checklist order.

    Raises ValueError for an unknown code, a non-string code or a bare string.
    """
    others = _validated_codes(other)
    return tuple(code for code in validated_red_flags(red_flags) if code not in others)


def red_flags_in_words(red_flags: Iterable[str]) -> str:
    """Return the flags' checklist wording, in checklist order, joined by semicolons.

    Raises ValueError for an unknown code, a non-string code or a bare string.
    """
    return "; ".join(RED_FLAGS[code] for code in validated_red_flags(red_flags))


def is_emergency(red_flags: Iterable[str]) -> bool:
    """Return whether any emergency-tier flag is present.

    Age never changes the emergency tier (clinical-rules.md section 9 convention table), so the
    screen can stop a referral before the patient's age is known. Agrees with triage_urgency for
    every age. Raises ValueError for an unknown code or a bare string.
    """
    return bool(_validated_codes(red_flags).intersection(EMERGENCY_FLAGS))


def urgency_with_flags_added(urgency: str, red_flags: Iterable[str], ages: Iterable[int]) -> str:
    """Return the urgency of a referral screened at `urgency` once it holds `red_flags` (its own
    and those added from a copy of it, sent by the same person): the highest of its urgency and
    the screen's tier at each of `ages` (the ages each referral was screened with). Adding flags
    never lowers a referral's urgency.

    Raises ValueError for an unknown tier or code, a bare string, or no age.
    """
    if urgency not in TIERS:
        raise ValueError(f"Unknown urgency: {urgency!r}")
    codes = _validated_codes(red_flags)
    tiers = [triage_urgency(age, codes) for age in ages]
    if not tiers:
        raise ValueError("At least one age is needed")
    return max([urgency, *tiers], key=TIERS.index)


# One age from each band in which the tier cannot change: the rule's only age boundaries are
# MALIGNANCY_YOUNG_AGE_LIMIT and NEW_HEADACHE_AGE_THRESHOLD.
_AGE_BANDS: tuple[int, ...] = (0, MALIGNANCY_YOUNG_AGE_LIMIT, NEW_HEADACHE_AGE_THRESHOLD)


def urgency_at_any_age(red_flags: Iterable[str]) -> str | None:
    """Return the tier when it is the same at every age (so the screen can answer before the
    patient's age is known), or None when the age decides it.

    Raises ValueError for an unknown code or a bare string.
    """
    codes = _validated_codes(red_flags)
    tiers = {triage_urgency(age, codes) for age in _AGE_BANDS}
    return tiers.pop() if len(tiers) == 1 else None


# Self-referral: the same screen in plain English. Papilloedema and "other features suggesting
# giant cell arteritis" are a clinician's findings, so a patient is not asked about them.
PATIENT_RED_FLAG_QUESTIONS: Mapping[str, str] = MappingProxyType(
    {
        "thunderclap_onset": "A sudden, very bad headache that was at its worst within 5 minutes",
        "worsening_headache_with_fever": (
            "A headache that is getting worse and a high temperature (fever)"
        ),
        NECK_STIFFNESS: "A stiff neck as well as a headache and a high temperature",
        "new_neurological_deficit": (
            "New weakness, numbness, slurred speech or loss of balance that came on suddenly"
        ),
        "new_cognitive_dysfunction": "New confusion, or new problems with memory or thinking",
        "impaired_consciousness": "Passing out, or being very drowsy and hard to wake",
        "acute_angle_closure_glaucoma_signs": (
            "A painful red eye with blurred vision or rings (halos) around lights"
        ),
        "jaw_claudication": "Pain in your jaw or tongue when you chew, which eases when you stop",
        "scalp_tenderness": "A sore scalp, for example when you brush your hair",
        "gca_visual_symptoms": "New loss of sight or double vision",
        "progressive_subacute_neurological_deficit": (
            "Weakness, numbness or clumsiness that has got worse over days or weeks"
        ),
        "change_in_personality": "People close to you have noticed a change in your personality",
        "recent_head_trauma_within_3_months": "A head injury in the last 3 months",
        "headache_triggered_by_cough_valsalva_sneeze": (
            "Headaches that come on when you cough, sneeze or strain"
        ),
        "headache_triggered_by_exercise": "Headaches that come on when you exercise",
        "orthostatic_headache": (
            "Headaches that get much better or worse when you lie down or stand up"
        ),
        "substantial_change_in_headache_characteristics": (
            "Your usual headaches have changed a lot"
        ),
        NEW_ONSET_HEADACHE: "Your headaches are new: you did not get headaches like this before",
        "compromised_immunity": (
            "A weak immune system, for example from HIV, chemotherapy or medicines that lower "
            "your immunity"
        ),
        HISTORY_OF_MALIGNANCY: "You have had cancer",
        "malignancy_known_to_metastasise_to_brain": (
            "You have had a cancer that can spread to the brain, such as lung or breast cancer "
            "or melanoma"
        ),
        "vomiting_without_obvious_cause": "Being sick (vomiting) with no other obvious cause",
    }
)

PATIENT_CALL_999_ADVICE = "Call 999 or go to A&E now."
PATIENT_GCA_ADVICE = (
    "Contact your GP surgery now and tell them your symptoms: you need to be seen today. If the "
    "surgery is closed, call NHS 111."
)
PATIENT_EYE_ADVICE = "Go to an eye casualty or A&E now, or call NHS 111 to find one."
PATIENT_TELL_EVERY_SYMPTOM_ADVICE = "Tell whoever sees you about every symptom you ticked."
PATIENT_DO_NOT_WAIT_ADVICE = (
    "Do not wait to hear from this service. It cannot give you the same-day care you need."
)
# Back pain with the signs of cauda equina syndrome needs A&E now (NHS.UK "Back pain" and
# "Cauda equina syndrome": call 999 or go to A&E), whatever the person refers themselves for. It
# is not one of the headache red flags (clinical-rules.md section 9), so it has no code in their
# vocabulary: the self-referral form asks it on its own and stops, as for an emergency flag.
PATIENT_BACK_PAIN_EMERGENCY_SIGNS = (
    "I have back pain with numbness or tingling around my genitals or bottom, difficulty peeing, "
    "loss of bladder or bowel control, or weakness or numbness in both legs"
)
PATIENT_BACK_PAIN_ADVICE = (
    PATIENT_CALL_999_ADVICE,
    "Back pain with these signs can mean the nerves at the bottom of your back are being "
    "pressed on. This needs to be checked in hospital straight away.",
    PATIENT_DO_NOT_WAIT_ADVICE,
)
PATIENT_URGENT_ADVICE = (
    "Some of your answers mean a doctor should check you within 2 weeks. We will look at your "
    "referral first, and please also contact your GP surgery in the next few days."
)


def patient_emergency_advice(red_flags: Iterable[str]) -> list[str]:
    """Return the plain-English advice for a self-referrer with emergency-tier flags.

    The same routes as emergency_advice (999/A&E; same-day GP or specialist for giant cell
    arteritis; same-day eye care), worded for the patient: only the most urgent of them, with a
    line asking them to tell of every symptom when the flags call for more than one. Returns an
    empty list when no emergency flag is present. Raises ValueError for an unknown code or a
    bare string.
    """
    codes = _validated_codes(red_flags)
    if not codes.intersection(EMERGENCY_FLAGS):
        return []
    # One place to go, the most urgent the flags call for: two would contradict each other
    # ("call 999" and "contact your GP surgery"). The place that sees them hears of the rest.
    routes = [
        advice
        for advice, applies in (
            (PATIENT_CALL_999_ADVICE, bool(codes.intersection(ACUTE_MEDICAL_FLAGS))),
            (
                PATIENT_EYE_ADVICE,
                GCA_VISUAL_SYMPTOMS in codes or ACUTE_ANGLE_CLOSURE_GLAUCOMA in codes,
            ),
            (PATIENT_GCA_ADVICE, bool(codes.intersection(GCA_FLAGS))),
        )
        if applies
    ]
    advice = routes[:1]
    if len(routes) > 1:
        advice.append(PATIENT_TELL_EVERY_SYMPTOM_ADVICE)
    advice.append(PATIENT_DO_NOT_WAIT_ADVICE)
    return advice
