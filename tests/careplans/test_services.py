"""Care-plan services: versions, agreement, trials, reductions, leaflets, and the database
constraints behind them."""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from careplans import rules, selectors, services
from careplans.models import (
    CarePlan,
    CarePlanVersion,
    Goal,
    MedicationReduction,
    TreatmentTrial,
)
from careplans.services import ItemChange
from pathway.models import AuditEvent, Milestone, Notification, Patient
from tests.careplans import builders
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
TZNOW = timezone.now


def goal(description="Walk", baseline=3, target=7, current=None):
    return {"description": description, "baseline": baseline, "target": target, "current": current}


# --- plans and versions --------------------------------------------------------------------------


def test_starting_a_plan_makes_an_empty_draft_version_one(world):
    plan = builders.plan(world.patient, actor=world.clinician)
    (version,) = plan.versions.all()
    assert (version.number, version.status) == (1, CarePlanVersion.Status.DRAFT)
    assert AuditEvent.objects.filter(patient=world.patient, action="create").count() == 2


def test_a_new_draft_starts_with_the_text_other_records_give(world, monkeypatch):
    from pathway import plan_starts
    from pathway.plan_starts import Prefill

    given = [
        Prefill("what_matters", "  Back at work full time.  ", "the first conversation"),
        Prefill("wellbeing_notes", "   ", "a review"),  # nothing to say: left empty
        Prefill("next_review_on", "2030-01-01", "a review"),  # not a text field: ignored
    ]
    monkeypatch.setattr(plan_starts.registry, "_providers", [lambda episode: given])
    plan = builders.plan(world.patient, actor=world.clinician)
    version = plan.versions.get()
    assert version.what_matters == "Back at work full time."
    assert (version.wellbeing_notes, version.next_review_on) == ("", None)
    assert plan.prefilled == [given[0]]


def test_a_plan_needs_an_open_episode_of_the_same_patient(world):
    other_episode = EpisodeFactory(patient=world.other_patient)
    with pytest.raises(services.CarePlanError, match="this patient's episodes"):
        services.start_plan(actor=world.clinician, patient=world.patient, episode=other_episode)
    opened = timezone.now() - timedelta(days=30)
    closed = EpisodeFactory(
        patient=world.patient, status="discharged", opened_at=opened, closed_at=timezone.now()
    )
    with pytest.raises(services.CarePlanError, match="closed"):
        services.start_plan(actor=world.clinician, patient=world.patient, episode=closed)
    plan = builders.plan(world.patient)
    with pytest.raises(services.CarePlanError, match="already has a care plan"):
        services.start_plan(actor=world.clinician, patient=world.patient, episode=plan.episode)


def _meanwhile(monkeypatch, model, other_request):
    """Run `other_request` as a row of `model` is next locked: what another request, sent at
    the same moment, committed while this one waited for the lock. Nothing runs for a service
    that takes no lock."""
    real, pending = QuerySet.select_for_update, [other_request]
    # Run in this test's transaction, the other request's rows go when this request's savepoint
    # is rolled back: a test of a request refused checks what it was told.

    def locking(queryset, *args, **kwargs):
        if queryset.model is model and pending:
            pending.pop()()
        return real(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", locking)


def test_a_plan_started_twice_at_once_is_started_once(world, monkeypatch):
    from pathway.models import Episode

    episode = EpisodeFactory(patient=world.patient)
    started = []
    _meanwhile(
        monkeypatch,
        Episode,
        lambda: started.append(
            services.start_plan(actor=world.other_clinician, patient=world.patient, episode=episode)
        ),
    )
    with pytest.raises(services.CarePlanError, match="already has a care plan"):
        services.start_plan(actor=world.clinician, patient=world.patient, episode=episode)
    assert len(started) == 1


def test_a_plan_racing_past_the_check_is_refused_with_the_same_message(world, monkeypatch):
    """The database keeps one live plan per episode: a second one that got past the check (its
    query ran before the first plan was committed) is refused as the check refuses it, not
    with a server error."""
    first = builders.plan(world.patient)
    real, calls = QuerySet.exists, []

    def nothing_at_first(queryset):
        if queryset.model is CarePlan:
            calls.append(queryset)
            if len(calls) == 1:
                return False
        return real(queryset)

    monkeypatch.setattr(QuerySet, "exists", nothing_at_first)
    with pytest.raises(services.CarePlanError, match="already has a care plan"):
        services.start_plan(actor=world.clinician, patient=world.patient, episode=first.episode)
    assert list(CarePlan.objects.all()) == [first]
    assert first.versions.count() == 1


def _discharge(episode):
    type(episode).objects.filter(pk=episode.pk).update(
        status="discharged", closed_at=timezone.now()
    )
    episode.refresh_from_db()


def test_a_plan_of_an_ended_episode_stays_as_it_was_left(world):
    plan = builders.agreed_plan(world.patient)
    _discharge(plan.episode)
    with pytest.raises(services.EpisodeEnded, match="ended on .* A new referral is needed"):
        services.start_new_version(actor=world.clinician, plan=plan)
    assert list(plan.versions.values_list("status", flat=True)) == ["agreed"]


def test_an_ended_episodes_treatments_and_leaflets_stay_as_they_were_left(world):
    plan = builders.agreed_plan(world.patient)
    trial = builders.trial(plan, dose="80 mg a day")  # propranolol
    link, _ = services.attach_leaflet(
        actor=world.clinician, plan=plan, leaflet=builders.leaflet("topiramate")
    )
    _discharge(plan.episode)
    plan.refresh_from_db()
    with pytest.raises(services.EpisodeEnded):
        builders.trial(plan, medicine_code="candesartan")
    with pytest.raises(services.EpisodeEnded):
        services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "stopped"})
    with pytest.raises(services.EpisodeEnded):
        services.record_reduction(
            actor=world.clinician,
            trial=trial,
            data={"step": "reduced", "reduced_on": TODAY(), "dose": "40 mg a day"},
        )
    with pytest.raises(services.EpisodeEnded):
        services.attach_leaflet(
            actor=world.clinician, plan=plan, leaflet=builders.leaflet("amitriptyline")
        )
    with pytest.raises(services.EpisodeEnded):
        services.remove_leaflet(actor=world.clinician, link=link)
    trial.refresh_from_db()
    link.refresh_from_db()
    assert (trial.outcome, trial.reductions.count(), plan.trials.count()) == ("ongoing", 0, 1)
    assert link.removed_at is None and plan.leaflet_links.count() == 1
    assert not Notification.objects.filter(kind="leaflet_added").exists()


def test_a_draft_of_an_ended_episode_can_be_neither_saved_nor_agreed(world):
    version = builders.plan(world.patient).versions.get()
    builders.fill_draft(version)
    _discharge(version.plan.episode)
    with pytest.raises(services.EpisodeEnded):
        services.update_draft(
            actor=world.clinician, version=version, fields={"what_matters": "Changed"}
        )
    with pytest.raises(services.EpisodeEnded):
        services.agree_version(actor=world.clinician, version=version)
    version.refresh_from_db()
    assert (version.status, version.what_matters) == ("draft", "Walking the dog every day")


def test_a_draft_saves_its_fields_and_rows(world):
    version = builders.plan(world.patient).versions.get()
    services.update_draft(
        actor=world.clinician,
        version=version,
        fields={"what_matters": "Work"},
        items={
            "goals": [
                ItemChange(pk=None, data=goal("Walk")),
                ItemChange(pk=None, data=goal("Swim")),
            ],
            "self_management": [
                ItemChange(
                    pk=None,
                    data={
                        "category": "sleep",
                        "action": "Bed by 11",
                        "owner": "patient",
                        "support": "",
                    },
                )
            ],
        },
    )
    walk = Goal.objects.get(version=version, description="Walk")
    services.update_draft(
        actor=world.clinician,
        version=version,
        fields={},
        items={
            "goals": [
                ItemChange(pk=walk.pk, data=goal("Walk far", current=5)),
                ItemChange(pk=Goal.objects.get(description="Swim").pk, delete=True),
            ]
        },
    )
    assert list(Goal.objects.filter(version=version).values_list("description", "current")) == [
        ("Walk far", 5)
    ]


def test_more_than_five_goals_saves_nothing(world):
    version = builders.plan(world.patient).versions.get()
    with pytest.raises(services.CarePlanError, match="up to 5 goals"):
        services.update_draft(
            actor=world.clinician,
            version=version,
            fields={"what_matters": "Changed"},
            items={"goals": [ItemChange(pk=None, data=goal(f"G{i}")) for i in range(6)]},
        )
    version.refresh_from_db()
    assert version.what_matters == "" and not Goal.objects.filter(version=version).exists()


def test_a_row_of_another_version_cannot_be_edited_through_this_one(world):
    first = builders.fill_draft(builders.plan(world.patient).versions.get())
    second = builders.plan(world.other_patient).versions.get()
    foreign = Goal.objects.get(version=first)
    with pytest.raises(services.CarePlanError, match="out of date"):
        services.update_draft(
            actor=world.clinician,
            version=second,
            fields={},
            items={"goals": [ItemChange(pk=foreign.pk, data=goal("Hijack"))]},
        )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"goals": []}, "Add at least one goal"),
        ({"what_matters": "  "}, "what matters"),
        ({"next_review_on": None}, "next review date"),
        ({"next_review_on": date(2099, 1, 1)}, "must be within 18 months"),
    ],
)
def test_a_plan_cannot_be_agreed_without_goal_what_matters_and_review(world, setup, message):
    version = builders.plan(world.patient).versions.get()
    goals = setup.pop("goals", None)
    builders.fill_draft(version, goals=goals, **setup)
    with pytest.raises(services.CannotAgree, match=message):
        services.agree_version(actor=world.clinician, version=version)
    version.refresh_from_db()
    assert version.status == "draft" and version.agreed_at is None
    assert not Milestone.objects.filter(kind="care_plan_agreed").exists()


