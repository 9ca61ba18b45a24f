"""Care-plan pages: bad input gives clear messages and saves nothing, agreed versions cannot be
edited, free text is escaped, and list pages run a constant number of queries."""

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans import services
from careplans.models import CarePlan, Goal, Leaflet, TreatmentTrial
from careplans.services.plans import FIRST_CONVERSATION_FIRST
from pathway.models import AuditEvent, Notification
from reviews.services import episodes as episode_services
from tests.careplans import builders
from tests.factories import EpisodeFactory
from tests.pathway.pages import field_error, page_text

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
DAYS = builders.DAYS
HOSTILE = '<script>alert("x")</script>'


def management(prefix, total=1, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def draft_post(**overrides):
    data = {
        "what_matters": "Playing with my grandchildren",
        "acute_plan": "",
        "wellbeing_notes": "",
        "next_review_on": (TODAY() + timedelta(days=30)).isoformat(),
        "change_summary": "",
        **management("goals"),
        **management("selfcare", 0),
        **management("acute", 0),
        **management("support", 0),
        **management("who", 0),
        "goals-0-description": "Walk to the park",
        "goals-0-baseline": "3",
        "goals-0-target": "7",
        "goals-0-current": "",
    }
    data.update(overrides)
    return data


def test_a_clinician_builds_and_agrees_a_plan_through_the_pages(world, login):
    client = login(world.clinician)
    episode = builders.plan(world.other_patient).episode  # noqa: F841  unrelated plan
    from tests.factories import EpisodeFactory

    episode = EpisodeFactory(patient=world.patient)
    builders.seen(episode)
    response = client.post(
        f"/care-plans/patients/{world.patient.uuid}/start/", {"episode": episode.pk}
    )
    plan = CarePlan.objects.get(patient=world.patient)
    draft = plan.versions.get()
    assert response["Location"] == f"/care-plans/versions/{draft.uuid}/edit/"
    response = client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(agree="1"))
    assert response["Location"] == f"/care-plans/versions/{draft.uuid}/agree/"
    response = client.post(f"/care-plans/versions/{draft.uuid}/agree/", {"confirm": "on"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "agreed"
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Walk to the park" in page and "Version 1 agreed on" in page


def test_no_plan_is_started_while_the_referral_waits_for_triage(world, login):
    from careplans import services
    from careplans.services import CarePlanError
    from tests.referrals import builders as referral_builders

    referral = referral_builders.referral(world.patient, world.gp)
    client = login(world.clinician)
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "The headache referral has not been triaged yet." in page
    assert "Start a care plan" not in page
    response = client.post(
        f"/care-plans/patients/{world.patient.uuid}/start/", {"episode": referral.episode_id}
    )
    assert response.status_code == 400
    with pytest.raises(CarePlanError, match="has not been triaged yet"):
        services.start_plan(actor=world.clinician, patient=world.patient, episode=referral.episode)
    assert not CarePlan.objects.exists()


def test_starting_a_plan_with_no_episode_chosen_shows_the_question_with_its_error(world, login):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=world.patient)
    client = login(world.clinician)
    response = client.post(f"/care-plans/patients/{world.patient.uuid}/start/", {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    assert 'class="nhsuk-error-message" id="id_episode-error"' in page
    assert "Choose which part of their care this plan is for." in page
    assert not CarePlan.objects.exists()


def test_the_only_episode_without_a_plan_is_chosen_already(world, login):
    from tests.factories import EpisodeFactory

    only = EpisodeFactory(patient=world.patient)
    client = login(world.clinician)
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert f'name="episode" type="radio" value="{only.pk}" checked' in page
    EpisodeFactory(patient=world.patient, condition="chronic_pain")
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "checked" not in page.split('name="episode"', 1)[1].split("</fieldset>", 1)[0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("goals-0-baseline", "11", "Enter rating at the start as a whole number from 0 to 10."),
        ("goals-0-target", "-1", "Enter target rating as a whole number from 0 to 10."),
        ("goals-0-current", "7.5", "Enter rating now as a whole number from 0 to 10."),
        ("goals-0-target", "1", "The target rating must be at least the rating at the start"),
        ("goals-0-description", "", "Enter the goal."),
        ("next_review_on", "2020-01-01", "The next review date must be today or later."),
        ("next_review_on", "2099-01-01", "The next review date must be within 18 months."),
        ("next_review_on", "31/02/2027", "Enter the next review date as a real date."),
    ],
)
def test_bad_draft_input_shows_a_message_and_saves_nothing(world, login, field, value, message):
    draft = builders.plan(world.patient).versions.get()
    response = login(world.clinician).post(
        f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**{field: value})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert "<title>Error: " in html
    if field.startswith("goals-"):
        assert f"New goal: {message}" in html  # the summary says which row
    draft.refresh_from_db()
    assert draft.what_matters == "" and not Goal.objects.exists()


def test_the_draft_form_says_what_agreeing_needs_without_calling_it_optional(world, login):
    draft = builders.plan(world.patient).versions.get()
    page = login(world.clinician).get(f"/care-plans/versions/{draft.uuid}/edit/").content
    html = page.decode()
    assert "What matters to me (optional)" not in html
    assert "Next review date (optional)" not in html
    assert html.count("Needed to agree the plan; a draft saves without it.") == 2


def test_six_goals_are_refused(world, login):
    draft = builders.plan(world.patient).versions.get()
    data = draft_post(**management("goals", 6))
    for i in range(6):
        data.update(
            {
                f"goals-{i}-description": f"Goal {i}",
                f"goals-{i}-baseline": "2",
                f"goals-{i}-target": "6",
            }
        )
    response = login(world.clinician).post(f"/care-plans/versions/{draft.uuid}/edit/", data)
    assert response.status_code == 200
    assert "Add up to 5 goals." in response.content.decode()
    assert not Goal.objects.exists()


def test_agreeing_a_plan_with_no_goal_explains_why(world, login):
    draft = builders.plan(world.patient).versions.get()
    builders.fill_draft(draft, goals=[])
    response = login(world.clinician).post(
        f"/care-plans/versions/{draft.uuid}/agree/", {"confirm": "on"}
    )
    assert response.status_code == 200
    assert "Add at least one goal." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_save_and_agree_with_no_goal_stays_on_the_draft_and_says_why(world, login):
    draft = builders.plan(world.patient).versions.get()
    builders.seen(draft.plan.episode)
    client = login(world.clinician)
    post = {
        key: value for key, value in draft_post(agree="1").items() if not key.startswith("goals-0-")
    }
    response = client.post(f"/care-plans/versions/{draft.uuid}/edit/", post, follow=True)
    assert response.redirect_chain[-1][0] == f"/care-plans/versions/{draft.uuid}/edit/"
    text = page_text(response)
    assert "Draft version 1 saved. It cannot be agreed yet: Add at least one goal." in text
    # What was typed is kept; the draft is still a draft.
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.what_matters
    # The agree page, opened anyway, says the same and offers no button to agree.
    page = client.get(f"/care-plans/versions/{draft.uuid}/agree/").content.decode()
    assert "This draft cannot be agreed yet" in page and "Add at least one goal." in page
    assert "Agree the plan</button>" not in page


def test_a_first_plan_is_agreed_only_once_the_first_conversation_is_recorded(world, login):
    draft = builders.plan(world.patient).versions.get()
    builders.fill_draft(draft)
    episode = draft.plan.episode
    episode.milestones.filter(kind="first_contact").delete()
    client = login(world.clinician)
    page = client.get(f"/care-plans/versions/{draft.uuid}/agree/").content.decode()
    assert FIRST_CONVERSATION_FIRST.replace("'", "&#x27;") in page
    assert "Agree the plan</button>" not in page
    with pytest.raises(services.CannotAgree, match="first conversation for this episode"):
        services.agree_version(actor=world.clinician, version=draft)
    assert not episode.milestones.filter(kind="care_plan_agreed").exists()
    # Recorded, the plan is agreed; a later version needs nothing more.
    builders.seen(episode)
    services.agree_version(actor=world.clinician, version=draft)
    second = services.start_new_version(actor=world.clinician, plan=draft.plan)
    builders.fill_draft(second)
    episode.milestones.filter(kind="first_contact").delete()
    assert services.agree_version(actor=world.clinician, version=second).status == "agreed"


def test_agreeing_needs_the_confirmation_box(world, login):
    draft = builders.fill_draft(builders.plan(world.patient).versions.get())
    response = login(world.clinician).post(f"/care-plans/versions/{draft.uuid}/agree/", {})
    assert "Confirm that you agreed this plan with the patient." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_agreed_version_cannot_be_edited_through_the_pages(world, login):
    version = builders.agreed_plan(world.patient).versions.get()
    client = login(world.clinician)
    for url in (
        f"/care-plans/versions/{version.uuid}/edit/",
        f"/care-plans/versions/{version.uuid}/agree/",
    ):
        response = client.get(url)
        assert response["Location"] == f"/care-plans/versions/{version.uuid}/"
    response = client.post(
        f"/care-plans/versions/{version.uuid}/agree/",
        draft_post(what_matters="Changed", confirm="on"),
        follow=True,
    )
    assert "cannot be changed. Start a new version" in response.content.decode()
    # Changes sent from a draft page opened before it was agreed come back, to carry over.
    response = client.post(
        f"/care-plans/versions/{version.uuid}/edit/", draft_post(what_matters="Changed")
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert f"{version.agreed_by.full_name} agreed version 1 at" in page
    assert "What you wrote was not saved" in page and "Changed" in page
    assert "Walk to the park" in page  # a goal row typed on the page
    review_on = TODAY() + timedelta(days=30)
    assert f"{review_on:%-d %B %Y}" in page and review_on.isoformat() not in page
    assert "Start a new version" in page
    version.refresh_from_db()
    assert version.what_matters == "Walking the dog every day"
    assert version.status == "agreed"


def test_a_discharged_patients_treatments_and_leaflets_offer_no_changes(world, login):
    plan = builders.agreed_plan(world.patient)
    trial = builders.trial(plan)
    link = builders.attached(plan)
    client = login(world.clinician)
    url = f"/care-plans/patients/{world.patient.uuid}/"
    page = client.get(url).content.decode()
    assert "Record a treatment" in page and f"/care-plans/treatments/{trial.uuid}/" in page
    type(plan.episode).objects.filter(pk=plan.episode_id).update(
        status="discharged", closed_at=timezone.now()
    )
    page = client.get(url).content.decode()
    assert "Record a treatment" not in page and "Add leaflet" not in page
    assert f"/care-plans/treatments/{trial.uuid}/" not in page
    assert f"/care-plans/leaflet-links/{link.uuid}/remove/" not in page
    assert "Propranolol" in page and "Understanding migraine" in page  # as it was left
    response = client.post(
        f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "topiramate"}, follow=True
    )
    assert "so its care plan stays as it was left" in response.content.decode()
    assert plan.leaflet_links.count() == 1


def test_a_discharged_patients_plan_offers_no_changes_and_refuses_them(world, login):
    plan = builders.agreed_plan(world.patient)
    draft = services.start_new_version(actor=world.clinician, plan=plan)
    type(plan.episode).objects.filter(pk=plan.episode_id).update(
        status="discharged", closed_at=timezone.now()
    )
    client = login(world.clinician)
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "so this plan stays as it was left. Draft version 2 was not agreed." in page
    assert "Start a new version" not in page and "Edit draft version" not in page
    for url in (
        f"/care-plans/versions/{draft.uuid}/edit/",
        f"/care-plans/versions/{draft.uuid}/agree/",
    ):
        response = client.post(url, draft_post(what_matters="Changed", confirm="on"), follow=True)
        assert "so its care plan stays as it was left" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.what_matters != "Changed"
    detail = client.get(f"/care-plans/versions/{draft.uuid}/").content.decode()
    assert "Edit this draft" not in detail
    draft.delete()
    response = client.post(f"/care-plans/plans/{plan.uuid}/new-version/", follow=True)
    assert "A new referral is needed for a new plan." in response.content.decode()
    assert list(plan.versions.values_list("status", flat=True)) == ["agreed"]


def test_a_new_version_shows_what_changed(world, login):
    plan = builders.agreed_plan(world.patient)
    client = login(world.clinician)
    response = client.post(f"/care-plans/plans/{plan.uuid}/new-version/")
    draft = plan.versions.get(status="draft")
    assert response["Location"] == f"/care-plans/versions/{draft.uuid}/edit/"
    goal = Goal.objects.get(version=draft)
    data = draft_post(**management("goals", 2, 1))
    data.update(
        {
            "goals-0-id": str(goal.pk),
            "goals-0-version": str(draft.pk),
            "goals-0-description": "Walk the dog",
            "goals-0-baseline": "3",
            "goals-0-target": "7",
            "goals-0-current": "6",
            "goals-1-description": "",
        }
    )
    assert client.post(f"/care-plans/versions/{draft.uuid}/edit/", data).status_code == 302
    services.agree_version(actor=world.clinician, version=draft)
    page = client.get(f"/care-plans/versions/{draft.uuid}/").content.decode()
    assert "What changed from version 1" in page
    assert "Rating now: none → 6" in page
    assert "Was: Walking the dog every day" in page


def test_free_text_is_escaped_on_the_pages(world, login):
    plan = builders.plan(world.patient)
    version = builders.fill_draft(
        plan.versions.get(),
        what_matters=HOSTILE,
        goals=[{"description": HOSTILE, "baseline": 1, "target": 5, "current": None}],
    )
    services.agree_version(actor=world.clinician, version=version)
    builders.trial(plan, dose=HOSTILE)
    for user, url in (
        (world.clinician, f"/care-plans/patients/{world.patient.uuid}/"),
        (world.patient_user, "/care-plans/my/"),
    ):
        html = login(user).get(url).content.decode()
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_trial_with_a_review_before_its_start_is_refused(world, login):
    plan = builders.plan(world.patient)
    start = TODAY() - timedelta(days=3)
    response = login(world.clinician).post(
        f"/care-plans/plans/{plan.uuid}/treatments/new/",
        {
            "medicine_code": "propranolol",
            "role": "preventive",
            "dose": "40 mg",
            "started_on": start.isoformat(),
            "review_due": (start - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "The review date must be on or after the start date." in response.content.decode()
    assert not TreatmentTrial.objects.exists()


def _words(response) -> str:
    """The page's text without its tags: each run of spaces as one, none before punctuation."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode())).split())
    return re.sub(r" (?=[.,:;)])", "", text)


def _acknowledged(response) -> dict:
    """The box ticked beside the warning `response` showed, as the browser sends it back."""
    return {
        "start_warning_acknowledged": "on",
        "start_warning_shown": response.context["form"].data["start_warning_shown"],
    }


def test_the_ng193_warning_shows_and_then_the_trial_is_recorded(world, login):
    plan = builders.plan(world.patient, condition="chronic_pain")
    client = login(world.clinician)
    data = {
        "medicine_code": "pregabalin",
        "role": "pain",
        "dose": "75 mg twice a day",
        "started_on": TODAY().isoformat(),
    }
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    assert "I have read the NICE advice" not in client.get(url).content.decode()
    response = client.post(url, data)
    html = response.content.decode()
    assert "I have read the NICE advice and still want to record this medicine" in html
    assert "NICE advises not to start gabapentinoids for chronic primary pain" in html
    assert "Source: NICE NG193</p>" in html
    assert "clinical-rules.md" not in html
    assert "tick the box if you still want to record this medicine" in html
    assert not TreatmentTrial.objects.exists()
    response = client.post(url, {**data, **_acknowledged(response)})
    assert response.status_code == 302
    assert TreatmentTrial.objects.get().start_warning_acknowledged


def test_a_cgrp_antibody_started_before_3_preventives_failed_is_warned_of(world, login):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline"):
        builders.failed(plan, code)
    client = login(world.clinician)
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    data = {
        "medicine_code": "erenumab",
        "role": "preventive",
        "dose": "140 mg monthly",
        "started_on": TODAY().isoformat(),
        "baseline_headache_days": "10",
        "baseline_migraine_days": "6",
    }
    response = client.post(url, data)
    html = response.content.decode()
    assert "NICE recommends a CGRP antibody only after 3 preventive treatments have failed" in html
    assert "Here 2 preventive treatments on record have failed, and NICE asks for at least 3." in (
        html
    )
    assert "Source: NICE TA659, TA682, TA764</p>" in html
    assert "I have read the NICE advice and still want to record this medicine" in html
    assert not TreatmentTrial.objects.filter(medicine_code="erenumab").exists()
    # Ticked beside this warning, the box does not acknowledge botulinum toxin A's: the form is
    # shown again with TA260's warning and the box unticked.
    botox = {**data, "medicine_code": "botulinum_toxin_a", "dose": "155 units"}
    response = client.post(url, {**botox, **_acknowledged(response)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "NICE recommends botulinum toxin A only after 3 preventive medicines have failed" in (
        html
    )
    assert not response.context["form"]["start_warning_acknowledged"].value()
    assert not TreatmentTrial.objects.filter(medicine_code="botulinum_toxin_a").exists()
    # Nor is a tick with no warning shown beside it taken as read.
    response = client.post(url, {**data, "start_warning_acknowledged": "on"})
    assert response.status_code == 200
    response = client.post(url, {**data, **_acknowledged(response)})
    assert response.status_code == 302
    assert TreatmentTrial.objects.get(medicine_code="erenumab").start_warning_acknowledged


def test_a_cgrp_antibody_after_3_failed_preventives_is_recorded_without_a_warning(world, login):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "topiramate"):
        builders.failed(plan, code)
    response = login(world.clinician).post(
        f"/care-plans/plans/{plan.uuid}/treatments/new/",
        {
            "medicine_code": "erenumab",
            "role": "preventive",
            "dose": "140 mg monthly",
            "started_on": TODAY().isoformat(),
            "baseline_migraine_days": "4",
        },
    )
    assert response.status_code == 302
    assert not TreatmentTrial.objects.get(medicine_code="erenumab").start_warning_acknowledged


def test_a_brand_typed_as_other_is_sent_to_its_listed_medicine_and_nices_warning(world, login):
    plan = builders.plan(world.patient, condition="chronic_pain")
    client = login(world.clinician)
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    data = {"role": "pain", "dose": "75 mg twice a day", "started_on": TODAY().isoformat()}
    for typed in ("pregabalin", "Lyrica", " lyrica  75mg "):
        html = client.post(
            url, {**data, "medicine_code": "other", "medicine_name": typed}
        ).content.decode()
        assert "Pregabalin is on the list of medicines: choose it there" in html
    assert not TreatmentTrial.objects.exists()
    response = client.post(url, {**data, "medicine_code": "pregabalin"})
    assert "NICE advises not to start gabapentinoids" in response.content.decode()
    client.post(url, {**data, "medicine_code": "pregabalin", **_acknowledged(response)})
    assert TreatmentTrial.objects.get().medicine_class == "gabapentinoid"


def test_the_review_form_records_figures_and_the_stopping_rule(world, login):
    plan = builders.plan(world.patient)
    trial = builders.trial(
        plan,
        medicine_code="erenumab",
        started_on=TODAY() - timedelta(days=90),
        start_warning_acknowledged=True,
    )
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    base = {
        "outcome": "ongoing",
        "review_due": (TODAY() + timedelta(days=28)).isoformat(),
        "baseline_headache_days": "12",
        "baseline_migraine_days": "10",
        "month3_headache_days": "8",
    }
    bad = client.post(url, {**base, "month3_migraine_days": "9", "month3_headache_days": "8"})
    assert "Migraine days cannot be more than headache days at 12 weeks." in bad.content.decode()
    bad = client.post(url, {**base, "month3_migraine_days": "40"})
    assert "as a number from 0 to 31" in bad.content.decode()
    assert client.post(url, {**base, "month3_migraine_days": "5.01"}).status_code == 302
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Erenumab: stop (12-week response not met)" in page


def _erenumab_at(patient, days_ago, **figures):
    return builders.trial(
        builders.plan(patient),
        medicine_code="erenumab",
        started_on=TODAY() - timedelta(days=days_ago),
        start_warning_acknowledged=True,
        **figures,
    )


def test_the_review_form_keeps_a_cgrp_antibody_on_after_twelve_weeks_only_with_its_figure(
    world, login
):
    trial = _erenumab_at(
        world.patient, 100, baseline_headache_days=DAYS(12), baseline_migraine_days=DAYS(10)
    )
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    page = client.get(url).content.decode()
    assert 'data-prompt="cgrp_needs_figure"' in page
    assert "Erenumab: record migraine days at 12 weeks" in page
    plan_page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert 'data-prompt="cgrp_needs_figure"' in plan_page
    base = {
        "review_due": (TODAY() + timedelta(days=180)).isoformat(),
        "baseline_headache_days": "12",
        "baseline_migraine_days": "10",
    }
    for outcome in ("ongoing", "effective"):
        refused = client.post(url, {**base, "outcome": outcome})
        assert refused.status_code == 200
        body = html.unescape(refused.content.decode())
        assert 'href="#id_month3_migraine_days"' in body
        assert "Enter the migraine days a month at 12 weeks." in body
        assert "Erenumab cannot be recorded as ongoing or effective without them" in body
    trial.refresh_from_db()
    assert trial.outcome == "ongoing" and trial.month3_migraine_days is None
    assert (
        client.post(url, {**base, "outcome": "effective", "month3_migraine_days": "4"})["Location"]
        == f"/care-plans/patients/{world.patient.uuid}/#treatments"
    )
    trial.refresh_from_db()
    assert (trial.outcome, trial.month3_migraine_days) == ("effective", 4)
    page = client.get(url).content.decode()
    assert 'data-prompt="cgrp_continue"' in page
    # Emptied again, the figure is asked for again.
    again = client.post(url, {**base, "outcome": "effective", "month3_migraine_days": ""})
    assert "Enter the migraine days a month at 12 weeks." in html.unescape(again.content.decode())


def test_the_review_form_asks_for_a_cgrp_antibodys_figures_before_starting_after_twelve_weeks(
    world, login
):
    trial = _erenumab_at(world.patient, 84)
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    assert 'data-prompt="cgrp_needs_baseline"' in client.get(url).content.decode()
    data = {
        "outcome": "ongoing",
        "review_due": (TODAY() + timedelta(days=28)).isoformat(),
        "month3_migraine_days": "5",
    }
    body = html.unescape(client.post(url, data).content.decode())
    assert "Enter the headache days a month before starting." in body
    assert "Enter the migraine days a month before starting." in body
    zero = {**data, "baseline_headache_days": "12", "baseline_migraine_days": "0"}
    assert "must be above 0" in html.unescape(client.post(url, zero).content.decode())
    trial.refresh_from_db()
    assert trial.baseline_headache_days is None
    # Ended, it needs no figures; before 12 weeks, none are asked for yet.
    assert client.post(url, {"outcome": "not_tolerated"}).status_code == 302
    trial.refresh_from_db()
    assert trial.outcome == "not_tolerated"
    early = _erenumab_at(world.other_patient, 83)
    early_url = f"/care-plans/treatments/{early.uuid}/review/"
    saved = client.post(early_url, {**data, "month3_migraine_days": ""})
    assert saved["Location"] == f"/care-plans/patients/{world.other_patient.uuid}/#treatments"


def test_the_review_form_asks_for_botox_figures_for_botox_only(world, login):
    plan = builders.plan(world.patient)
    started = TODAY() - timedelta(days=100)
    trial = builders.trial(
        plan, medicine_code="botulinum_toxin_a", started_on=started, start_warning_acknowledged=True
    )
    other = builders.trial(
        plan, medicine_code="erenumab", started_on=started, start_warning_acknowledged=True
    )
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    page = client.get(url).content.decode()
    assert "Headache days a month after 2 treatment cycles" in page
    assert "Botulinum toxin type A: record headache days before the first treatment" in page
    other_page = client.get(f"/care-plans/treatments/{other.uuid}/review/").content.decode()
    assert "after 2 treatment cycles" not in other_page
    base = {
        "outcome": "ongoing",
        "review_due": (TODAY() + timedelta(days=28)).isoformat(),
        "baseline_headache_days": "20",
        "baseline_migraine_days": "10",
    }
    bad = client.post(url, {**base, "recent_month1_headache_days": "12"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "Enter the headache days in month 2, or leave all 3 months empty." in html
    assert "Enter the headache days in month 3, or leave all 3 months empty." in html
    early = client.post(url, {**base, "cycle2_headache_days": "12"}).content.decode()
    # On the field itself, linked from the summary.
    assert 'href="#id_cycle2_headache_days"' in early
    assert "24 weeks after Botulinum toxin type A started. Leave it empty until then." in early
    zero = client.post(url, {**base, "baseline_headache_days": "0", "baseline_migraine_days": "0"})
    assert "must be above 0" in zero.content.decode()
    assert "Next review date</label>" in page  # needed while it carries on: not "(optional)"
    assert client.post(url, base).status_code == 302
    page = client.get(url).content.decode()
    assert "The response check after 2 treatment cycles is not due yet." in page
    assert f"From {started + timedelta(days=168):%-d %B %Y}" in page
    months = {f"recent_month{n}_headache_days": "14" for n in (1, 2, 3)}
    assert client.post(url, {**base, **months}).status_code == 302
    plan_page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Botulinum toxin type A: stop (no longer chronic migraine)" in plan_page


def test_the_patient_reads_only_the_agreed_version(world, login):
    plan = builders.agreed_plan(world.patient)
    draft = services.start_new_version(actor=world.clinician, plan=plan)
    services.update_draft(
        actor=world.clinician, version=draft, fields={"what_matters": "Secret draft text"}
    )
    html = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "Walking the dog every day" in html and "Secret draft text" not in html
    assert "Your GP can see this plan too." in html


def test_a_pain_patient_without_leaflets_is_offered_the_pain_leaflets(world, login):
    builders.agreed_plan(world.patient, condition="chronic_pain")
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert 'href="/care-plans/leaflets/?condition=chronic_pain">information leaflets</a>' in mine


def test_a_plan_past_its_review_date_says_the_review_is_due(world, login):
    plan = builders.agreed_plan(world.patient)
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    staff = login(world.clinician).get(f"/care-plans/patients/{world.patient.uuid}/").content
    assert "This review is due" not in mine and "Overdue" not in staff.decode()
    plan.versions.filter(number=1).update(next_review_on=TODAY() - timedelta(days=3))
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "This review is due: your care team will contact you to arrange it." in mine
    assert "Overdue" not in mine
    staff = login(world.clinician).get(f"/care-plans/patients/{world.patient.uuid}/").content
    assert "(overdue)." in staff.decode() and ">Overdue</strong>" in staff.decode()


def test_a_patient_with_only_a_draft_sees_no_plan_yet(world, login):
    builders.plan(world.patient)
    html = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "will appear here once you and your care team have agreed it" in html


def test_a_gp_reads_the_plan_but_cannot_edit(world, login):
    plan = builders.agreed_plan(world.patient)
    client = login(world.gp)
    html = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Walking the dog every day" in html and "Start a new version" not in html
    assert client.post(f"/care-plans/plans/{plan.uuid}/new-version/").status_code == 404
    assert AuditEvent.objects.filter(actor=world.gp, action="view").exists()


def test_leaflets_are_attached_and_shown_to_the_patient(world, login):
    plan = builders.agreed_plan(world.patient)
    client = login(world.clinician)
    response = client.post(
        f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "topiramate", "notify": "on"}
    )
    assert response.status_code == 302
    bad = client.post(f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "nope"})
    # The tab again, its error summary leading to the question, the error beside it.
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "<title>Error: " in body and "There is a problem" in body
    assert f'href="#attach-{plan.uuid}-leaflet">Choose a leaflet from the list.</a>' in body
    assert f'id="attach-{plan.uuid}-leaflet-error"' in body
    empty = client.post(f"/care-plans/plans/{plan.uuid}/leaflets/", {})
    assert "Choose a leaflet to add." in empty.content.decode()
    html = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "Topiramate to prevent migraine" in html


def test_a_leaflet_withdrawn_from_the_library_is_not_linked_from_a_plan(world, login):
    plan = builders.agreed_plan(world.patient)
    clinician = login(world.clinician)
    clinician.post(f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "topiramate"})
    patient = login(world.patient_user)
    assert "/care-plans/my/leaflets/topiramate/" in patient.get("/care-plans/my/").content.decode()
    Leaflet.objects.filter(slug="topiramate").update(is_published=False)
    assert "Topiramate" not in patient.get("/care-plans/my/").content.decode()
    staff = clinician.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "/leaflets/topiramate/" not in staff
    assert patient.get("/care-plans/my/leaflets/topiramate/").status_code == 404
    Leaflet.objects.filter(slug="topiramate").update(is_published=True)
    assert "/care-plans/my/leaflets/topiramate/" in patient.get("/care-plans/my/").content.decode()


def test_a_pain_plan_offers_pain_and_general_leaflets_and_a_draft_tells_nobody(world, login):
    plan = builders.plan(world.patient, condition="chronic_pain")
    client = login(world.clinician)
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    picker = page.split(f'id="attach-{plan.uuid}-leaflet"', 1)[1].split("</select>", 1)[0]
    assert "Fibromyalgia" in picker and "What to expect from this service" in picker
    assert "Topiramate" not in picker and "Understanding migraine" not in picker
    # Not agreed yet: nothing to tell the patient about, and the page says when they see it.
    assert f'id="attach-{plan.uuid}-notify"' not in page
    assert "The patient can read it once the plan is agreed." in page
    refused = client.post(f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "topiramate"})
    assert "Choose a leaflet from the list." in refused.content.decode()
    client.post(
        f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "fibromyalgia", "notify": "on"}
    )
    assert plan.leaflet_links.get().leaflet.slug == "fibromyalgia"
    assert not Notification.objects.filter(kind="leaflet_added").exists()


def test_the_leaflet_library_is_public_and_filters_by_condition(client, db):
    html = client.get("/care-plans/leaflets/?condition=chronic_pain").content.decode()
    assert "Fibromyalgia" in html and "Understanding migraine" not in html
    # The leaflets for everyone come after the condition's own.
    assert html.index("Fibromyalgia") < html.index("Mental health support")
    assert "What to expect from this service" in html
    general = client.get("/care-plans/leaflets/?condition=general").content.decode()
    assert "Mental health support" in general and "Fibromyalgia" not in general
    assert client.get("/care-plans/leaflets/?condition=<script>").status_code == 200
    assert client.get("/care-plans/leaflets/?page=999").status_code == 200
    assert client.get("/care-plans/leaflets/no-such-leaflet/").status_code == 404


def test_the_leaflet_librarys_pages_keep_the_condition_chosen(client, db, monkeypatch):
    from careplans.views import leaflets

    monkeypatch.setattr(leaflets, "LEAFLETS_PER_PAGE", 1)
    html = client.get("/care-plans/leaflets/?condition=chronic_pain").content.decode()
    assert 'href="?condition=chronic_pain&amp;page=2"' in html
    assert "Page 2 of" in html


# --- constant query counts -----------------------------------------------------------------------


def _grow(world, plan, n):
    for i in range(n):
        builders.failed(plan, "other", medicine_name=f"Medicine {i}")
    for slug in ("topiramate", "headache-diary", "fibromyalgia")[:n]:
        builders.attached(plan, slug)
    draft = services.start_new_version(actor=world.clinician, plan=plan)
    builders.fill_draft(draft)
    services.agree_version(actor=world.clinician, version=draft)


def _count(django_assert_max_num_queries, client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["clinician", "patient_user"])
def test_plan_pages_run_a_constant_number_of_queries(
    world, login, who, django_assert_max_num_queries
):
    plan = builders.agreed_plan(world.patient)
    client = login(getattr(world, who))
    url = (
        "/care-plans/my/"
        if who == "patient_user"
        else f"/care-plans/patients/{world.patient.uuid}/"
    )
    _grow(world, plan, 1)
    small = _count(django_assert_max_num_queries, client, url)
    _grow(world, plan, 3)
    large = _count(django_assert_max_num_queries, client, url)
    assert large == small


def test_the_leaflet_list_runs_a_constant_number_of_queries(client, db, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count for the paginator, and the page
        assert client.get("/care-plans/leaflets/").status_code == 200


def test_the_leaflet_filter_marks_the_one_shown_for_screen_readers(client, db):
    body = client.get("/care-plans/leaflets/").content.decode()
    assert '<strong aria-current="true">All</strong>' in body
    body = client.get("/care-plans/leaflets/?condition=headache").content.decode()
    assert '<strong aria-current="true">Headache</strong>' in body
    assert '<strong aria-current="true">All</strong>' not in body


# --- two tabs: a save based on an out-of-date copy is refused -----------------------------------


def _based_on(response) -> str:
    return response.context["form"]["based_on"].value()


def test_a_row_removed_in_another_tab_does_not_trap_the_other_tabs_save(world, login):
    draft = builders.fill_draft(builders.plan(world.patient).versions.get())
    goal = Goal.objects.get(version=draft)
    client = login(world.clinician)
    url = f"/care-plans/versions/{draft.uuid}/edit/"
    tab1, tab2 = _based_on(client.get(url)), _based_on(client.get(url))
    existing = {
        **management("goals", 1, 1),
        "goals-0-id": str(goal.pk),
        "goals-0-version": str(draft.pk),
        "goals-0-description": goal.description,
        "goals-0-baseline": "3",
        "goals-0-target": "7",
    }
    # Tab 1 removes the goal.
    removed = draft_post(**existing, **{"goals-0-DELETE": "on"}, based_on=tab1)
    assert client.post(url, removed).status_code == 302
    assert not Goal.objects.filter(version=draft).exists()
    # Tab 2, still showing it, saves new words: refused as changed meanwhile, not as a
    # broken row, with what was typed kept, the goal among it as a new row.
    typed = draft_post(**existing, what_matters="Back at work by spring", based_on=tab2)
    response = client.post(url, typed)
    html = response.content.decode()
    assert "not one of the available choices" not in html
    assert "since you opened it. Your changes have not been saved." in html
    assert "Back at work by spring" in html
    assert 'name="goals-INITIAL_FORMS" value="0"' in html
    assert f'value="{goal.description}"' in html
    # Saving again, having seen it, keeps the goal as typed.
    assert (
        client.post(
            url,
            {
                **typed,
                **management("goals", 1, 0),
                "goals-0-id": "",
                "based_on": _based_on(response),
            },
        ).status_code
        == 302
    )
    draft.refresh_from_db()
    assert draft.what_matters == "Back at work by spring"
    assert Goal.objects.filter(version=draft, description=goal.description).exists()


def test_a_save_from_a_stale_tab_is_refused_and_keeps_what_was_typed(world, login):
    draft = builders.fill_draft(builders.plan(world.patient).versions.get())
    goal = Goal.objects.get(version=draft)
    client = login(world.clinician)
    url = f"/care-plans/versions/{draft.uuid}/edit/"
    tab1, tab2 = _based_on(client.get(url)), _based_on(client.get(url))
    assert tab1 == tab2
    existing = {
        **management("goals", 1, 1),
        "goals-0-id": str(goal.pk),
        "goals-0-version": str(draft.pk),
        "goals-0-description": "Walk the dog",
        "goals-0-baseline": "3",
        "goals-0-target": "7",
    }
    first = draft_post(**existing, what_matters="Back to work", based_on=tab1)
    assert client.post(url, first).status_code == 302

    second = draft_post(
        **existing,
        what_matters="Walking the dog every day",
        wellbeing_notes="Talking therapies",
        based_on=tab2,
    )
    response = client.post(url, second)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "<title>Error: " in html
    assert "This draft was changed by you in another tab or window at " in html
    assert "since you opened it. Your changes have not been saved." in html
    assert "What the saved draft says now" in html and "Back to work" in html
    assert ">\nTalking therapies</textarea>" in html  # what they typed is kept
    draft.refresh_from_db()
    assert (draft.what_matters, draft.wellbeing_notes) == ("Back to work", "")

    # The form now carries the saved copy: saving it again is a deliberate choice.
    again = _based_on(response)
    assert again != tab2
    assert client.post(url, {**second, "based_on": again}).status_code == 302
    draft.refresh_from_db()
    assert draft.wellbeing_notes == "Talking therapies"


def test_saving_again_after_a_refusal_replaces_the_draft_with_the_form(world, login):
    draft = builders.plan(world.patient).versions.get()
    client = login(world.clinician)
    url = f"/care-plans/versions/{draft.uuid}/edit/"
    tab1, tab2 = _based_on(client.get(url)), _based_on(client.get(url))
    first = draft_post(**{"goals-0-description": "T1 goal"}, based_on=tab1)
    assert client.post(url, first).status_code == 302
    second = draft_post(**{"goals-0-description": "T2 goal"}, based_on=tab2)
    refused = client.post(url, second)
    assert "replace it with what is in the form" in refused.content.decode()
    assert client.post(url, {**second, "based_on": _based_on(refused)}).status_code == 302
    assert list(Goal.objects.filter(version=draft).values_list("description", flat=True)) == [
        "T2 goal"
    ]


def test_a_goal_edited_in_a_stale_tab_is_refused(world, login):
    draft = builders.fill_draft(builders.plan(world.patient).versions.get())
    goal = Goal.objects.get(version=draft)
    client = login(world.clinician)
    url = f"/care-plans/versions/{draft.uuid}/edit/"
    stale = _based_on(client.get(url))
    services.update_draft(
        actor=world.clinician,
        version=draft,
        fields={},
        items={"goals": [services.ItemChange(pk=goal.pk, data={"current": 6})]},
    )
    data = draft_post(
        **management("goals", 1, 1),
        **{"goals-0-id": str(goal.pk), "goals-0-version": str(draft.pk)},
        **{"goals-0-description": "Walk the dog", "goals-0-current": "4", "based_on": stale},
    )
    html = client.post(url, data).content.decode()
    assert "Your changes have not been saved." in html
    assert "Walk the dog (start 3, target 7, now 6)" in html
    goal.refresh_from_db()
    assert goal.current == 6


def test_a_broken_draft_token_asks_for_a_reload(world, login):
    draft = builders.plan(world.patient).versions.get()
    response = login(world.clinician).post(
        f"/care-plans/versions/{draft.uuid}/edit/", draft_post(based_on="yesterday")
    )
    assert response.status_code == 200
    assert "The form was out of date. Reload the page and try again." in response.content.decode()
    draft.refresh_from_db()
    assert draft.what_matters == ""


def test_agreeing_a_draft_changed_since_the_page_opened_shows_it_again(world, login):
    draft = builders.fill_draft(builders.plan(world.patient).versions.get())
    client = login(world.clinician)
    url = f"/care-plans/versions/{draft.uuid}/agree/"
    shown = _based_on(client.get(url))
    services.update_draft(actor=world.clinician, version=draft, fields={"what_matters": "Swim"})
    response = client.post(url, {"confirm": "on", "based_on": shown})
    html = response.content.decode()
    assert "since you opened it. The plan has not been agreed." in html
    assert "Swim" in html  # the page shows the draft as saved now
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert client.post(url, {"confirm": "on", "based_on": _based_on(response)}).status_code == 302


def test_a_trial_review_from_a_stale_tab_is_refused(world, login):
    trial = builders.trial(builders.plan(world.patient))
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    stale = _based_on(client.get(url))
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})
    response = client.post(
        url,
        {
            "outcome": "effective",
            "review_due": (TODAY() + timedelta(days=30)).isoformat(),
            "based_on": stale,
        },
    )
    html = response.content.decode()
    assert "This treatment was changed by you in another tab or window at " in html
    assert "Your review has not been saved." in html
    assert "What the saved review says now" in html and "Not tolerated" in html
    trial.refresh_from_db()
    assert trial.outcome == "not_tolerated"


# --- the next review date of a trial review -----------------------------------------------------


def _overdue_trial(world):
    started = TODAY() - timedelta(days=120)
    return builders.trial(builders.plan(world.patient), started_on=started)


def test_the_patients_plan_gives_the_date_an_overdue_check_was_due_and_whom_to_contact(
    world, login
):
    trial = _overdue_trial(world)
    services.agree_version(
        actor=world.clinician, version=builders.fill_draft(trial.plan.versions.get(number=1))
    )
    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert (
        f"The check of how it is working was due on {trial.review_due:%-d %B %Y}: if the team "
        "has not been in touch about it, contact them." in mine
    )
    assert "We will check how it is working" not in mine


def test_a_failed_trial_needs_no_next_review_date(world, login):
    trial = _overdue_trial(world)
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    form = client.get(url).context["form"]
    assert form["review_due"].value() is None  # the passed date is not offered as the next one
    response = client.post(url, {"outcome": "ineffective", "adequate_trial": "yes"})
    assert response.status_code == 302
    saved = TreatmentTrial.objects.get(pk=trial.pk)
    assert saved.outcome == "ineffective" and saved.review_due == trial.review_due
    (event,) = AuditEvent.objects.filter(object_uuid=trial.uuid, action="update")
    assert "review_due" not in event.fields


@pytest.mark.parametrize("outcome", ["ineffective", "ongoing"])
def test_a_next_review_date_in_the_past_is_refused(world, login, outcome):
    trial = _overdue_trial(world)
    response = login(world.clinician).post(
        f"/care-plans/treatments/{trial.uuid}/review/",
        {"outcome": outcome, "review_due": (TODAY() - timedelta(days=94)).isoformat()},
    )
    assert response.status_code == 200
    assert "The next review date must be today or later." in response.content.decode()
    assert TreatmentTrial.objects.get(pk=trial.pk).outcome == "ongoing"


@pytest.mark.parametrize("outcome", ["ongoing", "effective"])
def test_a_treatment_that_carries_on_needs_a_next_review_date(world, login, outcome):
    trial = _overdue_trial(world)
    response = login(world.clinician).post(
        f"/care-plans/treatments/{trial.uuid}/review/", {"outcome": outcome}
    )
    assert response.status_code == 200
    assert "Enter the next review date. It is needed while the treatment carries on." in (
        response.content.decode()
    )
    assert TreatmentTrial.objects.get(pk=trial.pk).outcome == "ongoing"


def test_a_treatment_started_before_the_referral_says_it_is_an_existing_medicine(world, login):
    plan = builders.plan(world.patient)
    started = timezone.localdate(plan.episode.opened_at) - timedelta(days=30)
    response = login(world.clinician).post(
        f"/care-plans/plans/{plan.uuid}/treatments/new/",
        {
            "medicine_code": "propranolol",
            "role": "preventive",
            "dose": "40 mg",
            "started_on": started.isoformat(),
        },
        follow=True,
    )
    html = response.content.decode()
    assert "It started before the referral, so it is recorded as a medicine Alice already" in html
    assert "taken before the plan" in html
    assert TreatmentTrial.objects.get().already_taking


def test_the_frequency_line_says_a_failed_trials_figures_are_not_the_diary(world, login):
    from decimal import Decimal

    plan = builders.plan(world.patient)
    started = timezone.localdate() - timedelta(days=90)
    trial = builders.trial(
        plan, medicine_code="topiramate", started_on=started, review_due=started + timedelta(84)
    )
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={
            "outcome": "ineffective",
            "adequate_trial": True,
            "month3_headache_days": Decimal(8),
            "month3_migraine_days": Decimal(5),
        },
    )
    html = login(world.clinician).get(f"/care-plans/patients/{world.patient.uuid}/")
    html = html.content.decode()
    assert "Migraine days a month: 5.00" not in html
    assert (
        "Last recorded on a treatment, not from the diary: 5.00 migraine days a month and 8.00 "
        "headache days a month, at 12 weeks on Topiramate, about "
        f"{started + timedelta(84):%-d %B %Y}. This may not be how often headaches happen now"
    ) in html


HEADACHE_DAYS = {
    "baseline_headache_days",
    "baseline_migraine_days",
    "month3_headache_days",
    "month3_migraine_days",
}


@pytest.mark.parametrize(
    ("condition", "trial", "asked", "not_asked"),
    [
        # Recommended for chronic primary pain: none of NICE's review, morphine or headache days.
        (
            "chronic_pain",
            {"medicine_code": "amitriptyline", "role": "pain"},
            set(),
            {"review_decision", "daily_morphine_equivalent_mg", *HEADACHE_DAYS},
        ),
        # An opioid already taken for chronic pain: NICE's review and its morphine equivalent.
        (
            "chronic_pain",
            {"medicine_code": "morphine", "role": "pain", "already_taking": True},
            {"review_decision", "daily_morphine_equivalent_mg"},
            HEADACHE_DAYS,
        ),
        # Gabapentin for chronic pain: NICE's review, no morphine equivalent.
        (
            "chronic_pain",
            {"medicine_code": "gabapentin", "role": "pain", "already_taking": True},
            {"review_decision"},
            {"daily_morphine_equivalent_mg", *HEADACHE_DAYS},
        ),
        # A headache preventive: the headache and migraine days, nothing about NICE's review.
        (
            "headache",
            {"medicine_code": "topiramate", "role": "preventive"},
            HEADACHE_DAYS,
            {"review_decision", "daily_morphine_equivalent_mg"},
        ),
    ],
)
def test_a_trial_review_asks_only_what_applies_to_the_medicine(
    world, login, condition, trial, asked, not_asked
):
    made = builders.trial(builders.plan(world.patient, condition=condition), **trial)
    response = login(world.clinician).get(f"/care-plans/treatments/{made.uuid}/review/")
    fields = set(response.context["form"].fields)
    assert asked <= fields
    assert not (not_asked & fields)
    assert {"outcome", "notes"} <= fields


def test_a_figure_recorded_before_stays_on_the_review_form(world, login):
    made = builders.trial(
        builders.plan(world.patient, condition="chronic_pain"),
        medicine_code="amitriptyline",
        role="pain",
    )
    TreatmentTrial.objects.filter(pk=made.pk).update(baseline_headache_days=12)
    response = login(world.clinician).get(f"/care-plans/treatments/{made.uuid}/review/")
    assert set(response.context["form"].fields) >= HEADACHE_DAYS


def _draft_with_medicine_for_attacks(
    world, client, medication_class, medicine, condition="headache"
):
    """A plan's draft with one medicine for attacks saved; returns the draft."""
    draft = builders.plan(world.patient, condition=condition).versions.get()
    builders.seen(draft.plan.episode)
    row = {
        **management("acute"),
        "acute-0-medication_class": medication_class,
        "acute-0-medicine": medicine,
    }
    client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row, add_more="1"))
    return draft


def test_an_opioid_for_attacks_in_a_headache_plan_carries_nices_warning_for_the_team(world, login):
    client = login(world.clinician)
    draft = _draft_with_medicine_for_attacks(world, client, "opioid", "Codeine 30mg")
    edit = f"/care-plans/versions/{draft.uuid}/edit/"
    warning = "NICE advises not to offer opioids for migraine or tension-type headache"
    assert warning in client.get(edit).content.decode()
    assert warning in client.get(f"/care-plans/versions/{draft.uuid}/agree/").content.decode()
    client.post(f"/care-plans/versions/{draft.uuid}/agree/", {"confirm": "on"})
    draft.refresh_from_db()
    assert draft.status == "agreed"  # a warning informs; it does not block
    staff_page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Codeine 30mg" in staff_page and warning in staff_page
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "Codeine 30mg" in mine and warning not in mine


def test_a_pain_plans_painkillers_carry_no_headache_overuse_limit(world, login):
    client = login(world.clinician)
    draft = _draft_with_medicine_for_attacks(
        world, client, "simple_analgesic", "Paracetamol 1g up to 4 times a day", "chronic_pain"
    )
    builders.fill_draft(draft)
    client.post(f"/care-plans/versions/{draft.uuid}/agree/", {"confirm": "on"})
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "Paracetamol 1g up to 4 times a day" in mine
    assert "overuse headache" not in mine and "days a week" not in mine
    # On a headache plan the same painkiller keeps its limit.
    world.patient.episodes.update(condition="headache")
    assert "Use them on no more than 3 days a week" in (
        login(world.patient_user).get("/care-plans/my/").content.decode()
    )


def test_medicines_for_attacks_carry_their_limit_taken_together(world, login):
    # ICHD-3 8.2.6: a painkiller on 3 days a week and a triptan on 2 others, each within its
    # own limit, add up to overuse; the plan gives the limit for them together.
    client = login(world.clinician)
    draft = builders.plan(world.patient).versions.get()
    rows = {
        **management("acute", total=2),
        "acute-0-medication_class": "simple_analgesic",
        "acute-0-medicine": "Ibuprofen 400mg",
        "acute-1-medication_class": "triptan",
        "acute-1-medicine": "Sumatriptan 50mg",
    }
    client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**rows, add_more="1"))
    builders.fill_draft(draft)
    client.post(f"/care-plans/versions/{draft.uuid}/agree/", {"confirm": "on"})
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "Sumatriptan 50mg" in mine and "Ibuprofen 400mg" in mine
    assert "Taken together: use these medicines on no more than 2 days a week in all" in mine
    # Said first, and the only limit given: each one's own (3 days a week for ibuprofen) is
    # higher, and would read as a second rule that disagrees.
    assert mine.index("Taken together:") < mine.index("Ibuprofen 400mg")
    assert "no more than 3 days a week" not in mine


def test_a_simple_painkiller_for_attacks_has_no_warning(world, login):
    client = login(world.clinician)
    draft = _draft_with_medicine_for_attacks(world, client, "simple_analgesic", "Ibuprofen 400mg")
    page = client.get(f"/care-plans/versions/{draft.uuid}/edit/").content.decode()
    assert "Ibuprofen 400mg" in page and 'data-prompt="cg150_no_opioids"' not in page


# --- a failed preventive counts only after the clinician says the trial was adequate -------------


def test_the_review_asks_about_adequacy_with_nothing_chosen_and_how_long_it_was_taken(world, login):
    plan = builders.plan(world.patient)
    started = TODAY() - timedelta(days=4)
    trial = builders.trial(plan, started_on=started, dose="80 mg a day")
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    response = client.get(url)
    form = response.context["form"]
    assert form["adequate_trial"].value() is None
    html = response.content.decode()
    assert "was it given at an adequate dose for long enough?" in html
    assert f"Propranolol is recorded as started on {started:%-d %B %Y} (4 days ago)." in html
    assert 'value="yes" checked' not in html and 'value="no" checked' not in html

    response = client.post(url, {"outcome": "ineffective"})
    assert response.status_code == 200
    assert "Say whether Propranolol was given at an adequate dose for long enough." in (
        response.content.decode()
    )
    assert TreatmentTrial.objects.get(pk=trial.pk).outcome == "ongoing"

    assert client.post(url, {"outcome": "ineffective", "adequate_trial": "no"}).status_code == 302
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Preventive treatments that have not worked: <strong>0</strong>" in page
    assert "Not an adequate trial, so not counted as a failed preventive." in page
    # The answer given is shown again on the next review, and can be changed.
    assert client.get(url).context["form"]["adequate_trial"].value() == "no"
    # Tried for 4 days, less than 12 weeks: a "yes" needs the box ticked.
    yes = {"outcome": "ineffective", "adequate_trial": "yes"}
    assert client.post(url, yes).status_code == 200
    response = client.post(url, {**yes, "short_trial_confirmed": "on"})
    assert response.status_code == 302
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Preventive treatments that have not worked: <strong>1</strong>" in page


def test_a_preventive_recorded_today_and_said_adequate_is_not_counted_until_confirmed(world, login):
    plan = builders.plan(world.patient)
    client = login(world.clinician)
    recorded = client.post(
        f"/care-plans/plans/{plan.uuid}/treatments/new/",
        {
            "medicine_code": "candesartan",
            "role": "preventive",
            "dose": "4 mg daily",
            "started_on": TODAY().isoformat(),
        },
    )
    assert recorded.status_code == 302
    trial = TreatmentTrial.objects.get()
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    form = client.get(url).context["form"]
    assert "short_trial_confirmed" in form.fields
    assert "the app takes 12 weeks as the shortest" in form["adequate_trial"].help_text

    yes = {"outcome": "ineffective", "adequate_trial": "yes"}
    response = client.post(url, yes)
    assert response.status_code == 200
    assert field_error(response, "short_trial_confirmed") == (
        "Candesartan is recorded as not working on the day it started, less than the 12 weeks "
        "the app takes as an adequate trial. Tick the box if it was an adequate trial even so, "
        "or answer no."
    )
    assert "It was an adequate trial even though it was tried for less than 12 weeks" in (
        page_text(response)
    )
    assert TreatmentTrial.objects.get().outcome == "ongoing"
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Preventive treatments that have not worked: <strong>0</strong>" in page

    assert client.post(url, {**yes, "short_trial_confirmed": "on"}).status_code == 302
    page = page_text(client.get(f"/care-plans/patients/{world.patient.uuid}/"))
    assert "Preventive treatments that have not worked: <strong>1</strong>" in page
    assert "the clinician confirmed it was an adequate trial" in page
    # Shown ticked on the next review, so that saving it again keeps it.
    assert client.get(url).context["form"]["short_trial_confirmed"].value() is True


def test_the_box_for_a_short_trial_is_not_asked_after_12_weeks(world, login):
    trial = builders.trial(builders.plan(world.patient), started_on=TODAY() - timedelta(days=84))
    client = login(world.clinician)
    url = f"/care-plans/treatments/{trial.uuid}/review/"
    assert "short_trial_confirmed" not in client.get(url).context["form"].fields
    assert client.post(url, {"outcome": "ineffective", "adequate_trial": "yes"}).status_code == 302
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Preventive treatments that have not worked: <strong>1</strong>" in page


def test_the_adequacy_question_is_only_for_a_headache_preventive(world, login):
    made = builders.trial(
        builders.plan(world.patient, condition="chronic_pain"),
        medicine_code="amitriptyline",
        role="pain",
    )
    client = login(world.clinician)
    url = f"/care-plans/treatments/{made.uuid}/review/"
    assert "adequate_trial" not in client.get(url).context["form"].fields
    assert client.post(url, {"outcome": "ineffective"}).status_code == 302


# --- the oral morphine equivalent is for opioids only --------------------------------------------


def _record_treatment(client, plan, **fields):
    """Post the "Record a treatment" form: propranolol 80 mg started 4 days ago, but for
    `fields`."""
    data = {
        "medicine_code": "propranolol",
        "role": "preventive",
        "dose": "80 mg",
        "started_on": (TODAY() - timedelta(days=4)).isoformat(),
        **fields,
    }
    return client.post(f"/care-plans/plans/{plan.uuid}/treatments/new/", data)


MORPHINE = {
    "medicine_code": "morphine",
    "role": "pain",
    "dose": "20 mg twice a day",
    "started_on": (TODAY() - timedelta(days=400)).isoformat(),
}


def test_a_morphine_equivalent_for_propranolol_is_refused_beside_the_field(world, login):
    plan = builders.plan(world.patient)
    response = _record_treatment(login(world.clinician), plan, daily_morphine_equivalent_mg="50")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["daily_morphine_equivalent_mg"] == [
        "Propranolol is not an opioid. Leave the oral morphine equivalent blank: it is recorded "
        "only for opioids."
    ]
    assert not TreatmentTrial.objects.exists()


@pytest.mark.parametrize("typed", ["2000.1", "999999", "12345678", "40.25", "-1"])
def test_a_morphine_equivalent_out_of_range_is_refused_in_plain_words(world, login, typed):
    plan = builders.plan(world.patient, condition="chronic_pain")
    response = _record_treatment(
        login(world.clinician), plan, **MORPHINE, daily_morphine_equivalent_mg=typed
    )
    assert response.context["form"].errors["daily_morphine_equivalent_mg"] == [
        "Enter the oral morphine equivalent as a number of mg a day, from 0 to 2,000, with at "
        "most one decimal place."
    ]
    assert not TreatmentTrial.objects.exists()


@pytest.mark.parametrize(
    ("days", "error"),
    [(551, "The review date must be within 18 months. Check the year."), (550, None), (-3, None)],
)
def test_a_new_treatments_review_date_is_at_most_18_months_ahead(world, login, days, error):
    plan = builders.plan(world.patient)
    response = _record_treatment(
        login(world.clinician),
        plan,
        started_on=(TODAY() - timedelta(days=90)).isoformat(),
        review_due=(TODAY() + timedelta(days=days)).isoformat(),
    )
    if error:
        assert response.context["form"].errors["review_due"] == [error]
        assert not TreatmentTrial.objects.exists()
        with pytest.raises(services.CarePlanError, match="within 18 months"):
            builders.trial(plan, review_due=TODAY() + timedelta(days=days))
    else:
        # A date passed is kept: the treatment started a while ago and its review is due.
        assert response.status_code == 302
        assert TreatmentTrial.objects.get().review_due == TODAY() + timedelta(days=days)


def test_an_opioids_morphine_equivalent_is_recorded_and_shown(world, login):
    plan = builders.plan(world.patient, condition="chronic_pain")
    client = login(world.clinician)
    response = _record_treatment(client, plan, **MORPHINE, daily_morphine_equivalent_mg="40")
    assert response.status_code == 302
    trial = TreatmentTrial.objects.get()
    html = client.get(f"/care-plans/treatments/{trial.uuid}/reductions/new/").content.decode()
    assert "At the start: 20 mg twice a day (40.0 mg oral morphine a day)." in html
    assert "daily_morphine_equivalent_mg" in html


def test_a_morphine_equivalent_is_never_shown_or_asked_for_a_medicine_that_is_not_an_opioid(
    world, login
):
    plan = builders.plan(world.patient)
    trial = builders.trial(plan, dose="80 mg")
    # An older record holds one (saved before it was refused).
    TreatmentTrial.objects.filter(pk=trial.pk).update(daily_morphine_equivalent_mg=50)
    client = login(world.clinician)
    reduce_url = f"/care-plans/treatments/{trial.uuid}/reductions/new/"
    response = client.get(reduce_url)
    html = response.content.decode()
    assert "At the start: 80 mg. Record each step" in html
    assert "oral morphine" not in html.lower()
    assert "daily_morphine_equivalent_mg" not in response.context["form"].fields
    review = client.get(f"/care-plans/treatments/{trial.uuid}/review/")
    assert "daily_morphine_equivalent_mg" not in review.context["form"].fields
    # A posted figure is ignored, not saved: the field is not on the form.
    assert (
        client.post(
            reduce_url,
            {
                "step": "reduced",
                "reduced_on": TODAY().isoformat(),
                "dose": "40 mg",
                "daily_morphine_equivalent_mg": "25",
            },
        ).status_code
        == 302
    )
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Reducing Propranolol:" in page and "oral morphine" not in page


# --- dates that make no sense ------------------------------------------------------------------


def test_a_by_when_date_in_the_past_is_refused_on_the_draft(world, login):
    draft = builders.plan(world.patient).versions.get()
    client = login(world.clinician)
    row = {
        **management("who"),
        "who-0-owner": "team",
        "who-0-person": "Sam Taylor, nurse",
        "who-0-action": "Check the diary",
        "who-0-due_on": "2020-01-01",
    }
    response = client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row))
    assert response.status_code == 200
    html = response.content.decode()
    assert "New responsibility: The date in &#x27;By when&#x27; must be today or later." in html
    assert not draft.responsibilities.exists()
    row["who-0-due_on"] = TODAY().isoformat()
    response = client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row))
    assert response.status_code == 302
    assert draft.responsibilities.get().due_on == TODAY()


