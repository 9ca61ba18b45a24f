"""Diary pages: the patient's day form (Today and past days), month calendar and 90-day
summary; the clinician's diary tab; diary report PDFs. Thin: parse, check access, call one
selector or service, render or redirect."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from diaries import calendars, charts, selectors, services, wording
from diaries.forms import EPISODE_PREFIX, YES, DayEntryForms, WindowForm, episode_formset
from diaries.models import PAIN_SCORE_MAX, DiaryReport
from pathway.audit import record_event, record_view
from pathway.links import date_link
from pathway.models import AuditEvent
from pathway.navigation import patient_tabs
from pathway.pdf import pdf_download
from pathway.permissions import own_patient_record, patient_for
from pathway.views.access import patient_required, role_required, staff_required

# Where a saved day sends the patient back to (the page they came from).
RETURN_TO = ("today", "calendar")
RECENT_DAYS = 7
# Said on the calendar for a `?month=` that is not a month (a link edited or cut short).
MONTH_NOT_UNDERSTOOD = (
    "The month in the web address was not understood, so this month is shown instead."
)
# The one-tap pain question's answers (diaries.models: pain scores are 0 to 10).
PAIN_SCORES = tuple(range(PAIN_SCORE_MAX + 1))


def _own_record(user):
    """The patient's record with whether their diary is pain-first, in one query."""
    return own_patient_record(user, pain_first=selectors.pain_first_annotation())


can_see_reports = role_required("patient", "gp", "clinician", "admin")


def _day_label(day: date, today: date) -> str:
    return "today" if day == today else f"{day:%A} {day.day} {day:%B}"


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def today(request):
    return _day_page(request, _own_record(request.user), timezone.localdate())


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def day(request, day: date):
    if request.method == "GET" and day == timezone.localdate() and not request.GET:
        return redirect("diaries:today")
    return _day_page(request, _own_record(request.user), day)


def _return_url(request, day: date, today: date) -> str:
    back = request.POST.get("next") or request.GET.get("next")
    if back == "calendar":
        return f"{reverse('diaries:calendar')}?month={day:%Y-%m}"
    if back == "today" or day == today:
        return reverse("diaries:today")
    return reverse("diaries:day", kwargs={"day": day})


