"""The triage-outcome letter: rendered in the worker, stored once with its hash."""

import hashlib
import io

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from pathway.episode_letters import LETTER_ATTEMPTS
from pathway.models import AuditEvent
from referrals import letters, services, tasks
from referrals.models import ReferralLetter
from referrals.services import Decision
from tests.referrals import builders

pytestmark = pytest.mark.django_db


def _sweep_queues_to(monkeypatch, task, queued: list) -> None:
    """The sweep's renders, handed to the backlog queue, join `queued` too."""

    def backlog(args, *, queue=None, **options):
        assert queue == settings.BACKLOG_QUEUE
        queued.append(args[0])

    monkeypatch.setattr(task, "apply_async", backlog)


def test_the_task_renders_and_stores_the_letter_once(world):
    referral = builders.decided(world.patient, world.gp, world.clinician)
    letter_uuid = tasks.render_triage_letter.run(str(referral.uuid))
    letter = ReferralLetter.objects.get()
    assert str(letter.uuid) == letter_uuid
    pdf = bytes(letter.pdf)
    assert pdf.startswith(b"%PDF")
    assert letter.sha256 == hashlib.sha256(pdf).hexdigest()
    assert letter.size == len(pdf)
    assert AuditEvent.objects.filter(object_uuid=letter.uuid, action="create").exists()
    # Running it again changes nothing.
    assert tasks.render_triage_letter.run(str(referral.uuid)) == letter_uuid
    assert ReferralLetter.objects.count() == 1


def test_no_letter_for_an_undecided_or_unknown_referral(world):
    referral = builders.referral(world.patient, world.gp)
    assert letters.render_triage_letter(referral_uuid=str(referral.uuid)) is None
    assert tasks.render_triage_letter.run("00000000-0000-0000-0000-000000000000") == ""
    assert ReferralLetter.objects.count() == 0


@pytest.mark.parametrize("decision", ["accept", "reject", "redirect"])
def test_the_letter_says_the_outcome_and_escapes_free_text(world, decision):
    hostile = '<img src="http://evil.example/x.png"> & <script>alert(1)</script>'
    extra = {"advice_to_referrer": hostile}
    if decision == "redirect":
        extra["note"] = hostile
    referral = builders.decided(world.patient, world.gp, world.clinician, decision, **extra)
    html = render_to_string(
        "referrals/letter_triage_outcome.html", letters.letter_context(referral)
    )
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert world.patient.nhs_number_display in html
    expected = {
        "accept": "within 28 days of the triage decision, by ",
        "reject": "not been accepted",
        # The service does not send it on: the letter asks the referrer to.
        "redirect": "please refer the patient to Neurology if you agree, with the note below",
    }[decision]
    assert expected in html


def test_a_decision_enqueues_the_letter_on_commit(
    world, login, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.render_triage_letter, "delay", queued.append)
    _sweep_queues_to(monkeypatch, tasks.render_triage_letter, queued)
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)
    referral = builders.referral(world.patient, world.gp)
    client = login(world.clinician)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(
            reverse("referrals:decide", args=[referral.uuid]),
            {"decision": "accept", "priority": "routine"},
        )
    assert queued == [str(referral.uuid)]
    assert len(callbacks) == 2  # the letter and the referrer's email


def test_a_broker_outage_leaves_the_decision_saved(
    world, login, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.render_triage_letter, "delay", down)
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: False)
    referral = builders.referral(world.patient, world.gp)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.clinician).post(
            reverse("referrals:decide", args=[referral.uuid]),
            {"decision": "accept", "priority": "routine"},
        )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"


def test_the_sweep_queues_letters_that_were_never_rendered(world, monkeypatch):
    queued = []
    # Only to the backlog queue, where a patient's PDF waiting on the default queue takes turns
    # with them instead of waiting behind them all.
    monkeypatch.setattr(tasks.render_triage_letter, "delay", lambda *a: pytest.fail("default"))
    _sweep_queues_to(monkeypatch, tasks.render_triage_letter, queued)
    done = builders.decided(world.patient, world.gp, world.clinician)
    builders.letter(done)
    missing = builders.decided(world.other_patient, world.gp, world.clinician, "reject")
    builders.referral(world.patient_in_b, world.gp)
    assert tasks.render_missing_letters.run() == 1
    assert queued == [str(missing.uuid)]


class RenderFailed(Exception):
    pass


def _broken_render(html):
    raise RenderFailed("bad HTML")


def test_a_letter_that_never_renders_is_given_up_and_shown_as_not_made(world, monkeypatch, login):
    queued = []
    monkeypatch.setattr(tasks.render_triage_letter, "delay", queued.append)
    _sweep_queues_to(monkeypatch, tasks.render_triage_letter, queued)
    failing = builders.decided(world.patient, world.gp, world.clinician)
    page = reverse("referrals:detail", args=[failing.uuid])
    assert "The letter is being prepared" in login(world.gp).get(page).content.decode()
    # While nothing renders it (broker or worker down), the sweeps keep queuing it.
    for _ in range(LETTER_ATTEMPTS + 1):
        assert tasks.render_missing_letters.run() == 1
    # The worker fails it every time: after LETTER_ATTEMPTS renders begun, no more.
    monkeypatch.setattr(letters, "html_to_pdf", _broken_render)
    for _ in range(LETTER_ATTEMPTS):
        assert tasks.render_missing_letters.run() == 1
        with pytest.raises(RenderFailed):
            tasks.render_triage_letter.run(str(failing.uuid))
    assert tasks.render_missing_letters.run() == 0
    failing.refresh_from_db()
    assert failing.letter_not_made
    page = login(world.gp).get(page).content.decode()
    assert "The letter could not be made. Ask the care team for it." in page
    assert "being prepared" not in page
    staff = login(world.clinician).get(reverse("referrals:detail", args=[failing.uuid]))
    assert "The letter could not be made. Tell the referrer the outcome another way." in (
        staff.content.decode()
    )
    # A letter that failed for ever does not hold back one decided later.
    later = builders.decided(world.other_patient, world.gp, world.clinician, "reject")
    assert tasks.render_missing_letters.run() == 1
    assert queued[-1] == str(later.uuid)


