"""View guards. Wrong role answers 404, like another person's record (DESIGN.md section 5)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def role_required(*roles: str):
    """Allow signed-in users with one of `roles`; send anonymous users to sign in; 404 others."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                raise Http404("Not available for this account")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required("gp", "clinician", "admin")
clinician_required = role_required("clinician", "admin")
patient_required = role_required("patient")
commissioner_required = role_required("commissioner", "admin")
