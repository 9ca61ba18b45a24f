"""Why a patient is discharged, and the discharge summary the GP practice gets: rendered in the
worker, stored once with its hash, downloaded only by staff who may see the patient."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from pathway.episode_letters import LETTER_ATTEMPTS
from pathway.models import AuditEvent, Episode, Milestone
from reviews import letters, tasks
from reviews.errors import ReviewsError
from reviews.models import Discharge, DischargeLetter
from reviews.models.discharges import NOTE_MAX_LENGTH
from reviews.services import episodes as services
from tests.careplans import builders as plan_builders
from tests.referrals import builders as referral_builders
from tests.reviews import builders

pytestmark = pytest.mark.django_db


def _sweep_queues_to(monkeypatch, task, queued: list) -> None:
    """The sweep's renders, handed to the backlog queue, join `queued` too."""

    def backlog(args, *, queue=None, **options):
        assert queue == settings.BACKLOG_QUEUE
        queued.append(args[0])

    monkeypatch.setattr(task, "apply_async", backlog)


def _active(world) -> Episode:
    return referral_builders.decided(world.patient, world.gp, world.clinician, "accept").episode


def _discharged(world, **extra) -> Discharge:
    episode = _active(world)
    services.discharge_episode(
        actor=world.clinician, episode=episode, **{"reason": "patient_choice", **extra}
    )
    return Discharge.objects.get(episode=episode)


# The record


def test_a_discharge_records_the_reason_and_note_and_audits_them(world):
    discharge = _discharged(world, reason="patient_choice", note_for_gp="  Prefers her GP.  ")
    assert (discharge.reason, discharge.note_for_gp) == ("patient_choice", "Prefers her GP.")
    assert discharge.patient == world.patient
    assert discharge.created_by == world.clinician
    assert discharge.discharged_at == discharge.episode.closed_at
    event = AuditEvent.objects.get(object_uuid=discharge.uuid)
    assert event.action == "create"
    assert sorted(event.fields) == ["note_for_gp", "reason"]


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("", "", "Choose why the patient is being discharged."),
        ("bored", "", "Choose why the patient is being discharged."),
        ("other", "   ", "Say why the patient is being discharged"),
        ("goals_met", "x" * (NOTE_MAX_LENGTH + 1), "2,000 characters or fewer"),
    ],
)
def test_a_discharge_without_a_valid_reason_changes_nothing(world, reason, note, message):
    episode = _active(world)
    with pytest.raises(ReviewsError, match=message):
        services.discharge_episode(
            actor=world.clinician, episode=episode, reason=reason, note_for_gp=note
        )
    episode.refresh_from_db()
    assert episode.status == "active"
    assert not Discharge.objects.exists()


@pytest.mark.parametrize(
    ("milestones", "message"),
    [
        ((), "The patient has not had a first conversation with the team, so they have not"),
        (("first_contact",), "No care plan has been agreed with the patient, so they have not"),
        (("care_plan_agreed",), "The patient has not had a first conversation with the team"),
    ],
)
def test_finished_the_pathway_needs_a_first_contact_and_an_agreed_care_plan(
    world, milestones, message
):
    episode = _active(world)
    for kind in milestones:
        Milestone.objects.create(episode=episode, kind=kind, occurred_at=timezone.now())
    with pytest.raises(ReviewsError, match=message) as refused:
        services.discharge_episode(actor=world.clinician, episode=episode, reason="goals_met")
    assert refused.value.field == "reason"
    assert '"The patient asked to leave the pathway"' in str(refused.value)
    episode.refresh_from_db()
    assert episode.status == "active"
    assert not Discharge.objects.exists()
    # Every other reason fits a patient never seen.
    services.discharge_episode(actor=world.clinician, episode=episode, reason="not_engaged")
    assert Discharge.objects.get().reason == "not_engaged"


def test_a_patient_seen_with_an_agreed_plan_finishes_the_pathway(world):
    episode = builders.seen_with_a_plan(_active(world))
    services.discharge_episode(actor=world.clinician, episode=episode, reason="goals_met")
    assert Discharge.objects.get(episode=episode).reason == "goals_met"


def test_another_reason_with_a_note_is_kept(world):
    discharge = _discharged(world, reason="other", note_for_gp="Joining a trial elsewhere.")
    assert discharge.get_reason_display() == "Another reason"


