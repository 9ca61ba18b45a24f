from django.conf import settings

from pathway.navigation import items_for


def service(request):
    return {
        "service_name": settings.SERVICE_NAME,
        "nav_items": items_for(getattr(request, "user", None), request.path),
    }
