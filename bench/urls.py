"""URLs for the benchmark server: the app's own, plus bare "floor" views that do the same
database work with nothing else (no auth, no forms, no templates). Used only by bench/run, which
sets ROOT_URLCONF=bench.urls; never mounted in the app."""

from django.urls import include, path

from bench import floor

urlpatterns = [
    path("bench-floor/insert/", floor.insert, name="bench-floor-insert"),
    path("bench-floor/read/", floor.read, name="bench-floor-read"),
    path("bench-floor/patient/", floor.patient, name="bench-floor-patient"),
    path("bench-floor/signed-in/", floor.signed_in, name="bench-floor-signed-in"),
    path("bench-floor/layout/", floor.layout, name="bench-floor-layout"),
    path("bench-floor/dashboard-sql/", floor.dashboard_sql, name="bench-floor-dashboard-sql"),
    path("bench-floor/replay/<slug:name>/", floor.replay, name="bench-floor-replay"),
    path("", include("pathway.urls")),
]
