"""Signing in (DESIGN.md section 5): the real login form, lockout, staff MFA, safe redirects,
password reset, idle session expiry and POST-only logout."""

import re
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import axes.utils
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

LOGIN = "/account/login/"
PASSWORD = "correct-horse-battery-9"  # tests.factories.UserFactory


@pytest.fixture(autouse=True)
def _no_earlier_failures(db):
    axes.utils.reset()
    yield
    axes.utils.reset()


def _sign_in(client, user, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": user.email, "password": password, **extra})


def _landing(response) -> str:
    if response.redirect_chain:
        return response.redirect_chain[-1][0]
    return response.request["PATH_INFO"]


def _installed(*names: str) -> str:
    """The path of the first installed URL: feature apps may take over a role's home."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    raise AssertionError(f"none of {names} is installed")


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# Deny paths first.


def test_it_refuses_a_wrong_password_with_a_clear_message(client, world):
    response = _sign_in(client, world.gp, password="not-the-password")
    assert response.status_code == 200
    assert "Enter a correct email address and password." in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_it_names_each_empty_box_in_its_own_words(client, world):
    content = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert "Enter your email address." in content
    assert "Enter your password." in content
    assert "This field is required." not in content


def test_it_refuses_an_unknown_email(client, world):
    response = client.post(LOGIN, {"username": "nobody@example.test", "password": PASSWORD})
    assert "Enter a correct email address and password." in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_it_refuses_an_inactive_account(client, world):
    world.gp.is_active = False
    world.gp.save()
    response = _sign_in(client, world.gp)
    assert response.status_code == 200
    assert _signed_in_user_id(client) is None


def test_it_locks_an_account_out_after_five_failures_even_with_the_right_password(client, world):
    for _ in range(5):
        _sign_in(client, world.gp, password="guess-again-please")
    response = _sign_in(client, world.gp)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert _signed_in_user_id(client) is None
    # Another account from the same address is not locked by someone guessing this one.
    assert _sign_in(client, world.clinician).status_code == 302


def test_it_still_lets_an_account_in_after_four_failures(client, world):
    for _ in range(4):
        _sign_in(client, world.gp, password="guess-again-please")
    response = _sign_in(client, world.gp)
    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(world.gp.pk)


@pytest.mark.parametrize(
    "evil", ["https://evil.example/steal", "//evil.example/steal", "http://evil.example"]
)
def test_it_ignores_a_next_address_on_another_host(client, world, evil):
    response = _sign_in(client, world.patient_user, next=evil)
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"] == reverse("pathway:home")


def test_it_follows_a_next_address_on_this_site(client, world):
    response = _sign_in(client, world.patient_user, next="/my/record-access/")
    assert response["Location"] == "/my/record-access/"


def test_it_only_signs_out_by_post(login, world):
    client = login(world.patient_user)
    assert client.get(reverse("pathway:logout")).status_code == 405
    assert _signed_in_user_id(client) == str(world.patient_user.pk)
    response = client.post(reverse("pathway:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("pathway:login")
    assert _signed_in_user_id(client) is None
    assert "You have signed out." in client.get(response["Location"]).content.decode()
    assert client.get("/my/").status_code == 302


# Each role's home.


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("patient_user", ("pathway:patient-home",)),
        ("gp", ("pathway:gp-home",)),
        ("clinician", ("reviews:worklist", "pathway:team-home")),
        ("commissioner", ("dashboard:home", "pathway:commissioner-home")),
        ("admin", ("admin:index",)),
    ],
)
def test_it_signs_each_role_in_to_its_home(client, world, persona, home):
    response = _sign_in(client, getattr(world, persona))
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.status_code == 200
    assert _landing(response) == _installed(*home)


def test_the_old_team_home_address_goes_to_the_worklist(client, world):
    client.force_login(world.clinician, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("pathway:team-home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:worklist")


def test_the_email_address_may_be_typed_in_any_case(client, world):
    typed = f"  {world.patient_user.email.upper()} "
    response = client.post(LOGIN, {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(world.patient_user.pk)


def test_it_lands_the_patient_on_my(client, world):
    response = _sign_in(client, world.patient_user)
    response = client.get(response["Location"], follow=True)
    assert _landing(response) == "/my/"
    assert "Hello Alice" in response.content.decode()


# Staff second factor.


@pytest.fixture
def mfa_on(settings):
    settings.REQUIRE_STAFF_MFA = True
    # One failed code would otherwise delay the next try by a second.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _mfa_next(response) -> str:
    """Where a redirect to the second-factor page will return to afterwards."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("pathway:mfa-verify")
    (target,) = parse_qs(location.query)["next"]
    return target


def _confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_it_sends_a_gp_without_a_device_from_any_page_to_set_one_up(client, world, mfa_on):
    _sign_in(client, world.gp)
    for path in ("/gp/", "/patients/", reverse("pathway:home")):
        response = client.get(path)
        assert _mfa_next(response) == path
        response = client.get(response["Location"])
        assert response["Location"] == reverse("pathway:mfa-setup")


def test_a_password_alone_cannot_change_the_password_or_end_other_sessions(client, world, mfa_on):
    _confirmed_device(world.gp)
    _sign_in(client, world.gp)
    for name in ("pathway:password-change", "pathway:sign-out-everywhere"):
        path = reverse(name)
        assert _mfa_next(client.get(path)) == path
        response = client.post(
            path,
            {
                "old_password": "x",
                "new_password1": "a-new-pass-2027",
                "new_password2": "a-new-pass-2027",
            },
        )
        assert urlsplit(response["Location"]).path == reverse("pathway:mfa-verify")
    # Signing out, and the forgotten-password pages, need no second factor.
    assert client.get(reverse("pathway:password-reset")).status_code == 200


def test_it_refuses_a_wrong_code_when_setting_up(client, world, mfa_on):
    _sign_in(client, world.gp)
    client.get(reverse("pathway:mfa-setup"))
    device = TOTPDevice.objects.get(user=world.gp)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("pathway:mfa-setup"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is wrong" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/gp/").status_code == 302


def test_it_refuses_letters_as_a_code(client, world, mfa_on):
    _sign_in(client, world.gp)
    response = client.post(reverse("pathway:mfa-setup"), {"code": "abcdef"})
    assert "Enter the 6 digits from your authenticator app." in response.content.decode()


def test_it_asks_for_the_code_when_none_is_given(client, world, mfa_on):
    _sign_in(client, world.gp)
    content = client.post(reverse("pathway:mfa-setup"), {"code": ""}).content.decode()
    assert "Enter the 6-digit code from your authenticator app." in content
    assert "This field is required." not in content


def test_it_lets_a_gp_in_after_setting_up_an_authenticator(client, world, mfa_on):
    response = _sign_in(client, world.gp)
    response = client.get(response["Location"], follow=True)
    assert _landing(response) == reverse("pathway:mfa-setup")
    device = TOTPDevice.objects.get(user=world.gp, confirmed=False)
    response = client.post(reverse("pathway:mfa-setup"), {"code": _code(device)}, follow=True)
    device.refresh_from_db()
    assert device.confirmed
    assert _landing(response) == "/gp/"
    assert client.get("/patients/").status_code == 200


def test_it_refuses_a_wrong_code_at_sign_in_and_lets_the_right_one_through(client, world, mfa_on):
    device = _confirmed_device(world.gp)
    _sign_in(client, world.gp)
    response = client.get("/patients/")
    assert _mfa_next(response) == "/patients/"
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/account/mfa/", {"code": wrong, "next": "/patients/"})
    assert response.status_code == 200
    assert "That code is wrong or has expired." in response.content.decode()
    assert client.get("/patients/").status_code == 302
    response = client.post("/account/mfa/", {"code": _code(device), "next": "/patients/"})
    assert response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_it_ignores_an_offsite_next_after_the_second_factor(client, world, mfa_on):
    device = _confirmed_device(world.gp)
    _sign_in(client, world.gp)
    response = client.post(
        "/account/mfa/", {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_it_keeps_the_whole_address_with_its_query_for_after_the_second_factor(
    client, world, mfa_on
):
    _confirmed_device(world.gp)
    _sign_in(client, world.gp)
    wanted = "/patients/?family_name=Anders&date_of_birth=1980-05-17"
    assert _mfa_next(client.get(wanted)) == wanted


def test_it_never_asks_a_patient_for_a_second_factor(client, world, mfa_on):
    response = _sign_in(client, world.patient_user)
    response = client.get(response["Location"], follow=True)
    assert _landing(response) == "/my/"
    assert response.status_code == 200
    assert client.get(reverse("pathway:contact-preferences")).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_it_leaves_health_open_to_staff_before_the_second_factor(client, world, mfa_on):
    _sign_in(client, world.gp)
    assert client.get("/health/").status_code in (200, 503)


# Password reset.


def test_it_sends_nothing_for_an_unknown_email(client, world):
    response = client.post(reverse("pathway:password-reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_it_emails_one_working_password_reset_link(client, world):
    response = client.post(reverse("pathway:password-reset"), {"email": world.gp.email})
    assert response["Location"] == reverse("pathway:password-reset-done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.gp.email]
    # The service's name and own address, not the host the request named.
    assert mail.outbox[0].subject == f"Reset your password for {settings.SERVICE_NAME}"
    link = re.search(r"https?://[^\s]+", mail.outbox[0].body).group(0)
    assert link.startswith(f"{settings.SITE_URL}/")
    response = client.get(urlsplit(link).path, follow=True)
    assert response.status_code == 200
    assert "Choose a new password" in response.content.decode()
    new_password = "a-much-longer-passphrase-42"
    response = client.post(
        _landing(response), {"new_password1": new_password, "new_password2": new_password}
    )
    assert response["Location"] == reverse("pathway:password-reset-complete")
    client.logout()
    assert _sign_in(client, world.gp, password=PASSWORD).status_code == 200
    assert _sign_in(client, world.gp, password=new_password).status_code == 302
    # The link works once.
    client.logout()
    response = client.get(urlsplit(link).path, follow=True)
    assert "This link has expired" in response.content.decode()


def _reset_password_by_email(client, user, new_password: str) -> None:
    """Ask for a reset link for `user`, follow the link from the email and choose a password."""
    mail.outbox.clear()
    client.post(reverse("pathway:password-reset"), {"email": user.email.upper()})
    (message,) = mail.outbox
    link = urlsplit(re.search(r"https?://[^\s]+", message.body).group(0)).path
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        _landing(form), {"new_password1": new_password, "new_password2": new_password}
    )
    assert response["Location"] == reverse("pathway:password-reset-complete")


def test_a_password_reset_lifts_a_lockout_so_the_new_password_works_at_once(client, world):
    for _ in range(5):
        _sign_in(client, world.gp, password="guess-again-please")
    locked = _sign_in(client, world.gp)
    assert locked.status_code == 429
    assert "reset your password" in locked.content.decode()

    new_password = "a-much-longer-passphrase-42"
    _reset_password_by_email(client, world.gp, new_password)
    response = _sign_in(client, world.gp, password=new_password)
    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(world.gp.pk)


def test_a_password_reset_lifts_the_lockout_from_every_address_and_typed_case(client, world):
    new_password = "a-much-longer-passphrase-42"
    typings = {"10.0.0.1": world.gp.email, "10.0.0.2": world.gp.email.upper()}
    for address, typed in typings.items():
        # The admin's sign-in form keeps the case as typed; the service's lowers it.
        for _ in range(5):
            client.post(
                reverse("admin:login"),
                {"username": typed, "password": "guess-again-please"},
                REMOTE_ADDR=address,
            )
        locked = client.post(
            reverse("admin:login"), {"username": typed, "password": PASSWORD}, REMOTE_ADDR=address
        )
        assert locked.status_code == 429
    assert AccessAttempt.objects.filter(username=world.gp.email.upper()).exists()

    _reset_password_by_email(client, world.gp, new_password)
    assert not AccessAttempt.objects.filter(username__iexact=world.gp.email).exists()
    for address, typed in typings.items():
        client.logout()
        admin = client.post(
            reverse("admin:login"),
            {"username": typed, "password": new_password},
            REMOTE_ADDR=address,
        )
        assert admin.status_code == 200  # Not locked: refused as a GP is not staff.
        response = client.post(
            LOGIN, {"username": typed, "password": new_password}, REMOTE_ADDR=address
        )
        assert response.status_code == 302
        assert _signed_in_user_id(client) == str(world.gp.pk)


def test_a_password_reset_leaves_other_accounts_locked(client, world):
    for user in (world.gp, world.clinician):
        for _ in range(5):
            _sign_in(client, user, password="guess-again-please")
    _reset_password_by_email(client, world.gp, "a-much-longer-passphrase-42")
    assert _sign_in(client, world.clinician).status_code == 429


def test_a_refused_new_password_leaves_the_lockout_in_place(client, world):
    for _ in range(5):
        _sign_in(client, world.gp, password="guess-again-please")
    client.post(reverse("pathway:password-reset"), {"email": world.gp.email})
    link = urlsplit(re.search(r"https?://[^\s]+", mail.outbox[0].body).group(0)).path
    form = client.get(link, follow=True)
    response = client.post(_landing(form), {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert _sign_in(client, world.gp).status_code == 429


def test_a_reset_link_asks_for_the_new_password_in_the_apps_words(client, world):
    asked = client.post(reverse("pathway:password-reset"), {"email": ""}).content.decode()
    assert "Enter your email address." in asked and "Email address" in asked
    assert "This field is required." not in asked
    client.post(reverse("pathway:password-reset"), {"email": world.gp.email})
    link = urlsplit(re.search(r"https?://[^\s]+", mail.outbox[0].body).group(0)).path
    form = client.get(link, follow=True)
    page = form.content.decode()
    assert "Type the new password again" in page and "At least 12 characters" in page
    page = client.post(_landing(form), {}).content.decode()
    assert "Enter a new password." in page and "Type the new password again." in page
    assert "This field is required." not in page
    page = client.post(
        _landing(form),
        {"new_password1": "a-much-longer-passphrase-42", "new_password2": "another-one-43"},
    ).content.decode()
    assert "The two new passwords do not match." in page


def test_a_signed_in_user_changes_their_password_and_other_sessions_end(client, world, login):
    elsewhere = Client()
    elsewhere.force_login(world.patient_user)
    url = reverse("pathway:password-change")
    page = login(world.patient_user).get(url).content.decode()
    assert "Change your password" in page and 'href="/account/password/"' in page
    refused = client.post(
        url,
        {
            "old_password": "not-my-password",
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
    ).content.decode()
    assert "Your current password is not right. Type it again." in refused
    assert "<title>Error: " in refused
    same = client.post(
        url, {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    ).content.decode()
    assert "Choose a new password that is different from your current one." in same
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
        follow=True,
    )
    assert "Your password is changed. You are signed out on other devices." in (
        response.content.decode()
    )
    assert response.wsgi_request.user == world.patient_user  # still signed in here
    assert elsewhere.get(reverse("pathway:patient-home")).status_code == 302  # not there
    client.logout()
    assert (
        _sign_in(client, world.patient_user, password="a-much-longer-passphrase-42").status_code
        == 302
    )


# Sessions.


def test_it_ends_sessions_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_REFRESH_SECONDS == 60


def _refreshed_ago(key: str, seconds: int) -> None:
    """Make the stored session look last refreshed (or saved) `seconds` ago."""
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + age)


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if 'UPDATE "django_session' in q["sql"] or "synchronous_commit" in q["sql"]
    ]


def test_it_extends_a_session_in_use_at_most_once_a_minute(login, world):
    client = login(world.patient_user)
    key = client.session.session_key
    _refreshed_ago(key, settings.SESSION_REFRESH_SECONDS - 5)
    before = Session.objects.get(pk=key).expire_date
    with CaptureQueriesContext(connection) as soon:
        assert client.get("/my/").status_code == 200
    assert not _session_writes(soon)
    assert Session.objects.get(pk=key).expire_date == before
    _refreshed_ago(key, settings.SESSION_REFRESH_SECONDS + 1)
    with CaptureQueriesContext(connection) as later:
        assert client.get("/my/").status_code == 200
    assert len(_session_writes(later)) == 1
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert remaining > timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_still_here_starts_the_idle_timeout_again_from_now(login, world, client):
    assert client.get("/account/still-here/").status_code == 401
    signed_in = login(world.patient_user)
    key = signed_in.session.session_key
    _refreshed_ago(key, 20)  # within the minute in which pages do not refresh it
    response = signed_in.get("/account/still-here/")
    assert response.status_code == 204
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert remaining > timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_signed_in_pages_carry_the_signed_out_soon_warning(login, world, client):
    assert 'id="session-warning"' not in client.get("/account/login/").content.decode()
    page = login(world.patient_user).get("/my/").content.decode()
    assert 'id="session-warning" data-seconds="1800" data-url="/account/still-here/" hidden' in page
    assert "Stay signed in" in page


def test_a_refresh_moves_the_expiry_alone_and_keeps_the_session_data(login, world):
    client = login(world.patient_user)
    key = client.session.session_key
    data = Session.objects.get(pk=key).session_data
    _refreshed_ago(key, settings.SESSION_REFRESH_SECONDS + 1)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/my/").status_code == 200
    (write,) = _session_writes(queries)
    assert "session_data" not in write
    assert Session.objects.get(pk=key).session_data == data
    # Still signed in, as the same user.
    assert client.get("/my/").context["user"] == world.patient_user


@pytest.mark.django_db(transaction=True)
def test_a_refresh_skips_the_disk_wait_only_on_postgresql(login, world):
    client = login(world.patient_user)
    key = client.session.session_key
    _refreshed_ago(key, settings.SESSION_REFRESH_SECONDS + 1)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/my/").status_code == 200
    (write,) = _session_writes(queries)
    relaxed = "SET LOCAL synchronous_commit TO OFF; " if connection.vendor == "postgresql" else ""
    assert write.startswith(f'{relaxed}UPDATE "django_session" SET expire_date')
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert remaining > timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


@pytest.mark.django_db(transaction=True)
def test_signing_in_waits_for_the_disk(client, world):
    with CaptureQueriesContext(connection) as queries:
        assert _sign_in(client, world.patient_user).status_code == 302
    assert not [q for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    assert Session.objects.filter(pk=client.session.session_key).exists()


def test_a_request_that_stores_something_saves_the_session_once_with_the_new_expiry(rf, db):
    from pathway.middleware import SessionRefreshMiddleware
    from pathway.sessions import SessionStore

    session = SessionStore()
    session["kept"] = "before"
    session.save()
    _refreshed_ago(session.session_key, settings.SESSION_REFRESH_SECONDS + 1)
    request = rf.get("/my/")
    request.session = SessionStore(session.session_key)

    def view(request):
        request.session["kept"] = "after"
        return None

    with mock.patch.object(SessionStore, "touch") as touch:
        SessionRefreshMiddleware(view)(request)
    # SessionMiddleware, outside, saves it (and with it the new expiry): no second write.
    assert request.session.modified
    touch.assert_not_called()


@pytest.mark.parametrize(("refreshed_ago", "touched"), [(0, False), (59, False), (60, True)])
def test_only_a_session_due_a_refresh_is_touched(rf, db, refreshed_ago, touched):
    from pathway.middleware import SessionRefreshMiddleware
    from pathway.sessions import SessionStore

    session = SessionStore()
    session["kept"] = "yes"
    session.save()
    _refreshed_ago(session.session_key, refreshed_ago)
    before = Session.objects.get(pk=session.session_key).expire_date
    request = rf.get("/my/")
    request.session = SessionStore(session.session_key)
    SessionRefreshMiddleware(lambda request: None)(request)
    after = Session.objects.get(pk=session.session_key).expire_date
    assert (after > before) is touched
    assert Session.objects.get(pk=session.session_key).get_decoded() == {"kept": "yes"}
    assert not request.session.modified


def test_a_refresh_of_a_session_signed_out_meanwhile_writes_nothing(login, world):
    from pathway.sessions import SessionStore

    client = login(world.patient_user)
    store = SessionStore(client.session.session_key)
    store.load()
    # Signed out in another tab while this request was being answered.
    Session.objects.filter(pk=store.session_key).delete()
    assert store.touch() is False
    assert not Session.objects.filter(pk=store.session_key).exists()


def test_an_expired_session_is_not_brought_back_by_a_refresh(login, world):
    client = login(world.patient_user)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    client.get("/my/")
    assert Session.objects.get(pk=key).expire_date < timezone.now()


def test_it_signs_out_an_idle_session(login, world):
    client = login(world.patient_user)
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/my/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def _end_session(client):
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )


def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_sign_in(login, world):
    # Without this, htmx would put the sign-in page inside the page (one more headache).
    client = login(world.patient_user)
    _end_session(client)
    response = client.get(
        reverse("diaries:episode-form"),
        {"episode-TOTAL_FORMS": "1"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/diary/?answer=yes"},
    )
    assert response.status_code == 200
    assert response.content == b""
    target = urlsplit(response["HX-Redirect"])
    assert target.path == LOGIN
    assert parse_qs(target.query)["next"] == ["/diary/?answer=yes"]
    page = client.get(response["HX-Redirect"])
    assert "anything you had not saved has not been kept" in page.content.decode()


def test_an_htmx_request_from_another_site_goes_back_home_after_sign_in(client, world):
    response = client.get(
        reverse("diaries:episode-form"),
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/diary/"},
    )
    assert parse_qs(urlsplit(response["HX-Redirect"]).query)["next"] == ["/"]


def test_a_form_sent_after_the_session_ended_is_not_kept_and_the_sign_in_page_says_so(login, world):
    client = login(world.patient_user)
    _end_session(client)
    day = timezone.localdate()
    response = client.post(
        reverse("diaries:day", kwargs={"day": day}), {"action": "headache_free"}, follow=True
    )
    assert _landing(response) == f"{LOGIN}?next=/diary/day/{day.isoformat()}/"
    assert "anything you had not saved has not been kept" in response.content.decode()
    assert not world.patient.diary_entries.exists()


def test_an_ordinary_page_after_the_session_ended_goes_to_sign_in_without_a_warning(login, world):
    client = login(world.patient_user)
    _end_session(client)
    response = client.get(reverse("diaries:today"), follow=True)
    assert _landing(response).startswith(LOGIN)
    assert "has not been kept" not in response.content.decode()


@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("home", "/home/"),
        ("logout", "/home/"),
        ("https://elsewhere.example/", "/home/"),
        ("//elsewhere.example/", "/home/"),
        ("/my/", "/my/"),
    ],
)
def test_the_second_step_goes_only_to_a_path_on_this_site(client, world, asked, lands):
    # A signed-in patient needs no second step: they go straight on, never to a view name or
    # another site, and a word that names no view is not an error.
    client.force_login(world.patient_user)
    response = client.get(reverse("pathway:mfa-verify"), {"next": asked})
    assert response.status_code == 302
    assert response["Location"] == lands