def _day_page(request, patient, day: date):
    today = timezone.localdate()
    context = {
        "patient": patient,
        "day": day,
        "today": today,
        "is_today": day == today,
        "day_label": _day_label(day, today),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        # Every form posts to the day's own address, so a save that arrives after midnight is
        # kept for the day the page showed, not the day it reached the server.
        "form_action": reverse("diaries:day", kwargs={"day": day}),
        "pain_first": selectors.pain_first(patient),
        "pain_scores": PAIN_SCORES,
    }
    if context["next"] not in RETURN_TO:
        context["next"] = "today" if day == today else ""
    problem = services.day_error(day, today=today)
    if problem:
        return render(
            request, "diaries/day_unavailable.html", {**context, "problem": problem}, status=400
        )
    action = request.POST.get("action") if request.method == "POST" else None
    # What the page the patient saved from showed of the day (services.version_of); absent
    # from a request that did not come from a day page, which is then not checked.
    based_on = request.POST.get("based_on") if request.method == "POST" else None
    if action == "headache_free":
        # The service reads (and locks) the day's record itself.
        try:
            services.record_headache_free_day(
                actor=request.user, patient=patient, day=day, today=today, based_on=based_on
            )
        except services.DayChanged:
            messages.warning(request, _changed_elsewhere(day, today, "Nothing has been changed."))
            return redirect(_page_url(day, today, context["next"]))
        messages.success(request, f"Saved: no headache {_on(day, today)}.")
        return redirect(_return_url(request, day, today))
    if action == "pain_score":
        score = _pain_score(request.POST.get("pain_score"))
        if score is None:
            messages.error(request, "Choose how bad your pain was, from 0 to 10.")
            return redirect(_page_url(day, today, context["next"]))
        try:
            services.record_pain_score(
                actor=request.user,
                patient=patient,
                day=day,
                score=score,
                today=today,
                based_on=based_on,
            )
        except services.DayChanged:
            messages.warning(request, _changed_elsewhere(day, today, "Nothing has been changed."))
            return redirect(_page_url(day, today, context["next"]))
        messages.success(request, f"Saved: pain {score} out of 10 {_on(day, today)}.")
        return redirect(_return_url(request, day, today))
    if day == today:
        entry, earlier = selectors.entry_and_days_before(patient, day, RECENT_DAYS)
    else:
        entry, earlier = selectors.entry_for_day(patient, day), None
    asking = request.method != "POST" and request.GET.get("remove") == YES
    if action == "remove" or asking:
        if entry is not None and request.POST.get("confirm") != YES:
            # The button asks first (the record leaves every summary), on a page of its own
            # address, so Back from it, or from the day after removing, sends nothing again.
            version = based_on or request.GET.get("based_on") or services.version_of(entry)
            if request.method == "POST":  # a page from before the button asked by address
                query = urlencode({"remove": YES, "next": context["next"], "based_on": version})
                return redirect(f"{context['form_action']}?{query}")
            context.update(entry=entry, based_on=version)
            return render(request, "diaries/day_remove.html", context)
        if entry is not None and request.method == "POST":
            try:
                services.mark_entry_entered_in_error(
                    actor=request.user, entry=entry, based_on=based_on
                )
            except services.DayChanged:
                message = _changed_elsewhere(day, today, "It has not been removed.")
                messages.warning(request, message)
                return redirect(_page_url(day, today, context["next"]))
            messages.success(request, f"Your diary record {_on(day, today)} has been removed.")
        return redirect(_return_url(request, day, today))
    context["based_on"] = services.version_of(entry)

    context["recent"] = _recent_days(earlier, today) if earlier is not None else []
    show_form = (
        entry is not None
        or request.method == "POST"
        or request.GET.get("answer") in (YES, "details")
    )
    if not show_form:
        # Only the one-tap question: no form to build.
        context.update(entry=None, forms=None, show_form=False, details_open=False)
        return render(request, "diaries/day.html", context)
    medicines = selectors.medicine_options(
        patient, today=today, recorded=selectors.recorded_medicines(entry)
    )
    if request.method == "POST":
        add_episode = "add_episode" in request.POST
        forms = DayEntryForms(
            request.POST,
            day=day,
            today=today,
            medicines=medicines,
            entry=entry,
            add_episode=add_episode,
            pain_first=context["pain_first"],
        )
        # Saved in another tab or on another device since this page was shown: said now, with
        # the answers kept, even when they need correcting first. A page that only added a
        # headache box keeps what it was based on, so its save is still checked.
        stale = based_on is not None and based_on != context["based_on"]
        if add_episode and based_on is not None:
            context["based_on"] = based_on
        elif stale and not forms.is_valid():
            forms.changed_elsewhere = _changed_elsewhere(
                day,
                today,
                f"{_now_holds(entry, pain_first=context['pain_first'])}Nothing has been saved. "
                "Your answers are below: put right anything the page asks, then save again to "
                "replace the other changes with them.",
            )
        if not add_episode and forms.is_valid():
            try:
                services.record_entry(
                    actor=request.user,
                    patient=patient,
                    day=day,
                    data=forms.to_data(),
                    today=today,
                    based_on=based_on,
                )
            except ValidationError as error:
                forms.add_service_errors(error)
            except services.DayChanged as changed:
                forms.changed_elsewhere = _changed_elsewhere(
                    day,
                    today,
                    _now_holds(changed.entry, pain_first=context["pain_first"])
                    + "Nothing has been saved. Your answers are below: save again to replace the "
                    "other changes with them.",
                )
            else:
                messages.success(request, f"Your diary {_on(day, today)} is saved.")
                return redirect(_return_url(request, day, today))
    else:
        forms = DayEntryForms(
            day=day,
            today=today,
            medicines=medicines,
            entry=entry,
            answer=request.GET.get("answer"),
            pain_first=context["pain_first"],
        )
    context.update(
        entry=entry,
        forms=forms,
        show_form=True,
        details_open=forms.form.is_bound
        or request.GET.get("answer") == "details"
        or bool(entry and entry.has_day_details),
    )
    return render(request, "diaries/day.html", context)


def _pain_score(value: str | None) -> int | None:
    """A pain score sent by the one-tap buttons, or None for anything else."""
    try:
        score = int(value or "")
    except ValueError:
        return None
    return score if score in PAIN_SCORES else None


def _on(day: date, today: date) -> str:
    return "for today" if day == today else f"for {_day_label(day, today)}"


def _changed_elsewhere(day: date, today: date, outcome: str) -> str:
    return (
        f"Your diary {_on(day, today)} was changed in another tab or on another device after "
        f"this page was opened. {outcome}"
    )


