"""What changed: between a plan's versions, and between what a refused save typed and what
is saved now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careplans import rules
from careplans.models import (
    AcuteTreatment,
    CarePlanVersion,
    Goal,
    SelfManagementItem,
    SupportItem,
    TreatmentTrial,
)
from careplans.selectors.plans import (
    VersionView,
    previous_version,
    version_prefetches,
    version_view,
)


def _date(value) -> str:
    return f"{value:%-d %B %Y}" if value else ""


def version_snapshot(view: VersionView) -> rules.VersionSnapshot:
    """The version as display text, for careplans.rules.changes_between."""
    version = view.version
    items = [
        rules.ItemSnapshot(
            lineage=str(g.lineage),
            section="Goals",
            label=g.description,
            values={
                "Rating at the start": str(g.baseline),
                "Target": str(g.target),
                "Rating now": "" if g.current is None else str(g.current),
            },
        )
        for g in view.goals
    ]
    items += [
        rules.ItemSnapshot(
            lineage=str(s.lineage),
            section="Looking after myself",
            label=s.action,
            values={
                "Area": s.get_category_display(),
                "Who": s.get_owner_display(),
                "Help from the team": s.support,
            },
        )
        for s in view.self_management
    ]
    items += [
        rules.ItemSnapshot(
            lineage=str(line.item.lineage),
            section="Medicines for attacks",
            label=line.item.medicine,
            values={"Type": line.item.get_medication_class_display()},
        )
        for line in view.acute
    ]
    items += [
        rules.ItemSnapshot(
            lineage=str(s.lineage),
            section="Support",
            label=s.description,
            values={"Type": s.get_kind_display(), "Contact": s.contact},
        )
        for s in view.support_items
    ]
    items += [
        rules.ItemSnapshot(
            lineage=str(r.lineage),
            section="Who does what",
            label=r.action,
            values={"Who": r.person, "By": _date(r.due_on)},
        )
        for r in view.responsibilities
    ]
    return rules.VersionSnapshot(
        values={
            "What matters to me": version.what_matters,
            "Plan for attacks": version.acute_plan,
            "Mental health and wellbeing": version.wellbeing_notes,
            "Next review": _date(version.next_review_on),
        },
        items=items,
    )


# Row columns that are not the user's content.
_ROW_BOOKKEEPING = {"id", "version", "lineage", "position"}


@dataclass(frozen=True)
class SavedDifference:
    """One part of a record where the saved copy differs from what the user typed: its label and
    the saved text, a line per row for a list ("(empty)" when nothing is saved)."""

    label: str
    saved: tuple[str, ...]


def _row_line(row) -> str:
    if isinstance(row, Goal):
        now = "not rated" if row.current is None else row.current
        return f"{row.description} (start {row.baseline}, target {row.target}, now {now})"
    if isinstance(row, SelfManagementItem):
        return f"{row.get_category_display()}: {row.action} ({row.get_owner_display()})"
    if isinstance(row, AcuteTreatment):
        return f"{row.get_medication_class_display()}: {row.medicine}"
    if isinstance(row, SupportItem):
        return f"{row.get_kind_display()}: {row.description}"
    return f"{row.person}: {row.action}" + (f" by {_date(row.due_on)}" if row.due_on else "")


def _field_text(value) -> str:
    if value is None or value == "":
        return "(empty)"
    return _date(value) if isinstance(value, date) else str(value)


def draft_differences(
    version: CarePlanVersion, *, fields: dict, items: dict, labels: dict[str, str]
) -> list:
    """Return the SavedDifferences between the draft as saved now and a refused save's `fields`
    (cleaned form values) and `items` (relation -> services.ItemChange list), in the order of
    `labels`: each field's and list's name -> its label on the edit page.

    Shown after a save is refused because someone else saved first, so the user can see what
    the saved draft says before copying anything they want to keep."""
    saved = CarePlanVersion.objects.prefetch_related(*version_prefetches()).get(pk=version.pk)
    differences = []
    for name, label in labels.items():
        if name in fields and (fields[name] or None) != (getattr(saved, name) or None):
            differences.append(SavedDifference(label, (_field_text(getattr(saved, name)),)))
        elif name in items:
            model = getattr(saved, name).model
            columns = [
                f.name for f in model._meta.concrete_fields if f.name not in _ROW_BOOKKEEPING
            ]
            typed = [
                _row_line(model(**{n: change.data.get(n) for n in columns if n in change.data}))
                for change in items[name]
                if change.data and not change.delete
            ]
            rows = [_row_line(row) for row in getattr(saved, name).all()]
            if typed != rows:
                differences.append(SavedDifference(label, tuple(rows) or ("(empty)",)))
    return differences


def trial_differences(
    trial: TreatmentTrial, data: dict, labels: dict[str, str]
) -> list[SavedDifference]:
    """Return the SavedDifferences between the trial as saved now and a refused review's
    cleaned `data`, in the order of `labels` (field name -> its label on the review page)."""
    saved = TreatmentTrial.objects.get(pk=trial.pk)
    differences = []
    for name, label in labels.items():
        if name not in data:
            continue
        value = getattr(saved, name)
        if isinstance(value, bool) or isinstance(data[name], bool):
            # A yes/no answer: "no" (False) is an answer, not the same as none (None).
            if data[name] is value:
                continue
        elif (data[name] or None) == (value or None):
            continue
        if name in ("outcome", "review_decision"):
            text = getattr(saved, f"get_{name}_display")() or "(empty)"
        elif isinstance(value, bool):
            text = "Yes" if value else "No"
        else:
            text = _field_text(value)
        differences.append(SavedDifference(label, (text,)))
    return differences


def changes_since_previous(version: CarePlanVersion) -> tuple[CarePlanVersion | None, list]:
    """Return (the previous version, what changed from it to `version`); ([], None) for v1."""
    previous = previous_version(version)
    if previous is None:
        return None, []
    return previous, rules.changes_between(
        version_snapshot(version_view(previous)), version_snapshot(version_view(version))
    )
