"""Diary report PDFs: requested by a patient or their care team, rendered by the worker through
pathway.pdf, stored with a hash, downloaded only through the access-checked view."""

import hashlib
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from diaries import selectors, services, tasks
from diaries.models import DiaryReport
from pathway.models import AuditEvent
from tests.diaries.builders import (
    clear_day,
    days_ago,
    episode,
    headache_day,
    preparing_report,
    ready_report,
    record,
    today,
)


@pytest.fixture
def sent(monkeypatch):
    """Report UUIDs handed to the broker (the broker itself is not part of these tests)."""
    handed = []
    monkeypatch.setattr(
        tasks.render_diary_report, "apply_async", lambda args, **kw: handed.append(args[0])
    )
    return handed


def _request(patient, actor=None):
    return services.request_report(
        actor=actor or patient.user, patient=patient, start=selectors.window_start(today())
    )


def test_a_request_creates_a_report_and_hands_it_to_the_worker_on_commit(
    world, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = _request(world.patient)
    assert len(callbacks) == 1
    assert sent == [str(report.uuid)]
    assert report.status == "preparing"
    assert (report.start, report.end) == (days_ago(89), today())
    assert AuditEvent.objects.filter(object_uuid=report.uuid, action="create").exists()


def test_asking_again_while_preparing_returns_the_same_report(world, sent):
    assert _request(world.patient).pk == _request(world.patient).pk


def test_a_ready_report_is_reused_until_the_diary_changes(world, sent):
    record(world.patient, days_ago(1), headache_day())
    report = _request(world.patient)
    assert services.render_report(report_uuid=str(report.uuid)) == "ready"
    assert _request(world.patient).pk == report.pk
    record(world.patient, days_ago(2), headache_day())
    assert _request(world.patient).pk != report.pk


def test_the_page_says_when_the_diary_changed_since_the_report(world, login, sent):
    record(world.patient, days_ago(1), headache_day())
    report = _request(world.patient)
    services.render_report(report_uuid=str(report.uuid))
    client = login(world.patient_user)
    summary = reverse("diaries:summary")
    page = client.get(summary).content.decode()
    assert "Download the diary report (PDF)" in page and "out of date" not in page
    record(world.patient, days_ago(2), headache_day())
    page = client.get(summary).content.decode()
    assert "The diary has changed since this report was made, so its figures are out of date." in (
        page
    )
    assert "Download the earlier diary report (PDF)" in page
    # Asking again makes a new report, which is up to date once made.
    fresh = _request(world.patient)
    assert fresh.pk != report.pk
    services.render_report(report_uuid=str(fresh.uuid))
    assert "out of date" not in client.get(summary).content.decode()


def test_a_report_cannot_end_in_the_future(world):
    with pytest.raises(services.ValidationError):
        services.request_report(actor=None, patient=world.patient, start=today())


def test_the_task_renders_and_stores_the_pdf_with_its_hash(world):
    record(
        world.patient,
        days_ago(1),
        headache_day(episode("severe", migraine=True, doses={"sumatriptan": 1})),
    )
    report = preparing_report(world.patient)
    assert tasks.render_diary_report(str(report.uuid)) == "ready"
    report.refresh_from_db()
    pdf = bytes(report.pdf)
    assert pdf.startswith(b"%PDF")
    assert report.content_hash == hashlib.sha256(pdf).hexdigest()
    assert report.status == "ready" and report.rendered_at is not None
    assert AuditEvent.objects.filter(object_uuid=report.uuid, actor_role="system").exists()


def test_running_the_task_twice_changes_nothing(world):
    report = preparing_report(world.patient)
    assert tasks.render_diary_report(str(report.uuid)) == "ready"
    report.refresh_from_db()
    first = report.content_hash
    assert tasks.render_diary_report(str(report.uuid)) == "skipped"
    report.refresh_from_db()
    assert report.content_hash == first


def test_the_task_ignores_unknown_reports(db):
    assert tasks.render_diary_report("not-a-uuid") == "skipped"
    assert tasks.render_diary_report("00000000-0000-0000-0000-000000000000") == "skipped"


def test_a_failed_render_is_retried_then_given_up(world, monkeypatch, sent):
    report = preparing_report(world.patient)
    monkeypatch.setattr("pathway.pdf.html_to_pdf", lambda html: 1 / 0)
    assert services.render_report(report_uuid=str(report.uuid)) == "failed"
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("preparing", 1)
    DiaryReport.objects.filter(pk=report.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert services.requeue_stale_reports() == 1
    assert sent == [str(report.uuid)]
    for _ in range(2):
        services.render_report(report_uuid=str(report.uuid))
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("failed", 3)


def test_the_sweep_rehands_reports_left_by_a_dead_worker(world, sent):
    waiting = preparing_report(world.patient)
    DiaryReport.objects.filter(pk=waiting.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    claimed = preparing_report(world.patient)
    DiaryReport.objects.filter(pk=claimed.pk).update(
        status="rendering", claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    fresh = preparing_report(world.patient)
    assert tasks.requeue_stale_diary_reports() == 2
    assert set(sent) == {str(waiting.uuid), str(claimed.uuid)}
    assert str(fresh.uuid) not in sent
    assert services.render_report(report_uuid=str(claimed.uuid)) == "ready"


def test_a_broker_failure_leaves_the_report_preparing(world, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.render_diary_report, "apply_async", down)
    report = preparing_report(world.patient)
    assert services.enqueue_report(report.uuid) is False
    report.refresh_from_db()
    assert report.status == "preparing"


def test_notes_are_escaped_in_the_pdf(world):
    record(
        world.patient, days_ago(1), headache_day(note="<img src=x onerror=alert(1)> & <b>bold</b>")
    )
    report = preparing_report(world.patient)
    html = render_to_string("diaries/report_pdf.html", selectors.report_content(report))
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<img src=x" not in html and "<b>bold" not in html


def test_the_pdf_holds_the_summary_calendar_and_medication_table(world):
    for ago in range(0, 66, 2):
        record(
            world.patient,
            days_ago(ago),
            headache_day(episode("severe", migraine=True, doses={"sumatriptan": 1})),
        )
    report = preparing_report(world.patient)
    html = render_to_string("diaries/report_pdf.html", selectors.report_content(report))
    assert "You took triptans on 11 days a month." in html
    assert "Acute medication intake meets the overuse criterion: triptans" in html
    assert "app-diary-calendar" in html
    assert "Sumatriptan" in html and "Medicines recorded" in html
    assert "Days in each 30-day month" in html


def test_a_pdf_of_a_period_with_nothing_recorded_says_so_instead_of_figures_of_none(world):
    record(world.patient, days_ago(60), headache_day(episode("severe")))
    report = preparing_report(world.patient, start=days_ago(150))  # to the day before it
    html = render_to_string("diaries/report_pdf.html", selectors.report_content(report))
    start, end = days_ago(150), days_ago(61)
    assert (
        f"Nothing was recorded in the diary from {start:%-d %B %Y} to {end:%-d %B %Y}, so this "
        "report has no diary figures or flags for the period." in html
    )
    assert "No diary flags" not in html and "days/month" not in html
    assert "Month by month" not in html and "app-diary-calendar" not in html


def test_the_pdf_says_when_the_diary_began_instead_of_counting_days_before_it(world):
    for ago in range(0, 66, 2):
        record(world.patient, days_ago(ago), clear_day())
    html = render_to_string(
        "diaries/report_pdf.html", selectors.report_content(preparing_report(world.patient))
    )
    began = days_ago(64)
    assert f"You started your diary on {began:%-d %B %Y}" in html
    assert "You have also not filled in 32 days since you started." in html
    assert "You have filled in 33 of the 90 days" not in html


def test_the_pdf_counts_pain_scores_in_words_that_agree(world):
    record(world.patient, days_ago(1), clear_day(pain_score=4))
    html = render_to_string(
        "diaries/report_pdf.html", selectors.report_content(preparing_report(world.patient))
    )
    assert "Pain scores on 1 day: average 4.0, highest 4 out of 10." in html
    record(world.patient, days_ago(2), clear_day(pain_score=6))
    html = render_to_string(
        "diaries/report_pdf.html", selectors.report_content(preparing_report(world.patient))
    )
    assert "Pain scores on 2 days: average 5.0, highest 6 out of 10." in html
    assert "Pain scores (0 to 10) in each 30-day month" in html
    assert html.index("Pain scores (0 to 10)") < html.index("Month by month")


def test_a_chronic_pain_patients_pdf_starts_with_their_pain(world):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=world.patient, condition="chronic_pain")
    record(world.patient, days_ago(1), clear_day(pain_score=7))
    html = render_to_string(
        "diaries/report_pdf.html", selectors.report_content(preparing_report(world.patient))
    )
    assert "<h1>Headache and pain diary report</h1>" in html
    assert html.index("Pain scores on 1 day: average 7.0") < html.index("<h2>Summary</h2>")
    assert html.count("<h2>Pain scores</h2>") == 1
    # No headache days: no empty headache chart; the calendar does not colour the day green.
    assert "<h2>Month by month</h2>" not in html
    assert "app-diary-calendar__day--recorded" in html
    assert "app-diary-calendar__day--clear" not in html
    assert "Regular medicines for long-term pain are in the care plan" in html


# Views


def test_the_patient_asks_for_a_report_and_sees_it_preparing(world, login, sent):
    client = login(world.patient_user)
    url = reverse("diaries:report-request", kwargs={"patient_uuid": world.patient.uuid})
    response = client.post(url, {"end": f"{today():%Y-%m-%d}"})
    assert response["Location"] == reverse("diaries:summary") + "#report"
    report = DiaryReport.objects.get(patient=world.patient)
    summary = client.get(reverse("diaries:summary")).content.decode()
    assert "Preparing your report" in summary
    assert (
        f'hx-get="{reverse("diaries:report-status", kwargs={"report_uuid": report.uuid})}"'
        in summary
    )


def test_htmx_gets_the_status_fragment_that_polls_until_ready(world, login, sent):
    client = login(world.patient_user)
    url = reverse("diaries:report-request", kwargs={"patient_uuid": world.patient.uuid})
    fragment = client.post(url, {}, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    report = DiaryReport.objects.get()
    services.render_report(report_uuid=str(report.uuid))
    status = client.get(reverse("diaries:report-status", kwargs={"report_uuid": report.uuid}))
    content = status.content.decode()
    assert "every 2s" not in content
    assert reverse("diaries:report-pdf", kwargs={"report_uuid": report.uuid}) in content


def test_staff_ask_for_a_report_of_the_window_they_are_looking_at(world, login, sent):
    client = login(world.clinician)
    url = reverse("diaries:report-request", kwargs={"patient_uuid": world.patient.uuid})
    end = days_ago(30)
    response = client.post(url, {"end": f"{end:%Y-%m-%d}"})
    assert f"?end={end:%Y-%m-%d}#report" in response["Location"]
    report = DiaryReport.objects.get()
    assert (report.end, report.created_by) == (end, world.clinician)


def test_the_download_is_a_private_attachment_and_is_audited(world, login):
    report = ready_report(world.patient)
    response = login(world.gp).get(
        reverse("diaries:report-pdf", kwargs={"report_uuid": report.uuid})
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="diary-report-')
    assert "no-store" in response["Cache-Control"]
    assert response.content == b"%PDF-1.7 test"
    assert AuditEvent.objects.filter(
        action="download", actor=world.gp, patient=world.patient
    ).exists()


def test_a_report_that_is_not_ready_cannot_be_downloaded(world, login):
    report = preparing_report(world.patient)
    url = reverse("diaries:report-pdf", kwargs={"report_uuid": report.uuid})
    assert login(world.patient_user).get(url).status_code == 404


def test_another_patients_report_is_not_found(world, login):
    report = ready_report(world.other_patient)
    url = reverse("diaries:report-pdf", kwargs={"report_uuid": report.uuid})
    assert login(world.patient_user).get(url).status_code == 404
    assert login(world.other_clinician).get(url).status_code == 404


def test_no_page_of_the_pdf_holds_a_heading_without_what_it_heads(world):
    """Long notes break between rows, and the medication heading stays with its table: no page
    is left with a heading alone at its foot or on a page of its own."""
    import io

    from pypdf import PdfReader

    long_note = "Pain went down my leg and I could not sit. " * 22
    for ago in range(0, 80):
        record(
            world.patient,
            days_ago(ago),
            headache_day(
                episode("severe", migraine=True, doses={"sumatriptan": 1}),
                note=long_note if ago % 3 == 0 else "",
            ),
        )
    report = preparing_report(world.patient)
    assert services.render_report(report_uuid=str(report.uuid)) == "ready"
    report.refresh_from_db()
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(bytes(report.pdf))).pages]
    assert len(pages) > 3
    for number, text in enumerate(pages, 1):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        body = [line for line in lines if not line.startswith("Page ")]
        # A page's last words are not a heading waiting for the next page.
        assert body[-1] not in ("Notes", "Medication", "Medicines recorded"), (number, body[-3:])
        assert len(body) > 2, (number, body)
    medication = next(text for text in pages if "Medication" in text.splitlines())
    assert "Kind of medicine" in medication


def test_the_pdf_names_kinds_of_medicine_as_the_patients_summary_page_does(world, login):
    import io

    from pypdf import PdfReader

    for ago in (1, 3, 5):
        record(
            world.patient,
            days_ago(ago),
            headache_day(episode("moderate", doses={"paracetamol": 2, "sumatriptan": 1})),
        )
    page = login(world.patient_user).get(reverse("diaries:summary")).content.decode()
    assert "Simple painkillers" in page and "Simple analgesics" not in page
    report = preparing_report(world.patient)
    assert services.render_report(report_uuid=str(report.uuid)) == "ready"
    report.refresh_from_db()
    pages = PdfReader(io.BytesIO(bytes(report.pdf))).pages
    text = " ".join(" ".join(sheet.extract_text() for sheet in pages).split())
    medication = text.split("Medication", 1)[1]
    assert "Simple painkillers" in medication and "Triptans" in medication
    assert "analgesics" not in text


def test_the_calendar_shows_only_the_days_of_the_reports_period(world):
    import re

    from diaries import calendars

    # A period that starts and ends inside a month, so its calendars hold days either side.
    # Days a patient can still fill in, all of them: 60 days from up to 89 days ago.
    ago = next(
        n
        for n in range(88, 60, -1)
        if days_ago(n).day > 1 and days_ago(n - 59) != calendars.month_end(days_ago(n - 59))
    )
    report = DiaryReport.objects.create(patient=world.patient, start=days_ago(ago), length=60)
    before, first, last, after = (
        report.start - timedelta(days=1),
        report.start,
        report.end,
        report.end + timedelta(days=1),
    )
    for day in (before, first, last, after):
        record(world.patient, day, headache_day(episode("severe", migraine=True)))
    html = render_to_string("diaries/report_pdf.html", selectors.report_content(report))

    def shown(day):
        cell = (
            rf'__number">{day.day}</span><span class="nhsuk-u-visually-hidden"> '
            rf"{day:%B}: severe headache"
        )
        return re.search(cell, html) is not None

    assert shown(first) and shown(last)
    assert not shown(before) and not shown(after)
