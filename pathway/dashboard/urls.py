from django.urls import path

from pathway.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("print/", views.printable, name="print"),
    path("export/<slug:key>.csv", views.export, name="export"),
]
