from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from pathway.forms import EmailPasswordResetForm
from pathway.views import accounts, attendance, health, home, patients

account_patterns = [
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", accounts.SignOutView.as_view(), name="logout"),
    path("still-here/", accounts.still_here, name="still-here"),
    path("sign-out-everywhere/", accounts.sign_out_everywhere, name="sign-out-everywhere"),
    path("mfa/", accounts.mfa_verify, name="mfa-verify"),
    path("mfa/setup/", accounts.mfa_setup, name="mfa-setup"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password-change"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=EmailPasswordResetForm,
            success_url=reverse_lazy("pathway:password-reset-done"),
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("pathway:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]

kernel_patterns = [
    path("", home.start, name="start"),
    path("about/", home.about, name="about"),
    path("home/", home.home, name="home"),
    path("account/", include(account_patterns)),
    path("my/", home.patient_home, name="patient-home"),
    path("my/record-access/", patients.record_access, name="record-access"),
    path("my/contact-preferences/", patients.contact_preferences, name="contact-preferences"),
    path("stop/<str:token>/", patients.stop_messages, name="stop-messages"),
    path("gp/", home.gp_home, name="gp-home"),
    path("team/", home.team_home, name="team-home"),
    path("patients/", patients.patient_search, name="patient-search"),
    path("patients/new/", patients.patient_create, name="patient-create"),
    path("patients/<uuid:patient_uuid>/", patients.patient_detail, name="patient-detail"),
    path(
        "patients/<uuid:patient_uuid>/details/",
        patients.patient_details,
        name="patient-details",
    ),
    path(
        "patients/<uuid:patient_uuid>/contact-details/",
        patients.patient_contact,
        name="patient-contact",
    ),
    path(
        "patients/<uuid:patient_uuid>/portal-invite/",
        patients.portal_invite,
        name="portal-invite",
    ),
    path("gp-attendance/import/", attendance.attendance_import, name="attendance-import"),
    path(
        "gp-attendance/imports/<int:import_id>/withdraw/",
        attendance.attendance_withdraw,
        name="attendance-withdraw",
    ),
    path("health/", health.health, name="health"),
]

urlpatterns = [
    path("", include((kernel_patterns, "pathway"))),
    path("diary/", include("diaries.urls")),
    path("referrals/", include("referrals.urls")),
    path("care-plans/", include("careplans.urls")),
    path("reviews/", include("reviews.urls")),
    path("dashboard/", include("pathway.dashboard.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "pathway.views.errors.bad_request"
handler403 = "pathway.views.errors.permission_denied"
handler404 = "pathway.views.errors.page_not_found"
handler500 = "pathway.views.errors.server_error"