def test_a_medicine_taken_long_before_the_referral_is_not_overdue_the_day_it_is_recorded(
    world, login
):
    plan = builders.plan(world.patient)
    response = login(world.clinician).post(
        f"/care-plans/plans/{plan.uuid}/treatments/new/",
        {
            "medicine_code": "propranolol",
            "role": "preventive",
            "dose": "40 mg",
            "started_on": "2020-01-01",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "It started before the referral, so it is recorded as a medicine Alice already" in html
    assert "Overdue" not in html
    trial = TreatmentTrial.objects.get()
    assert trial.already_taking and trial.review_due == TODAY() + timedelta(days=84)


def test_the_patient_is_told_a_medicine_that_works_is_still_checked(world, login):
    plan = builders.agreed_plan(world.patient)
    working = builders.trial(plan, dose="80 mg a day")
    next_review = timezone.localdate() + timedelta(days=180)
    services.review_trial(
        actor=world.clinician,
        trial=working,
        data={"outcome": "effective", "review_due": next_review},
    )
    html = login(world.patient_user).get("/care-plans/my/").content.decode()
    text = " ".join(html.split())
    assert (
        "<strong>Propranolol</strong> (to prevent headaches): 80 mg a day. This is helping." in text
    )
    assert f"We will check how it is working by {next_review:%-d %B %Y}." in text


def test_the_patients_plan_page_gives_the_warning_signs_the_pdf_gives(world, login):
    plan = builders.agreed_plan(world.patient)
    html = login(world.patient_user).get("/care-plans/my/").content.decode()
    pdf_html = services.request_careplan_pdf(
        actor=world.patient_user, version=plan.versions.get(number=1)
    ).html
    for text in ("When to get help", "<li>you have a sudden, very bad headache that reaches its "
                 "worst within 5 minutes</li>", "<strong>Call 111</strong>",
                 "if your headaches change or get much worse",
                 "Samaritans at any time on 116 123"):  # fmt: skip
        assert text in html, text
        assert text in pdf_html, text
    for text in ("back pain", "chest pain"):  # a headache patient: the headache signs only
        assert text not in html and text not in pdf_html
    assert "nhsuk-card--care--urgent" in html
    # Before any plan is agreed too.
    builders.plan(world.other_patient)
    other = login(world.other_patient_user).get("/care-plans/my/").content.decode()
    assert "<strong>Call 999</strong>" in other


def test_a_chronic_pain_patient_is_given_the_warning_signs_of_pain(world, login):
    from tests.factories import EpisodeFactory

    plan = builders.agreed_plan(world.patient)
    world.patient.episodes.update(condition="chronic_pain")
    plan.episode.refresh_from_db()
    html = login(world.patient_user).get("/care-plans/my/").content.decode()
    pdf_html = services.request_careplan_pdf(
        actor=world.patient_user, version=plan.versions.get(number=1)
    ).html
    for page in (html, pdf_html):
        assert (
            "numbness or tingling around your genitals or bottom, difficulty peeing, or loss "
            "of bladder or bowel control" in page
        )
        assert "<li>you have chest pain</li>" in page
        assert (
            "if your pain changes or gets much worse, you have pain with a high temperature" in page
        )
        assert "very bad headache" not in page
        assert "cannot keep yourself safe" in page
    # On both pathways: both.
    EpisodeFactory(patient=world.patient, condition="headache")
    both = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "very bad headache" in both and "back pain" in both


def test_the_patient_reads_their_goal_scores_in_plain_words(world, login):
    builders.agreed_plan(world.patient)  # one goal, 3 at the start, aiming for 7
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "The average of your goal scores, from 0 to 10: 3 at the start, aiming for 7." in mine
    assert "PSFS" not in mine
    staff = login(world.clinician).get(f"/care-plans/patients/{world.patient.uuid}/")
    assert "Average score (PSFS): 3.00 at the start, target 7.00." in staff.content.decode()


def test_a_pain_plans_treatment_form_asks_no_headache_days(world, login):
    client = login(world.clinician)
    pain = builders.plan(world.patient, condition="chronic_pain")
    page = client.get(f"/care-plans/plans/{pain.uuid}/treatments/new/").content.decode()
    assert 'name="baseline_headache_days"' not in page
    assert 'name="baseline_migraine_days"' not in page
    headache = builders.plan(world.other_patient)
    page = client.get(f"/care-plans/plans/{headache.uuid}/treatments/new/").content.decode()
    assert 'name="baseline_headache_days"' in page
    # Sent anyway, they are not recorded on a pain plan.
    _record_treatment(
        client,
        pain,
        medicine_code="amitriptyline",
        role="pain",
        baseline_headache_days="12",
        start_warning_acknowledged="on",
    )
    assert TreatmentTrial.objects.get(plan=pain).baseline_headache_days is None


def _tramadol_taken_at_referral(world):
    """Tramadol the chronic-pain patient was already taking, started 100 days ago."""
    return builders.trial(
        builders.plan(world.patient, condition="chronic_pain"),
        medicine_code="tramadol",
        role="pain",
        already_taking=True,
        started_on=timezone.localdate() - timedelta(days=100),
    )


def test_the_reduction_page_lists_the_steps_and_removes_the_latest_when_typed_wrongly(world, login):
    from django.urls import reverse

    trial = _tramadol_taken_at_referral(world)
    step = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "stopped", "reduced_on": timezone.localdate()},
    )
    url = reverse("careplans:reduction-add", kwargs={"trial_uuid": trial.uuid})
    client = login(world.clinician)
    page = client.get(url).content.decode()
    assert "Steps recorded" in page and "Stopped" in page
    assert "has stopped, so no further steps can be recorded" in page
    assert f'name="step" value="{step.uuid}"' in page
    done = client.post(url, {"action": "remove", "step": str(step.uuid)}, follow=True)
    body = done.content.decode()
    assert "is marked as entered in error. Tramadol is recorded as ongoing again." in body
    # The stop was its only step: the decision it made goes too.
    assert "The review decision is no longer to reduce and stop: none is recorded." in body
    assert "Record a step" in body and "None yet." in body
    trial.refresh_from_db()
    assert trial.outcome == "ongoing"
    # The same button pressed again from the old page changes nothing more.
    again = client.post(url, {"action": "remove", "step": str(step.uuid)}, follow=True)
    assert "changed since the page was opened" in again.content.decode()