def test_agreeing_the_first_plan_writes_the_milestone_and_tells_the_patient(world):
    version = builders.fill_draft(builders.plan(world.patient).versions.get())
    services.agree_version(actor=world.clinician, version=version)
    version.refresh_from_db()
    assert version.status == "agreed" and version.agreed_by == world.clinician
    assert (
        Milestone.objects.filter(episode=version.plan.episode, kind="care_plan_agreed").count() == 1
    )
    (message,) = Notification.objects.filter(patient=world.patient)
    assert (message.channel, message.template) == ("email", "careplans-plan-agreed")
    assert set(message.context) == {"link", "preferences_link"}  # no clinical detail


def test_a_goal_rating_keeps_the_day_it_was_given_into_later_versions(world, login):
    plan = builders.plan(world.patient, actor=world.clinician)
    v1 = plan.versions.get(number=1)
    builders.fill_draft(
        v1, goals=[{"description": "Walk the dog", "baseline": 3, "target": 7, "current": 4}]
    )
    rated = Goal.objects.get(version=v1)
    assert rated.current_rated_on == timezone.localdate()
    services.agree_version(actor=world.clinician, version=v1)
    earlier = timezone.localdate() - timedelta(days=60)
    Goal.objects.filter(pk=rated.pk).update(current_rated_on=earlier)

    mine = login(world.patient_user).get("/care-plans/my/").content.decode()
    assert f'4 out of 10<br><span class="nhsuk-body-s">rated {earlier:%-d %B %Y}</span>' in mine

    v2 = services.start_new_version(actor=world.clinician, plan=plan)
    copied = Goal.objects.get(version=v2)
    assert (copied.current, copied.current_rated_on) == (4, earlier)
    client = login(world.clinician)
    edit = client.get(f"/care-plans/versions/{v2.uuid}/edit/").content.decode()
    assert f"Rated on {earlier:%-d %B %Y}. Change it when the patient rates it again." in edit
    # Saved again unchanged, it keeps its day; rated again, it is dated today.
    same = {"description": "Walk the dog", "baseline": 3, "target": 7, "current": 4}
    services.update_draft(
        actor=world.clinician,
        version=v2,
        fields={},
        items={"goals": [ItemChange(pk=copied.pk, data=same)]},
    )
    copied.refresh_from_db()
    assert copied.current_rated_on == earlier
    services.update_draft(
        actor=world.clinician,
        version=v2,
        fields={},
        items={"goals": [ItemChange(pk=copied.pk, data={**same, "current": 6})]},
    )
    copied.refresh_from_db()
    assert (copied.current, copied.current_rated_on) == (6, timezone.localdate())
    services.update_draft(
        actor=world.clinician,
        version=v2,
        fields={},
        items={"goals": [ItemChange(pk=copied.pk, data={**same, "current": None})]},
    )
    copied.refresh_from_db()
    assert (copied.current, copied.current_rated_on) == (None, None)


def test_an_agreed_version_never_changes_and_a_new_version_supersedes_it(world):
    plan = builders.agreed_plan(world.patient, actor=world.clinician)
    v1 = plan.versions.get(number=1)
    with pytest.raises(services.VersionLocked, match="cannot be changed"):
        services.update_draft(actor=world.clinician, version=v1, fields={"what_matters": "X"})
    with pytest.raises(services.VersionLocked):
        services.agree_version(actor=world.clinician, version=v1)

    v2 = services.start_new_version(actor=world.clinician, plan=plan)
    assert services.start_new_version(actor=world.clinician, plan=plan) == v2  # one draft
    assert v2.number == 2 and v2.what_matters == v1.what_matters
    copied, original = Goal.objects.get(version=v2), Goal.objects.get(version=v1)
    assert copied.lineage == original.lineage and copied.pk != original.pk
    services.update_draft(
        actor=world.clinician,
        version=v2,
        fields={"what_matters": "Walking further"},
        items={"goals": [ItemChange(pk=copied.pk, data=goal("Walk the dog", current=6))]},
    )
    services.agree_version(actor=world.clinician, version=v2)

    v1.refresh_from_db()
    assert v1.status == "superseded" and v1.superseded_at is not None
    assert v1.what_matters == "Walking the dog every day"
    assert Goal.objects.get(version=v1).current is None
    assert Milestone.objects.filter(kind="care_plan_agreed").count() == 1
    v2.refresh_from_db()
    previous, changes = selectors.changes_since_previous(v2)
    assert previous == v1
    assert [(c.kind, c.label) for c in changes] == [
        ("changed", "What matters to me"),
        ("changed", "Walk the dog"),
    ]
    assert changes[1].details == ("Rating now: none → 6",)


def test_the_database_keeps_one_draft_and_one_agreed_version_per_plan(world):
    plan = builders.agreed_plan(world.patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanVersion.objects.create(plan=plan, number=2, status="agreed")
    services.start_new_version(actor=world.clinician, plan=plan)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanVersion.objects.create(plan=plan, number=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanVersion.objects.create(plan=plan, number=2, status="superseded")


def test_the_database_refuses_agreed_rows_without_time_and_ratings_out_of_range(world):
    plan = builders.plan(world.patient)
    version = plan.versions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanVersion.objects.filter(pk=version.pk).update(status="agreed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.create(version=version, description="x", baseline=11, target=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.create(version=version, description="x", baseline=5, target=5, current=11)


# --- treatment trials ----------------------------------------------------------------------------


def test_starting_a_trial_sets_a_twelve_week_review_and_the_treatment_started_milestone(world):
    plan = builders.plan(world.patient)
    started = TODAY() - timedelta(days=3)
    trial = builders.trial(plan, started_on=started)
    assert trial.review_due == started + timedelta(days=84)
    assert trial.medicine_class == "beta_blocker"
    (milestone,) = Milestone.objects.filter(episode=plan.episode, kind="treatment_started")
    assert timezone.localdate(milestone.occurred_at) == started
    builders.trial(plan, medicine_code="candesartan")
    assert Milestone.objects.filter(kind="treatment_started").count() == 1


def test_a_treatments_outcome_first_recorded_is_its_effectiveness_review(world):
    # DESIGN.md section 3: treatment started to effectiveness review, 84 days, ends at the
    # episode's "review held".
    plan = builders.plan(world.patient)
    trial = builders.failed(plan, "propranolol")  # reviewed as not working
    (held,) = Milestone.objects.filter(episode=plan.episode, kind="review_held")
    assert held.occurred_at == TreatmentTrial.objects.get(pk=trial.pk).outcome_recorded_at
    # A correction of the outcome is not a second review.
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})
    assert Milestone.objects.filter(kind="review_held").count() == 1
    # Nor is a review that leaves it ongoing.
    ongoing = builders.trial(plan, medicine_code="candesartan")
    services.review_trial(actor=world.clinician, trial=ongoing, data={"outcome": "ongoing"})
    assert Milestone.objects.filter(kind="review_held").count() == 1


def test_a_medicine_already_taken_is_not_a_treatment_start(world):
    plan = builders.plan(world.patient, condition="chronic_pain")
    builders.trial(plan, medicine_code="tramadol", role="pain", already_taking=True)
    assert not Milestone.objects.filter(kind="treatment_started").exists()


def test_how_a_medicine_taken_before_referral_went_is_not_a_review_held(world):
    # Its outcome is history told at the first conversation: no effectiveness review of a
    # treatment the pathway started, so no "review held" on the episode's timeline.
    plan = builders.plan(world.patient)
    builders.failed(plan, "candesartan", already_taking=True)
    assert not Milestone.objects.filter(kind="review_held").exists()


def test_the_migration_takes_off_review_held_written_for_a_medicine_taken_before(world):
    from django.apps import apps

    migration = importlib.import_module(
        "careplans.migrations.0013_no_review_held_for_medicines_taken_before"
    )
    plan = builders.plan(world.patient)
    before = builders.failed(plan, "candesartan", already_taking=True)
    started = builders.failed(plan, "propranolol")  # a real effectiveness review: kept
    # As the code before the fix wrote it.
    Milestone.objects.create(
        episode=plan.episode, kind="review_held", occurred_at=before.outcome_recorded_at
    )
    # Another, whose outcome was then changed: its stamp moved on, its audit row did not.
    again = builders.failed(plan, "amitriptyline", already_taking=True)
    first_stamp = TreatmentTrial.objects.get(pk=again.pk).outcome_recorded_at
    Milestone.objects.create(episode=plan.episode, kind="review_held", occurred_at=first_stamp)
    services.review_trial(actor=world.clinician, trial=again, data={"outcome": "not_tolerated"})
    assert TreatmentTrial.objects.get(pk=again.pk).outcome_recorded_at != first_stamp
    migration.remove(apps, None)
    assert list(
        Milestone.objects.filter(kind="review_held").values_list("occurred_at", flat=True)
    ) == [TreatmentTrial.objects.get(pk=started.pk).outcome_recorded_at]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"review_due": "start-1"}, "on or after the start date"),
        ({"started_on": "tomorrow"}, "today or in the past"),
        ({"started_on": "before birth"}, "after the patient's date of birth"),
        ({"medicine_code": "other"}, "name of the medicine"),
        (
            {"baseline_headache_days": Decimal(4), "baseline_migraine_days": Decimal(5)},
            "cannot be more than headache days",
        ),
    ],
)
def test_a_trial_with_bad_dates_or_figures_is_refused(world, data, message):
    plan = builders.plan(world.patient)
    start = TODAY() - timedelta(days=5)
    data = dict(data)
    if data.get("review_due") == "start-1":
        data.update(started_on=start, review_due=start - timedelta(days=1))
    if data.get("started_on") == "tomorrow":
        data["started_on"] = TODAY() + timedelta(days=1)
    if data.get("started_on") == "before birth":
        data["started_on"] = world.patient.date_of_birth - timedelta(days=1)
    with pytest.raises(services.CarePlanError, match=message):
        builders.trial(plan, **data)
    assert not TreatmentTrial.objects.exists()