def test_the_database_refuses_another_reason_without_a_note(world):
    from django.db import IntegrityError, transaction

    discharge = _discharged(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Discharge.objects.filter(pk=discharge.pk).update(reason="other", note_for_gp="")


# The letter


def test_the_discharge_queues_its_letter_on_commit(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.render_discharge_letter, "delay", queued.append)
    _sweep_queues_to(monkeypatch, tasks.render_discharge_letter, queued)
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)
    with django_capture_on_commit_callbacks(execute=True):
        discharge = _discharged(world)
    assert queued == [str(discharge.uuid)]


def test_a_broker_outage_leaves_the_discharge_saved_and_the_sweep_queues_it(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.render_discharge_letter, "delay", down)
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: False)
    with django_capture_on_commit_callbacks(execute=True):
        discharge = _discharged(world)
    assert Discharge.objects.filter(pk=discharge.pk, episode__status="discharged").exists()
    queued = []
    monkeypatch.setattr(tasks.render_discharge_letter, "delay", queued.append)
    _sweep_queues_to(monkeypatch, tasks.render_discharge_letter, queued)
    assert tasks.render_missing_discharge_letters.run() == 1
    assert queued == [str(discharge.uuid)]
    # Once rendered, the sweep leaves it alone.
    tasks.render_discharge_letter.run(str(discharge.uuid))
    assert tasks.render_missing_discharge_letters.run() == 0


def test_a_summary_that_never_renders_is_given_up_and_shown_as_not_made(world, monkeypatch, login):
    queued = []
    monkeypatch.setattr(tasks.render_discharge_letter, "delay", queued.append)
    _sweep_queues_to(monkeypatch, tasks.render_discharge_letter, queued)
    discharge = _discharged(world)

    def broken(html):
        raise ValueError("bad HTML")

    monkeypatch.setattr(letters, "html_to_pdf", broken)
    for _ in range(LETTER_ATTEMPTS):
        assert tasks.render_missing_discharge_letters.run() == 1
        with pytest.raises(ValueError, match="bad HTML"):
            tasks.render_discharge_letter.run(str(discharge.uuid))
    assert tasks.render_missing_discharge_letters.run() == 0
    discharge.refresh_from_db()
    assert discharge.letter_not_made
    referral = discharge.episode.referrals.get()
    page = login(world.gp).get(reverse("referrals:detail", args=[referral.uuid]))
    assert "Discharge summary: could not be made. Ask the care team for it." in (
        page.content.decode()
    )
    tab = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    assert (
        "Discharge summary for the GP: could not be made. Send the GP practice the summary "
        "another way." in login(world.clinician).get(tab).content.decode()
    )


def test_the_task_renders_and_stores_the_letter_once(world):
    discharge = _discharged(world)
    letter_uuid = tasks.render_discharge_letter.run(str(discharge.uuid))
    letter = DischargeLetter.objects.get()
    assert str(letter.uuid) == letter_uuid
    pdf = bytes(letter.pdf)
    assert pdf.startswith(b"%PDF")
    assert (letter.sha256, letter.size) == (hashlib.sha256(pdf).hexdigest(), len(pdf))
    assert AuditEvent.objects.filter(object_uuid=letter.uuid, action="create").exists()
    assert tasks.render_discharge_letter.run(str(discharge.uuid)) == letter_uuid
    assert DischargeLetter.objects.count() == 1
    assert tasks.render_discharge_letter.run("00000000-0000-0000-0000-000000000000") == ""


