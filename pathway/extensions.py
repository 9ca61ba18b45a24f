"""Lists that feature apps add to on kernel pages. The kernel imports no feature app
(DESIGN.md section 2), so each app registers a provider in its AppConfig.ready; a page asks the
registry for everything the providers give for what it shows."""

from collections.abc import Callable
from dataclasses import dataclass


class Registry:
    def __init__(self) -> None:
        self._providers: list[Callable[..., list]] = []

    def register(self, provider: Callable[..., list]) -> Callable[..., list]:
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def collect(self, *args) -> list:
        return [item for provider in self._providers for item in provider(*args)]


@dataclass(frozen=True)
class Task:
    """A line under "Things to do" on a home page: what needs doing, and a link to do it."""

    text: str
    url: str
    link_text: str
