"""The access matrix's vocabulary. Each app lists its URL names in `tests/<app>/access.py` as
`RULES = {url_name: Rule(...)}`; `tests/test_access_matrix.py` requests every named URL as every
persona and fails for a URL that has no rule."""

from collections.abc import Callable
from dataclasses import dataclass, field

PERSONAS = (
    "anonymous",
    "patient",
    "other_patient",
    "gp",
    "other_gp",
    "clinician",
    "other_clinician",
    "commissioner",
    "admin",
)
STAFF = frozenset({"gp", "clinician", "admin"})
CARE_TEAM = frozenset({"clinician"})


@dataclass(frozen=True)
class Rule:
    """How one URL answers each persona.

    `kwargs(world)` builds URL arguments for objects of `world.patient` (practice A, PCN 1).
    Personas in `allowed` get a status in `ok`; other signed-in personas get 404; anonymous users
    are sent to sign in, unless `public`. `expect` overrides the answer for named personas.
    """

    allowed: frozenset[str] = frozenset()
    kwargs: Callable = lambda world: {}  # noqa: E731
    ok: tuple[int, ...] = (200,)
    public: bool = False
    method: str = "get"
    expect: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def expected(self, persona: str) -> tuple[int, ...]:
        if persona in self.expect:
            return self.expect[persona]
        if self.public:
            return self.ok
        if persona == "anonymous":
            return (302,)
        if persona in self.allowed:
            return self.ok
        return (404,)