def test_removing_a_wrong_stop_of_a_working_medicine_records_it_as_working_again(world, login):
    from django.urls import reverse

    trial = builders.trial(
        builders.agreed_plan(world.patient),
        medicine_code="amitriptyline",
        started_on=TODAY() - timedelta(days=100),
    )
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=90)},
    )
    step = services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    url = reverse("careplans:reduction-add", kwargs={"trial_uuid": trial.uuid})
    client = login(world.clinician)
    page = client.get(url).content.decode()
    assert "and Amitriptyline is recorded as effective again, as before the stop." in page
    done = client.post(url, {"action": "remove", "step": str(step.uuid)}, follow=True)
    assert "Amitriptyline is recorded as effective again." in done.content.decode()
    trial.refresh_from_db()
    assert trial.outcome == "effective"
    plan_page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "Effective" in plan_page and "Ongoing" not in plan_page


def test_a_working_medicine_offers_its_reduction_steps(world, login):
    from django.urls import reverse

    trial = _tramadol_taken_at_referral(world)
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "effective", "review_due": timezone.localdate() + timedelta(days=90)},
    )
    client = login(world.clinician)
    plan_page = client.get(
        reverse("careplans:patient-plan", kwargs={"patient_uuid": world.patient.uuid})
    )
    assert "Reduce or stop<span" in plan_page.content.decode()
    url = reverse("careplans:reduction-add", kwargs={"trial_uuid": trial.uuid})
    assert "Record a step" in client.get(url).content.decode()


