"""Clinical prompts for the care team: their levels and their shape."""

from __future__ import annotations

from dataclasses import dataclass

WARNING = "warning"
ACTION = "action"
INFO = "info"


@dataclass(frozen=True)
class Prompt:
    """A clinical prompt for the care team. `code` is stable for tests and the worklist."""

    code: str
    level: str
    title: str
    body: str
    source: str
