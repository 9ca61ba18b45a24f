from django.conf import settings

from pathway.navigation import items_for


def service(request):
    return {
        "service_name": settings.SERVICE_NAME,
        "nav_items": items_for(getattr(request, "user", None), request.path),
        # The idle timeout, for the page's "you will be signed out soon" warning.
        "session_seconds": settings.SESSION_COOKIE_AGE,
    }
