"""The leaflet editor in Django admin, read-only clinical admin, the outbox messages and the
thin tasks."""

import pytest

from careplans import services, tasks
from careplans.models import CarePlanVersion, Leaflet
from pathway.models import Notification
from pathway.notifications.outbox import render_message
from tests.careplans import builders

pytestmark = pytest.mark.django_db


def _change_data(leaflet, **overrides):
    data = {
        "slug": leaflet.slug,
        "title": leaflet.title,
        "summary": leaflet.summary,
        "condition": leaflet.condition,
        "medicines": leaflet.medicines,
        "body_markdown": leaflet.body_markdown,
        "sources": leaflet.sources,
        "review_on": leaflet.review_on.isoformat(),
        "is_published": "on",
    }
    return {**data, **overrides}


def test_an_admin_edit_of_the_text_makes_a_new_leaflet_version(world, login):
    leaflet = builders.leaflet("propranolol")
    client = login(world.admin)
    url = f"/admin/careplans/leaflet/{leaflet.pk}/change/"
    response = client.post(url, _change_data(leaflet, body_markdown="## New\n\nShorter text."))
    assert response.status_code == 302
    leaflet.refresh_from_db()
    assert leaflet.version == 2 and leaflet.body_markdown.startswith("## New")


def test_an_admin_cannot_save_an_external_image_or_raw_html(world, login):
    leaflet = builders.leaflet("propranolol")
    client = login(world.admin)
    url = f"/admin/careplans/leaflet/{leaflet.pk}/change/"
    for body, message in (
        ("![x](https://evil.example/pixel.png)", "cannot show pictures"),
        ('<iframe src="https://evil.example"></iframe>', "Markdown only"),
    ):
        response = client.post(url, _change_data(leaflet, body_markdown=body))
        assert response.status_code == 200
        assert message in response.content.decode()
    leaflet.refresh_from_db()
    assert leaflet.version == 1


def test_clinical_rows_are_read_only_in_admin(world, login):
    version = builders.agreed_plan(world.patient).versions.get()
    client = login(world.admin)
    url = f"/admin/careplans/careplanversion/{version.pk}/change/"
    assert client.get(url).status_code == 200  # viewable
    client.post(url, {"status": "draft", "what_matters": "changed"})
    version.refresh_from_db()
    assert version.status == CarePlanVersion.Status.AGREED
    assert client.get("/admin/careplans/leaflet/1/delete/").status_code == 403


@pytest.mark.parametrize("template", ["careplans-plan-agreed", "careplans-leaflet-added"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_messages_carry_only_a_sign_in_link(world, template, channel):
    notification = Notification(
        patient=world.patient,
        channel=channel,
        kind="x",
        template=template,
        context={"link": "https://example.test/care-plans/my/"},
    )
    message = render_message(notification)
    assert "https://example.test/care-plans/my/" in message.body
    assert "topiramate" not in message.body.lower()


def test_the_render_task_calls_the_service(world):
    version = builders.agreed_plan(world.patient).versions.get()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert tasks.render_document_pdf.run(str(document.uuid)) == "ready"
    assert tasks.requeue_pending_documents.run() == 0


def test_leaflets_seeded_by_the_migration_are_published(db):
    assert Leaflet.objects.filter(is_published=True).count() >= 16