def test_the_letter_says_how_long_each_preventive_was_taken(world):
    made = builders.referral(
        world.patient,
        world.gp,
        preventives=(
            {
                "medicine": "Propranolol",
                "dose": "80 mg daily",
                "duration_weeks": 12,
                "stopped_reason": "ineffective",
            },
            {
                "medicine": "Amitriptyline",
                "dose": "",
                "duration_weeks": 1,
                "stopped_reason": "not_tolerated",
            },
            {
                "medicine": "Topiramate",
                "dose": "",
                "duration_weeks": None,
                "stopped_reason": "ineffective",
            },
        ),
    )
    referral = services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(decision="accept", priority="routine"),
    )
    html = render_to_string(
        "referrals/letter_triage_outcome.html", letters.letter_context(referral)
    )
    assert "Propranolol 80 mg daily, 12 weeks: did not work" in html
    assert "Amitriptyline, 1 week: " in html
    assert "Topiramate: did not work" in html


def test_the_letter_says_whom_to_contact_if_anything_is_wrong(world):
    referral = builders.decided(world.patient, world.gp, world.clinician, "accept")

    def meta():
        html = render_to_string(
            "referrals/letter_triage_outcome.html", letters.letter_context(referral)
        )
        return html.rsplit('<p class="pdf-meta">', 1)[1].split("</p>", 1)[0]

    # No team has given its details: the clinician who decided it.
    assert meta().endswith(
        f"If anything here is wrong, contact the care team: {world.clinician.full_name} "
        "decided this referral."
    )
    world.service.phone, world.service.email = "01234 567890", "pain.team@nhs.example"
    world.service.save()
    assert meta().endswith(
        f"If anything here is wrong, contact {world.service.name} on 01234 567890 or at "
        "pain.team@nhs.example."
    )


def test_the_letter_gives_the_reason_for_a_priority_below_the_screens(world):
    made = builders.referral(world.patient, world.gp, red_flags=("orthostatic_headache",))
    assert made.urgency == "urgent"
    referral = services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(
            decision="accept", priority="routine", note="Seen in neurology last week; MRI normal."
        ),
    )
    html = render_to_string(
        "referrals/letter_triage_outcome.html", letters.letter_context(referral)
    )
    assert (
        "<h3>Reason for routine priority</h3><p>Seen in neurology last week; MRI normal.</p>"
        in (html)
    )
    # At the screen's own priority the team's note stays the team's.
    other = builders.decided(world.other_patient, world.gp, world.clinician, note="Team only.")
    html = render_to_string("referrals/letter_triage_outcome.html", letters.letter_context(other))
    assert "Team only." not in html and "Reason for" not in html


def test_a_self_referrers_letter_leaves_out_the_teams_note_on_the_priority(world):
    made = builders.self_referral_by(world.patient, red_flags=("orthostatic_headache",))
    if made.patient_id is None:
        made = services.match_self_referral(
            actor=world.clinician, referral=made, patient=world.patient
        )
    assert made.urgency == "urgent"
    referral = services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(decision="accept", priority="routine", note="Anxious. Team only."),
    )
    html = render_to_string(
        "referrals/letter_triage_outcome.html", letters.letter_context(referral)
    )
    assert "Team only." not in html and "Reason for" not in html


def test_a_redirect_letter_fits_on_one_page(world):
    """A short letter keeps its closing lines on its only page, rather than leaving them alone
    on a second."""
    world.service.phone, world.service.email = "01632 960000", "riverside.headache@nhs.example"
    world.service.save()
    made = builders.referral(
        world.patient,
        world.gp,
        current_acute_medication="Ibuprofen 400 mg",
        acute_medication_days_per_month=6,
        preventives=(
            {
                "medicine": "Propranolol",
                "dose": "80 mg daily",
                "duration_weeks": 12,
                "stopped_reason": "ineffective",
            },
            {
                "medicine": "Amitriptyline",
                "dose": "10 mg at night",
                "duration_weeks": 8,
                "stopped_reason": "not_tolerated",
            },
        ),
    )
    referral = services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(
            decision="redirect",
            redirect_to="msk_physiotherapy",
            advice_to_referrer="Knee pain is the main problem: MSK physiotherapy first.",
            note=(
                "Knee pain since a fall in the spring. The headaches are infrequent and settle "
                "with ibuprofen, so they need no care from this service now."
            ),
        ),
    )
    letter = letters.render_triage_letter(referral_uuid=str(referral.uuid))
    pages = PdfReader(io.BytesIO(bytes(letter.pdf))).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    assert "Page 1 of 1" in text and "If anything here is wrong" in text