def test_a_treatment_recorded_by_mistake_is_marked_so_from_its_review_page(world, login):
    from django.urls import reverse

    plan = builders.agreed_plan(world.patient)
    trial = builders.trial(plan)
    url = reverse("careplans:trial-review", kwargs={"trial_uuid": trial.uuid})
    client = login(world.clinician)
    assert "This treatment was recorded by mistake" in client.get(url).content.decode()
    page = client.post(url, {"action": "entered_in_error"}, follow=True).content.decode()
    assert (
        f"{trial.display_name} is marked as entered in error and is no longer on the plan." in page
    )
    trial.refresh_from_db()
    assert trial.entered_in_error
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("chosen", "medicine"),
    [
        ("simple_analgesic", "Sumatriptan 100 mg"),
        ("combination_analgesic", "Maxalt Melt 10mg"),
        ("triptan", "Cafergot 1 tablet"),
        ("simple_analgesic", "Co-codamol 30/500"),
        ("simple_analgesic", "Codeine 30 mg"),
    ],
)
def test_a_triptan_or_ergotamine_named_under_another_type_is_refused(
    world, login, chosen, medicine
):
    # The type sets the overuse limit the patient reads: a triptan under "simple painkillers"
    # would be given 3 days a week instead of 2.
    client = login(world.clinician)
    draft = builders.plan(world.patient).versions.get()
    row = {
        **management("acute"),
        "acute-0-medication_class": chosen,
        "acute-0-medicine": medicine,
    }
    response = client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row))
    page = response.content.decode()
    named = {
        "Cafergot": "ergotamine",
        "Co-codamol": "combination painkillers (such as co-codamol)",
        "Codeine": "opioid painkillers (such as codeine)",
    }.get(medicine.split()[0], "triptans")
    assert f"{medicine} is one of the {named}: choose that type" in page
    assert not draft.acute_treatments.exists()


