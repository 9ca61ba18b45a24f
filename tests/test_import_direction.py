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
