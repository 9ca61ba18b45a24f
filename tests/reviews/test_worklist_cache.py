"""The worklist's time-based reasons are kept per patient scope for a short while; the rows on
screen whose records changed since are re-checked live, and safety alerts never wait for the
kept list."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from careplans import services as careplan_services
from diaries.models import DiaryEntry
from diaries.services.entries import mark_entry_entered_in_error
from pathway.compiled import Compiled
from pathway.models import Episode, Milestone, Patient
from reviews import worklist
from reviews.worklist import kept as kept_scans
from reviews.worklist import live as live_query
from reviews.worklist import page as page_query
from reviews.worklist import scans as time_scan
from tests.careplans import builders as careplan_builders
from tests.diaries import builders as diary_builders
from tests.factories import EpisodeFactory, PatientFactory
from tests.reviews import builders

URL = reverse("reviews:worklist")


@pytest.fixture(autouse=True)
def _kept(settings):
    settings.WORKLIST_CACHE_SECONDS = 120


def _overdue_review(patient, days=10):
    episode = EpisodeFactory(patient=patient)
    Milestone.objects.create(
        episode=episode,
        kind="annual_review_due",
        occurred_at=timezone.now() - timedelta(days=days),
    )
    return episode


def _codes(response):
    return [(row.patient, row.top.code) for row in response.context["rows"]]


def test_a_second_look_reuses_the_kept_scan_and_says_when_it_ran(
    world, login, django_assert_max_num_queries
):
    _overdue_review(world.patient)
    client = login(world.clinician)
    with django_assert_max_num_queries(1000) as first:
        response = client.get(URL)
    assert _codes(response) == [(world.patient, "review_overdue")]
    assert "last checked for the whole list at" in response.content.decode()
    with django_assert_max_num_queries(1000) as second:
        again = client.get(URL)
    assert _codes(again) == [(world.patient, "review_overdue")]
    assert len(second.captured_queries) < len(first.captured_queries)
    assert again.context["checked_at"] == response.context["checked_at"]


def test_colleagues_with_the_same_patients_share_the_kept_scan(world, login, second_clinician):
    _overdue_review(world.patient)
    first = login(world.clinician).get(URL)
    shared = login(second_clinician).get(URL)
    assert shared.context["checked_at"] == first.context["checked_at"]


def test_a_row_on_screen_is_current_even_when_the_kept_scan_is_not(world, login):
    episode = _overdue_review(world.patient)
    client = login(world.clinician)
    assert _codes(client.get(URL)) == [(world.patient, "review_overdue")]
    Milestone.objects.create(  # the review was rescheduled
        episode=episode, kind="annual_review_due", occurred_at=timezone.now() + timedelta(days=30)
    )
    response = client.get(URL)
    assert _codes(response) == []
    assert response.context["total"] == 1  # the kept scan still pages them until it reruns
    assert "no longer need attention" in response.content.decode()
    # The counts above the list agree with the rows on screen.
    assert ("Review overdue", 0) in response.context["counts"]


def test_a_new_safety_alert_shows_at_once_whatever_is_kept(world, login):
    _overdue_review(world.other_patient)
    client = login(world.clinician)
    client.get(URL)
    builders.safety_alert(world.patient)
    assert _codes(client.get(URL)) == [
        (world.patient, "safety_alert"),
        (world.other_patient, "review_overdue"),
    ]


def test_the_kept_scan_is_rerun_after_it_expires(world):
    first = worklist.worklist_for(world.clinician)
    assert first.rows == []
    _overdue_review(world.patient)
    assert worklist.worklist_for(world.clinician).rows == []  # kept
    cache.clear()  # as when the entry expires
    assert [row.top.code for row in worklist.worklist_for(world.clinician).rows] == [
        "review_overdue"
    ]


def test_a_different_scope_is_kept_separately(world, login):
    _overdue_review(world.patient)
    client = login(world.clinician)
    client.get(URL)
    filtered = client.get(URL, {"practice": world.practice_a.ods_code})
    assert _codes(filtered) == [(world.patient, "review_overdue")]
    assert _codes(client.get(URL, {"practice": world.practice_b.ods_code})) == []


def test_rows_whose_records_did_not_change_are_not_scanned_again(world, login, monkeypatch):
    _overdue_review(world.patient)
    client = login(world.clinician)
    client.get(URL)
    scans = []
    real = kept_scans._slow_reasons
    monkeypatch.setattr(
        kept_scans, "_slow_reasons", lambda patients, **kw: scans.append(1) or real(patients, **kw)
    )
    assert _codes(client.get(URL)) == [(world.patient, "review_overdue")]
    assert scans == []


def test_a_trial_reviewed_since_the_kept_scan_leaves_the_row(world, login):
    plan = careplan_builders.agreed_plan(world.patient)
    started = timezone.localdate() - timedelta(days=120)
    trial = careplan_builders.trial(
        plan, started_on=started, review_due=started + timedelta(days=84)
    )
    client = login(world.clinician)
    before = client.get(URL).context["rows"]
    assert "trial_due_review" in {reason.code for reason in before[0].reasons}
    careplan_services.review_trial(
        actor=world.clinician,
        trial=trial,
        data={
            "outcome": "effective",
            "adequate_trial": True,
            "review_due": timezone.localdate() + timedelta(days=180),
        },
    )
    after = client.get(URL).context["rows"]
    assert "trial_due_review" not in {r.code for row in after for r in row.reasons}


def test_a_care_plan_past_its_review_date_is_overdue_until_a_new_version_is_agreed(world, login):
    from careplans.models import CarePlanVersion

    plan = careplan_builders.agreed_plan(world.patient)
    due = timezone.localdate() - timedelta(days=3)
    CarePlanVersion.objects.filter(plan=plan).update(next_review_on=due)
    client = login(world.clinician)
    (row,) = client.get(URL).context["rows"]
    (reason,) = [r for r in row.reasons if r.detail.startswith("Care plan")]
    assert reason.code == "review_overdue"
    assert reason.detail == f"Care plan review was due {due:%-d %B %Y}"
    assert reason.url == reverse(
        "careplans:patient-plan", kwargs={"patient_uuid": world.patient.uuid}
    )
    # The team agrees a new version with the next review ahead: the kept scan's line goes.
    draft = careplan_services.start_new_version(actor=world.clinician, plan=plan)
    careplan_builders.fill_draft(draft, actor=world.clinician, goals=[])
    careplan_services.agree_version(actor=world.clinician, version=draft)
    after = client.get(URL).context["rows"]
    assert not [r for row in after for r in row.reasons if r.detail.startswith("Care plan")]


def test_a_diary_corrected_since_the_kept_scan_leaves_the_row(world, login):
    builders.episode_for(world.patient)  # under care
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(world.patient, diary_builders.days_ago(n), headache=True)
        for n in range(90)
    )
    client = login(world.clinician)
    assert _codes(client.get(URL)) == [(world.patient, "diary_pattern")]
    for entry in DiaryEntry.objects.filter(patient=world.patient).order_by("day")[:80]:
        mark_entry_entered_in_error(actor=world.clinician, entry=entry)
    assert _codes(client.get(URL)) == []


def _changed(patient_ids, moment) -> dict[int, set[str]]:
    found = worklist.patients_with_changes(patient_ids, moment)
    return {pk: codes for pk, (_, _, codes) in found.items() if codes}


def test_changes_are_found_through_episodes_and_their_milestones(world):
    episode = EpisodeFactory(patient=world.patient)
    other = EpisodeFactory(patient=world.other_patient)
    earlier = timezone.now() - timedelta(minutes=5)
    Episode.objects.update(updated_at=earlier)
    Milestone.objects.update(updated_at=earlier)
    scan = earlier + timedelta(minutes=1)
    ids = [world.patient.pk, world.other_patient.pk]
    waits = {"target_breach", "review_overdue"}
    assert _changed(ids, scan) == {}
    Milestone.objects.create(episode=episode, kind="review_held", occurred_at=timezone.now())
    assert _changed(ids, scan) == {world.patient.pk: waits}
    other.save()
    # An episode saved (a discharge above all) can end every kept reason.
    every = {"target_breach", "review_overdue", "not_rebooked", "trial_due_review", "diary_pattern"}
    assert _changed(ids, scan) == {
        world.patient.pk: waits,
        world.other_patient.pk: every,
    }


def test_a_diary_save_re_checks_only_the_diary_pattern(world, login, monkeypatch):
    _overdue_review(world.patient)
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(world.patient, diary_builders.days_ago(n), headache=True)
        for n in range(90)
    )
    client = login(world.clinician)
    assert _codes(client.get(URL)) == [(world.patient, "review_overdue")]
    entry = DiaryEntry.objects.filter(patient=world.patient).order_by("day").first()
    before = timezone.now()
    mark_entry_entered_in_error(actor=world.clinician, entry=entry)
    assert _changed([world.patient.pk], before) == {world.patient.pk: {"diary_pattern"}}
    called = []
    sources_for = time_scan._slow_sources

    def spy(now, today):
        return {
            code: (
                lambda patients, code=code, source=source: called.append(code) or source(patients)
            )
            for code, source in sources_for(now, today).items()
        }

    monkeypatch.setattr(time_scan, "_slow_sources", spy)
    monkeypatch.setattr(page_query, "_slow_sources", spy)
    row = client.get(URL).context["rows"][0]
    assert called == ["diary_pattern"]
    assert {reason.code for reason in row.reasons} == {"review_overdue", "diary_pattern"}


def test_the_beat_scan_keeps_each_teams_share_so_no_page_waits_for_it(
    world, second_clinician, monkeypatch
):
    _overdue_review(world.patient)  # PCN one
    _overdue_review(world.patient_in_c)  # the other PCN
    cold = {
        user: [(row.patient_id, row.top.code) for row in worklist.worklist_for(user).rows]
        for user in (world.clinician, world.other_clinician)
    }
    cache.clear()
    # world.clinician and second_clinician share one team; world.other_clinician has another.
    assert worklist.warm_team_scans() == 2
    scans = []
    monkeypatch.setattr(kept_scans, "_slow_reasons", lambda *a, **kw: scans.append(1) or [])
    for user in (world.clinician, second_clinician, world.other_clinician):
        kept = worklist.worklist_for(user)
        expected = cold[world.other_clinician if user == world.other_clinician else world.clinician]
        assert [(row.patient_id, row.top.code) for row in kept.rows] == expected
    assert scans == []
    assert cold[world.clinician] == [(world.patient.pk, "review_overdue")]
    assert cold[world.other_clinician] == [(world.patient_in_c.pk, "review_overdue")]


def test_the_beat_scan_keeps_nothing_when_keeping_is_off(world, settings):
    settings.WORKLIST_CACHE_SECONDS = 0
    _overdue_review(world.patient)
    assert worklist.warm_team_scans() == 0


def test_beat_runs_the_scan_before_kept_entries_expire():
    from pathway import settings as configured
    from reviews import tasks

    entry = configured.CELERY_BEAT_SCHEDULE["reviews-warm-team-worklists"]
    assert entry["task"] == tasks.warm_team_worklists.name
    assert entry["schedule"] < configured.WORKLIST_CACHE_SECONDS


def _refuse_to_load():
    raise TypeError("written by another release")


class _FromAnotherRelease:
    def __reduce__(self):
        return (_refuse_to_load, ())


def test_a_kept_scan_that_cannot_be_read_is_scanned_again(world):
    _overdue_review(world.patient)
    key = kept_scans._cache_key(worklist.scope(world.clinician), timezone.localdate())
    cache.set(key, _FromAnotherRelease())
    rows = worklist.worklist_for(world.clinician).rows
    assert [(row.patient_id, row.top.code) for row in rows] == [
        (world.patient.pk, "review_overdue")
    ]


def test_a_new_diary_day_cannot_end_a_pattern_so_it_re_checks_nothing(world, login, monkeypatch):
    builders.episode_for(world.patient)  # under care
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(world.patient, diary_builders.days_ago(n), headache=True)
        for n in range(1, 90)
    )
    client = login(world.clinician)
    assert _codes(client.get(URL)) == [(world.patient, "diary_pattern")]
    diary_builders.record(world.patient, timezone.localdate())  # today, headache-free
    scans = []
    real = time_scan._slow_sources

    def counted(now, today):
        scans.append(1)
        return real(now, today)

    monkeypatch.setattr(time_scan, "_slow_sources", counted)
    monkeypatch.setattr(page_query, "_slow_sources", counted)
    assert _codes(client.get(URL)) == [(world.patient, "diary_pattern")]
    assert scans == []


def test_a_process_that_holds_the_scan_named_by_the_cache_reads_nothing_more(world, monkeypatch):
    _overdue_review(world.patient)
    first = worklist.worklist_for(world.clinician)
    key = kept_scans._cache_key(worklist.scope(world.clinician), timezone.localdate())
    stamp = cache.get(key)
    cache.set(f"{key}:{stamp}", _FromAnotherRelease())  # only the stamp is read again
    again = worklist.worklist_for(world.clinician)
    assert [(r.patient_id, r.top.code) for r in again.rows] == [
        (world.patient.pk, "review_overdue")
    ]
    assert again.checked_at == first.checked_at


def test_another_process_reads_the_scan_the_cache_names(world, monkeypatch):
    _overdue_review(world.patient)
    first = worklist.worklist_for(world.clinician)
    monkeypatch.setattr(kept_scans, "_memo", {})  # a process that has not seen it
    scans = []
    monkeypatch.setattr(kept_scans, "_slow_reasons", lambda *a, **kw: scans.append(1) or [])
    again = worklist.worklist_for(world.clinician)
    assert scans == []
    assert again.checked_at == first.checked_at
    assert [row.top.code for row in again.rows] == ["review_overdue"]


def test_a_new_beat_scan_replaces_what_a_process_holds(world):
    first = worklist.worklist_for(world.clinician)
    assert first.rows == []
    _overdue_review(world.patient)
    assert worklist.worklist_for(world.clinician).rows == []  # held
    worklist.warm_team_scans()
    assert [row.top.code for row in worklist.worklist_for(world.clinician).rows] == [
        "review_overdue"
    ]


def test_a_process_holds_a_bounded_number_of_scans(monkeypatch):
    monkeypatch.setattr(kept_scans, "_memo", {})
    scan = worklist.Scan(timezone.now(), [], {})
    for n in range(worklist.MEMO_SIZE + 5):
        kept_scans._remember(f"key-{n}", "stamp", scan)
    assert len(kept_scans._memo) == worklist.MEMO_SIZE
    assert "key-0" not in kept_scans._memo
    assert f"key-{worklist.MEMO_SIZE + 4}" in kept_scans._memo


def test_live_reasons_rank_a_kept_patient_again_with_all_their_reasons(world, login):
    _overdue_review(world.patient, days=30)
    _overdue_review(world.other_patient, days=10)
    client = login(world.clinician)
    assert _codes(client.get(URL)) == [
        (world.patient, "review_overdue"),
        (world.other_patient, "review_overdue"),
    ]
    builders.safety_alert(world.other_patient)
    rows = client.get(URL).context["rows"]
    assert [(row.patient, row.top.code) for row in rows] == [
        (world.other_patient, "safety_alert"),
        (world.patient, "review_overdue"),
    ]
    assert [reason.code for reason in rows[0].reasons] == ["safety_alert", "review_overdue"]


def test_the_live_query_is_compiled_once_per_scope_and_day_and_run_on_every_view(
    world, login, monkeypatch
):
    monkeypatch.setattr(live_query, "_statements", {})
    compiled = _count_compiles(monkeypatch)
    client = login(world.clinician)
    assert _codes(client.get(URL)) == []
    builders.safety_alert(world.patient)
    assert _codes(client.get(URL)) == [(world.patient, "safety_alert")]
    assert len(compiled["live"]) == 1
    client.get(URL, {"practice": world.practice_b.ods_code})
    assert len(compiled["live"]) == 2
    assert len(live_query._statements) == 2


def _count_compiles(monkeypatch) -> dict[str, list]:
    """The querysets `Compiled.of` compiles for the worklist: the live query's and the page's."""
    compiled = {"live": [], "page": []}

    class Counting(Compiled):
        @classmethod
        def of(cls, queryset):
            compiled["page" if queryset.model is Patient else "live"].append(queryset)
            return super().of(queryset)

    monkeypatch.setattr(live_query, "Compiled", Counting)
    monkeypatch.setattr(page_query, "Compiled", Counting)
    return compiled


def test_the_page_query_is_compiled_once_per_page_and_scan_and_run_on_every_view(
    world, login, monkeypatch
):
    monkeypatch.setattr(page_query, "_page_statements", {})
    compiled = _count_compiles(monkeypatch)
    _overdue_review(world.patient, days=30)
    _overdue_review(world.other_patient, days=10)
    client = login(world.clinician)
    response = client.get(URL)
    assert _codes(response) == [
        (world.patient, "review_overdue"),
        (world.other_patient, "review_overdue"),
    ]
    assert [row.practice for row in response.context["rows"]] == [
        world.patient.registered_practice.name,
        world.other_patient.registered_practice.name,
    ]
    assert len(compiled["page"]) == 1
    # Read fresh on every view: a new name shows at once, without compiling again.
    Patient.objects.filter(pk=world.patient.pk).update(given_name="Renamed")
    response = client.get(URL)
    assert response.context["rows"][0].patient.full_name == f"Renamed {world.patient.family_name}"
    assert "Renamed" in response.content.decode()
    assert len(compiled["page"]) == 1
    # Another page of rows (here: another practice's) is a query of its own.
    third = PatientFactory(registered_practice=world.practice_b)
    _overdue_review(third)
    response = client.get(URL, {"practice": world.practice_b.ods_code})
    assert _codes(response) == [(third, "review_overdue")]
    assert [row.practice for row in response.context["rows"]] == [world.practice_b.name]
    assert len(compiled["page"]) == 2
    assert len(page_query._page_statements) == 2


def test_the_compiled_page_queries_a_process_holds_are_bounded(world, login, monkeypatch):
    _overdue_review(world.patient)
    held = {(f"key-{n}",): None for n in range(worklist.MEMO_SIZE)}
    monkeypatch.setattr(page_query, "_page_statements", held)
    assert _codes(login(world.clinician).get(URL)) == [(world.patient, "review_overdue")]
    assert len(page_query._page_statements) == worklist.MEMO_SIZE
    assert ("key-0",) not in page_query._page_statements


def test_the_compiled_live_queries_a_process_holds_are_bounded(world, login, monkeypatch):
    held = {f"key-{n}": None for n in range(worklist.MEMO_SIZE)}
    monkeypatch.setattr(live_query, "_statements", held)
    login(world.clinician).get(URL)
    assert len(live_query._statements) == worklist.MEMO_SIZE
    assert "key-0" not in live_query._statements
    assert f"key-{worklist.MEMO_SIZE - 1}" in live_query._statements