def test_the_patient_reads_what_each_medicine_is_for(world, login):
    care_plan = builders.agreed_plan(world.patient)
    builders.trial(care_plan, medicine_code="propranolol", role="preventive")
    builders.trial(care_plan, medicine_code="other", medicine_name="Rizatriptan", role="acute")
    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert "<h3>My medicines</h3>" in mine
    assert "<strong>Propranolol</strong> (to prevent headaches):" in mine
    assert "<strong>Rizatriptan</strong> (for headache attacks):" in mine


def test_a_chronic_pain_plan_asks_in_its_own_words(world, login):
    draft = builders.plan(world.patient, condition="chronic_pain").versions.get()
    client = login(world.clinician)
    page = client.get(f"/care-plans/versions/{draft.uuid}/edit/").content.decode()
    assert "Plan for pain flare-ups" in page
    assert "headache" not in page.lower().split("plan for pain flare-ups")[1].split("</label>")[0]
    assert 'value="triptan"' not in page and 'value="ergot"' not in page
    assert "Why this version changed" not in page  # version 1 changed from nothing
    row = {
        **management("acute"),
        "acute-0-medication_class": "triptan",
        "acute-0-medicine": "Sumatriptan 50mg",
    }
    client.post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row))
    assert not draft.acute_treatments.exists()
    form = client.get(f"/care-plans/plans/{draft.plan.uuid}/treatments/new/")
    assert form.status_code == 200
    assert "Acute headache treatment" not in form.content.decode()
    assert "Headache prevention" not in form.content.decode()


