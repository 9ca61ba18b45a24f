"""What changed between two plan versions, compared as display text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemSnapshot:
    """One child row of a plan version (a goal, a self-management item, ...), as display text.

    `lineage` identifies the same item across versions; `values` maps field labels to text.
    """

    lineage: str
    section: str
    label: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionSnapshot:
    """A plan version as display text: top-level fields (label -> text) and its items."""

    values: Mapping[str, str]
    items: Sequence[ItemSnapshot]


ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"


@dataclass(frozen=True)
class Change:
    section: str
    kind: str  # added | removed | changed
    label: str
    details: tuple[str, ...] = ()


def changes_between(old: VersionSnapshot, new: VersionSnapshot) -> list[Change]:
    """Return what changed from `old` to `new`: changed top-level fields first, then items added,
    changed or removed, in the new version's order (removed items last)."""
    changes = [
        Change(
            section=label,
            kind=CHANGED,
            label=label,
            details=(f"Was: {old.values[label] or 'none'}", f"Now: {value or 'none'}"),
        )
        for label, value in new.values.items()
        if label in old.values and old.values[label] != value
    ]
    old_items = {item.lineage: item for item in old.items}
    new_lineages = {item.lineage for item in new.items}
    for item in new.items:
        before = old_items.get(item.lineage)
        if before is None:
            changes.append(Change(item.section, ADDED, item.label))
            continue
        details = tuple(
            f"{name}: {before.values.get(name, '') or 'none'} → {value or 'none'}"
            for name, value in item.values.items()
            if before.values.get(name, "") != value
        )
        if before.label != item.label:
            details = (f"Was: {before.label}", *details)
        if details:
            changes.append(Change(item.section, CHANGED, item.label, details))
    changes.extend(
        Change(item.section, REMOVED, item.label)
        for item in old.items
        if item.lineage not in new_lineages
    )
    return changes
