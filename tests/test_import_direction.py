"""The import direction of DESIGN.md section 2, checked by parsing every module's imports.

The kernel (pathway) imports no other app; diaries, referrals and careplans import only the
kernel; reviews may import those; pathway/dashboard/, pathway/urls.py and pathway/celery.py sit on
top and may import any app.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = {"pathway", "diaries", "referrals", "careplans", "reviews"}
ALLOWED = {
    "pathway": set(),
    "diaries": {"pathway"},
    "referrals": {"pathway"},
    "careplans": {"pathway"},
    "reviews": {"pathway", "diaries", "referrals", "careplans"},
}
TOP_LAYER = ("pathway/dashboard/", "pathway/urls.py", "pathway/celery.py")


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & APPS
    # String references such as include("diaries.urls") count as imports too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            head = node.value.split(".")[0]
            if (
                head in APPS
                and node.value.count(".") >= 1
                and node.value.endswith(
                    (".urls", ".views", ".services", ".selectors", ".models", ".tasks")
                )
            ):
                found.add(head)
    return found


def _modules():
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            yield app, relative, path


@pytest.mark.parametrize(("app", "relative", "path"), list(_modules()), ids=lambda v: str(v))
def test_modules_import_only_apps_below_them(app, relative, path):
    if relative.startswith(TOP_LAYER):
        return
    forbidden = _imported_apps(path) - ALLOWED[app] - {app}
    assert forbidden == set(), f"{relative} imports {sorted(forbidden)}"


def test_the_checker_catches_a_kernel_module_importing_an_app(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from diaries.rules import summarise\nimport referrals.services\n")
    assert _imported_apps(bad) == {"diaries", "referrals"}


# Pure modules (STYLE.md: rules.py is pure): no Django, no database, no other layer of an app.
PURE_ALLOWED = {"pathway.instruments", "pathway.ichd3", "pathway.ages"}


def _pure_modules():
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if path.name == "rules.py" or "/rules/" in relative:
                yield relative, path
    yield "pathway/instruments.py", ROOT / "pathway" / "instruments.py"
    yield "pathway/ichd3.py", ROOT / "pathway" / "ichd3.py"
    yield "pathway/ages.py", ROOT / "pathway" / "ages.py"


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # "from pathway import instruments" and "from pathway.ichd3 import X" alike.
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _allowed_in_pure(name: str, relative: str) -> bool:
    own_rules = relative.split("/")[0] + ".rules"
    return any(name == ok or name.startswith(ok + ".") for ok in (*PURE_ALLOWED, own_rules))


@pytest.mark.parametrize(("relative", "path"), list(_pure_modules()), ids=lambda v: str(v))
def test_rules_modules_are_pure(relative, path):
    impure = {
        name
        for name in _imported_modules(path)
        if name.split(".")[0] in APPS | {"django", "celery", "psycopg2", "redis"}
        and not _allowed_in_pure(name, relative)
    }
    assert impure == set(), f"{relative} imports {sorted(impure)}"


def test_the_purity_check_catches_a_rules_module_reaching_the_database(tmp_path):
    bad = tmp_path / "rules.py"
    bad.write_text("from django.db import models\nfrom pathway import selectors\n")
    imported = _imported_modules(bad)
    assert {name for name in imported if not _allowed_in_pure(name, "careplans/rules.py")} == {
        "django.db.models",
        "pathway.selectors",
    }
