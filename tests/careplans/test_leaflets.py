"""The leaflet library: every leaflet the issue asks for, safe Markdown, sources, review dates and
a reading age of 11 or under; the Markdown subset and the admin editor."""

import importlib
import re
from datetime import date

import pytest

from careplans import safe_markdown
from careplans.forms import LeafletAdminForm
from careplans.leaflet_files import load_all, parse, split_sources
from careplans.models import Leaflet

LIBRARY = {leaflet.slug: leaflet for leaflet in load_all()}
REQUIRED = [
    "understanding-migraine",
    "headache-diary",
    "medication-overuse-headache",
    "acute-treatment",
    "propranolol",
    "amitriptyline",
    "topiramate",
    "candesartan",
    "cgrp-antibodies",
    "botulinum-toxin",
    "tension-type-headache",
    "fibromyalgia",
    "living-well-with-persistent-pain",
    "reducing-opioids-and-gabapentinoids",
    "mental-health-support",
    "about-this-service",
]


def _syllables(word: str) -> int:
    word = word.lower()
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def reading_age(markdown_text: str) -> float:
    """Flesch-Kincaid grade + 5. Each line (heading, bullet, table row) counts as a sentence."""
    lines = []
    for line in markdown_text.splitlines():
        line = line.strip().lstrip("#>-0123456789. ").strip()
        if line and not re.fullmatch(r"[-|: ]+", line):
            lines.append(line if re.search(r"[.!?:]$", line) else line + ".")
    text = re.sub(r"[*_`|()\[\]]", " ", " ".join(lines))
    sentences = [s for s in re.split(r"[.!?:;]+\s", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    syllables = sum(_syllables(w) for w in words)
    grade = 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59
    return grade + 5


def test_the_library_has_every_leaflet_the_service_needs():
    assert sorted(REQUIRED) == sorted(LIBRARY)


@pytest.mark.parametrize("slug", REQUIRED)
def test_each_leaflet_is_safe_markdown_with_sources_and_a_review_date(slug):
    leaflet = LIBRARY[slug]
    assert safe_markdown.problems(leaflet.body) == []
    assert leaflet.review_on > date(2026, 11, 1)
    sources = split_sources(leaflet.sources)
    assert sources and all(address.startswith("https://") for _, address in sources)
    assert leaflet.condition in Leaflet.Condition.values


@pytest.mark.parametrize("slug", REQUIRED)
def test_each_leaflet_reads_at_age_eleven_or_under(slug):
    assert reading_age(LIBRARY[slug].body) <= 11


def test_the_topiramate_leaflet_carries_the_pregnancy_prevention_warning():
    body = LIBRARY["topiramate"].body
    assert "pregnancy prevention programme" in body
    assert "contraception" in body


def test_medicine_leaflets_name_the_medicines_they_personalise():
    assert LIBRARY["topiramate"].medicines == "topiramate"
    assert LIBRARY["reducing-opioids-and-gabapentinoids"].medicines == "opioid gabapentinoid"
    assert LIBRARY["cgrp-antibodies"].medicines == "cgrp_antibody"


def test_the_data_migration_loaded_the_library(db):
    assert set(Leaflet.objects.values_list("slug", flat=True)) >= set(REQUIRED)


def test_front_matter_errors_are_reported():
    with pytest.raises(ValueError, match="front matter"):
        parse("x", "no front matter")
    with pytest.raises(ValueError, match="needs title"):
        parse("x", "---\nsummary: s\ncondition: general\nreview_on: 2027-01-01\n---\nBody")
    with pytest.raises(ValueError, match="source"):
        parse("x", "---\ntitle: t\nsummary: s\ncondition: general\nreview_on: 2027-01-01\n---\n")


# --- the Markdown subset -------------------------------------------------------------------------


def test_raw_html_is_shown_as_text_never_as_markup():
    html = safe_markdown.render('<script>alert(1)</script>\n\nHi <b onclick="x">there</b>')
    assert "<script" not in html and "<b" not in html
    assert "&lt;script&gt;" in html


def test_images_are_removed_and_never_fetched():
    html = safe_markdown.render("![x](https://evil.example/track.png) ![y](/static/a.png)")
    assert "<img" not in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "http://example.com",
        "//evil.example/x",
        "data:text/html,x",
        "mailto:a@b.com",
        "/\\evil.example",
    ],
)
def test_unsafe_links_lose_their_address(href):
    html = safe_markdown.render(f"[click]({href})")
    assert "href" not in html
    assert safe_markdown.problems(f"[click]({href})")


@pytest.mark.parametrize(
    "href", ["https://www.nhs.uk/conditions/migraine/", "/care-plans/leaflets/", "#top"]
)
def test_https_and_service_links_are_kept(href):
    html = safe_markdown.render(f"[read more]({href})")
    assert f'href="{href}"' in html and 'rel="noopener noreferrer"' in html
    assert safe_markdown.problems(f"[read more]({href})") == []


def test_problems_explain_each_break_of_the_subset():
    found = safe_markdown.problems(
        "# Title\n\n<div>x</div>\n\n![pic](https://evil.example/a.png)\n\n[a](http://x.example)"
    )
    assert len(found) == 4
    assert any("HTML" in p for p in found)
    assert any("image" in p for p in found)
    assert any("##" in p for p in found)
    assert any("http://x.example" in p for p in found)


