from datetime import date

from django.urls import path, register_converter

from diaries import views


class DiaryDateConverter:
    """An ISO date (YYYY-MM-DD) in a URL; an impossible date such as 2025-02-30 is no match."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)  # ValueError: Django treats it as no match (404)

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(DiaryDateConverter, "diarydate")

app_name = "diaries"

urlpatterns = [
    path("", views.today, name="today"),
    path("day/<diarydate:day>/", views.day, name="day"),
    path("episode-form/", views.episode_form, name="episode-form"),
    path("calendar/", views.calendar, name="calendar"),
    path("summary/", views.summary, name="summary"),
    path("patients/<uuid:patient_uuid>/", views.patient_diary, name="patient-diary"),
    path("patients/<uuid:patient_uuid>/reports/", views.report_request, name="report-request"),
    path("reports/<uuid:report_uuid>/", views.report_status, name="report-status"),
    path("reports/<uuid:report_uuid>/pdf/", views.report_pdf, name="report-pdf"),
]
