"""How a diary summary is put into words: plain English for patients, "meets diary criteria"
statements for clinicians. Never a diagnosis (clinical-rules.md section 8, diary convention 7).

Every number and threshold comes from the `diaries.rules` summary and constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from diaries import rules

# Plain names for patients, as "You took ... on 11 days a month".
PLAIN_CLASS_NAMES = {
    rules.SIMPLE_ANALGESIC: "simple painkillers (paracetamol, aspirin or anti-inflammatories "
    "such as ibuprofen)",
    rules.TRIPTAN: "triptans",
    rules.ERGOT: "ergotamine",
    rules.OPIOID: "opioid painkillers (such as codeine or tramadol)",
    rules.COMBINATION_ANALGESIC: "combination painkillers (such as co-codamol)",
    rules.MULTIPLE_CLASSES: "painkillers or migraine medicines of more than one kind",
}
SHORT_CLASS_NAMES = {
    rules.SIMPLE_ANALGESIC: "simple painkillers",
    rules.TRIPTAN: "triptans",
    rules.ERGOT: "ergotamine",
    rules.OPIOID: "opioid painkillers",
    rules.COMBINATION_ANALGESIC: "combination painkillers",
    rules.MULTIPLE_CLASSES: "these medicines",
}
# Clinical names for the diary tab and the report's clinician section.
CLINICAL_CLASS_NAMES = {
    rules.SIMPLE_ANALGESIC: "simple analgesics",
    rules.TRIPTAN: "triptans",
    rules.ERGOT: "ergotamine",
    rules.OPIOID: "opioids",
    rules.COMBINATION_ANALGESIC: "combination analgesics",
    rules.MULTIPLE_CLASSES: "multiple drug classes, none overused alone",
}


def rate(value: float) -> str:
    """A per-month rate to 2 decimal places, without trailing zeros (11, 14.67, 12.5)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def patient_rate(value: float) -> str:
    """A per-month rate for a patient: whole numbers as they are, others as the whole number
    they pass ("more than 11" for 11.67), which never reads as reaching a limit it is below
    (14.67 is not "about 15" when 15 is a limit)."""
    shown = rate(value)
    if "." not in shown:
        return shown
    whole = int(value)
    return f"more than {whole}" if whole else "less than 1"


def patient_days_rate(value: float) -> str:
    """`patient_rate` with its unit: "4 days", "1 day", "less than 1 day", "more than 1 day"."""
    shown = patient_rate(value)
    return f"{shown} {'day' if shown.split()[-1] == '1' else 'days'}"


def days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def day_in_words(
    *,
    headache: bool,
    headaches: int,
    worst: str,
    migraine: bool,
    medication: bool,
    pain_score: int | None,
    pain_first: bool = False,
) -> str:
    """A saved day in words, as the day's own page and the Today page's earlier days say it:
    "2 headaches, worst severe, with migraine symptoms, medicine taken, pain 6 out of 10".
    `headaches` is the number of headaches and `worst` the worst severity's label. For a
    pain-first diary a day with a pain score and no headache leaves out "no headache"."""
    parts = []
    if headache:
        parts.append(f"{headaches} headache{'' if headaches == 1 else 's'}, worst {worst.lower()}")
        if migraine:
            parts.append("with migraine symptoms")
    elif not pain_first or pain_score is None:
        parts.append("no headache")
    if medication:
        parts.append("medicine taken")
    if pain_score is not None:
        parts.append(f"pain {pain_score} out of 10")
    return ", ".join(parts)


@dataclass(frozen=True)
class OveruseWarning:
    heading: str
    text: str


@dataclass(frozen=True)
class PatientMessages:
    headache: str
    migraine: str
    medication: str
    overuse: list[OveruseWarning]
    chronic_migraine: str
    completeness: str


def _gaps_message(summary: rules.DiarySummary, gaps: DiaryGaps, *, headaches: bool = True) -> str:
    if not summary.days_recorded:
        return "You have not filled in your diary yet. These figures will mean more once you do."
    parts = []
    # What an empty day is counted as having none of.
    without, figures = (
        ("a headache", "these figures") if headaches else ("medicines", "the medicine figures")
    )
    if gaps.started_on is not None:
        parts.append(
            f"You started your diary on {gaps.started_on:%-d %B %Y}, so it does not cover all "
            f"{summary.length} days yet. Until it does, the days before you started count as "
            f"days without {without}, so {figures} may be too low."
        )
    if gaps.missed:
        since = " since you started" if gaps.started_on is not None else ""
        parts.append(
            f"You have not filled in {days(gaps.missed)}{since}. Days you have not filled in "
            f"count as days without {without}, so {figures} may be too low."
            if not parts
            else f"You have also not filled in {days(gaps.missed)}{since}."
        )
    return " ".join(parts)