def _diary(patient, days, flags):
    from diaries.models import DiaryEntry
    from tests.diaries import builders as diary_builders

    # From yesterday back: today may not be written up yet, and is not needed.
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(patient, diary_builders.days_ago(n), **flags(n))
        for n in range(1, days + 1)
    )


def test_the_nice_prompts_are_judged_on_a_full_90_day_diary(world, login):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    # Migraine with a triptan every third day: 10 migraine days and 10 triptan days a month.
    _diary(
        world.patient,
        90,
        lambda n: {"headache": True, "migraine": n % 3 == 0, "took_triptan": n % 3 == 0},
    )
    page = login(world.clinician).get(f"/care-plans/patients/{world.patient.uuid}/")
    html = page.content.decode()
    assert "Consider a CGRP antibody or specialist referral" in html
    assert "Migraine days a month: 10.00, headache days a month: 30.00, from the diary" in html
    assert "The diary shows medication overuse" in html and "(ICHD-3 8.2.2)" in html


def test_botulinum_toxin_is_judged_on_the_diary_and_its_overuse_when_no_figure_is_typed(
    world, login
):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    # Headache every day, migraine with a triptan every third: chronic migraine, and triptan
    # overuse (10 days a month).
    _diary(
        world.patient,
        90,
        lambda n: {"headache": True, "migraine": n % 3 == 0, "took_triptan": n % 3 == 0},
    )
    client = login(world.clinician)
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    data = {
        "medicine_code": "botulinum_toxin_a",
        "role": "preventive",
        "dose": "155 units every 12 weeks",
        "started_on": TODAY().isoformat(),
    }
    html = _words(client.post(url, data))
    assert "NICE asks for medication overuse to be managed before botulinum toxin A" in html
    assert re.search(
        r"Here the diary for the 90 days to \d+ \w+ \d{4} shows medication overuse\.", html
    )
    assert "not chronic migraine" not in html  # 30 headache and 10 migraine days a month
    # With too few migraine days typed, those are judged instead of the diary's.
    html = _words(client.post(url, {**data, "baseline_migraine_days": "5"}))
    assert "migraine is on 5 days a month before starting, which is not chronic migraine" in html


