"""Reading the kernel's pages in tests: the text as a user reads it, and a field's error."""

import html
import re


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def field_error(response, field: str) -> str | None:
    """The error message shown beside a form field, or None."""
    match = re.search(
        rf'id="id_{field}-error">'
        r'<span class="nhsuk-u-visually-hidden">Error:</span> ([^<]*)</span>',
        response.content.decode(),
    )
    return html.unescape(match.group(1)).strip() if match else None
