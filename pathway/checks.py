"""Start-up checks: misconfiguration fails at start, not at the first patient."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_settings(app_configs, **kwargs):
    errors = []
    if not settings.DEBUG and settings.HTTPS and len(settings.SECRET_KEY) < 50:
        errors.append(Error("SECRET_KEY must be at least 50 random characters.", id="pathway.E001"))
    return errors


@register()
def messaging_backends(app_configs, **kwargs):
    from pathway.notifications.backends import BACKENDS

    errors = []
    for name in ("NOTIFY_SMS_BACKEND", "NOTIFY_EMAIL_BACKEND"):
        value = getattr(settings, name)
        if value not in BACKENDS:
            errors.append(
                Error(f"{name}={value!r} is not one of {sorted(BACKENDS)}.", id="pathway.E002")
            )
        if value == "notify" and not settings.NOTIFY_API_KEY:
            errors.append(Error(f"{name}=notify needs NOTIFY_API_KEY.", id="pathway.E003"))
    return errors
