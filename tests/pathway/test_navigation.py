"""The header navigation: each role's links, with the page being shown marked current."""

from django.urls import reverse

from pathway import navigation


def _menu(response):
    return [(item["label"], item["url"], item["current"]) for item in response.context["nav_items"]]


def test_each_page_marks_its_own_link_current(login, world):
    client = login(world.clinician)
    worklist, triage = reverse("reviews:worklist"), reverse("referrals:triage-queue")
    on_worklist = _menu(client.get(worklist))
    on_triage = _menu(client.get(triage))
    assert ("Worklist", worklist, True) in on_worklist
    assert ("Triage", triage, False) in on_worklist
    assert ("Worklist", worklist, False) in on_triage
    assert ("Triage", triage, True) in on_triage
    assert [label for label, _, _ in on_worklist] == [label for label, _, _ in on_triage]


def test_each_role_has_its_own_links(login, world):
    patient_menu = _menu(login(world.patient_user).get(reverse("diaries:today")))
    assert ("My diary", reverse("diaries:today"), True) in patient_menu
    assert not any(label == "Triage" for label, _, _ in patient_menu)
    gp_menu = _menu(login(world.gp).get(reverse("referrals:mine")))
    assert ("My referrals", reverse("referrals:mine"), True) in gp_menu
    assert not any(label == "My diary" for label, _, _ in gp_menu)


def test_the_gp_attendance_import_is_in_the_administrators_and_care_teams_menus(login, world):
    url = reverse("pathway:attendance-import")
    admin_menu = _menu(login(world.admin).get(url))
    assert ("GP attendance import", url, True) in admin_menu
    assert ("GP attendance import", url, True) in _menu(login(world.clinician).get(url))
    assert not any(
        label == "GP attendance import"
        for label, _, _ in _menu(login(world.commissioner).get(reverse("dashboard:home")))
    )
    # As is the dashboard an administrator may open.
    dashboard = reverse("dashboard:home")
    assert ("Dashboard", dashboard, False) in admin_menu
    assert login(world.admin).get(dashboard).status_code == 200


def test_links_are_worked_out_once_per_role_and_url_configuration(world):
    navigation._links.cache_clear()
    navigation.items_for(world.clinician, "/")
    navigation.items_for(world.clinician, "/reviews/team/")
    navigation.items_for(world.gp, "/")
    info = navigation._links.cache_info()
    assert (info.misses, info.hits) == (2, 1)


def test_nobody_signed_out_gets_a_menu(client):
    assert client.get(reverse("pathway:start")).context["nav_items"] == []


def test_the_footers_about_link_shows_what_the_service_is_signed_in_or_not(login, world, client):
    about = reverse("pathway:about")
    signed_out = client.get(about).content.decode()
    assert f'href="{about}">About this service</a>' in signed_out
    assert "Support in your GP surgery for migraine" in signed_out
    assert f'href="{reverse("pathway:login")}">Sign in</a>' in signed_out

    # Signed in, the footer's link no longer bounces a patient to their own home page.
    response = login(world.patient_user).get(about)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>About this service" in page
    assert "Support in your GP surgery for migraine" in page
    assert ">Sign in</a>" not in page
    assert f'href="{reverse("pathway:home")}">Go to your home page</a>' in page
