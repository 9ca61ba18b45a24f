from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render, resolve_url
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A form sent from a page whose security token no longer holds: the person signed in or
    out in another tab, or their session ended. Nothing was saved; say so in the site's own
    page, with the way back, instead of Django's technical one. A sign-in form sent after
    signing in elsewhere needs nothing more: the person is signed in."""
    login_path = resolve_url(settings.LOGIN_URL)
    if request.user.is_authenticated and request.path == login_path:
        return redirect(settings.LOGIN_REDIRECT_URL)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return render(
        request,
        "403_csrf.html",
        {"back": back, "signed_in": request.user.is_authenticated},
        status=403,
    )


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request's context processors: the database may be what failed.
    html = loader.render_to_string("500.html", {"service_name": settings.SERVICE_NAME})
    return HttpResponseServerError(html)