def test_autolinks_and_less_than_signs_are_fine():
    assert safe_markdown.problems("See <https://www.nhs.uk> if pain is < 5 or 3<4.") == []


def test_a_section_is_split_from_the_rest_up_to_the_next_heading_of_its_level():
    text = "## Side effects\n\nTired.\n\n## When to get help\n\nCall 111.\n\n### Urgent\n\nA&E.\n"
    rest, section = safe_markdown.split_section(text + "## After\n\nMore.\n", "when to get help")
    assert rest == "## Side effects\n\nTired.\n\n## After\n\nMore.\n"
    assert section == "Call 111.\n\n### Urgent\n\nA&E."
    assert safe_markdown.split_section(text, "When to get help ") == (text, "")
    assert safe_markdown.split_section("No headings.", "When to get help") == ("No headings.", "")


def _admin_data(**overrides):
    data = {
        "slug": "new-leaflet",
        "title": "New leaflet",
        "summary": "A summary.",
        "condition": "general",
        "medicines": "",
        "body_markdown": "## Hello\n\nPlain words.",
        "sources": "NHS | https://www.nhs.uk/",
        "review_on": "2027-06-30",
        "is_published": "on",
    }
    return {**data, **overrides}


def test_the_admin_form_accepts_a_good_leaflet(db):
    form = LeafletAdminForm(_admin_data(medicines="opioid  tramadol"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["medicines"] == "opioid tramadol"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body_markdown", "<img src=https://evil.example/x.png>", "HTML"),
        ("body_markdown", "![x](https://evil.example/x.png)", "image"),
        ("body_markdown", "[x](javascript:alert(1))", "not allowed"),
        ("medicines", "aspirin", "aspirin is not one"),
        ("sources", "NHS | http://www.nhs.uk/", "must start with https://"),
        ("sources", "", "required"),
    ],
)
def test_the_admin_form_refuses_unsafe_leaflets_with_a_clear_message(db, field, value, message):
    form = LeafletAdminForm(_admin_data(**{field: value}))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    assert not Leaflet.objects.filter(slug="new-leaflet").exists()


def test_a_leaflet_saved_again_unchanged_from_the_browser_keeps_its_version(world, login):
    from django.urls import reverse

    leaflet = Leaflet.objects.get(slug="understanding-migraine")
    version = leaflet.version
    client = login(world.admin)
    url = reverse("admin:careplans_leaflet_change", args=[leaflet.pk])
    data = {
        "slug": leaflet.slug,
        "title": leaflet.title,
        "summary": leaflet.summary,
        "condition": leaflet.condition,
        "medicines": leaflet.medicines,
        # As a browser sends a text box: every line break as CR LF.
        "body_markdown": leaflet.body_markdown.replace("\n", "\r\n"),
        "sources": leaflet.sources.replace("\n", "\r\n"),
        "review_on": "2030-01-31",
        "is_published": "on",
    }
    assert client.post(url, data).status_code == 302
    leaflet.refresh_from_db()
    assert leaflet.version == version and "\r" not in leaflet.body_markdown
    # A published leaflet is not given a review date gone by.
    page = client.post(url, {**data, "review_on": "2020-01-01"})
    assert "review date must be today or later" in page.content.decode()


@pytest.mark.parametrize("slug", sorted(LIBRARY))
def test_no_leaflet_allows_triptans_or_opioids_on_more_than_2_days_a_week(slug):
    """clinical-rules.md 8.2: triptans, opioids and combination painkillers are overused from 10
    days a month, and so is any mix of classes; 3 days a week (about 13 a month) is safe only for
    simple painkillers taken alone."""
    body = LIBRARY[slug].body
    rows = [line for line in body.splitlines() if line.startswith("|")]
    prose = " ".join(line for line in body.splitlines() if not line.startswith("|"))
    for sentence in rows + re.split(r"(?<=[.!?])\s+", " ".join(prose.split())):
        if not re.search(r"triptan|opioid|codeine|co-codamol", sentence, re.IGNORECASE):
            continue
        for limit in re.findall(r"(\d+)(?: or (\d+))? days a week", sentence):
            assert max(int(n) for n in limit if n) <= 2, (slug, sentence)


def test_the_corrections_migration_mends_a_library_loaded_before_and_only_once(db):
    from django.apps import apps

    migration = importlib.import_module("careplans.migrations.0012_leaflet_corrections")
    for slug, old, new in migration.CORRECTIONS:
        leaflet = Leaflet.objects.get(slug=slug)
        leaflet.body_markdown = migration._words(new).sub(old.rstrip("\n"), leaflet.body_markdown)
        leaflet.save()
    assert "2 or 3 days a week" in Leaflet.objects.get(slug="understanding-migraine").body_markdown
    corrected = {slug for slug, _, _ in migration.CORRECTIONS}
    versions = dict(Leaflet.objects.values_list("slug", "version"))
    for _ in range(2):
        migration.correct(apps, None)
        for slug in corrected:
            leaflet = Leaflet.objects.get(slug=slug)
            stored = leaflet.body_markdown
            assert " ".join(stored.split()) == " ".join(LIBRARY[slug].body.split()), slug
            # A new version, once, however many sentences were corrected.
            assert leaflet.version == versions[slug] + 1, slug
    untouched = Leaflet.objects.exclude(slug__in=corrected).values_list("slug", "version")
    assert all(version == versions[slug] for slug, version in untouched)
