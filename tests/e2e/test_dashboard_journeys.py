"""Journey: a commissioner reads every dashboard table with its definition, narrows to a PCN and
a financial year, prints, and downloads a table; no page or file shows a patient's name, NHS
number or date of birth. axe runs on every page."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from pathway.demo import DEMO_PASSWORD
from pathway.models import Organisation, Patient

pytestmark = pytest.mark.e2e

TITLES = (
    "Referrals by source and month",
    "Referrals rejected as inappropriate, by reason",
    "Waits against pathway targets",
    "Waiting for triage now",
    "Waiting for first contact now",
    "Annual review coverage",
    "Outcomes: first and latest questionnaire scores",
    "Pathway activity",
    "Headache days per month from diaries",
    "Opioids and gabapentinoids: baseline and now",
    "Attendance, did-not-attend and remote care",
    "Discharges from the pathway, by reason",
    "GP attendances per patient-year",
)


def _identifiers():
    found = set()
    for given, family, number, born in Patient.objects.values_list(
        "given_name", "family_name", "nhs_number", "date_of_birth"
    ):
        found |= {f"{given} {family}", number, f"{number[:3]} {number[3:6]} {number[6:]}"}
        found |= {born.isoformat(), f"{born.day} {born:%B %Y}", born.strftime("%d/%m/%Y")}
    return found


def _assert_anonymous(text, identifiers):
    leaked = sorted(i for i in identifiers if i and i in text)
    assert leaked == [], f"identifiable data shown: {leaked}"


def _words(text: str) -> str:
    return " ".join(text.split())


def _assert_each_table_prints_on_one_page(page):
    """Printed on A4, no table is split from its heading or definition: each table's title,
    the end of its definition and its last row are on the same page."""
    sections = page.evaluate(
        "[...document.querySelectorAll('.app-dashboard-section')].map(s => ["
        " s.querySelector('h2').innerText,"
        " s.querySelector('.nhsuk-details__text').innerText,"
        # The last row's first cell as printed: a suppressed one's words are for screen
        # readers only.
        " (c => (c.querySelector('[aria-hidden]') || c).innerText)("
        "  s.querySelector('tbody tr:last-child > :first-child'))])"
    )
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    page.emulate_media(media="screen")
    texts = [_words(sheet.extract_text()) for sheet in pdf.pages]
    assert len(sections) == len(TITLES)
    for title, definition, last_row in sections:
        # (Another table's definition may name this one: look for its own definition too.)
        head = " ".join(definition.split()[:6])
        on = [number for number, text in enumerate(texts) if _words(title) in text and head in text]
        assert len(on) == 1, f"{title}: on pages {on}"
        text = texts[on[0]]
        tail = " ".join(definition.split()[-4:])
        assert tail in text, f"{title}: its definition runs on to another page"
        assert _words(last_row) in text, f"{title}: its table runs on to another page"


def test_a_commissioner_reads_narrows_prints_and_downloads_the_figures(browser_page):
    call_command("seed_demo", verbosity=0)
    identifiers = _identifiers()
    browser = browser_page
    browser.page.set_viewport_size({"width": 1280, "height": 900})
    browser.sign_in("commissioner@demo.nhs.uk", DEMO_PASSWORD)
    page = browser.page
    assert page.get_by_role("heading", level=1).inner_text() == "Pathway dashboard"
    headings = page.locator("main h2").all_inner_texts()
    assert headings == list(TITLES)
    assert page.locator("summary", has_text="Definition").count() == len(headings)
    assert page.locator("svg[role=img]").count() >= 1
    assert "Figures as of" in page.locator("#as-of").inner_text()
    _assert_anonymous(page.content(), identifiers)

    pcn = Organisation.objects.filter(kind="pcn").order_by("name").first()
    page.get_by_label("Area").select_option(label=f"{pcn.name} (Primary care network)")
    page.get_by_label("Period").select_option("year")
    page.get_by_role("button", name="Show figures").click()
    browser.check()
    summary = page.locator("main p", has_text="Printable view").inner_text()
    assert pcn.name in summary and "/" in summary  # a financial year such as 2026/27
    _assert_anonymous(page.content(), identifiers)

    page.get_by_role("link", name="Printable view").click()
    browser.check()
    # The way back and the print button sit side by side, centred on one line.
    back = page.get_by_role("link", name="Back to the dashboard").bounding_box()
    button = page.get_by_role("button", name="Print this page").bounding_box()
    assert abs((back["y"] + back["height"] / 2) - (button["y"] + button["height"] / 2)) <= 2
    assert back["x"] + back["width"] < button["x"]
    assert page.get_by_role("heading", level=1).inner_text().endswith(pcn.name)
    assert "figures as of" in page.locator("main").inner_text()
    _assert_anonymous(page.content(), identifiers)
    _assert_each_table_prints_on_one_page(page)
    page.go_back()
    browser.check()
    link = page.locator("a[href*='/dashboard/export/waits.csv']")
    assert link.text_content() == f"Download this table (CSV): {TITLES[2]}"

    with page.expect_download() as download:
        link.click()
    # Named for the table, area and months, and marked as UTF-8 for spreadsheet programs.
    assert download.value.suggested_filename.startswith("waits-northgate-primary-care-network-")
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0].startswith(f"Waits against pathway targets - {pcn.name}")
    assert len(rows) > 2
    _assert_anonymous(body, identifiers)

    # On a wide screen nothing scrolls, so no box takes a place in the tab order.
    assert page.locator(".app-table-scroll[tabindex]").count() == 0

    # On a phone the wide tables scroll in their own boxes; the page itself does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    browser.check()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert page.locator(".app-table-scroll table").count() == len(TITLES)
    # Those boxes that scroll can be reached with the keyboard.
    scrolling = page.evaluate(
        "[...document.querySelectorAll('.app-table-scroll')]"
        ".filter(b => b.scrollWidth > b.clientWidth)"
        ".map(b => b.getAttribute('tabindex'))"
    )
    assert scrolling and set(scrolling) == {"0"}
    # A table that scrolls says so above it; one that fits does not.
    notes = page.evaluate(
        "[...document.querySelectorAll('.app-scroll-note')]"
        ".map(n => [!n.hidden, n.nextElementSibling.scrollWidth"
        " > n.nextElementSibling.clientWidth])"
    )
    assert notes and all(shown == scrolls for shown, scrolls in notes)
    assert any(shown for shown, _ in notes)
    # Figures keep whole on a phone: with every cell of the widest table at a large area's
    # size, no number is broken across lines (its text stays one line box).
    broken = page.evaluate(
        "(() => { const cells = [...document.querySelector('.app-figures').querySelectorAll('td')];"
        " cells.forEach(td => { td.textContent = '12345.6%'; });"
        " return cells.filter(td => { const r = document.createRange(); r.selectNodeContents(td);"
        " return new Set([...r.getClientRects()].map(q => Math.round(q.top))).size > 1; })"
        ".length; })()"
    )
    assert broken == 0
    assert page.locator(".app-dashboard-covers").count() == 6
    # Chart labels stay readable: drawn at 14 units, shown at 10 pixels or more.
    label_px = page.evaluate(
        "(() => { const svg = [...document.querySelectorAll('.app-chart svg')]"
        ".find(s => s.getBoundingClientRect().width > 0);"
        " const text = svg.querySelector('text');"
        " const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
        " return parseFloat(getComputedStyle(text).fontSize) * scale; })()"
    )
    assert label_px >= 10
