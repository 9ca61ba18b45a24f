"""Hostile text for the escaping tests, and the check that a page shows it only as text.

Each payload carries a marker (`Zx07q` for payload 7) so a test can tell where it landed: in
text, which is fine, or in an attribute, an event handler, a script or a style, which is not.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_TEMPLATES = (
    # Script tags
    "<script>alert('{m}')</script>",
    "<SCRIPT SRC=//evil.example/{m}.js></SCRIPT>",
    "<scr<script>ipt>alert('{m}')</script>",
    "</textarea><script>alert('{m}')</script>",
    "</title><script>alert('{m}')</script>",
    "\"><script>alert('{m}')</script>",
    "'><script>alert('{m}')</script>",
    "<script>/*{m}*/document.cookie</script>",
    # Event handlers
    "<img src=x onerror=alert('{m}')>",
    "<body onload=alert('{m}')>",
    "\" onmouseover=\"alert('{m}')",
    "' onfocus='alert(1)' autofocus x='{m}",
    "<input autofocus onfocus=alert('{m}')>",
    "<details open ontoggle=alert('{m}')>",
    "<video><source onerror=\"alert('{m}')\">",
    "<div onpointerover=alert('{m}')>x</div>",
    "x onload=alert('{m}') y",
    # javascript: and other dangerous URLs
    "javascript:alert('{m}')",
    "JaVaScRiPt:alert('{m}')",
    "java\tscript:alert('{m}')",
    "<a href=\"javascript:alert('{m}')\">click</a>",
    "<a href=&#106;avascript:alert('{m}')>x</a>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{m}",
    'vbscript:msgbox("{m}")',
    "<iframe src=\"javascript:alert('{m}')\">",
    # SVG and MathML
    "<svg onload=alert('{m}')>",
    "<svg><script>alert('{m}')</script></svg>",
    "<svg><a xlink:href=\"javascript:alert('{m}')\"><text>x</text></a>",
    "<svg><animate onbegin=alert('{m}') attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('{m}')>",
    # Style and expression()
    "<style>body{{background:url(\"javascript:alert('{m}')\")}}</style>",
    "<div style=\"width: expression(alert('{m}'))\">",
    "<link rel=stylesheet href=//evil.example/{m}.css>",
    "</style><script>alert('{m}')</script>",
    "<style>@import 'https://evil.example/{m}.css';</style>",
    # Template injection
    "{{{{7*7}}}}{m}",
    "${{7*7}}{m}",
    "#{{7*7}}{m}",
    "<%= 7*7 %>{m}",
    "{{% debug %}}{m}",
    "{{{{ request.user.password }}}}{m}",
    "{{{{constructor.constructor('alert(1)')()}}}}{m}",
    # Unicode and encoding tricks
    "\uff1cscript\uff1ealert('{m}')\uff1c/script\uff1e",
    "\u202e<script>alert('{m}')</script>",
    "%3Cscript%3Ealert('{m}')%3C/script%3E",
    "&lt;script&gt;alert('{m}')&lt;/script&gt;",
    "\\u003cscript\\u003ealert('{m}')\\u003c/script\\u003e",
    "<scr\u0130pt>alert('{m}')</scr\u0130pt>",
    "\u200b<script>alert('{m}')</script>",
    "<!--{m}--><script>alert(1)</script>",
    "<![CDATA[<script>alert('{m}')</script>]]>",
    # Spreadsheet formulas (CSV injection)
    "=cmd|' /C calc'!A0 {m}",
    '=HYPERLINK("https://evil.example/{m}","click")',
    "@SUM(1+1)*cmd|' /C calc'!A0 {m}",
    "+1+cmd|' /C calc'!A0 {m}",
    "-2+3+cmd|' /C calc'!A0 {m}",
    "\t=1+1 {m}",
    "\r=1+1 {m}",
    "=1+1 {m}",
    # Markup that would act without script
    '<div hx-get="/admin/" hx-trigger="load">{m}</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'{m}\')">',
    '<base href="https://evil.example/{m}/">',
    '<form action="https://evil.example/{m}"><button>Go</button></form>',
    "<object data=\"javascript:alert('{m}')\">",
    '<embed src="https://evil.example/{m}.swf">',
)


@dataclass(frozen=True)
class Payload:
    index: int
    marker: str
    text: str

    def __str__(self) -> str:
        return f"payload {self.index}: {self.text!r}"


PAYLOADS = tuple(
    Payload(index, f"Zx{index:02d}q", template.format(m=f"Zx{index:02d}q"))
    for index, template in enumerate(_TEMPLATES)
)
# Spreadsheet programs run a cell starting with one of these (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PAYLOADS = tuple(p for p in PAYLOADS if p.text.lstrip(" ").startswith(FORMULA_STARTS))
# Attributes where text typed by a user may appear, escaped: form values, labels and titles.
TEXT_ATTRIBUTES = frozenset({"value", "title", "alt", "aria-label", "placeholder", "label"})
_MARKER = re.compile(r"Zx[0-9]{2}q")


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.raw_text: list[str] = []
        self._in = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None or not _MARKER.search(value):
                continue
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> carries {value!r}")
            elif name not in TEXT_ATTRIBUTES:
                self.problems.append(f"<{tag} {name}={value!r}> takes user text as markup")
        if tag in ("script", "style"):
            self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and _MARKER.search(data):
            self.problems.append(f"<{self._in[-1]}> holds {data.strip()[:80]!r}")
        self.raw_text.append(data)

    def handle_comment(self, data):
        if _MARKER.search(data):
            self.problems.append(f"a comment holds {data[:80]!r}")


def markup_problems(html: str, payload: Payload | None = None) -> list[str]:
    """Where user text in `html` became markup: an element, attribute, handler, script, style
    or comment; or a template expression that was evaluated. Empty when all of it is text."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    problems = scan.problems
    text = "".join(scan.raw_text)
    for found in re.finditer(r"49 ?Zx[0-9]{2}q", text):
        problems.append(f"a template expression was evaluated: {found.group(0)!r}")
    if payload is not None:
        typed = payload.text.strip()
        if "<" in typed and typed in html:
            problems.append(f"{payload} appears unescaped")
    return problems


def markers_in(html: str) -> set[str]:
    return set(_MARKER.findall(html))
