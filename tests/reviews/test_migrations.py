"""Data migrations of the reviews app, run on rows written as the code before them wrote them."""

from importlib import import_module

from django.apps import apps

from reviews.models import GroupBooking
from tests.reviews import builders

WITHDRAWN = import_module("reviews.migrations.0004_groupbooking_withdrawn")


def test_invitations_and_places_the_team_ended_become_withdrawals(world):
    session = builders.group_session(world.service)
    by_staff = builders.booking(
        session, world.patient, status="declined", updated_by=world.clinician
    )
    freed = builders.booking(
        session, world.other_patient, status="cancelled", updated_by=world.clinician
    )
    own = builders.booking(
        session, world.patient_in_b, status="declined", updated_by=world.patient_user
    )
    unknown = builders.booking(session, world.patient_in_c, status="cancelled")
    WITHDRAWN.mark_team_withdrawals(apps, None)
    statuses = dict(GroupBooking.objects.values_list("pk", "status"))
    assert statuses == {
        by_staff.pk: "withdrawn",
        freed.pk: "withdrawn",
        own.pk: "declined",  # the patient's own answer stays theirs
        unknown.pk: "cancelled",  # nobody recorded: left as it was
    }
    WITHDRAWN.unmark_team_withdrawals(apps, None)
    statuses = dict(GroupBooking.objects.values_list("pk", "status"))
    assert (statuses[by_staff.pk], statuses[freed.pk]) == ("declined", "cancelled")