def _class_rate(summary: rules.DiarySummary, name: str) -> float:
    if name == rules.MULTIPLE_CLASSES:
        return summary.acute_medication_days_per_month
    return summary.medication_days_per_month[name]


@dataclass(frozen=True)
class DiaryGaps:
    """What is missing from a patient's diary window, as the summary page words it: the first
    day of the diary when it began inside the window, and the days since then left empty
    (today excepted while it is still going on)."""

    started_on: date | None
    missed: int
    latest_missed: date | None = None


def patient_messages(
    summary: rules.DiarySummary, gaps: DiaryGaps | None = None, *, headaches: bool = True
) -> PatientMessages:
    """The patient's summary in plain English, with a warning for each overused class. With
    `gaps`, the note on an incomplete diary says why it is incomplete: days before the diary
    began are not asked for (nobody can fill those in from memory), and today does not count
    as missed.

    `headaches` False (`headaches_apply`: care for chronic pain, no headache recorded) leaves
    out everything said of headaches: their days, medication-overuse headache's warnings and
    limits (clinical-rules.md section 8, a headache disorder's), and the note that days not
    filled in count as days without a headache."""
    if not headaches:
        return PatientMessages(
            headache="",
            migraine="",
            medication=(
                f"You took painkillers or other medicines for pain on "
                f"{days(summary.acute_medication_days_total)} "
                f"({patient_rate(summary.acute_medication_days_per_month)} a month)."
            ),
            overuse=[],
            chronic_migraine="",
            completeness=_gaps_message(summary, gaps, headaches=False) if gaps else "",
        )
    headache = (
        f"You had a headache on {days(summary.headache_days_total)} out of {summary.length}. "
        f"That is {patient_days_rate(summary.headache_days_per_month)} a month on average."
    )
    migraine = (
        f"{days(summary.migraine_days_total).capitalize()} had migraine symptoms "
        f"({patient_rate(summary.migraine_days_per_month)} a month)."
        if summary.headache_days_total
        else ""
    )
    medication = (
        f"You took painkillers or migraine medicines on "
        f"{days(summary.acute_medication_days_total)} "
        f"({patient_rate(summary.acute_medication_days_per_month)} a month)."
    )
    warnings = []
    for name in summary.overused_classes:
        limit = rules.overuse_limit_days(name)
        warnings.append(
            OveruseWarning(
                heading=f"You may be taking {SHORT_CLASS_NAMES[name]} too often"
                if name != rules.MULTIPLE_CLASSES
                else "You may be taking painkillers or migraine medicines too often",
                text=(
                    f"You took {PLAIN_CLASS_NAMES[name]} on "
                    f"{patient_days_rate(_class_rate(summary, name))} a month"
                    f"{' in total' if name == rules.MULTIPLE_CLASSES else ''}. "
                    f"Taking {SHORT_CLASS_NAMES[name]} on {limit} or more days a month can make "
                    "headaches worse (this is called medication overuse headache). Talk to your "
                    "care team before you change how you take your medicines."
                ),
            )
        )
    chronic = ""
    if summary.chronic_migraine:
        chronic = (
            f"Your diary shows headaches on {rules.CHRONIC_HEADACHE_DAYS_PER_MONTH} or more days "
            f"a month, with migraine symptoms on {rules.CHRONIC_MIGRAINE_DAYS_PER_MONTH} or more. "
            "This pattern meets the diary criteria for chronic migraine. Your care team can talk "
            "to you about what this means and which treatments may help."
        )
    completeness = ""
    if gaps is not None:
        completeness = _gaps_message(summary, gaps)
    elif not summary.complete:
        completeness = (
            f"You have filled in {summary.days_recorded} of the {summary.length} days. Days you "
            "have not filled in count as days without a headache, so these figures may be too "
            "low."
        )
    return PatientMessages(
        headache=headache,
        migraine=migraine,
        medication=medication,
        overuse=warnings,
        chronic_migraine=chronic,
        completeness=completeness,
    )


@dataclass(frozen=True)
class Flag:
    title: str
    detail: str
    code: str = ""