def test_the_letter_says_who_why_the_treatments_and_the_results(world):
    episode = builders.seen_with_a_plan(_active(world))
    plan = plan_builders.plan(world.patient)
    plan_builders.trial(plan, dose="80 mg a day")
    plan_builders.failed(plan, "topiramate", outcome="not_tolerated")
    plan_builders.failed(plan, "candesartan", outcome="effective")
    months_ago = timezone.now() - timedelta(days=90)
    builders.assessment(world.patient, "PHQ-9", [2] * 9, when=months_ago)
    builders.assessment(world.patient, "PHQ-9", [0] * 9)
    builders.assessment(world.patient, "HIT-6", ["never"] * 6, when=months_ago)
    builders.assessment(world.patient, "HIT-6", ["always"] * 6)
    hostile = '<script>alert(1)</script> & <img src="http://evil.example/x.png">'
    services.discharge_episode(
        actor=world.clinician, episode=episode, reason="goals_met", note_for_gp=hostile
    )
    discharge = Discharge.objects.get(episode=episode)
    html = render_to_string("reviews/letter_discharge.html", letters.letter_context(discharge))
    assert "To: the GPs, Practice A" in html
    assert "Alice Anders" in html and world.patient.nhs_number_display in html
    assert "Finished the pathway: managing with their care plan" in html
    assert "by Nurse Nia" in html
    # Free text is escaped.
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    # The episode's treatments: the one still taken, and the one that was stopped.
    assert "Propranolol" in html and "80 mg a day" in html and "Still taking" in html
    assert "Topiramate" in html and "Not tolerated" in html
    assert "<td>Still taking (working)</td>" in html  # candesartan, recorded as working
    assert "please review them as part of their usual repeat prescribing" in html
    # Questionnaire results, first and latest, with the change judged where the clinical rules
    # give a threshold (HIT-6), and the change alone where they do not (PHQ-9).
    assert "18 (moderately severe)" in html and "0 (none or minimal)" in html
    assert "<td>-18</td>" in html
    assert ": clinically important worsening</td>" in html


def test_the_letter_gives_the_dose_taken_now_after_a_reduction(world):
    from careplans import services as plan_services

    episode = _active(world)
    plan = plan_builders.plan(world.patient)
    codeine = plan_builders.trial(
        plan,
        medicine_code="codeine",
        role="pain",
        dose="60 mg four times a day",
        started_on=timezone.localdate() - timedelta(days=40),
    )
    for days_ago, dose in ((20, "30 mg four times a day"), (5, "15 mg four times a day")):
        plan_services.record_reduction(
            actor=world.clinician,
            trial=codeine,
            data={
                "step": "reduced",
                "reduced_on": timezone.localdate() - timedelta(days=days_ago),
                "dose": dose,
            },
        )
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    discharge = Discharge.objects.get(episode=episode)
    html = render_to_string("reviews/letter_discharge.html", letters.letter_context(discharge))
    assert "<td>15 mg four times a day (lowered from 60 mg four times a day)</td>" in html
    assert "30 mg four times a day" not in html


def test_the_letter_names_a_self_harm_answer_and_what_was_done_though_the_latest_score_is_low(
    world,
):
    from reviews.services import questionnaires

    episode = _active(world)
    alert = builders.safety_alert(world.patient, clinician=world.clinician)
    questionnaires.resolve_alert(
        actor=world.clinician, alert=alert, action_taken="Called the same day; safety plan agreed."
    )
    builders.assessment(world.patient, "PHQ-9", [0] * 9)  # the latest: none or minimal
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    discharge = Discharge.objects.get(episode=episode)
    html = render_to_string("reviews/letter_discharge.html", letters.letter_context(discharge))
    section = html.split("<h2>Safety alerts since the referral</h2>", 1)[1]
    assert "PHQ-9 item 9: thoughts of self-harm (PHQ-9 total 9; item 9 answered above" in section
    assert "Called the same day; safety plan agreed. (Nurse Nia," in section
    # The first result, in the questionnaire table, says so too.
    assert "9 (mild), " in html and "; item 9 above 0</td>" in html


def test_the_letter_gives_answers_sent_again_and_their_alert_even_after_the_discharge(world):
    from reviews.services import questionnaires

    episode = _active(world)
    request = builders.questionnaire_request(world.patient)
    questionnaires.submit_questionnaire(actor=world.patient_user, request=request, answers=[0] * 9)
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    # A second window, sent after the discharge and before the worker made the summary.
    questionnaires.submit_questionnaire(
        actor=world.patient_user, request=request, answers=[1] * 8 + [2]
    )
    discharge = Discharge.objects.get(episode=episode)
    html = render_to_string("reviews/letter_discharge.html", letters.letter_context(discharge))
    results = html.split("<h2>Questionnaire results</h2>", 1)[1].split("<h2>", 1)[0]
    assert "0 (none or minimal)" in results
    assert "Answered again" in results and "10 (moderate); item 9 above 0" in results
    alerts = html.split("<h2>Safety alerts since the referral</h2>", 1)[1]
    assert "PHQ-9 item 9: thoughts of self-harm (PHQ-9 total 10;" in alerts
    assert "Not yet closed when this summary was made" in alerts