def _now_holds(entry, *, pain_first: bool = False) -> str:
    """What the day's record holds now, in a sentence (with a space after it), for a save from
    an older page: "It now records a headache. ". For a patient whose diary asks about pain
    first, the pain score comes first ("It now records pain 4 out of 10 and no headache. ")."""
    if entry is None:
        return "It has been removed. "
    pain = ""
    if pain_first:
        pain = (
            f"pain {entry.pain_score} out of 10 and "
            if entry.pain_score is not None
            else "no pain score and "
        )
    if not entry.headache:
        return f"It now records {pain}no headache. "
    shown = getattr(entry, "live_episodes", None)
    count = len(shown) if shown is not None else entry.episodes.live().count()
    headaches = "a headache" if count <= 1 else f"{count} headaches"
    return f"It now records {pain}{headaches}. "


def _page_url(day: date, today: date, next_: str) -> str:
    """The day's own page, showing the record as it is now."""
    if day == today:
        return reverse("diaries:today")
    url = reverse("diaries:day", kwargs={"day": day})
    return f"{url}?next={next_}" if next_ else url


def _recent_days(by_day: dict, today: date) -> list[dict]:
    """The week before today, newest first, each with its record if any and its page's link."""
    link = date_link("diaries:day", "day")
    return [
        {"day": day, "entry": by_day.get(day), "url": f"{link(day)}?next=today"}
        for day in (today - timedelta(days=n) for n in range(1, RECENT_DAYS + 1))
    ]


