from django.urls import path

from careplans import views

app_name = "careplans"

urlpatterns = [
    # Patient portal
    path("my/", views.my_plan, name="my-plan"),
    path("my/leaflets/<slug:slug>/", views.my_leaflet, name="my-leaflet"),
    # Staff patient page and plan editing
    path("patients/<uuid:patient_uuid>/", views.patient_plan, name="patient-plan"),
    path("patients/<uuid:patient_uuid>/start/", views.plan_start, name="plan-start"),
    path("versions/<uuid:version_uuid>/", views.version_detail, name="version-detail"),
    path("versions/<uuid:version_uuid>/edit/", views.draft_edit, name="draft-edit"),
    path("versions/<uuid:version_uuid>/agree/", views.draft_agree, name="draft-agree"),
    path("plans/<uuid:plan_uuid>/new-version/", views.version_new, name="version-new"),
    path("plans/<uuid:plan_uuid>/treatments/new/", views.trial_add, name="trial-add"),
    path("treatments/<uuid:trial_uuid>/review/", views.trial_review, name="trial-review"),
    path("treatments/<uuid:trial_uuid>/reductions/new/", views.reduction_add, name="reduction-add"),
    path("plans/<uuid:plan_uuid>/leaflets/", views.leaflet_attach, name="leaflet-attach"),
    path("leaflet-links/<uuid:link_uuid>/remove/", views.leaflet_remove, name="leaflet-remove"),
    # PDFs
    path("versions/<uuid:version_uuid>/pdf/", views.plan_pdf, name="plan-pdf"),
    path(
        "patients/<uuid:patient_uuid>/leaflets/<slug:slug>/pdf/",
        views.leaflet_pdf,
        name="leaflet-pdf",
    ),
    path("documents/<uuid:document_uuid>/", views.document_status, name="document-status"),
    path(
        "documents/<uuid:document_uuid>/download/",
        views.document_download,
        name="document-download",
    ),
    # The leaflet library: public information
    path("leaflets/", views.leaflet_list, name="leaflet-list"),
    path("leaflets/<slug:slug>/", views.leaflet_detail, name="leaflet-detail"),
]
