"""Each questionnaire's results over time, and the change since baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pathway import instruments
from pathway.models import Assessment, Patient
from reviews import rules
from reviews.models import QuestionnaireRequest
from reviews.questionnaires import answer_details
from reviews.selectors.questionnaires import sent_again


@dataclass(frozen=True)
class TrendPoint:
    completed_at: datetime
    total: float
    band: str
    context: str
    # The band in words, with the ePPOC band beside a PSEQ's (`pathway.instruments.band_text`).
    band_text: str = ""
    # A PHQ-9 whose item 9 (thoughts of self-harm) was answered above 0.
    alert: bool = False
    # What the score leaves out: PSFS activities with their ratings, MIDAS A and B.
    details: tuple[str, ...] = ()
    # Answers sent again to a questionnaire already answered (from a second window, say), which
    # differ from the first ones: both are the patient's, neither is a later completion.
    sent_again: bool = False


@dataclass(frozen=True)
class Trend:
    """One instrument's results for a patient, oldest first, and the change since baseline."""

    code: str
    name: str
    points: list[TrendPoint]
    better: str | None
    change: float | None
    verdict: str

    @property
    def title(self) -> str:
        """The instrument's name with its code, once: "Headache Impact Test (HIT-6)"."""
        return self.name if self.code in self.name else f"{self.name} ({self.code})"

    @property
    def compared(self) -> list[TrendPoint]:
        """The points the change is measured between: all but answers sent again, which are
        not a later completion (a second window's answers, the same minute, would otherwise
        read as the latest score). All of them if none is left."""
        return [point for point in self.points if not point.sent_again] or self.points

    @property
    def baseline(self) -> TrendPoint:
        return self.compared[0]

    @property
    def latest(self) -> TrendPoint:
        return self.compared[-1]


def _answer_details(assessment: Assessment) -> tuple[str, ...]:
    """The answers a completed questionnaire's score leaves out (questionnaires.answer_details),
    kept with the assessment or, on rows recorded before they were, with its request; none for
    an assessment recorded without either (at referral, say)."""
    activities, unscored = assessment.activities, assessment.unscored_answers
    if not (activities or unscored):
        try:
            request = assessment.questionnaire_request
        except QuestionnaireRequest.DoesNotExist:
            return ()
        activities, unscored = request.activities, request.unscored_answers
    return answer_details(
        assessment.instrument,
        answers=list(assessment.answers),
        activities=list(activities),
        unscored=list(unscored),
    )


def assessment_trends(patient: Patient) -> list[Trend]:
    """Every instrument the patient has completed, with baseline, latest and the change judged
    against the instrument's clinically important change (one query). Answers sent again to a
    questionnaire already answered are listed but are neither baseline nor latest."""
    rows = list(
        Assessment.objects.filter(patient=patient, entered_in_error=False)
        .select_related("questionnaire_request")
        .annotate(sent_again=sent_again())
        .order_by("instrument", "completed_at", "id")
    )
    by_code: dict[str, list[Assessment]] = {}
    for row in rows:
        by_code.setdefault(row.instrument, []).append(row)
    trends = []
    for code, items in by_code.items():
        meta = instruments.INSTRUMENTS.get(code)
        points = [
            TrendPoint(
                a.completed_at,
                float(a.total),
                a.band,
                a.get_context_display(),
                band_text=instruments.band_text(code, a.band, float(a.total)),
                alert=a.alert,
                details=_answer_details(a),
                sent_again=a.sent_again,
            )
            for a in items
        ]
        change, verdict = None, "single"
        compared = [a for a in items if not a.sent_again]
        if meta is not None and len(compared) > 1:
            first, last = compared[0], compared[-1]
            change, verdict = rules.instrument_change(
                meta,
                baseline=float(first.total),
                latest=float(last.total),
                baseline_answers=first.answers,
                latest_answers=last.answers,
                baseline_activities=first.activities,
                latest_activities=last.activities,
            )
        trends.append(
            Trend(
                code=code,
                name=meta.name if meta else code,
                points=points,
                better=meta.better if meta else None,
                change=change,
                verdict=verdict,
            )
        )
    return sorted(trends, key=lambda t: t.code)
