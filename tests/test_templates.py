"""Checks over every template file."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Django's {# #} comment ends at the end of its line: one left open is printed on the page.
OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def test_there_are_templates_to_check():
    assert len(_templates()) > 50


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_one_line_comment_runs_on_to_a_second_line(path):
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        assert not OPEN_COMMENT.search(line), (
            f"{path.name}:{number}: a {{# comment must close on its own line; use "
            "{% comment %} for more"
        )


# A control character other than a newline, a carriage return or a tab: usually a "\a" or "\t"
# meant for a date format, written into the file as the character itself.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_a_control_character(path):
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        assert not CONTROL.search(line), f"{path.name}:{number}: a control character"


def test_a_date_format_does_not_hold_a_tab_either():
    # "\t" written as a tab in a date format prints the tab; Django's escape is the two
    # characters backslash and t.
    for path in _templates():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for fmt in re.findall(r'\|date:"([^"]*)"', line):
                assert "\t" not in fmt, f"{path.name}:{number}: a tab in a date format"