def test_starting_an_opioid_for_chronic_pain_needs_the_ng193_warning_acknowledged(world):
    plan = builders.plan(world.patient, condition="chronic_pain")
    with pytest.raises(services.NeedsAcknowledgement) as caught:
        builders.trial(plan, medicine_code="pregabalin", role="pain")
    assert caught.value.prompt.code == "ng193_do_not_initiate"
    assert not TreatmentTrial.objects.exists()
    trial = builders.trial(
        plan, medicine_code="pregabalin", role="pain", start_warning_acknowledged=True
    )
    assert trial.start_warning_acknowledged
    (view,) = selectors.plans_for_patient(world.patient)
    assert [p.code for p in view.trials[0].prompts] == ["ng193_do_not_initiate"]


def test_a_cgrp_antibody_already_taken_needs_no_acknowledgement(world):
    """The pathway did not start it: NICE's recommendation is not the care team's to meet."""
    plan = builders.plan(world.patient)
    with pytest.raises(services.NeedsAcknowledgement) as caught:
        builders.trial(plan, medicine_code="galcanezumab", started_on=TODAY())
    assert caught.value.prompt.code == "ta_cgrp_outside"
    trial = builders.trial(plan, medicine_code="galcanezumab", already_taking=True)
    assert not trial.start_warning_acknowledged


def test_the_failed_preventives_counted_for_a_start_are_the_plans_own(world):
    plan = builders.plan(world.patient)
    builders.failed(plan, "propranolol")
    builders.failed(plan, "propranolol")  # the same medicine again counts once
    builders.failed(plan, "amitriptyline", adequate=False)  # not an adequate trial
    builders.failed(plan, "topiramate", "not_tolerated")
    assert selectors.failed_preventives_of(plan) == 2
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 2
    with pytest.raises(services.NeedsAcknowledgement, match="3 preventive medicines have failed"):
        builders.trial(plan, medicine_code="botulinum_toxin_a", started_on=TODAY())
    builders.failed(plan, "candesartan")
    trial = builders.trial(
        plan,
        medicine_code="botulinum_toxin_a",
        started_on=TODAY(),
        baseline_headache_days=Decimal(18),
        baseline_migraine_days=Decimal(9),
    )
    assert not trial.start_warning_acknowledged


def test_a_cgrp_antibody_that_failed_is_not_a_failure_the_next_one_counts(world):
    plan = builders.plan(world.patient)
    builders.failed(plan, "propranolol")
    builders.failed(plan, "topiramate")
    builders.failed(plan, "erenumab", "not_tolerated", start_warning_acknowledged=True)
    assert selectors.failed_preventives_of(plan) == 3
    assert selectors.failed_preventives_of(plan, leaving_out=rules.CGRP_ANTIBODY) == 2
    for code in ("erenumab", "fremanezumab"):
        with pytest.raises(services.NeedsAcknowledgement) as caught:
            builders.trial(plan, medicine_code=code, started_on=TODAY())
        prompt = caught.value.prompt
        assert prompt.title == (
            "NICE's appraisals do not cover another CGRP antibody after one has failed"
        )
        assert "Erenumab failed already" in prompt.body
        assert "2 preventive treatments on record have failed" in prompt.body
    # Botulinum toxin A counts the failed CGRP antibody among its 3.
    trial = builders.trial(
        plan,
        medicine_code="botulinum_toxin_a",
        started_on=TODAY(),
        baseline_headache_days=Decimal(20),
        baseline_migraine_days=Decimal(10),
    )
    assert not trial.start_warning_acknowledged


def test_a_patient_under_18_is_warned_of_at_the_start_date(world):
    from pathway.models import Patient

    Patient.objects.filter(pk=world.patient.pk).update(
        date_of_birth=TODAY() - timedelta(days=17 * 365)  # 16 or 17 years old
    )
    world.patient.refresh_from_db()
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "topiramate"):
        builders.failed(plan, code)
    with pytest.raises(services.NeedsAcknowledgement, match="for adults only"):
        builders.trial(plan, medicine_code="galcanezumab", started_on=TODAY())


def test_an_opioid_for_headache_shows_the_cg150_warning(world):
    plan = builders.plan(world.patient)
    with pytest.raises(services.NeedsAcknowledgement) as caught:
        builders.trial(plan, medicine_code="codeine", role="acute")
    assert caught.value.prompt.code == "cg150_no_opioids"


def test_an_existing_opioid_prompts_a_review_until_a_decision_is_recorded(world):
    plan = builders.plan(world.patient, condition="chronic_pain")
    trial = builders.trial(plan, medicine_code="morphine", role="pain", already_taking=True)
    (view,) = selectors.plans_for_patient(world.patient)
    assert [p.code for p in view.trials[0].prompts] == ["ng193_review_existing"]
    services.review_trial(actor=world.clinician, trial=trial, data={"review_decision": "continue"})
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.trials[0].prompts == []


def _tramadol(world, dose):
    """Tramadol the chronic-pain patient already takes at `dose`: 40 mg oral morphine a day."""
    return builders.trial(
        builders.plan(world.patient, condition="chronic_pain"),
        medicine_code="tramadol",
        role="pain",
        already_taking=True,
        dose=dose,
        started_on=TODAY() - timedelta(days=200),
        daily_morphine_equivalent_mg=Decimal(40),
    )


def test_reductions_record_deprescribing_from_baseline_to_now(world):
    trial = _tramadol(world, "100 mg four times a day")
    assert selectors.deprescribing_counts(Patient.objects.all()) == {"baseline": 1, "now": 1}
    services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={
            "step": "reduced",
            "reduced_on": TODAY() - timedelta(days=30),
            "dose": "50 mg four times a day",
            "daily_morphine_equivalent_mg": Decimal(20),
        },
    )
    trial.refresh_from_db()
    assert trial.review_decision == "reduce" and trial.is_ongoing
    services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    trial.refresh_from_db()
    assert trial.outcome == "stopped" and trial.outcome_recorded_at is not None
    assert list(MedicationReduction.objects.values_list("step", "medicine_class")) == [
        ("reduced", "opioid"),
        ("stopped", "opioid"),
    ]
    assert selectors.deprescribing_counts(Patient.objects.all()) == {"baseline": 1, "now": 0}
    with pytest.raises(services.CarePlanError, match="already stopped"):
        services.record_reduction(
            actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
        )


def test_a_treatment_recorded_by_mistake_leaves_the_plan_and_the_milestone_follows(world):
    plan = builders.plan(world.patient)
    wrong = builders.trial(plan, started_on=TODAY() - timedelta(days=20))
    right = builders.trial(
        plan, medicine_code="amitriptyline", started_on=TODAY() - timedelta(days=5)
    )
    (milestone,) = Milestone.objects.filter(episode=plan.episode, kind="treatment_started")
    assert timezone.localdate(milestone.occurred_at) == wrong.started_on
    services.mark_trial_entered_in_error(actor=world.clinician, trial=wrong)
    milestone.refresh_from_db()
    # The wait to first treatment ends when the real first treatment began.
    assert timezone.localdate(milestone.occurred_at) == right.started_on
    assert [t.pk for t in plan.trials.filter(entered_in_error=False)] == [right.pk]
    with pytest.raises(services.CarePlanError, match="already marked"):
        services.mark_trial_entered_in_error(actor=world.clinician, trial=wrong)
    services.mark_trial_entered_in_error(actor=world.clinician, trial=right)
    assert not Milestone.objects.filter(episode=plan.episode, kind="treatment_started").exists()
    assert ["entered_in_error"] in AuditEvent.objects.filter(object_uuid=right.uuid).values_list(
        "fields", flat=True
    )


def test_a_step_cannot_be_dated_before_the_latest_step(world):
    trial = _tramadol(world, "100 mg four times a day")
    latest = TODAY() - timedelta(days=5)
    services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={
            "step": "reduced",
            "reduced_on": latest,
            "dose": "50 mg",
            "daily_morphine_equivalent_mg": Decimal(20),
        },
    )
    for data in (
        {"step": "stopped"},
        {"step": "reduced", "dose": "25 mg", "daily_morphine_equivalent_mg": Decimal(10)},
    ):
        with pytest.raises(services.CarePlanError, match="on or after the last step recorded"):
            services.record_reduction(
                actor=world.clinician,
                trial=trial,
                data={**data, "reduced_on": latest - timedelta(days=1)},
            )
    trial.refresh_from_db()
    assert trial.is_ongoing and trial.reductions.count() == 1
    services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": latest}
    )


def test_a_step_typed_wrongly_is_removed_as_entered_in_error_and_the_next_one_recorded(world):
    trial = _tramadol(world, "100 mg four times a day")
    day = TODAY() - timedelta(days=3)
    wrong = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={
            "step": "reduced",
            "reduced_on": day,
            "dose": "50 mg",
            "daily_morphine_equivalent_mg": Decimal("0.5"),
        },
    )
    right = {
        "step": "reduced",
        "reduced_on": day,
        "dose": "50 mg",
        "daily_morphine_equivalent_mg": Decimal(5),
    }
    with pytest.raises(services.CarePlanError, match="cannot raise the dose"):
        services.record_reduction(actor=world.clinician, trial=trial, data=right)
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=wrong.uuid)
    wrong.refresh_from_db()
    assert wrong.entered_in_error
    services.record_reduction(actor=world.clinician, trial=trial, data=right)
    assert [s.daily_morphine_equivalent_mg for s in selectors.reduction_steps(trial)] == [
        Decimal(5)
    ]
    assert ["entered_in_error"] in AuditEvent.objects.filter(object_uuid=wrong.uuid).values_list(
        "fields", flat=True
    )


