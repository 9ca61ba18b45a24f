"""The patient's home page lists what is waiting for them: today's diary, questionnaires,
group invitations and their next appointment (pathway.patient_tasks, with providers in
diaries.patient_tasks and reviews.patient_tasks)."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews import messaging
from tests.diaries import builders as diary_builders
from tests.referrals import builders as referral_builders
from tests.reviews import builders

HOME = reverse("pathway:patient-home")


def _tasks(client) -> list[str]:
    page = client.get(HOME).content.decode()
    if "<h2>Things to do</h2>" not in page:
        return []
    block = page.split("<h2>Things to do</h2>", 1)[1].split("</ul>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in block.split("<li>")[1:]]


def test_a_patient_with_nothing_waiting_but_todays_diary_is_asked_for_it(world, login):
    builders.episode_for(world.patient)
    client = login(world.patient_user)
    assert _tasks(client) == [
        "You have not filled in today's diary yet. One tap is enough on a day without a "
        "headache. Fill in today's diary"
    ]
    diary_builders.record(world.patient, timezone.localdate())
    assert _tasks(client) == []
    assert "Things to do" not in client.get(HOME).content.decode()


def test_a_patient_not_under_the_teams_care_is_not_asked_for_the_diary(world, login):
    # Never referred, or discharged: the diary is theirs to keep or not.
    client = login(world.patient_user)
    assert _tasks(client) == []
    now = timezone.now()
    builders.episode_for(
        world.patient, status="discharged", opened_at=now - timedelta(days=90), closed_at=now
    )
    assert _tasks(client) == []


def test_a_chronic_pain_patient_is_asked_to_score_their_pain(world, login):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=world.patient, condition="chronic_pain")
    assert _tasks(login(world.patient_user)) == [
        "You have not filled in today's diary yet. One tap scores your pain. Fill in today's diary"
    ]


def test_questionnaires_invitations_and_the_next_appointment_are_listed(world, login):
    diary_builders.record(world.patient, timezone.localdate())
    builders.questionnaire_request(world.patient, instrument="PHQ-9")
    builders.questionnaire_request(world.patient, instrument="GAD-7")
    session = builders.group_session(world.service)
    builders.booking(session, world.patient)
    later = builders.appointment(
        world.patient, world.clinician, start=timezone.now() + timedelta(days=9)
    )
    sooner = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() + timedelta(days=4),
        kind="annual_review",
    )
    tasks = _tasks(login(world.patient_user))
    assert tasks[0].startswith("Your care team has asked you to fill in 2 questionnaires")
    assert tasks[1] == (
        "You are invited to a group session on "
        f"{messaging.day_and_time(session.start)}. Book a place or say no thanks"
    )
    assert tasks[2] == (
        f"Your next appointment is your annual review on "
        f"{messaging.day_and_time(sooner.start)}. See your appointments"
    )
    assert messaging.day_and_time(later.start) not in " ".join(tasks)


def test_another_patients_things_are_not_listed(world, login):
    builders.questionnaire_request(world.other_patient, instrument="PHQ-9")
    builders.appointment(world.other_patient, world.clinician)
    tasks = _tasks(login(world.patient_user))
    assert not any("questionnaire" in task or "appointment" in task for task in tasks)


def test_one_questionnaire_says_when_it_is_due(world, login):
    diary_builders.record(world.patient, timezone.localdate())
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    [task] = _tasks(login(world.patient_user))
    assert task.startswith(
        f"Your care team has asked you to fill in 1 questionnaire, due {request.due:%-d %B}."
    )


def _annual_review_due(patient, days):
    from pathway.models import Milestone
    from reviews.services.outcomes import due_moment

    Milestone.objects.create(
        episode=builders.episode_for(patient),
        kind="annual_review_due",
        occurred_at=due_moment(timezone.localdate() + timedelta(days=days)),
    )


def _yearly(client) -> list[str]:
    return [task for task in _tasks(client) if "yearly review" in task]


def test_a_yearly_review_due_soon_says_how_to_ask_for_it_until_asked_for(world, login):
    _annual_review_due(world.patient, 28)
    builders.under_care(world.patient)
    client = login(world.patient_user)
    due = timezone.localdate() + timedelta(days=28)
    assert _yearly(client) == [
        f"Your yearly review is due on {due:%-d %B}. The team will contact you to arrange it, "
        "or you can ask for it now. Ask for your yearly review"
    ]
    assert f'href="{reverse("reviews:my-appointments")}#ask"' in client.get(HOME).content.decode()
    client.post(
        reverse("reviews:my-booking-request"), {"kind": "annual_review", "preferences": "Mornings"}
    )
    assert _yearly(client) == [
        f"You asked for your yearly review on {timezone.localdate():%-d %B}. The team will "
        "contact you to book a time. See your appointments"
    ]


def test_a_yearly_review_is_not_listed_before_the_invitation_or_once_booked(world, login):
    _annual_review_due(world.patient, 29)
    _annual_review_due(world.other_patient, -3)
    client = login(world.patient_user)
    assert _yearly(client) == []
    world.patient.episodes.get().milestones.filter(kind="annual_review_due").update(
        occurred_at=timezone.now() - timedelta(days=3)
    )
    assert _yearly(client) == [
        "Your yearly review is due now. The team will contact you to arrange it, "
        "or you can ask for it now. Ask for your yearly review"
    ]
    page = client.get(HOME).content.decode()
    assert "Due now" in page and "ask for it on your appointments page" not in page
    builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() + timedelta(days=5),
        kind="annual_review",
    )
    assert _yearly(client) == []


def test_the_patients_timeline_leaves_out_the_triage_priority(world, login):
    # The triage priority is the team's word for its queue, not something to show the patient.
    builders.episode_for(world.patient, priority="routine")
    page = login(world.patient_user).get(HOME).content.decode()
    assert "Where you are in the service" in page and ">Routine</strong>" not in page
    staff = login(world.clinician).get(
        reverse("pathway:patient-detail", kwargs={"patient_uuid": world.patient.uuid})
    )
    assert ">Routine</strong>" in staff.content.decode()


def test_the_timeline_dates_each_episode_from_its_referral(world, login):
    # A referral redirected elsewhere ended without care starting: "Started" would say it did.
    made = referral_builders.decided(world.patient, world.gp, world.clinician, "redirect")
    page = html.unescape(login(world.patient_user).get(HOME).content.decode())
    referred = timezone.localtime(made.episode.opened_at)
    assert f"Referred {referred:%-d %B %Y}" in page
    assert "Started " not in page


def _review_due(client) -> list[str]:
    return [task for task in _tasks(client) if " review is due " in task or "You asked" in task]


def test_a_follow_up_due_is_named_as_one_and_asked_for_as_one(world, login):
    builders.review_held(world.patient, world.clinician, next_in_days=14, next_kind="follow_up")
    builders.under_care(world.patient)
    client = login(world.patient_user)
    due = timezone.localdate() + timedelta(days=14)
    assert _review_due(client) == [
        f"Your follow-up review is due on {due:%-d %B}. The team will contact you to arrange "
        "it, or you can ask for it now. Ask for your follow-up review"
    ]
    # The appointments page asks for the follow-up first.
    page = client.get(reverse("reviews:my-appointments")).content.decode()
    assert page.index('value="follow_up">Ask for my follow-up review') < page.index(
        'value="annual_review">Ask for my yearly review'
    )
    assert "If your follow-up review is due, or you need one, ask here." in page
    # Asking for a yearly review is not asking for the follow-up that is due.
    client.post(reverse("reviews:my-booking-request"), {"kind": "annual_review"})
    assert _review_due(client)[0].startswith("Your follow-up review is due on")
    client.post(reverse("reviews:my-booking-request"), {"kind": "follow_up"})
    assert _review_due(client) == [
        f"You asked for your follow-up review on {timezone.localdate():%-d %B}. The team will "
        "contact you to book a time. See your appointments"
    ]


@pytest.mark.parametrize(
    ("due_kind", "booked_kind", "listed"),
    [
        ("follow_up", "follow_up", False),
        ("follow_up", "annual_review", False),  # the yearly review sees to a follow-up too
        ("annual_review", "follow_up", True),  # but not the other way round
        ("annual_review", "medication_review", True),
    ],
)
def test_a_review_due_is_not_listed_once_one_that_sees_to_it_is_booked(
    world, login, due_kind, booked_kind, listed
):
    builders.review_held(world.patient, world.clinician, next_in_days=10, next_kind=due_kind)
    builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() + timedelta(days=5),
        kind=booked_kind,
    )
    client = login(world.patient_user)
    words = "follow-up review" if due_kind == "follow_up" else "yearly review"
    assert bool(_review_due(client)) is listed
    if listed:
        assert _review_due(client)[0].startswith(f"Your {words} is due on")
