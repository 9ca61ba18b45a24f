"""Clinical prompts for the care team: their levels and their shape."""

from __future__ import annotations

import hashlib
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

    @property
    def key(self) -> str:
        """A short digest of what the prompt says, to tell whether a form acknowledged this
        prompt or an earlier one."""
        return hashlib.sha256(f"{self.code}\n{self.title}\n{self.body}".encode()).hexdigest()[:16]
