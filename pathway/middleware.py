from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control


class SessionRefreshMiddleware:
    """Slides the idle timeout (SESSION_COOKIE_AGE) without a database write on every request:
    a session in use has its expiry pushed forward at most once every SESSION_REFRESH_SECONDS,
    so it ends between SESSION_COOKIE_AGE minus that and SESSION_COOKIE_AGE after the last
    request. Sits after SessionMiddleware, which saves a session marked modified (and with it the
    new expiry); any other session due a refresh gets one UPDATE of its expiry alone
    (pathway.sessions.SessionStore.touch)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key or session.modified:
            return response
        # Loads the session if the request did not (a signed-in user is active all the same).
        session.keys()
        expiry = getattr(session, "loaded_expiry", None)
        if session.session_key is None or expiry is None:
            return response
        # Every save and refresh sets the expiry to its moment plus the session's lifetime.
        refreshed_at = expiry - timedelta(seconds=session.get_expiry_age())
        if timezone.now() - refreshed_at >= timedelta(seconds=settings.SESSION_REFRESH_SECONDS):
            session.touch()
        return response


class HeadWithoutBodyMiddleware:
    """A HEAD request is answered with the headers of a GET and no body. gunicorn sends
    whatever body the app returns, and a client reading the answer on a kept-alive connection
    then takes that body for the start of its next response. Django's own development server
    strips it, which is why only a deployed app shows the fault."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if response.streaming:
            # Files and exports: not read for a HEAD, and closed (with their file) now.
            response.close()
            response.streaming_content = []
        else:
            length = response.get("Content-Length", str(len(response.content)))
            response.content = b""
            response["Content-Length"] = length
        return response


class PrivatePagesMiddleware:
    """Pages for a signed-in person are kept by no cache, the browser's included: on a shared
    phone or computer, Back after signing out must not show the last person's record. A response
    that set its own Cache-Control keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        return response


class MethodNotAllowedPageMiddleware:
    """An address that only takes a form (a save, a PDF request) opened in the browser, from a
    bookmark, history or a sign-in's way back, answers 405 with an empty body, which the browser
    shows as its own error. This gives it a page that says what happened and where to go."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or request.method != "GET" or response.content:
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page


# Paths a signed-in member of staff may reach before confirming their second factor: signing
# in and out, the second factor itself, and resetting a forgotten password (which signs no
# one in). Changing the password, or ending every other session, needs the second factor: a
# stolen password alone must not lock the owner out.
_MFA_EXEMPT_PREFIXES = (
    "/static/",
    "/health/",
    "/account/login/",
    "/account/logout/",
    "/account/mfa/",
    "/account/password-reset/",
    "/account/reset/",
)


class StaffMfaMiddleware:
    """Sends staff who signed in with a password, but not yet a TOTP code, to confirm it.

    Runs after django_otp's OTPMiddleware, which sets `request.user.is_verified()`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.REQUIRE_STAFF_MFA
            and user.is_authenticated
            and user.needs_second_factor
            and not user.is_verified()
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('pathway:mfa-verify')}?{query}")
        return self.get_response(request)


class TrustedProxyMiddleware:
    """Behind our reverse proxy, the client's address is the last one the proxy appended to
    X-Forwarded-For; sign-in throttling and rate limits need it, not the proxy's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.BEHIND_PROXY:
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            client = forwarded.split(",")[-1].strip()
            if client:
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Turns off browser features the service never uses."""

    POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.POLICY)
        return response