@patient_required
@require_safe
def episode_form(request):
    """One more blank headache for the day form (htmx), numbered after the ones on the page."""
    patient = own_patient_record(request.user)
    try:
        index = int(request.GET.get(f"{EPISODE_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        index = 0
    index = max(index, 0)
    if index >= services.MAX_EPISODES_PER_DAY:
        return render(
            request,
            "diaries/includes/episode_limit.html",
            {"limit": services.MAX_EPISODES_PER_DAY},
        )
    medicines = selectors.medicine_options(patient, today=timezone.localdate())
    formset = episode_formset(extra=0)(prefix=EPISODE_PREFIX, medicines=medicines)
    form = formset.form(
        auto_id=formset.auto_id,
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        **formset.get_form_kwargs(index),
    )
    formset.add_fields(form, index)
    return render(
        request,
        "diaries/includes/episode_new.html",
        {"form": form, "number": index + 1, "total": index + 1, "prefix": EPISODE_PREFIX},
    )


def _month(value: str, today: date, earliest: date) -> tuple[int, int] | None:
    """The (year, month) asked for as YYYY-MM, kept between `earliest`'s month and this month
    (an old link opens the first month there is; a future one, this month); None for anything
    that is not a month (`2026-13`, `garbage`)."""
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError, OverflowError):
        # OverflowError: a number too large for a date (`?month=99999999999-1`).
        return None
    if first > today:
        return today.year, today.month
    first = max(first, calendars.first_month(earliest))
    return first.year, first.month


@patient_required
@require_safe
def calendar(request):
    patient = own_patient_record(
        request.user,
        pain_first=selectors.pain_first_annotation(),
        first_diary_day=selectors.first_day_annotation(),
    )
    today = timezone.localdate()
    first_editable, _ = services.editable_range(today)
    # The calendar goes back to the first day recorded, or to the first day that can still be
    # filled in if that is earlier.
    earliest = min(filter(None, (patient.first_diary_day, first_editable)))
    asked = request.GET.get("month", "")
    shown = _month(asked, today, earliest) if asked else None
    if shown is None:
        if asked:
            # The page still opens, as the diary tab does with a message for a bad last day.
            messages.warning(request, MONTH_NOT_UNDERSTOOD)
        shown = today.year, today.month
    year, month = shown
    day_link = date_link("diaries:day", "day")

    def link(day: date) -> str | None:
        if day == today:
            return reverse("diaries:today")
        if day < first_editable:
            return None
        return f"{day_link(day)}?next=calendar"

    pain_first = selectors.pain_first(patient)
    month_view = selectors.month_calendar(
        patient,
        year,
        month,
        today=today,
        link_days=link,
        pain_first=pain_first,
        earliest=earliest,
    )
    return render(
        request,
        "diaries/calendar.html",
        {"month": month_view, "today": today, "pain_first": pain_first},
    )


def _report(patient) -> dict:
    """The patient's latest diary report, and whether their diary changed since it was made."""
    report = selectors.latest_report(patient)
    return {"report": report, "report_changed": services.diary_changed_since(report)}


@patient_required
@require_safe
def summary(request):
    patient = own_patient_record(
        request.user,
        pain_first=selectors.pain_first_annotation(),
        first_diary_day=selectors.first_day_annotation(),
    )
    today = timezone.localdate()
    window = selectors.diary_window(patient, end=today)
    gaps = window.gaps(first_day=patient.first_diary_day, today=today)
    # "Fill in missed days" leads to the latest one that can still be filled in.
    fill_in = gaps.latest_missed
    if fill_in is not None and fill_in < services.editable_range(today)[0]:
        fill_in = None
    pain_first = selectors.pain_first(patient)
    headaches = selectors.headaches_apply(pain_first, window.summary)
    return render(
        request,
        "diaries/summary.html",
        {
            "patient": patient,
            "window": window,
            "headaches": headaches,
            # The class table leaves out medication-overuse headache's limits.
            "no_limits": not headaches,
            "words": wording.patient_messages(window.summary, gaps, headaches=headaches),
            "fill_in": fill_in,
            "chart": charts.month_bar_chart(window.months),
            "class_rows": wording.class_rows(window, for_patient=True),
            **_report(patient),
            "report_end": today,
            "pain_first": pain_first,
        },
    )


@staff_required
@require_safe
def patient_diary(request, patient_uuid):
    patient = patient_for(
        request.user,
        patient_uuid,
        pain_first=selectors.pain_first_annotation(),
        first_diary_day=selectors.first_day_annotation(),
    )
    record_view(actor=request.user, patient=patient, object_type="diaries.diaryentry")
    today = timezone.localdate()
    form = WindowForm(request.GET or None, today=today, initial={"end": today})
    end = form.cleaned_data["end"] if form.is_bound and form.is_valid() else today
    pain_first = selectors.pain_first(patient)
    window, months = selectors.window_with_calendars(
        patient, end=end, today=today, pain_first=pain_first
    )
    later = end + timedelta(days=selectors.WINDOW_DAYS)
    return render(
        request,
        "diaries/patient_diary.html",
        {
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "form": form,
            "window": window,
            "calendars": months,
            "pain_scored": any(month.pain_scored for month in months),
            "pain_first": pain_first,
            "chart": charts.month_bar_chart(window.months),
            "flags": wording.clinician_flags(window.summary),
            "class_rows": wording.class_rows(window),
            "medicines": selectors.medicine_use(patient, window.start, window.end),
            "days": selectors.entries_with_episodes(patient, window.start, window.end),
            **_report(patient),
            "report_end": end,
            # No earlier window to offer once this one reaches the diary's first record.
            "earlier_end": (
                window.start - timedelta(days=1)
                if patient.first_diary_day and patient.first_diary_day < window.start
                else None
            ),
            "later_end": min(later, today) if end < today else None,
        },
    )


@can_see_reports
@require_POST
def report_request(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    today = timezone.localdate()
    form = WindowForm(request.POST, today=today)
    end = form.cleaned_data["end"] if form.is_valid() else today
    report = services.request_report(
        actor=request.user, patient=patient, start=selectors.window_start(end)
    )
    if request.headers.get("HX-Request"):
        return render(request, "diaries/includes/report_status.html", {"report": report})
    if request.user.role == "patient":
        return redirect(f"{reverse('diaries:summary')}#report")
    url = reverse("diaries:patient-diary", kwargs={"patient_uuid": patient.uuid})
    return redirect(f"{url}?end={end:%Y-%m-%d}#report")


@can_see_reports
@require_safe
def report_status(request, report_uuid):
    """The report's state as a fragment; htmx polls it until the PDF is ready."""
    report = selectors.report_for(request.user, report_uuid)
    return render(request, "diaries/includes/report_status.html", {"report": report})


@can_see_reports
@require_safe
def report_pdf(request, report_uuid):
    report = selectors.report_for(request.user, report_uuid, with_pdf=True)
    if report.status != DiaryReport.Status.READY:
        raise Http404("The report is not ready")
    record_event(
        actor=request.user, action=AuditEvent.Action.DOWNLOAD, patient=report.patient, obj=report
    )
    return pdf_download(
        report.pdf, f"diary-report-{report.start:%Y-%m-%d}-to-{report.end:%Y-%m-%d}.pdf"
    )
