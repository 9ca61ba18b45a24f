import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathway.forms import ChangePasswordForm, EmailAuthenticationForm, NewPasswordForm, TotpForm
from pathway.models.users import new_session_salt
from pathway.sign_ins import clear_failed_sign_ins


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, except that choosing a new password also lifts a sign-in lockout: the
    locked-out page sends people here, so the new password must work at once."""

    form_class = NewPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        clear_failed_sign_ins(form.user.email)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in user chooses a new password, giving their current one. This session stays
    signed in; every other one is signed out (Django's session check on the password)."""

    form_class = ChangePasswordForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("pathway:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password is changed. You are signed out on other devices."
        )
        return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def still_here(request):
    """Tells the server a signed-in person is still at the page (typing into a form, or
    answering "Stay signed in"): the idle timeout starts again from now. 204 when signed in,
    401 when the session has ended already."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    request.session.touch()
    return HttpResponse(status=204)


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response


def _safe_next(request, fallback: str = "pathway:home") -> str:
    """Where to go after the second step: the `next` asked for when it is a path on this site,
    else the `fallback` view's address ("" for none). Only a path is taken: a bare word would be
    looked up as a view name."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback) if fallback else ""


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_verify(request):
    """Second step of staff sign-in: a TOTP code from the user's confirmed device."""
    if not request.user.needs_second_factor or request.user.is_verified():
        return redirect(_safe_next(request))
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).first()
    if device is None:
        return redirect("pathway:mfa-setup")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", "That code is wrong or has expired. Try the newest code.")
    return render(
        request, "registration/mfa_verify.html", {"form": form, "next": _safe_next(request, "")}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_setup(request):
    """Pair an authenticator app: show the secret as a QR code, confirm with one code."""
    if not request.user.needs_second_factor:
        return redirect("pathway:home")
    if TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists():
        return redirect("pathway:mfa-verify")
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            return redirect("pathway:home")
        form.add_error("code", "That code is wrong. Check the app shows this service and retry.")
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, dark="#212b32", light="#ffffff")
    context = {
        "form": form,
        "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        "secret": base64.b32encode(device.bin_key).decode(),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "registration/mfa_setup.html", context)


@login_required
@require_http_methods(["POST"])
def sign_out_everywhere(request):
    """End every session of this account, on every device, including this one."""
    user = request.user
    user.session_salt = new_session_salt()
    user.save(update_fields=["session_salt"])
    logout(request)
    messages.success(request, "You have been signed out on every device.")
    return redirect("pathway:login")