def clinician_flags(summary: rules.DiarySummary) -> list[Flag]:
    """The diary flags worded as "meets diary criteria", with ICHD-3 codes where they apply."""
    flags = []
    headache_rate = rate(summary.headache_days_per_month)
    migraine_rate = rate(summary.migraine_days_per_month)
    if summary.chronic_migraine:
        flags.append(
            Flag(
                title="Meets diary criteria for chronic migraine",
                code="ICHD-3 1.3",
                detail=(
                    f"Headache on {headache_rate} days/month (threshold "
                    f"{rules.CHRONIC_HEADACHE_DAYS_PER_MONTH}) with migraine features on "
                    f"{migraine_rate} days/month (threshold "
                    f"{rules.CHRONIC_MIGRAINE_DAYS_PER_MONTH}). Confirm criterion B: at least "
                    "5 previous attacks meeting migraine criteria."
                ),
            )
        )
    elif summary.headache_frequency == rules.CHRONIC:
        flags.append(
            Flag(
                title="Headache frequency meets diary criteria for chronic headache",
                detail=(
                    f"Headache on {headache_rate} days/month (threshold "
                    f"{rules.CHRONIC_HEADACHE_DAYS_PER_MONTH}); migraine features on "
                    f"{migraine_rate} days/month."
                ),
            )
        )
    for name in summary.overused_classes:
        limit = rules.overuse_limit_days(name)
        taken = rate(_class_rate(summary, name))
        if summary.moh_ichd3:
            flags.append(
                Flag(
                    title="Meets diary criteria for medication-overuse headache: "
                    f"{CLINICAL_CLASS_NAMES[name]}",
                    code=f"ICHD-3 {rules.ICHD3_MOH_CODES[name]}",
                    detail=(
                        f"{CLINICAL_CLASS_NAMES[name].capitalize()} on {taken} days/month "
                        f"(threshold {limit}) with headache on {headache_rate} days/month "
                        f"(threshold {rules.CHRONIC_HEADACHE_DAYS_PER_MONTH})."
                    ),
                )
            )
        else:
            flags.append(
                Flag(
                    title="Acute medication intake meets the overuse criterion: "
                    f"{CLINICAL_CLASS_NAMES[name]}",
                    code="ICHD-3 8.2 B",
                    detail=(
                        f"{CLINICAL_CLASS_NAMES[name].capitalize()} on {taken} days/month "
                        f"(threshold {limit}). Headache on {headache_rate} days/month is below "
                        f"{rules.CHRONIC_HEADACHE_DAYS_PER_MONTH}, so the diary does not meet "
                        "the full medication-overuse headache criteria (8.2 A)."
                    ),
                )
            )
    return flags


@dataclass(frozen=True)
class ClassRow:
    name: str
    per_month: list[int]
    total: int
    rate: str
    limit: int
    overused: bool


def class_rows(window, *, for_patient: bool = False) -> list[ClassRow]:
    """Medication days per month for each class taken in the window (for tables), named in
    the patient's words (SHORT_CLASS_NAMES) on their own pages, else the clinical ones."""
    names = SHORT_CLASS_NAMES if for_patient else CLINICAL_CLASS_NAMES
    summary = window.summary
    rows = []
    for name in rules.MEDICATION_CLASSES:
        total = summary.medication_days_total[name]
        if not total:
            continue
        rows.append(
            ClassRow(
                name=names[name].capitalize(),
                per_month=[month.medication_days[name] for month in window.months],
                total=total,
                rate=rate(summary.medication_days_per_month[name]),
                limit=rules.overuse_limit_days(name),
                overused=name in summary.overused_classes,
            )
        )
    if len(rows) >= rules.MULTIPLE_CLASSES_MINIMUM:
        # ICHD-3 8.2.6: days with any of them count together, against their own limit, so the
        # table shows the total that a "more than one kind" warning is about. Marked over the
        # limit whenever the total reaches it, also when one kind alone is over its own (8.2.6
        # is then not the diagnosis, but the days together are still too many).
        limit = rules.overuse_limit_days(rules.MULTIPLE_CLASSES)
        total = summary.acute_medication_days_total
        rows.append(
            ClassRow(
                name="All kinds together",
                per_month=[month.acute_medication_days for month in window.months],
                total=total,
                rate=rate(summary.acute_medication_days_per_month),
                limit=limit,
                overused=total >= rules.minimum_days(limit, length=summary.length),
            )
        )
    return rows
