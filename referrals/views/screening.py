"""The live red-flag screen's outcome for the ticked boxes, shared by the GP's referral and the
self-referral."""

from referrals import rules


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
    # Neck stiffness alone changes no tier: the screen asks whether there is a fever too.
    check_fever = rules.qualifier_without_its_flag(flags)
    if tier is None:
        return {"tier": None, "needs_age": True, "check_fever": check_fever}
    if tier == rules.URGENT:
        advice = [rules.PATIENT_URGENT_ADVICE] if plain else rules.urgent_advice(flags)
        return {"tier": tier, "advice": advice, "check_fever": check_fever}
    return {"tier": tier, "check_fever": check_fever}


def _ticked(request) -> list[str]:
    return request.POST.getlist("red_flags")