def test_only_the_latest_step_is_removed_and_a_stop_removed_puts_the_medicine_back(world):
    trial = _tramadol(world, "100 mg four times a day")
    first = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY() - timedelta(days=9), "dose": "50 mg"},
    )
    stop = services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    trial.refresh_from_db()
    assert trial.outcome == "stopped"
    with pytest.raises(services.CarePlanError, match="only the latest step can be removed"):
        services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=first.uuid)
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=stop.uuid)
    trial.refresh_from_db()
    assert trial.outcome == "ongoing" and trial.outcome_recorded_at is None
    assert selectors.reduction_steps(trial) == [first]
    # The page opened before: the same step again is not the latest any more.
    with pytest.raises(services.CarePlanError, match="changed since the page was opened"):
        services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=stop.uuid)


@pytest.mark.parametrize("before", ["", "continue"])
def test_removing_the_only_step_gives_back_the_review_decision_it_made(world, before):
    trial = _tramadol(world, "100 mg four times a day")
    if before:
        services.review_trial(actor=world.clinician, trial=trial, data={"review_decision": before})
    first = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY() - timedelta(days=9), "dose": "50 mg"},
    )
    second = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY(), "dose": "25 mg"},
    )
    assert (first.decision_before, second.decision_before) == (before, "reduce")
    # A step left: the medicine is still being reduced.
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=second.uuid)
    trial.refresh_from_db()
    assert trial.review_decision == "reduce"
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=first.uuid)
    trial.refresh_from_db()
    assert trial.review_decision == before
    assert ["review_decision"] in AuditEvent.objects.filter(object_uuid=trial.uuid).values_list(
        "fields", flat=True
    )


def test_a_step_removed_after_a_review_changed_the_decision_leaves_it(world):
    trial = _tramadol(world, "100 mg four times a day")
    step = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY(), "dose": "50 mg"},
    )
    services.review_trial(actor=world.clinician, trial=trial, data={"review_decision": "continue"})
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=step.uuid)
    trial.refresh_from_db()
    assert trial.review_decision == "continue"


def test_a_step_recorded_before_its_decision_was_kept_leaves_the_decision(world):
    trial = _tramadol(world, "100 mg four times a day")
    step = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY(), "dose": "50 mg"},
    )
    MedicationReduction.objects.filter(pk=step.pk).update(decision_before=None)
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=step.uuid)
    trial.refresh_from_db()
    assert trial.review_decision == "reduce"


def _amitriptyline_working(world):
    """Amitriptyline started 100 days ago and reviewed as effective."""
    trial = builders.trial(
        builders.agreed_plan(world.patient),
        medicine_code="amitriptyline",
        started_on=TODAY() - timedelta(days=100),
    )
    return services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=90)},
    )


def test_a_stop_removed_as_entered_in_error_gives_back_the_outcome_it_ended(world):
    trial = _amitriptyline_working(world)
    reviewed_at = trial.outcome_recorded_at
    stop = services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    assert (stop.outcome_before, stop.outcome_recorded_before) == ("effective", reviewed_at)
    trial.refresh_from_db()
    assert trial.outcome == "stopped" and trial.outcome_recorded_at > reviewed_at
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=stop.uuid)
    trial.refresh_from_db()
    assert (trial.outcome, trial.outcome_recorded_at) == ("effective", reviewed_at)
    assert trial in selectors.trials_past_review(
        Patient.objects.all(), today=trial.review_due + timedelta(days=1)
    )
    # The stop's own row and its removal's: the outcome, and the decision the stop made.
    changes = AuditEvent.objects.filter(object_uuid=trial.uuid).values_list("fields", flat=True)
    assert list(changes).count(["outcome", "outcome_recorded_at", "review_decision"]) == 2
    assert trial.review_decision == ""


def test_a_stop_removed_after_another_outcome_was_recorded_leaves_that_outcome(world):
    trial = _amitriptyline_working(world)
    stop = services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})
    trial.refresh_from_db()
    recorded = trial.outcome_recorded_at
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=stop.uuid)
    trial.refresh_from_db()
    assert (trial.outcome, trial.outcome_recorded_at) == ("not_tolerated", recorded)


def test_a_stop_recorded_before_its_outcome_was_kept_is_removed_to_ongoing(world):
    trial = _amitriptyline_working(world)
    stop = services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    MedicationReduction.objects.filter(pk=stop.pk).update(
        outcome_before="", outcome_recorded_before=None
    )
    services.remove_latest_reduction(actor=world.clinician, trial=trial, step_uuid=stop.uuid)
    trial.refresh_from_db()
    assert (trial.outcome, trial.outcome_recorded_at) == ("ongoing", None)


def test_only_a_stop_keeps_the_outcome_it_ended_with_its_time(world):
    trial = _tramadol(world, "100 mg four times a day")
    step = services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY(), "dose": "50 mg"},
    )
    assert (step.outcome_before, step.outcome_recorded_before, step.outcome_on_removal) == (
        "",
        None,
        None,
    )
    steps = MedicationReduction.objects.filter(pk=step.pk)
    for wrong in (
        {"outcome_before": "ongoing"},  # a step of reducing ends nothing
        {"step": "stopped", "outcome_before": "stopped", "outcome_recorded_before": TZNOW()},
        {"step": "stopped", "outcome_before": "effective"},  # without its time
        {"step": "stopped", "outcome_before": "ongoing", "outcome_recorded_before": TZNOW()},
        {"outcome_recorded_before": TZNOW()},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            steps.update(**wrong)


def test_a_reduction_cannot_be_dated_before_the_start_or_in_the_future(world):
    plan = builders.plan(world.patient, condition="chronic_pain")
    trial = builders.trial(plan, medicine_code="morphine", role="pain", already_taking=True)
    for day in (trial.started_on - timedelta(days=1), TODAY() + timedelta(days=1)):
        with pytest.raises(services.CarePlanError):
            services.record_reduction(
                actor=world.clinician,
                trial=trial,
                data={"step": "reduced", "reduced_on": day, "dose": "less"},
            )
    assert not MedicationReduction.objects.exists()


def test_the_outcome_time_follows_the_outcome(world):
    trial = builders.trial(builders.plan(world.patient))
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ineffective", "adequate_trial": False},
    )
    trial.refresh_from_db()
    assert trial.outcome_recorded_at is not None
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "ongoing"})
    trial.refresh_from_db()
    assert trial.outcome_recorded_at is None


def test_a_review_cannot_set_a_next_review_date_in_the_past(world):
    trial = builders.trial(builders.plan(world.patient))
    with pytest.raises(services.CarePlanError, match="today or later"):
        services.review_trial(
            actor=world.clinician,
            trial=trial,
            data={"outcome": "ineffective", "review_due": TODAY() - timedelta(days=1)},
        )
    trial.refresh_from_db()
    assert trial.outcome == "ongoing"


def test_trials_past_review_are_the_prescribe_and_forget_worklist(world):
    plan = builders.plan(world.patient)
    long_ago = TODAY() - timedelta(days=100)
    overdue = builders.trial(plan, started_on=long_ago, review_due=TODAY() - timedelta(days=1))
    builders.trial(plan, medicine_code="candesartan", started_on=long_ago, review_due=TODAY())
    reviewed = builders.trial(
        plan,
        medicine_code="topiramate",
        started_on=long_ago,
        review_due=TODAY() - timedelta(days=5),
    )
    services.review_trial(
        actor=world.clinician,
        trial=reviewed,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=90)},
    )
    stopped = builders.trial(
        plan,
        medicine_code="amitriptyline",
        started_on=long_ago,
        review_due=TODAY() - timedelta(days=4),
    )
    services.review_trial(
        actor=world.clinician,
        trial=stopped,
        data={"outcome": "ineffective", "adequate_trial": True},
    )
    builders.trial(
        builders.plan(world.patient_in_c),
        started_on=long_ago,
        review_due=TODAY() - timedelta(days=3),
    )
    visible = Patient.objects.filter(pk=world.patient.pk)
    assert list(selectors.trials_past_review(visible)) == [overdue]


def test_a_working_medicine_can_still_be_reduced_and_stopped(world):
    trial = _tramadol(world, "100 mg four times a day")
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=90)},
    )
    services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": TODAY(), "dose": "50 mg four times a day"},
    )
    services.record_reduction(
        actor=world.clinician, trial=trial, data={"step": "stopped", "reduced_on": TODAY()}
    )
    trial.refresh_from_db()
    assert trial.outcome == "stopped"


def test_a_medicine_taken_before_referral_keeps_its_review_prompt_while_it_works(world):
    trial = _tramadol(world, "100 mg four times a day")
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=90)},
    )
    trial.refresh_from_db()
    view = selectors.trial_view(trial, "chronic_pain", TODAY())
    assert [prompt.title for prompt in view.prompts] == ["Review Tramadol with the patient"]


def test_a_medicine_on_an_ended_episodes_plan_leaves_the_worklist(world):
    """The discharge letter hands what is still taken back to the GP: a review date passing
    later is not the team's, even while the patient has another episode open."""
    from tests.factories import EpisodeFactory

    plan = builders.plan(world.patient, condition="chronic_pain")
    long_ago = TODAY() - timedelta(days=200)
    builders.trial(plan, started_on=long_ago, review_due=TODAY() - timedelta(days=2))
    EpisodeFactory(patient=world.patient, condition="headache")
    visible = Patient.objects.filter(pk=world.patient.pk)
    assert selectors.trials_past_review(visible).count() == 1
    type(plan.episode).objects.filter(pk=plan.episode_id).update(
        status="discharged", closed_at=timezone.now()
    )
    assert selectors.trials_past_review(visible).count() == 0


def test_a_medicine_that_works_is_still_reviewed_when_its_next_review_passes(world):
    """Prescribe and forget: a treatment recorded as working carries on, so its next review
    date reaches the worklist like an ongoing trial's."""
    plan = builders.plan(world.patient)
    long_ago = TODAY() - timedelta(days=200)
    working = builders.trial(plan, started_on=long_ago, review_due=TODAY() - timedelta(days=100))
    services.review_trial(actor=world.clinician, trial=working, data={"outcome": "effective"})
    TreatmentTrial.objects.filter(pk=working.pk).update(review_due=TODAY() - timedelta(days=2))
    visible = Patient.objects.filter(pk=world.patient.pk)
    assert [(t.pk, t.outcome) for t in selectors.trials_past_review(visible)] == [
        (working.pk, "effective")
    ]


