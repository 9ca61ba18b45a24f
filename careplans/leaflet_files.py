"""The leaflet library as written for this project: Markdown files in careplans/leaflets/.

Each file starts with front matter between two "---" lines:

    ---
    title: Understanding migraine
    summary: What migraine is and what helps.
    condition: headache            (general, headache or chronic_pain)
    medicines: topiramate          (optional: medicine codes or classes, space-separated)
    review_on: 2027-01-31
    sources:
      - NICE CG150 Headaches in over 12s | https://www.nice.org.uk/guidance/cg150
    ---

The data migration loads them into `careplans.Leaflet`; after that admins edit the rows. Pure:
no Django, so a migration can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

LEAFLET_DIR = Path(__file__).resolve().parent / "leaflets"


@dataclass(frozen=True)
class LeafletFile:
    slug: str
    title: str
    summary: str
    condition: str
    medicines: str  # space-separated medicine codes or classes from careplans.rules
    review_on: date
    sources: str  # one "title | https address" a line
    body: str


def parse(slug: str, text: str) -> LeafletFile:
    """Return the leaflet in `text`. Raises ValueError for missing or malformed front matter."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{slug}: the file must start with front matter between --- lines.")
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise ValueError(f"{slug}: the front matter has no closing --- line.") from None
    meta: dict[str, str] = {}
    sources: list[str] = []
    in_sources = False
    for line in lines[1:end]:
        if in_sources and line.startswith("  - "):
            sources.append(line[4:].strip())
            continue
        key, _, value = line.partition(":")
        key = key.strip()
        in_sources = key == "sources"
        if key and not in_sources:
            meta[key] = value.strip()
    for required in ("title", "summary", "condition", "review_on"):
        if not meta.get(required):
            raise ValueError(f"{slug}: front matter needs {required}.")
    if not sources:
        raise ValueError(f"{slug}: list at least one source.")
    return LeafletFile(
        slug=slug,
        title=meta["title"],
        summary=meta["summary"],
        condition=meta["condition"],
        medicines=" ".join(meta.get("medicines", "").split()),
        review_on=date.fromisoformat(meta["review_on"]),
        sources="\n".join(sources),
        body="\n".join(lines[end + 1 :]).strip() + "\n",
    )


def load_all(directory: Path = LEAFLET_DIR) -> list[LeafletFile]:
    """Return every leaflet in `directory`, ordered by slug (the file name without .md)."""
    return [parse(path.stem, path.read_text("utf-8")) for path in sorted(directory.glob("*.md"))]


def split_sources(sources: str) -> list[tuple[str, str]]:
    """Return (title, address) pairs from "title | address" lines; the address may be empty."""
    pairs = []
    for line in sources.splitlines():
        title, _, address = line.partition("|")
        if title.strip():
            pairs.append((title.strip(), address.strip()))
    return pairs
