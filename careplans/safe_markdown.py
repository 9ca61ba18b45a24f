"""The leaflet Markdown subset: checked when an admin saves, sanitised whenever it is shown.

Leaflets are written in Markdown with no raw HTML and no images. Links go to https addresses or to
pages of this service (a path starting with "/", or "#"). `problems()` explains what breaks those
rules so the admin form can refuse to save; `render()` turns Markdown into HTML and then cleans it
with nh3 whatever the source says, so a rule missed by the checks still cannot reach a page or PDF.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

import markdown
import nh3

from careplans.leaflet_files import split_sources

ALLOWED_TAGS = frozenset(
    {
        "h2",
        "h3",
        "h4",
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "blockquote",
        "hr",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "code",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# Autolinks such as <https://www.nhs.uk> are Markdown, not HTML.
_AUTOLINK = re.compile(r"<https://[^\s<>]+>")
_TAG_LIKE = re.compile(r"<\s*(/?\s*[A-Za-z][A-Za-z0-9-]*|!--|!\[CDATA\[|\?)")


def _converter() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # No raw HTML: with these two gone, "<b>" in the source is shown as text, not markup.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def is_allowed_href(href: str) -> bool:
    """Return True for an https address with a host, or a path on this service ("/..." or "#...").
    Scheme-relative addresses ("//host/...") and every other scheme are refused."""
    href = href.strip()
    if href.startswith("#"):
        return True
    if href.startswith("/"):
        return not href.startswith("//") and "\\" not in href
    return bool(re.match(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:[/?#]|$)", href))


def source_links(sources: str) -> list[tuple[str, str]]:
    """Return (title, address) pairs of a leaflet's sources for display. An address that is not
    an https link is dropped (the title stays), whatever the row holds: the admin form refuses
    such sources, and this keeps a row that bypassed it from putting a script link on a page."""
    return [
        (title, address if address.startswith("https://") and is_allowed_href(address) else "")
        for title, address in split_sources(sources)
    ]


def _keep_safe_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href" and not is_allowed_href(value):
        return None
    return value


@lru_cache(maxsize=256)
def render(text: str) -> str:
    """Return sanitised HTML for leaflet Markdown: only ALLOWED_TAGS, links only to https or this
    service, no images at all. Safe to mark as safe in templates and PDFs."""
    html = _converter().convert(text or "")
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"https"},
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_keep_safe_links,
    )


_ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")


def split_section(text: str, heading: str) -> tuple[str, str]:
    """Return `text` without its section under the heading `heading` (any level, matched without
    regard to case), and that section's content without its heading line; the section runs to
    the next heading of the same or a higher level. Returns `(text, "")` when there is no such
    heading, so the caller can put a leaflet's own section where a page has one already."""
    lines = (text or "").splitlines(keepends=True)
    start: int | None = None
    level = 0
    for number, line in enumerate(lines):
        found = _ATX_HEADING.match(line.rstrip("\r\n"))
        if not found:
            continue
        if start is None:
            if found.group(2).strip().casefold() == heading.casefold():
                start, level = number, len(found.group(1))
        elif len(found.group(1)) <= level:
            end = number
            break
    else:
        end = len(lines)
    if start is None:
        return text, ""
    return "".join(lines[:start] + lines[end:]), "".join(lines[start + 1 : end]).strip()


class _Elements(HTMLParser):
    """Collects the links, images and top-level headings Markdown produced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.images = 0
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        elif tag == "img":
            self.images += 1
        elif tag == "h1":
            self.h1 += 1


def problems(text: str) -> list[str]:
    """Return the reasons this leaflet text breaks the Markdown subset, in plain words, or an
    empty list when it is fine."""
    found: list[str] = []
    without_autolinks = _AUTOLINK.sub("", text)
    tag = _TAG_LIKE.search(without_autolinks)
    if tag:
        found.append(
            f"Remove the HTML “{tag.group(0).strip()}…”: leaflets are written in Markdown only."
        )
    parser = _Elements()
    parser.feed(_converter().convert(text))
    if parser.images:
        found.append(
            "Remove the image: leaflets cannot show pictures, because they would load from "
            "outside the service."
        )
    if parser.h1:
        found.append("Start headings with ## : the leaflet title is the main heading.")
    for href in parser.hrefs:
        if not is_allowed_href(href):
            shown = href if len(href) <= 60 else href[:57] + "..."
            found.append(
                f"The link “{shown}” is not allowed: link to an https address or to a page "
                "of this service (starting with /)."
            )
    return found
