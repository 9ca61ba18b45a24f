"""View guards. Wrong role answers 404, like another person's record (DESIGN.md section 5)."""

from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

NOT_SAVED = (
    "You had been signed out, so anything you had not saved has not been kept. Sign in, then "
    "enter it again."
)


def sign_in_first(request) -> HttpResponse:
    """Send a signed-out request to sign in, then back.

    A page that htmx loads into another (one more headache, a PDF being made) would show the
    sign-in page inside it: htmx is told to go to the sign-in page instead, and back to the page
    the person was on. What was typed on that page, or sent after the session ended (after 30
    idle minutes, or signing out in another tab), is not kept, and the sign-in page says so."""
    if request.headers.get("HX-Request") == "true":
        messages.warning(request, NOT_SAVED)
        response = HttpResponse(status=200)
        response["HX-Redirect"] = redirect_to_login(_page_shown(request))["Location"]
        return response
    if request.method == "POST":
        messages.warning(request, NOT_SAVED)
    return redirect_to_login(request.get_full_path())


def _page_shown(request) -> str:
    """The address of the page an htmx request came from (its HX-Current-URL), this site only."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(current)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return "/"


def role_required(*roles: str):
    """Allow signed-in users with one of `roles`; send anonymous users to sign in; 404 others."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return sign_in_first(request)
            if request.user.role not in roles:
                raise Http404("Not available for this account")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required("gp", "clinician", "admin")
clinician_required = role_required("clinician", "admin")
patient_required = role_required("patient")
commissioner_required = role_required("commissioner", "admin")