def test_a_cgrp_antibody_or_botulinum_toxin_is_recorded_only_to_prevent_headaches(world, login):
    plan = builders.plan(world.patient)
    client = login(world.clinician)
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    for code, name in (("erenumab", "Erenumab"), ("botulinum_toxin_a", "Botulinum toxin type A")):
        html = _words(
            client.post(
                url,
                {"medicine_code": code, "role": "acute", "dose": "1", "started_on": TODAY()},
            )
        )
        assert f"{name} prevents headaches: record it as headache prevention." in html
    assert not TreatmentTrial.objects.exists()


def test_a_tick_sent_with_another_problem_is_asked_for_again(world, login):
    plan = builders.plan(world.patient)
    client = login(world.clinician)
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    data = {
        "medicine_code": "erenumab",
        "role": "preventive",
        "dose": "140 mg monthly",
        "started_on": TODAY().isoformat(),
    }
    warned = client.post(url, data)
    response = client.post(url, {**data, **_acknowledged(warned), "dose": ""})
    assert "start_warning_acknowledged" not in response.context["form"].fields
    assert "I have read the NICE advice" not in response.content.decode()
    response = client.post(url, {**data, "start_warning_shown": warned.context["form"].data[
        "start_warning_shown"]})  # fmt: skip
    assert "I have read the NICE advice" in response.content.decode()
    assert not TreatmentTrial.objects.exists()


def test_a_diary_with_days_missing_is_not_used_and_the_page_says_so(world, login):
    from decimal import Decimal

    from careplans import services

    plan = builders.plan(world.patient)
    builders.failed(plan, "propranolol")
    builders.failed(plan, "amitriptyline")
    trial = builders.failed(plan, "candesartan")
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"month3_headache_days": Decimal(6), "month3_migraine_days": Decimal(5)},
    )
    _diary(world.patient, 30, lambda n: {"headache": True, "migraine": True})
    html = (
        login(world.clinician).get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    )
    assert "the diary has 30 of the last 90 days recorded, too few to use instead" in html
    assert "Consider a CGRP antibody" in html  # on the treatment's 5 migraine days
    assert "The diary shows medication overuse" not in html


