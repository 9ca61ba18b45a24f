"""Failed sign-ins (django-axes): forgetting them once the password is set anew."""

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt


def clear_failed_sign_ins(email: str) -> int:
    """Forget the failed sign-ins recorded against this email address, from every IP address
    (axes keys them on username and IP address, AXES_LOCKOUT_PARAMETERS) and in whatever case
    it was typed: the sign-in form lowers it, the admin's sign-in form does not. Returns how
    many records were removed."""
    email = email.strip()
    typed = set(
        AccessAttempt.objects.filter(username__iexact=email).values_list("username", flat=True)
    )
    return sum(AxesProxyHandler.reset_attempts(username=username) for username in typed | {email})
