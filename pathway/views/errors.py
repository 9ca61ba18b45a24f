from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request's context processors: the database may be what failed.
    html = loader.render_to_string("500.html", {"service_name": settings.SERVICE_NAME})
    return HttpResponseServerError(html)
