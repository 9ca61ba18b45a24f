"""An open safety alert shows under the patient's banner on every tab of the staff patient
page, not only on the reviews tab (pathway.patient_warnings, reviews.patient_warnings)."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.navigation import PATIENT_TABS
from tests.reviews import builders

TABS = [name for _, name in PATIENT_TABS]


def _callouts(page: str) -> list[str]:
    found = re.findall(r"Open safety alert</span></h2>\s*<p>(.*?)</p>", page, flags=re.S)
    return [html.unescape(callout) for callout in found]


@pytest.mark.parametrize("tab", TABS)
def test_an_open_alert_shows_on_every_tab_with_the_way_to_act_on_it(world, login, tab):
    alert = builders.safety_alert(world.patient)
    page = login(world.clinician).get(reverse(tab, kwargs={"patient_uuid": world.patient.uuid}))
    assert page.status_code == 200
    [callout] = _callouts(page.content.decode())
    raised = timezone.localtime(alert.raised_at)
    assert callout.startswith(
        f"PHQ-9 item 9: thoughts of self-harm, raised {raised:%-d %B %Y} at {raised:%H:%M}."
    )
    assert reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}) in callout


def test_a_gp_sees_the_alert_and_that_the_care_team_has_it(world, login):
    alert = builders.safety_alert(world.patient)
    page = login(world.gp).get(reverse(TABS[0], kwargs={"patient_uuid": world.patient.uuid}))
    [callout] = _callouts(page.content.decode())
    assert "on the care team's worklist until a clinician records the action taken" in callout
    assert reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}) not in callout
    # Nor does the Reviews tab's list of alerts link to a page only the care team may open.
    reviews = login(world.gp).get(
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    )
    body = reviews.content.decode()
    assert "<h2>Safety alerts</h2>" in body and "PHQ-9 item 9: thoughts of self-harm" in body
    assert reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}) not in body
    nurse = login(world.clinician).get(
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    )
    assert reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}) in nurse.content.decode()


def test_an_alert_acted_on_shows_no_more_and_each_open_one_shows_once(world, login):
    done = builders.safety_alert(world.patient)
    done.resolved_at = timezone.now()
    done.resolved_by = world.clinician
    done.action_taken = "Called; safety plan agreed."
    done.save()
    client = login(world.clinician)
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    assert _callouts(client.get(url).content.decode()) == []
    builders.safety_alert(world.patient)
    assert len(_callouts(client.get(url).content.decode())) == 1