def test_a_letter_with_no_plan_or_questionnaires_says_so(world):
    discharge = _discharged(world)
    html = render_to_string("reviews/letter_discharge.html", letters.letter_context(discharge))
    assert "No treatments were recorded in a care plan for this episode." in html
    assert "The patient completed no questionnaires with the service." in html
    assert "No safety alert has been raised since the referral." in html
    assert "Still taking" not in html


def test_the_letter_says_whom_to_contact_if_anything_is_wrong(world):
    discharge = _discharged(world)

    def meta():
        html = render_to_string("reviews/letter_discharge.html", letters.letter_context(discharge))
        return html.rsplit('<p class="pdf-meta">', 1)[1].split("</p>", 1)[0]

    # No team has given its details: the clinician who discharged the patient.
    assert meta().endswith(
        f"If anything here is wrong, contact the care team: {discharge.created_by.full_name} "
        "discharged the patient."
    )
    world.service.phone, world.service.email = "01234 567890", "pain.team@nhs.example"
    world.service.save()
    assert meta().endswith(
        f"If anything here is wrong, contact {world.service.name} on 01234 567890 or at "
        "pain.team@nhs.example."
    )


# The download


def _letter(world) -> DischargeLetter:
    discharge = _discharged(world)
    tasks.render_discharge_letter.run(str(discharge.uuid))
    return DischargeLetter.objects.get(discharge=discharge)


@pytest.mark.parametrize("who", ["clinician", "gp"])
def test_the_team_and_the_patients_gp_download_the_letter(world, login, who):
    letter = _letter(world)
    user = getattr(world, who)
    response = login(user).get(
        reverse("reviews:discharge-letter", kwargs={"letter_uuid": letter.uuid})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="discharge-summary-headache-'
        f'{timezone.localtime(letter.discharge.discharged_at):%Y-%m-%d}.pdf"'
    )
    assert response.content == bytes(letter.pdf)
    assert AuditEvent.objects.filter(
        object_uuid=letter.uuid, action="download", actor=user
    ).exists()