# --- prompts on the plan -------------------------------------------------------------------------


def test_figures_at_twelve_weeks_are_refused_before_twelve_weeks(world):
    plan = builders.plan(world.patient)
    started = TODAY() - timedelta(days=83)
    trial = builders.trial(
        plan, medicine_code="erenumab", started_on=started, start_warning_acknowledged=True
    )
    twelve_weeks = started + timedelta(days=84)
    with pytest.raises(
        services.CarePlanError,
        match=f"The figures at 12 weeks can be entered from {twelve_weeks:%-d %B %Y}",
    ):
        services.review_trial(
            actor=world.clinician, trial=trial, data={"month3_migraine_days": Decimal(5)}
        )
    TreatmentTrial.objects.filter(pk=trial.pk).update(started_on=started - timedelta(days=1))
    trial.refresh_from_db()
    services.review_trial(
        actor=world.clinician, trial=trial, data={"month3_migraine_days": Decimal(5)}
    )
    trial.refresh_from_db()
    assert trial.month3_migraine_days == 5


def test_the_cgrp_prompt_fires_from_figures_recorded_on_trials(world):
    plan = builders.plan(world.patient)
    builders.failed(plan, "propranolol")
    builders.failed(plan, "amitriptyline", "not_tolerated")
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 2 and view.prompts == []
    trial = builders.failed(plan, "topiramate")
    (view,) = selectors.plans_for_patient(world.patient)
    assert [p.code for p in view.prompts] == ["cgrp_needs_migraine_days"]
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"month3_headache_days": Decimal(10), "month3_migraine_days": Decimal("4.00")},
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert [p.code for p in view.prompts] == ["cgrp_consider"]
    # The page cites NICE, not the project's own notes.
    assert view.prompts[0].source == "NICE TA659, TA682, TA764"
    twelve_weeks = trial.started_on + timedelta(days=84)
    assert view.figures.source == f"at 12 weeks on Topiramate, about {twelve_weeks:%-d %B %Y}"
    assert not view.figures.from_diary
    services.review_trial(
        actor=world.clinician, trial=trial, data={"month3_migraine_days": Decimal("3.99")}
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.prompts == []


def test_diary_figures_passed_in_override_the_trial_records(world):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    figures = selectors.DiaryFigures(
        migraine_days_per_month=8.0, headache_days_per_month=15.0, source="the diary"
    )
    (view,) = selectors.plans_for_patient(world.patient, figures=figures)
    assert [p.code for p in view.prompts] == ["cgrp_consider", "botox_eligibility"]


def test_after_a_cgrp_antibody_fails_the_prompt_suggests_a_specialist_not_another(world):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan", "erenumab"):
        builders.failed(plan, code)
    figures = selectors.DiaryFigures(
        migraine_days_per_month=8.0, headache_days_per_month=10.0, source="the diary"
    )
    (view,) = selectors.plans_for_patient(world.patient, figures=figures)
    assert [p.code for p in view.prompts] == ["cgrp_failed_refer"]
    assert "including the CGRP antibody Erenumab" in view.prompts[0].body
    assert "Consider erenumab" not in view.prompts[0].body


def test_a_cgrp_antibody_at_twelve_weeks_shows_the_stopping_rule(world):
    plan = builders.plan(world.patient)
    trial = builders.trial(
        plan,
        medicine_code="erenumab",
        start_warning_acknowledged=True,
        started_on=TODAY() - timedelta(days=84),
        baseline_headache_days=Decimal(12),
        baseline_migraine_days=Decimal(10),
    )
    services.review_trial(
        actor=world.clinician, trial=trial, data={"month3_migraine_days": Decimal("5.01")}
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert [p.code for p in view.trials[0].prompts] == ["cgrp_stop"]
    services.review_trial(
        actor=world.clinician, trial=trial, data={"month3_migraine_days": Decimal(5)}
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert [p.code for p in view.trials[0].prompts] == ["cgrp_continue"]


def botox(world, *, days_ago=168, baseline=Decimal(20)):
    return builders.trial(
        builders.plan(world.patient),
        medicine_code="botulinum_toxin_a",
        start_warning_acknowledged=True,
        dose="155 units every 12 weeks",
        started_on=TODAY() - timedelta(days=days_ago),
        baseline_headache_days=baseline,
        baseline_migraine_days=Decimal(10),
    )


def trial_prompts(world):
    (view,) = selectors.plans_for_patient(world.patient)
    return [p.code for p in view.trials[0].prompts]


def test_botox_after_two_cycles_asks_for_headache_days_and_applies_the_stopping_rule(world):
    trial = botox(world)
    assert trial_prompts(world) == ["botox_needs_figure"]
    services.review_trial(
        actor=world.clinician, trial=trial, data={"cycle2_headache_days": Decimal("14.01")}
    )
    assert trial_prompts(world) == ["botox_stop"]
    services.review_trial(
        actor=world.clinician, trial=trial, data={"cycle2_headache_days": Decimal(14)}
    )
    assert trial_prompts(world) == ["botox_continue"]
    months = {f"recent_month{n}_headache_days": Decimal(12) for n in (1, 2, 3)}
    services.review_trial(actor=world.clinician, trial=trial, data=months)
    assert trial_prompts(world) == ["botox_stop_episodic"]
    trial.refresh_from_db()
    assert trial.recent_month3_headache_days == 12


def test_botox_figures_are_refused_before_the_treatment_has_run_long_enough(world):
    trial = botox(world, days_ago=89)
    assert trial_prompts(world) == []
    months = {f"recent_month{n}_headache_days": Decimal(12) for n in (1, 2, 3)}
    with pytest.raises(services.CarePlanError, match="last 3 months can be entered from"):
        services.review_trial(actor=world.clinician, trial=trial, data=months)
    two_cycles = trial.started_on + timedelta(days=168)
    with pytest.raises(
        services.CarePlanError,
        match=f"after 2 treatment cycles can be entered from {two_cycles:%-d %B %Y}, 24 weeks",
    ):
        services.review_trial(
            actor=world.clinician, trial=trial, data={"cycle2_headache_days": Decimal(10)}
        )
    TreatmentTrial.objects.filter(pk=trial.pk).update(started_on=trial.started_on - timedelta(1))
    trial.refresh_from_db()
    services.review_trial(actor=world.clinician, trial=trial, data=months)
    assert trial_prompts(world) == ["botox_stop_episodic"]


def test_botox_months_are_given_all_together_and_for_botox_only(world):
    trial = botox(world)
    with pytest.raises(services.CarePlanError, match="each of the last 3 months"):
        services.review_trial(
            actor=world.clinician, trial=trial, data={"recent_month1_headache_days": Decimal(9)}
        )
    other = builders.trial(
        builders.plan(world.patient_in_c),
        medicine_code="erenumab",
        start_warning_acknowledged=True,
        started_on=TODAY() - timedelta(days=200),
    )
    with pytest.raises(services.CarePlanError, match="to prevent headaches only"):
        services.review_trial(
            actor=world.clinician, trial=other, data={"cycle2_headache_days": Decimal(9)}
        )
    trial.refresh_from_db()
    other.refresh_from_db()
    assert trial.recent_month1_headache_days is None and other.cycle2_headache_days is None


def test_botox_without_a_baseline_asks_for_it_and_still_applies_the_three_month_rule(world):
    trial = botox(world, baseline=None, days_ago=200)
    assert trial_prompts(world) == ["botox_needs_baseline"]
    months = {f"recent_month{n}_headache_days": Decimal(10) for n in (1, 2, 3)}
    services.review_trial(actor=world.clinician, trial=trial, data=months)
    assert trial_prompts(world) == ["botox_stop_episodic"]
    (view,) = selectors.plans_for_patient(world.patient)
    assert f"the 3 months before {TODAY():%-d %B %Y}" in view.trials[0].prompts[0].body


def test_botox_recorded_as_effective_keeps_its_stopping_rules(world):
    trial = botox(world)
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={
            "outcome": "effective",
            "review_due": TODAY() + timedelta(days=84),
            "cycle2_headache_days": Decimal(10),
        },
    )
    assert trial_prompts(world) == ["botox_continue"]
    months = {f"recent_month{n}_headache_days": Decimal(9) for n in (1, 2, 3)}
    services.review_trial(actor=world.clinician, trial=trial, data=months)
    assert trial_prompts(world) == ["botox_stop_episodic"]
    # Taken and working: the plan does not suggest checking eligibility for it again.
    (view,) = selectors.plans_for_patient(world.patient)
    assert "botox_eligibility" not in [p.code for p in view.prompts]


def erenumab(world, *, days_ago=100, headache=Decimal(12), migraine=Decimal(10)):
    plan = builders.agreed_plan(world.patient)
    for code in ("propranolol", "amitriptyline", "topiramate"):
        builders.failed(plan, code)
    return builders.trial(
        plan,
        medicine_code="erenumab",
        dose="140 mg monthly",
        start_warning_acknowledged=True,
        started_on=TODAY() - timedelta(days=days_ago),
        review_due=TODAY() - timedelta(days=days_ago - 84),
        baseline_headache_days=headache,
        baseline_migraine_days=migraine,
    )


def trial_view_of(world):
    (view,) = selectors.plans_for_patient(world.patient)
    return next(t for t in view.trials if t.trial.medicine_code == "erenumab")


def test_a_cgrp_antibody_reviewed_as_working_without_its_twelve_week_figure_asks_for_it(world):
    trial = erenumab(world)
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=180)},
    )
    view = trial_view_of(world)
    assert [p.code for p in view.prompts] == ["cgrp_needs_figure"]
    assert view.stopping_rule.decision == rules.FIGURE_NEEDED
    services.review_trial(
        actor=world.clinician, trial=trial, data={"month3_migraine_days": Decimal(6)}
    )
    view = trial_view_of(world)
    assert [p.code for p in view.prompts] == ["cgrp_stop"]