@pytest.mark.parametrize(
    ("condition", "typed", "named"),
    [
        ("headache", "Propranolol 40mg twice a day", "Propranolol"),
        ("headache", "atogepant 60 mg", "Atogepant"),
        ("chronic_pain", "Amitriptyline 10mg at night", "Amitriptyline"),
        ("chronic_pain", "Pregabalin 75mg", "Pregabalin"),
    ],
)
def test_a_regular_medicine_typed_as_one_for_attacks_is_refused(
    world, login, condition, typed, named
):
    draft = builders.plan(world.patient, condition=condition).versions.get()
    row = {
        **management("acute"),
        "acute-0-medication_class": "simple_analgesic",
        "acute-0-medicine": typed,
    }
    page = (
        login(world.clinician)
        .post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row))
        .content.decode()
    )
    assert f"{named} is taken regularly, not for attacks or flare-ups" in page
    assert not draft.acute_treatments.exists()


@pytest.mark.parametrize(
    ("medication_class", "typed"),
    [
        ("simple_analgesic", "Ibuprofen 400mg"),
        ("opioid", "Codeine 30mg"),
        # A gepant that also treats attacks.
        ("simple_analgesic", "Rimegepant 75mg"),
    ],
)
def test_listed_medicines_for_attacks_are_kept(world, login, medication_class, typed):
    draft = _draft_with_medicine_for_attacks(world, login(world.clinician), medication_class, typed)
    assert list(draft.acute_treatments.values_list("medicine", flat=True)) == [typed]


def test_a_triptan_typed_into_a_pain_plan_is_refused_in_words_that_fit(world, login):
    draft = builders.plan(world.patient, condition="chronic_pain").versions.get()
    row = {
        **management("acute"),
        "acute-0-medication_class": "simple_analgesic",
        "acute-0-medicine": "Sumatriptan 50mg",
    }
    page = (
        login(world.clinician)
        .post(f"/care-plans/versions/{draft.uuid}/edit/", draft_post(**row))
        .content.decode()
    )
    assert "Sumatriptan 50mg is one of the triptans, for migraine attacks, not for pain" in page
    assert not draft.acute_treatments.exists()


def test_a_plan_whose_care_has_ended_promises_no_review_or_check(world, login):
    care_plan = builders.agreed_plan(world.patient)
    builders.trial(care_plan)
    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert "We will check how it is working" in mine
    assert "Your care with the headache and pain team ended" not in mine

    episode = care_plan.episode
    episode_services.discharge_episode(
        actor=world.clinician, episode=episode, reason="patient_choice"
    )
    episode.refresh_from_db()
    ended = f"{timezone.localtime(episode.closed_at):%-d %B %Y}"

    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert f"Your care with the headache and pain team ended on {ended}" in mine
    assert "the team will not arrange the reviews or checks it mentions" in mine
    assert "We will check how it is working" not in mine
    assert f"None: your care with the team ended on {ended}." in mine
    # The team's page of the plan says the same.
    staff = login(world.clinician).get(
        reverse("careplans:patient-plan", kwargs={"patient_uuid": world.patient.uuid})
    )
    assert f"None: care with the team ended on {ended}." in html.unescape(staff.content.decode())


def test_a_re_referred_patient_sees_the_plan_in_force_first_and_the_old_one_as_earlier(
    world, login
):
    old = builders.agreed_plan(world.patient)
    episode_services.discharge_episode(
        actor=world.clinician, episode=old.episode, reason="patient_choice"
    )
    old.episode.refresh_from_db()
    ended = f"{timezone.localtime(old.episode.closed_at):%-d %B %Y}"
    again = EpisodeFactory(patient=world.patient, condition="headache", status="referred")

    # Referred again, the referral waiting for triage: not yet in care.
    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert f"Your earlier headache care with the headache and pain team ended on {ended}" in mine
    assert "You have been referred to the team for this again" in mine
    assert "in the team's care for this again" not in mine

    again.status = "active"
    again.save(update_fields=["status"])
    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert "You are in the team's care for this again: the team will agree a new plan" in mine
    assert "ask your GP practice to refer you" not in mine

    new = builders.agreed_plan(world.patient)
    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert "the plan you agreed since is shown first on this page" in mine
    # The plan in force comes before the one that ended.
    assert mine.index(f'id="plan-{new.uuid}"') < mine.index(f'id="plan-{old.uuid}"')


def test_a_plan_whose_care_ended_beside_care_that_goes_on_names_its_condition(world, login):
    care_plan = builders.agreed_plan(world.patient)
    builders.plan(world.patient, condition="chronic_pain")  # still in the team's care for pain
    episode_services.discharge_episode(
        actor=world.clinician, episode=care_plan.episode, reason="patient_choice"
    )

    mine = html.unescape(login(world.patient_user).get("/care-plans/my/").content.decode())
    assert "Your headache care with the headache and pain team ended on" in mine
    assert "ask your GP practice to refer you" not in mine


# --- heading levels ------------------------------------------------------------------------------


def _skipped_headings(page: str) -> list[str]:
    """Each heading that comes more than one level below the heading before it ("h2 -> h4"):
    screen-reader users move through a page by its headings, and a skipped level reads as a
    section missing."""
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]
    return [f"h{a} -> h{b}" for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]


def test_the_plan_pages_warnings_sit_one_heading_level_below_the_plan(world, login):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    # Triptan overuse (10 days a month) and chronic migraine: the diary's overuse warning and
    # the plan's NICE prompts both sit under the plan's heading.
    _diary(
        world.patient,
        90,
        lambda n: {"headache": True, "migraine": n % 3 == 0, "took_triptan": n % 3 == 0},
    )
    client = login(world.clinician)
    page = client.get(f"/care-plans/patients/{world.patient.uuid}/").content.decode()
    assert "The diary shows medication overuse" in page
    assert "Consider a CGRP antibody or specialist referral" in page
    assert _skipped_headings(page) == []

    # A medicine's own warnings, on its review page and on the form that records it.
    opioid = builders.trial(
        plan, medicine_code="codeine", role="acute", dose="30 mg", start_warning_acknowledged=True
    )
    review = client.get(f"/care-plans/treatments/{opioid.uuid}/review/").content.decode()
    assert "NICE advises not to offer opioids" in review
    assert _skipped_headings(review) == []
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    data = {"medicine_code": "tramadol", "role": "acute", "dose": "50 mg"}
    warned = client.post(url, {**data, "started_on": TODAY().isoformat()}).content.decode()
    assert "NICE advises not to offer opioids" in warned
    assert _skipped_headings(warned) == []


# --- the draft's select boxes --------------------------------------------------------------------


def test_the_drafts_select_boxes_start_with_a_plain_english_choice(world, login):
    draft = builders.plan(world.patient).versions.get()
    builders.fill_draft(draft)
    client = login(world.clinician)
    page = client.get(f"/care-plans/versions/{draft.uuid}/edit/").content.decode()
    assert "---------" not in page
    for prefix, field, label in (
        ("selfcare", "category", "Choose an area"),
        ("selfcare", "owner", "Choose who does it"),
        ("acute", "medication_class", "Choose the type of medicine"),
        ("support", "kind", "Choose the type of support"),
        ("who", "owner", "Choose who does it"),
    ):
        select = re.search(rf'<select name="{prefix}-0-{field}"[^>]*>(.*?)</select>', page, re.S)
        assert select, (prefix, field)
        first = re.search(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
        assert first.groups() == ("", label), (prefix, field)

    # A row with nothing chosen says what to choose; a blank row is still ignored.
    url = f"/care-plans/versions/{draft.uuid}/edit/"
    row = {"selfcare-0-category": "", "selfcare-0-action": "Walk", "selfcare-0-owner": ""}
    response = client.post(url, draft_post(**management("selfcare"), **row))
    assert "New item: Choose an area." in _words(response)
    assert not draft.self_management.exists()
    blank = {**row, "selfcare-0-action": ""}
    assert client.post(url, draft_post(**management("selfcare"), **blank)).status_code == 302


# --- the MHRA's pregnancy prevention programmes -------------------------------------------------


def _born_years_ago(patient, years, *, sex="female"):
    """Make the patient `years` old today (born earlier this month, on a day every month has),
    of `sex`."""
    today = TODAY()
    patient.date_of_birth = date(today.year - years, today.month, min(today.day, 28))
    patient.sex = sex
    patient.save(update_fields=["date_of_birth", "sex"])


def test_topiramate_for_a_woman_who_could_become_pregnant_is_recorded_with_a_warning(world, login):
    _born_years_ago(world.patient, 30)
    plan = builders.plan(world.patient)
    client = login(world.clinician)
    url = f"/care-plans/plans/{plan.uuid}/treatments/new/"
    form = page_text(client.get(url))
    assert "Topiramate and valproate: pregnancy prevention programme" in form
    assert "MHRA Drug Safety Update" in form

    # The warning does not block: the medicine is recorded as the form is sent.
    data = {
        "medicine_code": "topiramate",
        "role": "preventive",
        "dose": "25 mg at night",
        "started_on": TODAY().isoformat(),
    }
    assert client.post(url, data).status_code == 302
    trial = TreatmentTrial.objects.get()
    page = page_text(client.get(f"/care-plans/patients/{world.patient.uuid}/"))
    assert "Topiramate: pregnancy prevention programme" in page
    assert "Source: MHRA Drug Safety Update, June 2024" in page
    review = page_text(client.get(f"/care-plans/treatments/{trial.uuid}/review/"))
    assert "Topiramate: pregnancy prevention programme" in review

    # Typed as another medicine, valproate is known by its name.
    builders.trial(
        plan, medicine_code="other", medicine_name="Sodium valproate 500 mg", role="preventive"
    )
    page = page_text(client.get(f"/care-plans/patients/{world.patient.uuid}/"))
    assert "Valproate: pregnancy prevention programme" in page

    # Once the medicine has stopped, there is nothing to warn about.
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})
    page = page_text(client.get(f"/care-plans/patients/{world.patient.uuid}/"))
    assert "Topiramate: pregnancy prevention programme" not in page


@pytest.mark.parametrize(("years", "sex"), [(56, "female"), (11, "female"), (30, "male")])
def test_no_pregnancy_warning_outside_the_ages_or_for_a_man(world, login, years, sex):
    _born_years_ago(world.patient, years, sex=sex)
    plan = builders.plan(world.patient)
    builders.trial(plan, medicine_code="topiramate")
    client = login(world.clinician)
    form = page_text(client.get(f"/care-plans/plans/{plan.uuid}/treatments/new/"))
    page = page_text(client.get(f"/care-plans/patients/{world.patient.uuid}/"))
    assert "pregnancy prevention programme" not in form
    assert "pregnancy prevention programme" not in page