@pytest.mark.parametrize(
    "who",
    ["other_gp", "other_clinician", "commissioner", "patient_user"],
)
def test_no_one_else_downloads_the_letter(world, login, who):
    letter = _letter(world)
    response = login(getattr(world, who)).get(
        reverse("reviews:discharge-letter", kwargs={"letter_uuid": letter.uuid})
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(object_uuid=letter.uuid, action="download").exists()


def test_the_reviews_tab_says_the_letter_is_being_prepared_until_it_is_ready(world, login):
    discharge = _discharged(world, reason="not_engaged")
    client = login(world.gp)
    tab = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    page = client.get(tab).content.decode()
    assert "did not attend or reply when the team got in touch" in page
    assert "Discharge summary for the GP: being prepared" in page
    tasks.render_discharge_letter.run(str(discharge.uuid))
    page = client.get(tab).content.decode()
    assert "Discharge summary for the GP (PDF" in page


def test_the_letters_file_is_named_for_the_day_of_discharge_in_the_uk(world):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    letter = _letter(world)
    # 00:30 on 1 July in London is still 30 June in UTC.
    summer = datetime(2026, 7, 1, 0, 30, tzinfo=ZoneInfo("Europe/London"))
    letter.discharge.episode.closed_at = summer
    assert letter.filename == "discharge-summary-headache-2026-07-01.pdf"


# Beside the referral


def test_the_referring_gp_finds_the_summary_beside_their_referral(world, login):
    discharge = _discharged(world)
    client = login(world.gp)
    mine = reverse("referrals:mine")
    assert "Discharge summary: being prepared" in client.get(mine).content.decode()
    tasks.render_discharge_letter.run(str(discharge.uuid))
    link = reverse("reviews:discharge-letter", kwargs={"letter_uuid": discharge.letter.uuid})
    assert f'<a href="{link}" download>Discharge summary (PDF)</a>' in (
        client.get(mine).content.decode()
    )
    # And on the patient's Referrals tab, for the team.
    tab = reverse("referrals:patient-referrals", kwargs={"patient_uuid": world.patient.uuid})
    assert link in login(world.clinician).get(tab).content.decode()


def test_the_referral_page_keeps_its_acceptance_and_gives_the_summary(world, login):
    discharge = _discharged(world)
    referral = discharge.episode.referrals.get()
    client = login(world.gp)
    url = reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
    page = client.get(url).content.decode()
    closed = timezone.localtime(referral.closed_at)
    assert (
        f"Accepted, {referral.get_priority_display().lower()} priority. Closed "
        f"{closed:%-d %B %Y}, when the care it began ended" in page
    )
    assert "Discharge summary: being prepared. Refresh this page in a minute." in page
    tasks.render_discharge_letter.run(str(discharge.uuid))
    link = reverse("reviews:discharge-letter", kwargs={"letter_uuid": discharge.letter.uuid})
    page = client.get(url).content.decode()
    assert f'<a href="{link}" download>Discharge summary (PDF)</a>' in page


def test_only_those_who_may_download_a_summary_are_given_it(world):
    from pathway import episode_letters

    discharge = _discharged(world)
    episode_id = discharge.episode_id
    assert [
        letter.title for letter in episode_letters.by_episode([episode_id], world.gp)[episode_id]
    ] == ["Discharge summary"]
    for who in ("other_gp", "other_clinician", "commissioner"):
        assert episode_letters.by_episode([episode_id], getattr(world, who)) == {}
    assert episode_letters.by_episode([], world.gp) == {}


# On the referring GP's home page

GP_HOME = reverse("pathway:gp-home")


def test_the_referring_gp_is_told_on_their_home_page_for_four_weeks(world, login):
    discharge = _discharged(world)
    referral = discharge.episode.referrals.get()
    client = login(world.gp)
    home = client.get(GP_HOME).content.decode()
    when = f"{timezone.localtime(discharge.discharged_at):%-d %B}"
    assert (
        f"{world.patient.full_name} was discharged from the pathway on {when}. The discharge "
        "summary is being prepared."
    ) in home
    assert f'href="{reverse("referrals:detail", args=[referral.uuid])}">See the referral</a>' in (
        home
    )
    tasks.render_discharge_letter.run(str(discharge.uuid))
    link = reverse("reviews:discharge-letter", kwargs={"letter_uuid": discharge.letter.uuid})
    home = client.get(GP_HOME).content.decode()
    assert f'href="{link}">Read the discharge summary (PDF)</a>' in home
    # Four weeks on, it has left the list.
    Episode.objects.filter(pk=discharge.episode_id).update(
        opened_at=discharge.discharged_at - timedelta(days=60),
        closed_at=discharge.discharged_at - timedelta(days=29),
    )
    assert "was discharged from the pathway" not in client.get(GP_HOME).content.decode()


def test_only_the_referrer_is_told_and_not_of_a_patient_who_died(world, login):
    from pathway.models import Patient

    _discharged(world)
    assert "was discharged" not in login(world.other_gp).get(GP_HOME).content.decode()
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=timezone.localdate())
    assert "was discharged" not in login(world.gp).get(GP_HOME).content.decode()


def test_the_home_page_lists_five_discharges_and_counts_the_rest(world, login):
    from tests.factories import PatientFactory

    for n in range(6):
        patient = PatientFactory(registered_practice=world.practice_a, family_name=f"Many{n}")
        episode = referral_builders.decided(patient, world.gp, world.clinician, "accept").episode
        services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    home = login(world.gp).get(GP_HOME).content.decode()
    assert home.count("was discharged from the pathway") == 5
    assert "More patients you referred were discharged in the last 28 days." in home


def test_a_short_summary_fits_on_one_page(world):
    """A summary of one plan's two medicines and one questionnaire keeps its closing lines on
    its only page, rather than leaving them alone on a second."""
    episode = builders.seen_with_a_plan(_active(world))
    plan = plan_builders.plan(world.patient)
    plan_builders.trial(plan, dose="80 mg a day")
    plan_builders.failed(plan, "topiramate", outcome="not_tolerated")
    builders.assessment(world.patient, "PHQ-9", [2] * 9, when=timezone.now() - timedelta(days=90))
    builders.assessment(world.patient, "PHQ-9", [0] * 9)
    services.discharge_episode(
        actor=world.clinician, episode=episode, reason="goals_met", note_for_gp="Doing well."
    )
    discharge = Discharge.objects.get(episode=episode)
    tasks.render_discharge_letter.run(str(discharge.uuid))
    pages = PdfReader(io.BytesIO(bytes(DischargeLetter.objects.get().pdf))).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    assert "Page 1 of 1" in text and "If anything here is wrong" in text
