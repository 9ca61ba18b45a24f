"""The triage queue's rows written in Python: the same markup as the template loop they stand
for, character for character (tests/referrals/test_rendering.py compares the two, the loop being
kept in tests/referrals/reference/triage_rows.html).

A page of 25 rows took about 3 ms through the template engine on the load data, close to a
tenth of the queue's time; written here it costs a small part of that.
"""

from django.utils.safestring import SafeString, mark_safe

from pathway.renderers import template_date, template_text
from referrals.templatetags.clocks import wait_clock


def _cell(heading: str, body: str) -> str:
    return (
        '    <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
        f'aria-hidden="true">{heading} </span>{body}</td>\n'
    )


_ROW = (
    '\n  <tr class="nhsuk-table__row{breached}">\n'
    + _cell("Patient", '<span><a href="{url}">{name}</a>\n      {who}</span>')
    + _cell("Urgency", "<span>{urgency}</span>")
    + _cell("Condition", "{condition}")
    + _cell("Source", "<span>{source}</span>")
    + _cell("Received", "{received}")
    + _cell("Clock", "<span>{clock}</span>")
    + "  </tr>\n  "
)
_UNMATCHED = '<br><strong class="nhsuk-tag nhsuk-tag--grey">Self-referral to match</strong>'
_URGENT = '<strong class="nhsuk-tag nhsuk-tag--red">Urgent</strong>'
_RISKY = '<br><strong class="nhsuk-tag nhsuk-tag--red">Self-harm answer</strong>'
_SENT_AGAIN = '<br><strong class="nhsuk-tag nhsuk-tag--blue">Sent again</strong>'


def _who(referral) -> str:
    if referral.is_unmatched:
        return _UNMATCHED
    patient = referral.patient
    if not patient:
        return ""
    return (
        f'<br><span class="nhsuk-body-s">{template_text(patient.nhs_number_display)} · '
        f"{template_text(patient.registered_practice.name)}</span>"
    )


def _urgency(row, adult_age) -> str:
    text = _URGENT if row["referral"].urgency == "urgent" else "Routine"
    if row["risky_answer"]:
        text += _RISKY
    if row["under_age"]:
        text += (
            '<br><strong class="nhsuk-tag nhsuk-tag--orange">'
            f"Under {template_text(adult_age)}</strong>"
        )
    return text


def triage_rows(rows, *, adult_age) -> SafeString:
    """The <tr> of each triage queue row (`referrals.views.lists.triage_queue`), escaped as the
    template escaped them."""
    parts = []
    for row in rows:
        referral, clock = row["referral"], row["clock"]
        parts.append(
            _ROW.format(
                breached=" app-row--breached" if clock and clock.breached else "",
                url=template_text(row["url"]),
                name=template_text(referral.display_name),
                who=_who(referral),
                urgency=_urgency(row, adult_age),
                condition=template_text(row["condition"]),
                source=template_text(row["source"]) + (_SENT_AGAIN if referral.resends_id else ""),
                received=template_date(referral.submitted_at, "j M Y"),
                clock=wait_clock(clock),
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by template_text
