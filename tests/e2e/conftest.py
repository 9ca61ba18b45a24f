"""Browser journeys: pytest-playwright on Debian's Chromium against a live server.

Every page a journey visits is checked with axe-core (no serious or critical violations) and for
console errors such as Content-Security-Policy violations. Without Chromium the journeys skip,
unless E2E_REQUIRED=1 (CI), where a missing browser is a failure.
"""

import json
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = os.environ.get("E2E_REQUIRED") == "1"

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
# are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    missing = [str(p) for p in (CHROMIUM, AXE_JS) if not p.exists()]
    if not missing:
        return
    for item in items:
        if "tests/e2e" not in str(item.fspath):
            continue
        if REQUIRED:
            item.add_marker(pytest.mark.xfail(reason=f"missing {missing}", run=False, strict=True))
        else:
            item.add_marker(pytest.mark.skip(reason=f"browser tests need {missing}"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class Browser:
    """A page plus the checks every journey makes on every page it visits."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        page.set_default_timeout(10_000)

    def _on_console(self, message):
        # NHS.UK frontend reports a component it cannot start with console.log, not error.
        if message.type == "error" or "ElementError" in message.text:
            self.console_errors.append(message.text)

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        self.check()
        return response

    def check(self):
        """axe-core: no serious or critical violations; no console errors (e.g. CSP)."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_JS.read_text())
        result = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag',
                    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
                return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}));
            }"""
        )
        assert result == [], f"axe on {self.page.url}: {json.dumps(result, indent=1)}"
        assert self.console_errors == [], (
            f"console errors on {self.page.url}: {self.console_errors}"
        )

    def sign_in(self, email: str, password: str):
        self.goto("/account/login/")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.check()

    def date_boxes(self, legend: str = "Date of birth"):
        """The day, month and year boxes of a date input, by its legend."""
        group = self.page.get_by_role("group", name=legend)
        return tuple(group.get_by_label(part, exact=True) for part in ("Day", "Month", "Year"))

    def fill_date(self, iso: str, legend: str = "Date of birth"):
        """Type an ISO date into a date input's day, month and year boxes, as a person would."""
        year, month, day = iso.split("-")
        for box, value in zip(self.date_boxes(legend), (day, month, year), strict=True):
            box.fill(value.lstrip("0") if len(value) == 2 else value)

    def sign_out(self):
        self.page.get_by_role("button", name="Sign out", exact=True).click()
        self.check()


@pytest.fixture
def browser_page(page, live_server, transactional_db):
    if REQUIRED and not CHROMIUM.exists():
        pytest.fail(f"Chromium is required for browser tests but {CHROMIUM} is missing")
    return Browser(page, live_server.url)


@pytest.fixture
def demo(transactional_db):
    """The demo data set, as `make run` loads it before adding its synthetic population (which
    goes to other primary care networks)."""
    from importlib import import_module

    from django.apps import apps

    from pathway.demo import seed_kernel

    # Transactional tests empty every table, including rows the data migrations put there.
    import_module("pathway.migrations.0002_default_targets").add_targets(apps, None)
    import_module("pathway.migrations.0010_urgent_referral_target").add_target(apps, None)
    return seed_kernel()