def test_a_cgrp_antibody_is_not_asked_for_its_twelve_week_figure_before_twelve_weeks(world):
    trial = erenumab(world, days_ago=83)
    view = trial_view_of(world)
    assert view.prompts == [] and view.stopping_rule.decision == rules.NOT_YET_DUE
    tomorrow = selectors.trial_view(trial, "headache", TODAY() + timedelta(days=1))
    assert [p.code for p in tomorrow.prompts] == ["cgrp_needs_figure"]


@pytest.mark.parametrize(
    ("headache", "migraine"),
    [(None, None), (Decimal(12), None), (None, Decimal(10)), (Decimal(12), Decimal(0))],
)
def test_a_cgrp_antibody_without_the_figures_before_starting_asks_for_them(
    world, headache, migraine
):
    erenumab(world, headache=headache, migraine=migraine)
    view = trial_view_of(world)
    assert [p.code for p in view.prompts] == ["cgrp_needs_baseline"]
    assert view.stopping_rule.decision == rules.BASELINE_NEEDED


def test_a_cgrp_antibody_that_has_ended_is_not_asked_for_figures(world):
    trial = erenumab(world, headache=None, migraine=None)
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})
    view = trial_view_of(world)
    assert view.prompts == [] and view.stopping_rule is None


def test_the_latest_figures_on_a_treatment_are_those_of_the_latest_time_they_describe(world):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    older = builders.trial(
        plan,
        medicine_code="erenumab",
        started_on=TODAY() - timedelta(days=300),
        baseline_headache_days=Decimal(20),
        baseline_migraine_days=Decimal(10),
    )
    # 12-week figures typed in today describe 216 days ago, not today.
    services.review_trial(
        actor=world.clinician,
        trial=older,
        data={"month3_headache_days": Decimal(17), "month3_migraine_days": Decimal(9)},
    )
    trial = builders.trial(
        plan,
        medicine_code="botulinum_toxin_a",
        started_on=TODAY() - timedelta(days=120),
        baseline_headache_days=Decimal(20),
        baseline_migraine_days=Decimal(10),
    )
    months = {f"recent_month{n}_headache_days": Decimal(12) for n in (1, 2, 3)}
    services.review_trial(actor=world.clinician, trial=trial, data=months)
    (view,) = selectors.plans_for_patient(world.patient)
    started = trial.started_on
    assert view.figures.source == (
        f"migraine days before starting Botulinum toxin type A on {started:%-d %B %Y}; "
        f"headache days on Botulinum toxin type A in the 3 months to {TODAY():%-d %B %Y}"
    )
    assert view.figures.headache_days_per_month == 12
    assert view.figures.migraine_days_per_month == 10
    # No botulinum toxin A eligibility prompt from the older, chronic figures.
    assert "botox_eligibility" not in [p.code for p in view.prompts]


def test_headache_days_on_botox_do_not_hide_the_migraine_days_cgrp_needs(world):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    trial = builders.trial(
        plan,
        medicine_code="botulinum_toxin_a",
        started_on=TODAY() - timedelta(days=200),
        baseline_headache_days=Decimal(20),
        baseline_migraine_days=Decimal(12),
    )
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ineffective", "adequate_trial": True, "cycle2_headache_days": 18},
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert (view.figures.migraine_days_per_month, view.figures.headache_days_per_month) == (12, 18)
    assert view.figures.source.startswith("migraine days before starting Botulinum toxin type A")
    # A CGRP antibody is the next step; botulinum toxin A, which did not work, is not suggested.
    assert [p.code for p in view.prompts] == ["cgrp_consider"]


def test_botox_is_not_recorded_with_no_headache_days_before_it(world):
    with pytest.raises(services.CarePlanError, match="must be above 0"):
        builders.trial(
            builders.plan(world.patient),
            medicine_code="botulinum_toxin_a",
            baseline_headache_days=Decimal(0),
            baseline_migraine_days=Decimal(0),
        )
    assert not TreatmentTrial.objects.exists()


def test_botox_for_pain_is_not_judged_by_the_migraine_rules(world):
    trial = builders.trial(
        builders.plan(world.patient_in_c, condition="chronic_pain"),
        medicine_code="botulinum_toxin_a",
        role="pain",
        started_on=TODAY() - timedelta(days=200),
    )
    with pytest.raises(services.CarePlanError, match="to prevent headaches only"):
        services.review_trial(
            actor=world.clinician, trial=trial, data={"cycle2_headache_days": Decimal(9)}
        )
    (view,) = selectors.plans_for_patient(world.patient_in_c)
    assert view.trials[0].botox_rule is None


def test_clearing_the_three_months_clears_when_they_were_recorded(world):
    trial = botox(world)
    months = {f"recent_month{n}_headache_days": Decimal(16) for n in (1, 2, 3)}
    services.review_trial(actor=world.clinician, trial=trial, data=months)
    trial.refresh_from_db()
    assert trial.recent_months_recorded_on == TODAY()
    services.review_trial(actor=world.clinician, trial=trial, data=dict.fromkeys(months, None))
    trial.refresh_from_db()
    assert trial.recent_months_recorded_on is None


# --- leaflets ------------------------------------------------------------------------------------


def test_attaching_a_leaflet_can_tell_the_patient_once(world):
    plan = builders.agreed_plan(world.patient)
    leaflet = builders.leaflet("topiramate")
    link, created = services.attach_leaflet(
        actor=world.clinician, plan=plan, leaflet=leaflet, notify=True
    )
    again, created_again = services.attach_leaflet(
        actor=world.clinician, plan=plan, leaflet=leaflet, notify=True
    )
    assert created and not created_again and again == link
    (message,) = Notification.objects.filter(kind="leaflet_added")
    assert set(message.context) == {"link", "preferences_link"}  # links, no clinical detail
    assert message.context["link"].endswith("/care-plans/my/")


def test_a_leaflet_attached_twice_at_once_is_attached_once(world, monkeypatch):
    plan = builders.agreed_plan(world.patient)
    leaflet = builders.leaflet("topiramate")
    attached = []
    _meanwhile(
        monkeypatch,
        CarePlan,
        lambda: attached.append(
            services.attach_leaflet(
                actor=world.other_clinician, plan=plan, leaflet=leaflet, notify=True
            )
        ),
    )
    link, created = services.attach_leaflet(
        actor=world.clinician, plan=plan, leaflet=leaflet, notify=True
    )
    assert attached == [(link, True)] and not created
    assert list(plan.leaflet_links.all()) == [link]
    assert Notification.objects.filter(kind="leaflet_added").count() == 1


def test_a_plan_not_yet_agreed_tells_the_patient_nothing(world):
    # Until it is agreed the patient sees none of the plan, its leaflets included.
    services.attach_leaflet(
        actor=world.clinician,
        plan=builders.plan(world.patient),
        leaflet=builders.leaflet("topiramate"),
        notify=True,
    )
    assert not Notification.objects.exists()


def test_a_patient_without_consent_is_not_messaged(world):
    Patient.objects.filter(pk=world.patient.pk).update(sms_consent=False, email_consent=False)
    world.patient.refresh_from_db()
    plan = builders.agreed_plan(world.patient)
    services.attach_leaflet(
        actor=world.clinician, plan=plan, leaflet=builders.leaflet(), notify=True
    )
    assert not Notification.objects.exists()


def test_removing_a_leaflet_keeps_the_row(world):
    link = builders.attached(builders.plan(world.patient))
    services.remove_leaflet(actor=world.clinician, link=link)
    link.refresh_from_db()
    assert link.removed_at is not None
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.leaflets == []


# --- saves based on an out-of-date copy ----------------------------------------------------------


def _teammate(world):
    from tests.factories import UserFactory

    return UserFactory(role="clinician", full_name="Nurse Sam", organisations=[world.service])


def test_a_draft_saved_since_the_form_opened_is_not_overwritten(world):
    version = builders.plan(world.patient).versions.get()
    opened = version.updated_at  # both editors open the same copy
    services.update_draft(
        actor=_teammate(world), version=version, fields={"what_matters": "Swim"}, based_on=opened
    )
    edits_before = AuditEvent.objects.filter(action="update").count()
    with pytest.raises(services.ChangedSinceOpened) as caught:
        services.update_draft(
            actor=world.clinician,
            version=version,
            fields={"wellbeing_notes": "Low mood"},
            items={"goals": [ItemChange(pk=None, data=goal("Walk"))]},
            based_on=opened,
        )
    assert str(caught.value).startswith("This draft was changed by Nurse Sam at ")
    assert str(caught.value).endswith(" since you opened it.")
    version.refresh_from_db()
    assert (version.what_matters, version.wellbeing_notes) == ("Swim", "")
    assert not Goal.objects.filter(version=version).exists()
    assert AuditEvent.objects.filter(action="update").count() == edits_before
    # Based on the copy saved now, the same change goes through.
    services.update_draft(
        actor=world.clinician,
        version=version,
        fields={"wellbeing_notes": "Low mood"},
        based_on=caught.value.changed_at,
    )
    version.refresh_from_db()
    assert (version.what_matters, version.wellbeing_notes) == ("Swim", "Low mood")


def test_your_own_save_in_another_tab_is_named_as_yours(world):
    version = builders.plan(world.patient).versions.get()
    opened = version.updated_at
    services.update_draft(actor=world.clinician, version=version, fields={"what_matters": "A"})
    with pytest.raises(services.ChangedSinceOpened, match="changed by you in another tab"):
        services.update_draft(
            actor=world.clinician, version=version, fields={"what_matters": "B"}, based_on=opened
        )


