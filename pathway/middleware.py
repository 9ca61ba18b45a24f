import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


class SessionRefreshMiddleware:
    """Slides the idle timeout (SESSION_COOKIE_AGE) without a database write on every request:
    a session in use has its expiry pushed forward at most once every SESSION_REFRESH_SECONDS,
    so it ends between SESSION_COOKIE_AGE minus that and SESSION_COOKIE_AGE after the last
    request. Sits after SessionMiddleware, which saves a session marked modified. A save for the
    new expiry alone is marked `refresh_only` for pathway.sessions."""

    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return response
        now = int(time.time())
        if session.modified:
            session[self.KEY] = now
        elif now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[self.KEY] = now
            # Nothing else changed: pathway.sessions need not wait for the disk.
            session.refresh_only = True
        return response


# Paths a signed-in member of staff may reach before confirming their second factor.
_MFA_EXEMPT_PREFIXES = ("/static/", "/health/", "/account/")


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
