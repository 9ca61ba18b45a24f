"""Load the leaflet library written for this project (careplans/leaflets/*.md).

Leaflets that already exist (by slug) are left as the admins edited them."""

from django.db import migrations


def load_leaflets(apps, schema_editor):
    from careplans.leaflet_files import load_all

    Leaflet = apps.get_model("careplans", "Leaflet")
    for item in load_all():
        Leaflet.objects.get_or_create(
            slug=item.slug,
            defaults={
                "title": item.title,
                "summary": item.summary,
                "condition": item.condition,
                "medicines": item.medicines,
                "body_markdown": item.body,
                "sources": item.sources,
                "review_on": item.review_on,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("careplans", "0001_initial")]

    operations = [migrations.RunPython(load_leaflets, migrations.RunPython.noop)]
