"""The live red-flag screen's outcome for the ticked boxes, shared by the GP's referral and the
self-referral."""

from referrals import rules


def _screen_outcome(*, codes, age, plain: bool, condition: str = "") -> dict:
    """What the live screen shows for the ticked codes: the tier and its advice. `condition`
    is the referral's condition group, as far as the form has it."""
    try:
        flags = rules.validated_red_flags(codes)
    except ValueError as exc:
        return {"error": str(exc)}
    if rules.is_emergency(flags):
        advice = rules.patient_emergency_advice(flags) if plain else rules.emergency_advice(flags)
        return {"tier": rules.EMERGENCY, "advice": advice}
    tier = rules.triage_urgency(age, flags) if age is not None else rules.urgency_at_any_age(flags)
    # Neck stiffness alone changes no tier: the screen asks whether there is a fever too. So do
    # the flags that count only with a new headache: it asks whether the headache is new.
    checks = {
        "check_fever": rules.qualifier_without_its_flag(flags),
        "check_new_onset": [
            rules.RED_FLAGS[code] for code in rules.qualified_without_new_onset(flags, age)
        ]
        if tier != rules.URGENT
        else [],
        "no_headache": rules.NO_HEADACHE_UNTICK if condition == "chronic_pain" else "",
    }
    if tier is None:
        return {"tier": None, "needs_age": True, **checks}
    if tier == rules.URGENT:
        advice = [rules.PATIENT_URGENT_ADVICE] if plain else rules.urgent_advice(flags)
        return {"tier": tier, "advice": advice, **checks}
    return {"tier": tier, **checks}


def _ticked(request) -> list[str]:
    return request.POST.getlist("red_flags")
