"""The worklist's rows written in Python: the same markup as the template loop they stand for,
character for character (tests/reviews/test_rendering.py compares the two, the loop being kept
in tests/reviews/reference/worklist_rows.html).

A page of 25 rows ran about 320 template variables through the template engine, close to half
the worklist's time; written here they cost a small part of it.
"""

from django.utils.safestring import SafeString, mark_safe

from pathway.renderers import template_date, template_text
from reviews.rules import WORKLIST_RANK

# Red for safety alerts; orange for the categories up to target breaches (red flags, severe
# scores, breaches); blue for the rest.
_LAST_ORANGE = WORKLIST_RANK["target_breach"]

_ROW = (
    '\n    <tr role="row" class="nhsuk-table__row">\n'
    '      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading"'
    ' aria-hidden="true">Patient </span>\n'
    '        <a href="{url}">{name}</a>\n'
    '        <br><span class="nhsuk-body-s">NHS {number} · {practice}</span>\n'
    "      </td>\n"
    '      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading"'
    ' aria-hidden="true">Why </span>\n'
    '        <ul class="nhsuk-list nhsuk-u-margin-bottom-0">\n'
    "        {reasons}\n"
    "        </ul>\n"
    "      </td>\n"
    '      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading"'
    ' aria-hidden="true">Since </span>{since}</td>\n'
    "    </tr>\n    "
)
_REASON = (
    '\n          <li><strong class="nhsuk-tag {tag}">{label}</strong>\n            {detail}</li>\n'
    "        "
)


def _tag(rank: int) -> str:
    if rank == 0:
        return "nhsuk-tag--red"
    return "nhsuk-tag--orange" if rank <= _LAST_ORANGE else "nhsuk-tag--blue"


def _reason(reason) -> str:
    detail = template_text(reason.detail)
    if reason.url:
        detail = f'<a href="{template_text(reason.url)}">{detail}</a>'
    return _REASON.format(tag=_tag(reason.rank), label=template_text(reason.label), detail=detail)


def worklist_rows(rows) -> SafeString:
    """The <tr> of each worklist row (`reviews.worklist.page_rows`), escaped as the template
    escaped them."""
    return mark_safe(  # noqa: S308 - every value is escaped by template_text
        "".join(
            _ROW.format(
                url=template_text(row.url),
                name=template_text(row.patient.full_name),
                number=template_text(row.patient.nhs_number_display),
                practice=template_text(row.practice),
                reasons="".join(_reason(reason) for reason in row.reasons),
                since=template_date(row.top.since, "j M Y"),
            )
            for row in rows
        )
    )
