import pytest
from django.test import Client
from django.urls import reverse

from tests.test_access_matrix import RULES

pytestmark = pytest.mark.django_db


def test_signing_out_everywhere_ends_the_other_sessions_too(world):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.force_login(world.gp, backend="django.contrib.auth.backends.ModelBackend")
        assert device.get("/gp/").status_code == 200
    response = laptop.post("/account/sign-out-everywhere/")
    assert response.status_code == 302
    assert phone.get("/gp/").status_code == 302  # sent to sign in
    assert laptop.get("/gp/").status_code == 302


def test_an_ordinary_sign_out_leaves_other_devices_signed_in(world):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.force_login(world.gp, backend="django.contrib.auth.backends.ModelBackend")
    laptop.post("/account/logout/")
    assert phone.get("/gp/").status_code == 200


@pytest.mark.parametrize("url_name", sorted(RULES))
def test_an_unsafe_request_without_a_csrf_token_is_refused(url_name, world):
    rule = RULES[url_name]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse(url_name, kwargs=rule.kwargs(world)), {"x": "1"})
    if url_name == "pathway:login":
        # Someone already signed in (a sign-in form sent from a second tab) is taken to the
        # start page as they are: the form is not acted on.
        assert response.status_code == 302 and response["Location"] == reverse("pathway:home")
        assert client.get(reverse("pathway:home")).wsgi_request.user == world.admin
    else:
        assert response.status_code == 403