def test_a_draft_changed_since_the_agree_page_opened_is_not_agreed(world):
    version = builders.fill_draft(builders.plan(world.patient).versions.get())
    shown = CarePlanVersion.objects.get(pk=version.pk).updated_at
    services.update_draft(
        actor=_teammate(world), version=version, fields={"what_matters": "Something else"}
    )
    with pytest.raises(services.ChangedSinceOpened, match="Nurse Sam"):
        services.agree_version(actor=world.clinician, version=version, based_on=shown)
    version.refresh_from_db()
    assert version.status == "draft"
    assert not Milestone.objects.filter(kind="care_plan_agreed").exists()


def test_a_trial_reviewed_since_the_form_opened_is_not_overwritten(world):
    trial = builders.trial(builders.plan(world.patient))
    opened = trial.updated_at
    services.review_trial(
        actor=_teammate(world),
        trial=trial,
        data={"outcome": "ineffective", "adequate_trial": True, "short_trial_confirmed": True},
        based_on=opened,
    )
    with pytest.raises(services.ChangedSinceOpened, match="This treatment was changed by Nurse"):
        services.review_trial(
            actor=world.clinician, trial=trial, data={"outcome": "effective"}, based_on=opened
        )
    trial.refresh_from_db()
    assert trial.outcome == "ineffective"


# --- the pathway's first treatment ---------------------------------------------------------------


def test_a_medicine_started_before_the_referral_is_not_the_first_treatment(world):
    from pathway.services import record_milestone

    plan = builders.plan(world.patient)
    referred = timezone.now() - timedelta(days=100)
    record_milestone(episode=plan.episode, kind="referral_received", occurred_at=referred)
    earlier = builders.trial(plan, started_on=TODAY() - timedelta(days=200))
    assert earlier.already_taking
    assert not Milestone.objects.filter(kind="treatment_started").exists()
    on_the_day = builders.trial(
        plan, medicine_code="candesartan", started_on=timezone.localdate(referred)
    )
    assert not on_the_day.already_taking
    (milestone,) = Milestone.objects.filter(episode=plan.episode, kind="treatment_started")
    assert timezone.localdate(milestone.occurred_at) == timezone.localdate(referred)


def test_without_a_referral_milestone_the_episode_opening_is_the_referral(world):
    plan = builders.plan(world.patient, condition="chronic_pain")
    opened = timezone.localdate(plan.episode.opened_at)
    # Started before the episode opened: an existing opioid, so a review, not a start warning.
    trial = builders.trial(
        plan, medicine_code="codeine", role="pain", started_on=opened - timedelta(days=1)
    )
    assert trial.already_taking and not trial.start_warning_acknowledged
    assert not Milestone.objects.filter(kind="treatment_started").exists()


def test_the_demo_starts_treatment_after_the_referral():
    from careplans import demo as careplans_demo
    from pathway import demo as kernel_demo

    context = kernel_demo.seed_kernel()
    careplans_demo.seed(context)
    started = Milestone.objects.filter(kind="treatment_started")
    assert started.exists()
    for milestone in started:
        referred = Milestone.objects.get(episode=milestone.episode, kind="referral_received")
        assert milestone.occurred_at >= referred.occurred_at
    alex = context.patients[0]
    trials = TreatmentTrial.objects.filter(plan__patient=alex)
    assert [t.medicine_code for t in trials if not t.already_taking] == ["topiramate"]
    assert selectors.trials_past_review(Patient.objects.filter(pk=alex.pk)).count() == 1


# --- whether a failed preventive was an adequate trial ------------------------------------------


def test_a_preventive_that_did_not_work_needs_an_answer_on_whether_the_trial_was_adequate(world):
    plan = builders.plan(world.patient)
    trial = builders.trial(plan, started_on=TODAY() - timedelta(days=100))
    with pytest.raises(services.CarePlanError, match="Say whether Propranolol was given at an"):
        services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "ineffective"})
    trial.refresh_from_db()
    assert (trial.outcome, trial.adequate_trial) == ("ongoing", None)
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 0

    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ineffective", "adequate_trial": False},
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 0  # stopped too early or too low a dose
    assert view.trials[0].outcome_note == (
        "Not an adequate trial, so not counted as a failed preventive."
    )
    services.review_trial(actor=world.clinician, trial=trial, data={"adequate_trial": True})
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 1 and view.trials[0].outcome_note == ""


def test_a_new_trial_has_no_answer_on_adequacy_until_one_is_given(world):
    trial = builders.trial(builders.plan(world.patient))
    assert trial.adequate_trial is None
    assert TreatmentTrial.objects.get(pk=trial.pk).adequate_trial is None


def test_a_change_of_outcome_asks_about_adequacy_again(world):
    trial = builders.failed(builders.plan(world.patient), "propranolol", adequate=True)
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ongoing", "review_due": TODAY() + timedelta(days=28)},
    )
    trial.refresh_from_db()
    assert trial.adequate_trial is None
    with pytest.raises(services.CarePlanError, match="adequate dose for long enough"):
        services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "ineffective"})


def test_intolerance_and_other_roles_need_no_answer_on_adequacy(world):
    plan = builders.plan(world.patient)
    intolerant = builders.trial(plan, medicine_code="topiramate")
    services.review_trial(
        actor=world.clinician, trial=intolerant, data={"outcome": "not_tolerated"}
    )
    for_attacks = builders.trial(plan, medicine_code="rimegepant", role="acute")
    services.review_trial(actor=world.clinician, trial=for_attacks, data={"outcome": "ineffective"})
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 1


# --- an adequate trial runs 12 weeks, or is confirmed --------------------------------------------


def _audited(trial) -> list[list[str]]:
    events = AuditEvent.objects.filter(object_uuid=trial.uuid).order_by("pk")
    return list(events.values_list("fields", flat=True))


def test_a_preventive_said_adequate_on_the_day_it_started_needs_a_confirmation(world):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline"):
        builders.failed(plan, code)  # tried for 120 days
    trial = builders.trial(plan, medicine_code="candesartan", started_on=TODAY())
    yes = {"outcome": "ineffective", "adequate_trial": True}
    with pytest.raises(services.CarePlanError) as refused:
        services.review_trial(actor=world.clinician, trial=trial, data=yes)
    assert str(refused.value) == (
        "Candesartan was tried for 0 days before it was recorded as not working, less than the "
        "12 weeks the app takes as an adequate trial. Confirm that it was an adequate trial "
        "even so, or answer no."
    )
    trial.refresh_from_db()
    assert (trial.outcome, trial.adequate_trial, trial.short_trial_confirmed) == (
        "ongoing",
        None,
        False,
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 2

    services.review_trial(
        actor=world.clinician, trial=trial, data={**yes, "short_trial_confirmed": True}
    )
    trial.refresh_from_db()
    assert trial.short_trial_confirmed and trial.days_tried == 0
    assert "short_trial_confirmed" in _audited(trial)[-1]
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 3
    assert view.trials[0].outcome_note == (
        "Tried for 0 days, less than 12 weeks: counted as a failed preventive because the "
        "clinician confirmed it was an adequate trial."
    )


def test_a_yes_after_12_weeks_needs_no_confirmation_and_keeps_none(world):
    plan = builders.plan(world.patient)
    trial = builders.trial(plan, started_on=TODAY() - timedelta(days=84))
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ineffective", "adequate_trial": True, "short_trial_confirmed": True},
    )
    trial.refresh_from_db()
    assert trial.adequate_trial is True and not trial.short_trial_confirmed
    assert "short_trial_confirmed" not in _audited(trial)[-1]
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 1 and view.trials[0].outcome_note == ""


def test_a_short_trial_is_counted_to_the_day_its_outcome_was_recorded(world):
    plan = builders.plan(world.patient)
    trial = builders.trial(plan, started_on=TODAY() - timedelta(days=100))
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ineffective", "adequate_trial": False},
    )
    # Judged not to work 10 days after it started; answered "yes" only now, 100 days on.
    TreatmentTrial.objects.filter(pk=trial.pk).update(
        outcome_recorded_at=timezone.now() - timedelta(days=90)
    )
    trial.refresh_from_db()
    assert trial.days_tried == 10
    with pytest.raises(services.CarePlanError, match="tried for 10 days before it was recorded"):
        services.review_trial(actor=world.clinician, trial=trial, data={"adequate_trial": True})


def test_a_change_of_outcome_or_answer_forgets_the_confirmation(world):
    plan = builders.plan(world.patient)
    trial = builders.trial(plan, started_on=TODAY() - timedelta(days=20))
    yes = {"outcome": "ineffective", "adequate_trial": True}
    services.review_trial(
        actor=world.clinician, trial=trial, data={**yes, "short_trial_confirmed": True}
    )
    # A review that changes neither keeps it.
    services.review_trial(actor=world.clinician, trial=trial, data={"notes": "Headaches worse"})
    trial.refresh_from_db()
    assert trial.short_trial_confirmed
    services.review_trial(actor=world.clinician, trial=trial, data={"adequate_trial": False})
    trial.refresh_from_db()
    assert not trial.short_trial_confirmed
    with pytest.raises(services.CarePlanError, match="Confirm that it was an adequate trial"):
        services.review_trial(actor=world.clinician, trial=trial, data={"adequate_trial": True})
    services.review_trial(
        actor=world.clinician, trial=trial, data={**yes, "short_trial_confirmed": True}
    )
    services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={"outcome": "ongoing", "review_due": TODAY() + timedelta(days=28)},
    )
    trial.refresh_from_db()
    assert (trial.adequate_trial, trial.short_trial_confirmed) == (None, False)


def test_a_yes_saved_for_a_short_trial_before_it_needed_confirming_is_not_counted(world):
    plan = builders.plan(world.patient)
    trial = builders.trial(plan, medicine_code="candesartan", started_on=TODAY())
    services.review_trial(
        actor=world.clinician, trial=trial, data={"outcome": "ineffective", "adequate_trial": False}
    )
    # As recorded before a short trial had to be confirmed: "yes" on the day it started.
    TreatmentTrial.objects.filter(pk=trial.pk).update(adequate_trial=True)
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.failed_preventives == 0
    assert view.trials[0].outcome_note == (
        "Said to be an adequate trial, but tried for 0 days, less than 12 weeks, and not "
        "confirmed: not counted as a failed preventive. Review it to confirm or correct."
    )


