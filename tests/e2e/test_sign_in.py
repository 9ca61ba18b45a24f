"""Journey: each demo role signs in and reaches its own home page."""

import pytest

from pathway.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("email", "heading", "path"),
    [
        ("patient@demo.nhs.uk", "Hello Alex", "/my/"),
        ("gp@demo.nhs.uk", "Headache and pain pathway", "/gp/"),
        ("nurse@demo.nhs.uk", "Worklist", "/team/"),
        ("commissioner@demo.nhs.uk", "Pathway dashboard", "/dashboard/"),
    ],
)
def test_each_role_signs_in_and_lands_on_its_home_page(browser_page, demo, email, heading, path):
    browser_page.goto("/")
    browser_page.page.get_by_role("link", name="Sign in").first.click()
    browser_page.check()
    browser_page.sign_in(email, DEMO_PASSWORD)
    assert browser_page.page.url.endswith(path)
    assert browser_page.page.get_by_role("heading", level=1).inner_text() == heading
    browser_page.sign_out()
    assert "/account/login/" in browser_page.page.url


def test_a_wrong_password_shows_an_error_summary(browser_page, demo):
    browser_page.sign_in("gp@demo.nhs.uk", "not-the-password")
    summary = browser_page.page.get_by_role("alert")
    assert "Enter a correct email address and password" in summary.inner_text()
