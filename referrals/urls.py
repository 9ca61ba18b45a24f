from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    # GPs and partners
    path("new/", views.create, name="create"),
    path("new/screen/", views.screen, name="screen"),
    path("new/patient/", views.patient_lookup, name="patient-lookup"),
    path("stopped/<uuid:stop_uuid>/", views.emergency_stop, name="emergency-stop"),
    path("mine/", views.mine, name="mine"),
    # The public self-referral
    path("self/", views.self_refer, name="self-refer"),
    path("self/screen/", views.self_refer_screen, name="self-refer-screen"),
    path("self/sent/", views.self_refer_sent, name="self-refer-sent"),
    path("yours/<uuid:referral_uuid>/", views.yours, name="yours"),
    # The care team
    path("triage/", views.triage_queue, name="triage-queue"),
    path("waiting-list/", views.waiting_list, name="waiting-list"),
    path("to-tell/", views.outcomes_to_tell, name="outcomes-to-tell"),
    path("<uuid:referral_uuid>/", views.detail, name="detail"),
    path("<uuid:referral_uuid>/decision/", views.decide, name="decide"),
    path("<uuid:referral_uuid>/match/", views.match, name="match"),
    path("<uuid:referral_uuid>/add-patient/", views.add_patient, name="add-patient"),
    path("<uuid:referral_uuid>/unmatch/", views.unmatch, name="unmatch"),
    path("<uuid:referral_uuid>/correct-match/", views.correct_match, name="correct-match"),
    path("<uuid:referral_uuid>/duplicate/", views.close_duplicate, name="close-duplicate"),
    path("<uuid:referral_uuid>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:referral_uuid>/told/", views.record_told, name="record-told"),
    path("letters/<uuid:letter_uuid>/", views.letter, name="letter"),
    path("patients/<uuid:patient_uuid>/", views.patient_referrals, name="patient-referrals"),
]