def test_the_database_keeps_a_confirmation_to_a_yes_for_a_preventive_that_did_not_work(world):
    trial = builders.trial(builders.plan(world.patient))
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentTrial.objects.filter(pk=trial.pk).update(short_trial_confirmed=True)


# --- the oral morphine equivalent belongs to opioids ----------------------------------------------


def test_a_morphine_equivalent_for_a_medicine_that_is_not_an_opioid_is_refused(world):
    plan = builders.plan(world.patient)
    with pytest.raises(services.CarePlanError, match="Propranolol is not an opioid"):
        builders.trial(plan, dose="80 mg", daily_morphine_equivalent_mg=Decimal(50))
    with pytest.raises(services.CarePlanError, match="opioid chosen from the list"):
        builders.trial(
            plan,
            medicine_code="other",
            medicine_name="Pizotifen",
            daily_morphine_equivalent_mg=Decimal(5),
        )
    assert not TreatmentTrial.objects.exists()
    trial = builders.trial(plan)
    with pytest.raises(services.CarePlanError, match="Propranolol is not an opioid"):
        services.review_trial(
            actor=world.clinician,
            trial=trial,
            data={"daily_morphine_equivalent_mg": Decimal(50)},
        )
    with pytest.raises(services.CarePlanError, match="Propranolol is not an opioid"):
        services.record_reduction(
            actor=world.clinician,
            trial=trial,
            data={
                "step": "reduced",
                "reduced_on": TODAY(),
                "dose": "40 mg",
                "daily_morphine_equivalent_mg": Decimal(25),
            },
        )
    trial.refresh_from_db()
    assert trial.daily_morphine_equivalent_mg is None
    assert not MedicationReduction.objects.exists()


def test_an_opioid_keeps_its_morphine_equivalent_and_an_older_one_on_anything_else_is_hidden(world):
    plan = builders.plan(world.patient, condition="chronic_pain")
    opioid = builders.trial(
        plan,
        medicine_code="tramadol",
        role="pain",
        already_taking=True,
        daily_morphine_equivalent_mg=Decimal(40),
    )
    assert opioid.morphine_equivalent_mg == Decimal(40)
    other = builders.trial(plan, medicine_code="amitriptyline", role="pain")
    TreatmentTrial.objects.filter(pk=other.pk).update(daily_morphine_equivalent_mg=50)
    other.refresh_from_db()
    assert other.morphine_equivalent_mg is None


# --- dates that make no sense ---------------------------------------------------------------------


def test_a_medicine_taken_for_years_is_reviewed_twelve_weeks_from_the_day_it_is_recorded(world):
    plan = builders.plan(world.patient)
    years_ago = TODAY().replace(year=TODAY().year - 6)
    trial = builders.trial(plan, started_on=years_ago)
    assert trial.already_taking
    assert trial.review_due == TODAY() + timedelta(days=84)
    assert not selectors.trials_past_review(Patient.objects.filter(pk=world.patient.pk)).exists()
    ticked = builders.trial(
        plan,
        medicine_code="candesartan",
        started_on=TODAY() - timedelta(days=30),
        already_taking=True,
    )
    assert ticked.review_due == TODAY() + timedelta(days=84)
    given = builders.trial(
        plan,
        medicine_code="topiramate",
        started_on=years_ago,
        review_due=TODAY() + timedelta(days=14),
    )
    assert given.review_due == TODAY() + timedelta(days=14)


def _responsibility(due_on, person="Sam Taylor, nurse"):
    return {"owner": "team", "person": person, "action": "Check the diary", "due_on": due_on}


def test_a_by_when_date_already_passed_is_refused_when_it_is_set(world):
    version = builders.plan(world.patient).versions.get()
    with pytest.raises(services.CarePlanError, match="Sam Taylor, nurse: The date in 'By when'"):
        services.update_draft(
            actor=world.clinician,
            version=version,
            fields={},
            items={
                "responsibilities": [ItemChange(pk=None, data=_responsibility(date(2020, 1, 1)))]
            },
        )
    assert not version.responsibilities.exists()
    services.update_draft(
        actor=world.clinician,
        version=version,
        fields={},
        items={"responsibilities": [ItemChange(pk=None, data=_responsibility(TODAY()))]},
    )
    assert version.responsibilities.get().due_on == TODAY()


def test_a_by_when_date_that_has_passed_since_is_kept_in_a_new_version(world):
    plan = builders.agreed_plan(world.patient)
    version = plan.versions.get()
    # A "by when" set while it was still ahead, on the agreed version, that has passed since.
    row = version.responsibilities.create(**_responsibility(TODAY() - timedelta(days=10)))
    draft = services.start_new_version(actor=world.clinician, plan=plan)
    copied = draft.responsibilities.get()
    assert copied.due_on == row.due_on
    services.update_draft(
        actor=world.clinician,
        version=draft,
        fields={"what_matters": "Still walking the dog"},
        items={
            "responsibilities": [
                ItemChange(pk=copied.pk, data={**_responsibility(copied.due_on), "action": "Call"})
            ]
        },
    )
    copied.refresh_from_db()
    assert (copied.action, copied.due_on) == ("Call", row.due_on)
    with pytest.raises(services.CarePlanError, match="must be today or later"):
        services.update_draft(
            actor=world.clinician,
            version=draft,
            fields={},
            items={
                "responsibilities": [
                    ItemChange(
                        pk=copied.pk, data=_responsibility(copied.due_on - timedelta(days=1))
                    )
                ]
            },
        )


def test_a_reduction_cannot_raise_the_oral_morphine_equivalent(world):
    trial = _tramadol(world, "50 mg twice a day")

    def reduce(mme, dose="50 mg once a day"):
        return services.record_reduction(
            actor=world.clinician,
            trial=trial,
            data={
                "step": "reduced",
                "reduced_on": TODAY(),
                "dose": dose,
                "daily_morphine_equivalent_mg": mme,
            },
        )

    with pytest.raises(services.CarePlanError, match="oral morphine equivalent is 40.0 mg a day"):
        reduce(Decimal(60))
    reduce(Decimal(20))
    with pytest.raises(services.CarePlanError, match="is 20.0 mg a day now"):
        reduce(Decimal("20.5"))
    reduce(None)  # no figure given: nothing to compare
    reduce(Decimal(10))
    assert list(trial.reductions.values_list("daily_morphine_equivalent_mg", flat=True)) == [
        Decimal(20),
        None,
        Decimal(10),
    ]


def test_a_medicine_already_being_taken_is_not_recorded_twice(world):
    plan = builders.plan(world.patient)
    first = builders.trial(plan, dose="40 mg twice a day")
    with pytest.raises(services.CarePlanError, match="Propranolol is already recorded as being"):
        builders.trial(plan, dose="40 mg twice a day")
    other = {"medicine_code": "other", "medicine_name": "Riboflavin", "role": "preventive"}
    builders.trial(plan, **other)
    with pytest.raises(services.CarePlanError, match="Riboflavin is already recorded"):
        builders.trial(plan, **{**other, "medicine_name": " riboflavin "})
    # Recorded as working it is still taken: not recorded a second time either.
    services.review_trial(
        actor=world.clinician,
        trial=first,
        data={"outcome": "effective", "review_due": TODAY() + timedelta(days=90)},
    )
    with pytest.raises(services.CarePlanError, match="Propranolol is already recorded as being"):
        builders.trial(plan, dose="40 mg twice a day")
    # Once it has ended, it can be started again.
    services.review_trial(actor=world.clinician, trial=first, data={"outcome": "not_tolerated"})
    builders.trial(plan, dose="10 mg twice a day")
    assert plan.trials.filter(medicine_code="propranolol").count() == 2


def test_a_medicine_recorded_twice_at_once_is_recorded_once(world, monkeypatch):
    plan = builders.plan(world.patient)
    recorded = []
    _meanwhile(
        monkeypatch,
        CarePlan,
        lambda: recorded.append(builders.trial(plan, actor=world.other_clinician)),
    )
    with pytest.raises(services.CarePlanError, match="Propranolol is already recorded as being"):
        builders.trial(plan, actor=world.clinician)
    assert [trial.medicine_code for trial in recorded] == ["propranolol"]


def test_a_treatment_that_started_earlier_moves_the_first_treatment_back(world):
    plan = builders.plan(world.patient)
    Episode = type(plan.episode)
    Episode.objects.filter(pk=plan.episode_id).update(opened_at=timezone.now() - timedelta(days=30))
    plan.episode.refresh_from_db()
    builders.trial(plan, started_on=TODAY() - timedelta(days=2))
    builders.trial(plan, medicine_code="candesartan", started_on=TODAY() - timedelta(days=10))
    builders.trial(plan, medicine_code="topiramate", started_on=TODAY() - timedelta(days=5))
    (started,) = Milestone.objects.filter(episode=plan.episode, kind="treatment_started")
    assert timezone.localtime(started.occurred_at).date() == TODAY() - timedelta(days=10)


def test_a_listed_medicine_typed_as_other_is_refused(world):
    plan = builders.plan(world.patient)
    with pytest.raises(services.CarePlanError, match="Propranolol is on the list of medicines"):
        builders.trial(plan, medicine_code="other", medicine_name="propranolol MR")
    assert not plan.trials.exists()


def test_a_cgrp_antibody_not_given_an_adequate_trial_does_not_block_another(world):
    plan = builders.plan(world.patient)
    for code in ("propranolol", "amitriptyline", "candesartan"):
        builders.failed(plan, code)
    builders.failed(plan, "erenumab", adequate=False)
    figures = selectors.DiaryFigures(
        migraine_days_per_month=8.0, headache_days_per_month=10.0, source="the diary"
    )
    (view,) = selectors.plans_for_patient(world.patient, figures=figures)
    assert [p.code for p in view.prompts] == ["cgrp_consider"]
