"""Free text is escaped everywhere it is shown (DESIGN.md section 10): each hostile payload is
typed into every free-text field through the pages, then every page that shows it is read as
the people who see it, the HTML of every PDF made from it is rendered, and every message queued
on the way is rendered. The payload must come back as text, never as markup, and no message
carries it at all."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from careplans.models import Document
from diaries.models import DiaryReport
from diaries.selectors import report_content
from pathway.models import Notification
from pathway.navigation import PATIENT_TABS
from pathway.notifications.outbox import render_message
from referrals.letters import letter_context
from tests.security.journeys import as_user, fill_record
from tests.security.payloads import PAYLOADS, markers_in, markup_problems

pytestmark = pytest.mark.django_db


def _staff_pages(filled, world) -> dict[str, str]:
    patient = filled.patient
    pages = {name: reverse(name, kwargs={"patient_uuid": patient.uuid}) for _, name in PATIENT_TABS}
    pages.update(
        {
            "search": reverse("pathway:patient-search") + f"?nhs_number={patient.nhs_number}",
            "referral": reverse("referrals:detail", kwargs={"referral_uuid": filled.referral.uuid}),
            "waiting list": reverse("referrals:waiting-list"),
            "triage queue": reverse("referrals:triage-queue"),
            "version": reverse(
                "careplans:version-detail",
                kwargs={"version_uuid": filled.plan.versions.get(number=1).uuid},
            ),
            "trial review": reverse(
                "careplans:trial-review", kwargs={"trial_uuid": filled.trial.uuid}
            ),
            "reduction": reverse(
                "careplans:reduction-add", kwargs={"trial_uuid": filled.trial.uuid}
            ),
            "appointment": reverse(
                "reviews:appointment", kwargs={"appointment_uuid": filled.appointment.uuid}
            ),
            "review": reverse("reviews:review", kwargs={"appointment_uuid": filled.held.uuid}),
            "appointments": reverse("reviews:appointments"),
            "worklist": reverse("reviews:worklist"),
            "mdt list": reverse("reviews:mdt"),
            "mdt case": reverse("reviews:mdt-case", kwargs={"case_uuid": filled.case.uuid}),
            "alert": reverse("reviews:alert", kwargs={"alert_uuid": filled.alert_uuid}),
            "group sessions": reverse("reviews:group-sessions"),
            "group session": reverse(
                "reviews:group-session", kwargs={"session_uuid": filled.session.uuid}
            ),
        }
    )
    if filled.self_referral is not None:
        pages["self-referral"] = reverse(
            "referrals:detail", kwargs={"referral_uuid": filled.self_referral.uuid}
        )
    return pages


def _patient_pages() -> dict[str, str]:
    return {
        name: reverse(name)
        for name in (
            "pathway:patient-home",
            "diaries:today",
            "diaries:calendar",
            "diaries:summary",
            "careplans:my-plan",
            "reviews:my-appointments",
            "reviews:my-questionnaires",
            "pathway:contact-preferences",
        )
    }


# Pages that must show the payload (as text): proof that it was saved and displayed.
MUST_SHOW = {
    "clinician": {
        "pathway:patient-detail",
        "diaries:patient-diary",
        "referrals:patient-referrals",
        "careplans:patient-plan",
        "reviews:patient-reviews",
        "referral",
        "version",
        "trial review",
        "review",
        "mdt case",
        "alert",
        "group session",
        "appointment",
        "appointments",
    },
    "gp": {"referral", "mine"},
    "patient": {"diaries:today", "careplans:my-plan", "reviews:my-appointments"},
}


# Five payloads a journey keeps the run short: each field takes as many as its length allows,
# and always the group's first.
GROUPS = [PAYLOADS[i : i + 5] for i in range(0, len(PAYLOADS), 5)]


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: f"p{g[0].index:02d}-p{g[-1].index:02d}")
def test_hostile_payloads_are_shown_as_text_on_every_page(group, client, world):
    payload = group[0]
    filled = fill_record(client, world, [p.text for p in group])
    assert filled.failures == [], f"{payload}: could not save {filled.failures}"
    problems, missing = [], []
    readers = {
        "clinician": (world.clinician, _staff_pages(filled, world)),
        "gp": (
            world.gp,
            {
                "referral": reverse(
                    "referrals:detail", kwargs={"referral_uuid": filled.referral.uuid}
                ),
                "mine": reverse("referrals:mine"),
                "patient": reverse(
                    "pathway:patient-detail", kwargs={"patient_uuid": filled.patient.uuid}
                ),
            },
        ),
        "patient": (filled.patient_user, _patient_pages()),
        "admin": (
            world.admin,
            {
                "patients": "/admin/pathway/patient/",
                "patient": f"/admin/pathway/patient/{filled.patient.pk}/change/",
                "users": "/admin/pathway/user/",
            },
        ),
    }
    for reader, (user, pages) in readers.items():
        as_user(client, user)
        for label, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, f"{reader} {label}: {response.status_code}"
            html = response.content.decode()
            problems += [
                f"{reader} {label}: {problem}"
                for each in group
                for problem in markup_problems(html, each)
            ]
            if label in MUST_SHOW.get(reader, ()) and payload.marker not in markers_in(html):
                missing.append(f"{reader} {label}")
    problems += _document_problems(client, world, filled, group)
    problems += _message_problems(group)
    assert problems == [], "\n".join(problems)
    assert missing == [], f"{payload} not shown on {missing}"


def _document_problems(client, world, filled, group) -> list[str]:
    """The HTML each PDF is made from: care plan, personalised leaflet, diary report, letter."""
    as_user(client, world.clinician)
    version = filled.plan.versions.get(number=1)
    client.post(reverse("careplans:plan-pdf", kwargs={"version_uuid": version.uuid}))
    client.post(
        reverse(
            "careplans:leaflet-pdf",
            kwargs={"patient_uuid": filled.patient.uuid, "slug": "understanding-migraine"},
        )
    )
    client.post(reverse("diaries:report-request", kwargs={"patient_uuid": filled.patient.uuid}))
    documents = {
        f"{document.kind} PDF": document.html
        for document in Document.objects.filter(patient=filled.patient)
    }
    assert set(documents) == {"careplan PDF", "leaflet PDF"}
    report = DiaryReport.objects.get(patient=filled.patient)
    documents["diary report PDF"] = render_to_string(
        "diaries/report_pdf.html", report_content(report)
    )
    filled.referral.refresh_from_db()
    documents["triage letter PDF"] = render_to_string(
        "referrals/letter_triage_outcome.html", letter_context(filled.referral)
    )
    problems = []
    for label, html in documents.items():
        problems += [f"{label}: {p}" for each in group for p in markup_problems(html, each)]
        if group[0].marker not in markers_in(html):
            problems.append(f"{label}: the patient's text is missing")
    return problems


def _message_problems(group) -> list[str]:
    """Messages name what happened and carry a link: never the text people typed."""
    problems = []
    rows = list(Notification.objects.select_related("patient", "user"))
    assert rows, "the journey queues messages"
    for row in rows:
        message = render_message(row)
        for part in (message.subject, message.body, message.html or ""):
            if markers_in(part):
                problems.append(f"{row.template} message carries user text: {part[:120]!r}")
        if message.html:
            problems += [f"{row.template}: {p}" for p in markup_problems(message.html)]
    return problems


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"p{p.index:02d}")
def test_the_check_finds_each_payload_when_it_is_not_escaped(payload):
    """The check above would catch a template that forgot to escape."""
    if "<" in payload.text:
        assert markup_problems(f"<p>{payload.text}</p>", payload)
    assert markup_problems(f'<a href="{escape(payload.text)}">x</a>', payload)
    assert markup_problems(f"<p>{escape(payload.text)}</p>", payload) == []
    assert markup_problems(f'<input value="{escape(payload.text)}">', payload) == []
