"""The patient's diary pages: Today and past days, the month calendar and the 90-day summary."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diaries.models import DiaryEntry, HeadacheEpisode, Medicine
from tests.diaries.builders import (
    clear_day,
    days_ago,
    doses,
    episode,
    flag_entry,
    headache_day,
    record,
    today,
)

TODAY_URL = reverse("diaries:today")


@pytest.fixture
def patient(world):
    return world.patient


@pytest.fixture
def client_(world, login):
    return login(world.patient_user)


def day_url(day, **query):
    url = reverse("diaries:day", kwargs={"day": day})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def form_data(headache="yes", episodes=(), initial=0, **day):
    data = {
        "headache": headache,
        "episode-TOTAL_FORMS": str(len(episodes)),
        "episode-INITIAL_FORMS": str(initial),
        "episode-MIN_NUM_FORMS": "0",
        "episode-MAX_NUM_FORMS": "10",
    }
    for index, fields in enumerate(episodes):
        for name, value in fields.items():
            data[f"episode-{index}-{name}"] = value
    data.update(day)
    return data


MIGRAINE_EPISODE = {
    "severity": "severe",
    "duration": "4_to_12h",
    # Midnight: never later than now on today's page (a later time is refused there).
    "start_time": "00:00",
    "features": ["unilateral", "pulsating", "nausea_or_vomiting"],
    "medicine_1": "sumatriptan",
    "doses_1": "",
}


# Today and the one-tap answer


def test_today_asks_the_one_tap_question(client_):
    response = client_.get(TODAY_URL)
    assert response.status_code == 200
    assert b"Did you have a headache today?" in response.content
    assert b"No, no headache" in response.content


def test_the_one_tap_question_lists_the_week_before_without_building_the_form(client_, patient):
    record(patient, days_ago(1), headache_day(episode("severe", doses={"ibuprofen": 1})))
    record(patient, days_ago(3), clear_day())
    record(patient, days_ago(5), headache_day(episode("moderate", migraine=True)))
    response = client_.get(TODAY_URL)
    assert response.context["forms"] is None
    recent = [(item["day"], item["entry"] is not None) for item in response.context["recent"]]
    assert recent == [(days_ago(n), n in (1, 3, 5)) for n in range(1, 8)]
    # Said as each day's own page says it.
    assert b"1 headache, worst severe, medicine taken<" in response.content
    assert b"1 headache, worst moderate, with migraine symptoms<" in response.content
    assert b"no headache" in response.content


def test_earlier_days_describe_a_day_as_its_own_page_does(client_, patient):
    record(
        patient,
        days_ago(2),
        headache_day(
            episode("mild"),
            episode("moderate", migraine=True, doses={"sumatriptan": 1}),
            pain_score=6,
        ),
    )
    record(patient, days_ago(3), clear_day(doses=doses(paracetamol=1), pain_score=2))
    earlier = client_.get(TODAY_URL).content.decode()
    for ago in (2, 3):
        day_page = client_.get(day_url(days_ago(ago))).content.decode()
        said = re.search(r"You have filled in [^:]+:\s+(.+?)\.\s+You can change", day_page)
        assert f"{days_ago(ago):%A %-d %B}:\n          {said[1]}</span>" in earlier
    assert (
        "2 headaches, worst moderate, with migraine symptoms, medicine taken, pain 6 out of 10"
        "</span>"
    ) in earlier
    assert "no headache, medicine taken, pain 2 out of 10</span>" in earlier


def test_a_day_already_filled_in_shows_its_form_and_the_week_before(client_, patient):
    record(patient, today(), headache_day(episode("mild", doses={"paracetamol": 2})))
    record(patient, days_ago(7), clear_day())
    record(patient, days_ago(8), clear_day())
    response = client_.get(TODAY_URL)
    assert response.context["show_form"] and response.context["forms"] is not None
    assert [e.severity for e in response.context["entry"].live_episodes] == ["mild"]
    recent = [item["day"] for item in response.context["recent"] if item["entry"]]
    assert recent == [days_ago(7)]


def test_one_tap_no_saves_a_headache_free_day(client_, patient):
    response = client_.post(TODAY_URL, {"action": "headache_free"}, follow=True)
    assert response.redirect_chain == [(TODAY_URL, 302)]
    assert b"Saved: no headache for today." in response.content
    entry = DiaryEntry.objects.get(patient=patient, day=today())
    assert not entry.headache
    assert b"You have filled in today" in response.content


@pytest.fixture
def pain_patient(patient):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=patient, condition="chronic_pain")
    return patient


def test_a_chronic_pain_patients_today_asks_how_bad_the_pain_was(client_, pain_patient):
    page = client_.get(TODAY_URL).content.decode()
    assert "How bad was your pain today?" in page
    assert "Did you have a headache today?" not in page
    buttons = re.findall(r'name="pain_score" value="(\d+)"', page)
    assert buttons == [str(n) for n in range(11)]
    assert "I had a headache" in page


def test_one_tap_pain_score_saves_the_day_and_says_so(client_, pain_patient):
    response = client_.post(
        TODAY_URL,
        {"action": "pain_score", "pain_score": "6", "based_on": "", "next": "today"},
        follow=True,
    )
    assert response.redirect_chain == [(TODAY_URL, 302)]
    page = response.content.decode()
    assert "Saved: pain 6 out of 10 for today." in page
    assert "You have filled in today:\n        pain 6 out of 10." in page
    entry = DiaryEntry.objects.get(patient=pain_patient, day=today())
    assert (entry.pain_score, entry.headache) == (6, False)


@pytest.mark.parametrize("score", ["11", "-1", "six", "", "6.5"])
def test_a_pain_score_that_is_not_0_to_10_saves_nothing(client_, pain_patient, score):
    response = client_.post(
        TODAY_URL, {"action": "pain_score", "pain_score": score, "based_on": ""}, follow=True
    )
    assert "Choose how bad your pain was, from 0 to 10." in response.content.decode()
    assert not DiaryEntry.objects.exists()


def test_the_week_before_shows_each_days_pain_score(client_, pain_patient):
    record(pain_patient, days_ago(1), clear_day(pain_score=3))
    record(pain_patient, days_ago(2), headache_day(episode("mild"), pain_score=8))
    page = client_.get(TODAY_URL).content.decode()
    assert re.search(r":\s+pain 3 out of 10</span>", page) and "no headache" not in page
    assert "1 headache, worst mild, pain 8 out of 10" in page


def test_a_chronic_pain_patients_day_form_asks_about_pain_first(client_, pain_patient):
    record(pain_patient, days_ago(1), clear_day(pain_score=4))
    page = client_.get(day_url(days_ago(1))).content.decode()
    assert page.index('name="pain_score"') < page.index('name="headache"')
    assert "Triggers, sleep, mood and notes (optional)" in page
    assert page.count('name="pain_score"') == 1
    # Painkillers for their pain are not "taken for something else".
    assert "Painkillers taken (optional)" in page and "for something else" not in page
    response = client_.post(day_url(days_ago(1)), form_data(headache="", pain_score="12"))
    summary = response.content.decode().split("nhsuk-error-summary__list", 1)[1]
    # The error summary lists the problems in page order: the pain score, then the headache.
    assert summary.index("#id_pain_score") < summary.index("#id_headache_0")
    assert DiaryEntry.objects.get().pain_score == 4


def test_a_chronic_pain_patient_saves_a_new_day_with_its_pain_and_no_headache(
    client_, pain_patient
):
    page = client_.get(day_url(days_ago(3), answer="details")).content.decode()
    # A new day starts at "No", as the one-tap pain score records it.
    assert re.search(r'id="id_headache_1" name="headache" type="radio" value="no" checked', page)
    data = form_data(headache="no", pain_score="5", pain_sites=["knees"], mood="low")
    response = client_.post(day_url(days_ago(3)), data)
    assert response.status_code == 302
    entry = DiaryEntry.objects.get(day=days_ago(3))
    assert (entry.headache, entry.pain_score, entry.pain_sites) == (False, 5, ["knees"])
    # "I had a headache" still opens the day at Yes.
    page = client_.get(day_url(days_ago(4), answer="yes")).content.decode()
    assert 'value="yes" checked' in page and 'value="no" checked' not in page


def test_removing_a_scored_day_names_its_pain_score(client_, pain_patient):
    record(pain_patient, days_ago(1), clear_day(pain_score=6))
    page = client_.get(day_url(days_ago(1)))
    asked = client_.get(
        day_url(days_ago(1)), {"remove": "yes", "based_on": page.context["based_on"]}
    )
    assert re.search(r"You filled in [^:]+:\s+pain 6 out of 10\.</p>", asked.content.decode())


def test_a_headache_patients_day_form_keeps_pain_with_the_other_details(client_, patient):
    page = client_.get(day_url(days_ago(1), answer="details")).content.decode()
    assert page.index('name="headache"') < page.index('name="pain_score"')
    assert "Triggers, pain, sleep, mood and notes (optional)" in page


def test_choosing_the_pain_question_costs_the_today_page_no_query(client_, patient):
    from tests.factories import EpisodeFactory

    care = EpisodeFactory(patient=patient, condition="headache")
    asked_about_headache = _queries(client_, TODAY_URL)
    type(care).objects.filter(pk=care.pk).update(condition="chronic_pain")
    assert b"How bad was your pain today?" in client_.get(TODAY_URL).content
    assert _queries(client_, TODAY_URL) == asked_about_headache


def test_a_chronic_pain_patients_calendar_does_not_colour_a_painful_day_as_a_good_one(
    client_, pain_patient
):
    record(pain_patient, today(), clear_day(pain_score=7))
    page = client_.get(reverse("diaries:calendar")).content.decode()
    assert "app-diary-calendar__day--recorded" in page
    assert "app-diary-calendar__day--clear" not in page
    assert "Filled in, no headache" in page and ">No headache</li>" not in page
    assert re.search(r": pain 7 out of 10</span>", page)


def test_a_patient_with_headache_care_keeps_the_headache_question(client_, patient):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=patient, condition="chronic_pain")
    EpisodeFactory(patient=patient, condition="headache")
    page = client_.get(TODAY_URL).content.decode()
    assert "Did you have a headache today?" in page and "How bad was your pain" not in page


def _form_actions(page: str) -> list[str]:
    return re.findall(r'<form method="(?:post|get)" action="([^"]*)"', page)


def test_a_save_sent_after_midnight_is_kept_for_the_day_the_page_showed(
    client_, patient, monkeypatch
):
    shown = today()
    page = client_.get(TODAY_URL).content.decode()
    assert _form_actions(page) == [day_url(shown)]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="(\w*)"', page))
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: shown + timedelta(days=1))
    response = client_.post(_form_actions(page)[0], hidden, follow=True)
    assert response.redirect_chain == [(TODAY_URL, 302)]
    assert f"Saved: no headache for {shown:%A} {shown.day} {shown:%B}." in response.content.decode()
    assert DiaryEntry.objects.get(patient=patient).day == shown
    monkeypatch.undo()
    # The day's form and its remove button post to the day too.
    assert _form_actions(client_.get(TODAY_URL).content.decode()) == [day_url(shown)] * 2


def test_a_headache_with_its_medicine_is_saved_from_the_form(client_, patient):
    response = client_.post(TODAY_URL, form_data(episodes=[MIGRAINE_EPISODE], mood="low"))
    assert response.status_code == 302
    entry = DiaryEntry.objects.get(patient=patient, day=today())
    assert (entry.headache, entry.migraine, entry.took_triptan, entry.mood) == (
        True,
        True,
        True,
        "low",
    )
    episode_row = entry.episodes.get()
    assert episode_row.start_time == time(0, 0)
    assert episode_row.doses.get().doses == 1  # blank means one dose


def test_a_medicine_taken_without_a_headache_is_saved_from_the_form(client_, patient):
    data = form_data(headache="no", other_medicine_1="codeine", other_doses_1="2")
    assert client_.post(TODAY_URL, data).status_code == 302
    entry = DiaryEntry.objects.get(patient=patient, day=today())
    assert (entry.headache, entry.took_opioid) == (False, True)
    dose = entry.doses.get()
    assert (dose.medicine.code, dose.doses, dose.episode) == ("codeine", 2, None)
    page = client_.get(TODAY_URL).content.decode()
    assert "You have filled in today:\n        no headache, medicine taken." in page
    assert 'name="other_doses_1" value="2"' in page
    assert '<details class="nhsuk-details" id="medicines-apart" open>' in page


def test_medicines_apart_from_a_headache_are_checked_like_a_headaches(client_, patient):
    data = form_data(
        headache="no",
        other_medicine_1="codeine",
        other_medicine_2="codeine",
        other_doses_3="2",
    )
    response = client_.post(TODAY_URL, data)
    assert response.status_code == 200
    errors = [message for _, message in response.context["forms"].error_list]
    assert errors == [
        "You have chosen this medicine already. Enter it once with the total number of doses.",
        "Choose the medicine you took, or clear the number of doses if you took none.",
    ]
    assert not DiaryEntry.objects.filter(patient=patient).exists()


def test_a_days_total_doses_over_the_limit_is_shown_on_the_medicines_apart(client_, patient):
    episode_fields = {**MIGRAINE_EPISODE, "medicine_1": "paracetamol", "doses_1": "15"}
    data = form_data(episodes=[episode_fields], other_medicine_1="paracetamol", other_doses_1="6")
    response = client_.post(TODAY_URL, data)
    assert response.status_code == 200
    assert response.context["forms"].error_list == [
        (
            "#id_other_doses_1",
            "With the 15 doses of Paracetamol for your headaches, that is 21 doses in one day. "
            "The most is 20: check the numbers.",
        )
    ]
    assert not DiaryEntry.objects.filter(patient=patient).exists()


def test_only_painkillers_and_migraine_medicines_are_offered_for_something_else(client_):
    forms = client_.get(TODAY_URL + "?answer=details").context["forms"]
    offered = {code for _, group in forms.form.medicines.choices for code, _ in group}
    assert {"paracetamol", "codeine", "sumatriptan"} <= offered
    assert not offered & {"propranolol", "amitriptyline", "erenumab"}
    headache = {code for _, group in forms.episodes.forms[0].medicines.choices for code, _ in group}
    assert "propranolol" in headache
    page = client_.get(TODAY_URL + "?answer=details").content.decode()
    assert '<details class="nhsuk-details" id="medicines-apart" open>' in page


def test_a_headache_felt_as_migraine_and_eased_by_a_triptan_counts_as_migraine(client_, patient):
    plain = {"severity": "mild", "duration": "1_to_4h", "medicine_1": "sumatriptan"}
    believed = {**plain, "felt_like_migraine": "on", "eased_by_triptan": "on"}
    assert client_.post(TODAY_URL, form_data(episodes=[believed])).status_code == 302
    entry = DiaryEntry.objects.get(patient=patient, day=today())
    assert entry.migraine
    page = client_.get(TODAY_URL, {"answer": "details"}).content.decode()
    for name in ("felt_like_migraine", "eased_by_triptan"):
        (tag,) = re.findall(rf'<input[^>]*name="episode-0-{name}"[^>]*>', page)
        assert "checked" in tag


def test_two_headaches_in_one_day_are_both_saved(client_, patient):
    second = {
        "severity": "mild",
        "duration": "under_1h",
        "medicine_1": "paracetamol",
        "doses_1": "2",
    }
    client_.post(TODAY_URL, form_data(episodes=[MIGRAINE_EPISODE, second]))
    entry = DiaryEntry.objects.get(patient=patient)
    assert entry.episodes.count() == 2
    assert entry.medication_classes == {"triptan", "simple_analgesic"}


def test_the_rest_of_the_day_is_saved_too(client_, patient):
    client_.post(
        TODAY_URL,
        form_data(
            headache="no",
            episodes=[{}],
            triggers=["stress", "screen"],
            period="on",
            pain_score="6",
            pain_sites=["neck", "lower_back"],
            sleep="poor",
            activity="less",
            work_impact="missed",
            note="Bad day",
        ),
    )
    entry = DiaryEntry.objects.get(patient=patient)
    assert entry.triggers == ["stress", "screen"]
    assert (entry.period, entry.pain_score, entry.pain_sites) == (True, 6, ["neck", "lower_back"])
    assert (entry.sleep, entry.activity, entry.work_impact, entry.note) == (
        "poor",
        "less",
        "missed",
        "Bad day",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "severity": "unbearable"}]),
            "mild, moderate or severe",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "severity": ""}]),
            "Choose how bad the headache was",
        ),
        (form_data(episodes=[{**MIGRAINE_EPISODE, "duration": ""}]), "Choose about how long"),
        (
            form_data(headache="no", episodes=[{}], pain_score="11"),
            "Enter a pain score from 0 to 10.",
        ),
        (
            form_data(headache="no", episodes=[{}], pain_score="-1"),
            "Enter a pain score from 0 to 10.",
        ),
        (
            form_data(headache="no", episodes=[{}], pain_score="lots"),
            "Enter a pain score from 0 to 10.",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "doses_1": "21"}]),
            "Enter a number of doses from 1 to 20.",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "doses_1": "-3"}]),
            "Enter a number of doses from 1 to 20.",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "doses_1": "two"}]),
            "Enter a number of doses from 1 to 20.",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "medicine_1": "snake-oil"}]),
            "Choose a medicine from the list.",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "medicine_1": "", "doses_1": "2"}]),
            "Choose the medicine you took, or clear the number of doses if you took none.",
        ),
        (
            form_data(episodes=[{**MIGRAINE_EPISODE, "medicine_2": "sumatriptan"}]),
            "chosen this medicine already",
        ),
        (
            form_data(headache="no", episodes=[MIGRAINE_EPISODE]),
            "You said you did not have a headache",
        ),
        (
            form_data(
                episodes=[
                    {**MIGRAINE_EPISODE, "medicine_1": "paracetamol", "eased_by_triptan": "on"}
                ]
            ),
            "You said a triptan (like sumatriptan) or ergotamine eased this headache.",
        ),
        (form_data(headache="yes", episodes=[{}]), "Headache 1: Choose how bad the headache"),
        (form_data(headache="", episodes=[{}]), "Answer yes or no: did you have a headache?"),
        (
            form_data(
                episodes=[
                    {**MIGRAINE_EPISODE, "medicine_1": "paracetamol", "doses_1": "12"},
                    {
                        "severity": "mild",
                        "duration": "under_1h",
                        "medicine_1": "paracetamol",
                        "doses_1": "9",
                    },
                ]
            ),
            "More than 20 doses of Paracetamol in one day.",
        ),
    ],
)
def test_bad_input_shows_a_clear_message_and_saves_nothing(client_, data, message):
    response = client_.post(TODAY_URL, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "<title>Error: " in content
    assert message in content
    assert not DiaryEntry.objects.exists()


def test_yes_with_an_empty_first_headache_marks_its_own_fields(client_):
    response = client_.post(TODAY_URL, form_data(headache="yes", episodes=[{}]))
    content = response.content.decode()
    summary = response.context["forms"].error_list
    # The question answered "Yes" is not marked wrong: the empty headache's fields are.
    assert summary == [
        (
            "#id_episode-0-severity_0",
            "Headache 1: Choose how bad the headache was: mild, moderate or severe.",
        ),
        ("#id_episode-0-duration", "Headache 1: Choose about how long the headache lasted."),
    ]
    for target, message in summary:
        assert f'<a href="{target}">{message}</a>' in content
    # Each field shows its own message beside it, and the page links to the fields.
    assert 'id="id_episode-0-severity_0"' in content and 'id="id_episode-0-duration"' in content
    assert content.count("Choose how bad the headache was: mild, moderate or severe.") == 2
    assert content.count("Choose about how long the headache lasted.") == 2
    assert not DiaryEntry.objects.exists()


def test_yes_with_its_only_headache_removed_asks_only_for_a_headache(client_, patient):
    record(patient, days_ago(1), headache_day(episode()))
    page = client_.get(day_url(days_ago(1)))
    data = form_data(
        episodes=[{"severity": "moderate", "duration": "1_to_4h", "DELETE": "on"}],
        initial=1,
        based_on=page.context["based_on"],
    )
    response = client_.post(day_url(days_ago(1)), data)
    assert response.context["forms"].error_list == [
        ("#id_headache_0", "Tell us about at least one headache, or answer no."),
    ]


def test_the_note_box_says_notes_are_read_at_appointments_and_where_to_get_help_now(client_):
    page = client_.get(TODAY_URL, {"answer": "details"}).content.decode()
    assert "Your care team reads your diary at your appointments, not every day." in page
    assert "If you need help now, call 111, or 999 in an emergency." in page


def test_a_bad_answer_keeps_everything_typed(client_):
    data = form_data(
        episodes=[{**MIGRAINE_EPISODE, "doses_1": "50"}], note="Typed before the mistake"
    )
    content = client_.post(TODAY_URL, data).content.decode()
    assert "Typed before the mistake" in content
    assert 'value="sumatriptan" selected' in content
    assert 'value="00:00"' in content


def test_a_future_day_is_refused_and_nothing_is_saved(client_):
    tomorrow = today() + timedelta(days=1)
    response = client_.get(day_url(tomorrow))
    assert response.status_code == 400
    assert b"You cannot fill in a day in the future." in response.content
    assert b"<title>Error: Day not available" in response.content
    response = client_.post(day_url(tomorrow), {"action": "headache_free"})
    assert response.status_code == 400
    response = client_.post(day_url(tomorrow), form_data(episodes=[MIGRAINE_EPISODE]))
    assert response.status_code == 400
    assert not DiaryEntry.objects.exists()


def test_a_day_more_than_90_days_ago_is_refused(client_):
    assert client_.get(day_url(days_ago(90))).status_code == 200
    response = client_.get(day_url(days_ago(91)))
    assert response.status_code == 400
    page = response.content.decode()
    assert "You can only fill in or change today and the 90 days before it." in page
    assert "You can fill in today or any of the 90 days before it." in page


def test_an_impossible_date_is_not_found(client_):
    assert client_.get("/diary/day/2025-02-30/").status_code == 404
    assert client_.get("/diary/day/yesterday/").status_code == 404


def test_a_past_day_can_be_filled_in(client_, patient):
    response = client_.post(day_url(days_ago(3)), {"action": "headache_free", "next": "today"})
    assert response["Location"] == TODAY_URL
    assert DiaryEntry.objects.get(patient=patient).day == days_ago(3)


def test_a_saved_day_opens_with_its_answers_for_correction(client_, patient):
    record(
        patient,
        days_ago(2),
        headache_day(episode("moderate", doses={"rizatriptan": 2}, start=time(9, 15)), note="Hmm"),
    )
    content = client_.get(day_url(days_ago(2))).content.decode()
    assert 'value="rizatriptan" selected' in content
    assert 'name="episode-0-doses_1" value="2"' in content
    assert '<details class="nhsuk-details" id="medicines-apart" open>' in content  # with the note
    assert "Remove this headache" in content
    assert 'name="episode-INITIAL_FORMS" value="1"' in content


def test_a_medicine_since_retired_stays_on_a_day_saved_again(client_, patient):
    """A medicine taken from the list after the day was recorded is still offered for that day,
    so changing something else keeps its doses instead of dropping them unseen."""
    record(
        patient,
        days_ago(2),
        headache_day(episode(doses={"naproxen": 2}), doses=doses(codeine=1)),
    )
    Medicine.objects.filter(code__in=["naproxen", "codeine"]).update(active=False)
    page = client_.get(day_url(days_ago(2)))
    content = page.content.decode()
    assert '<optgroup label="Recorded on this day">' in content
    assert content.count('value="naproxen" selected') == 1
    assert content.count('value="codeine" selected') == 1
    # The page sent back as shown, with the mood changed.
    data = form_data(
        episodes=[{**MIGRAINE_EPISODE, "medicine_1": "naproxen", "doses_1": "2"}],
        initial=1,
        other_medicine_1="codeine",
        other_doses_1="1",
        mood="low",
    )
    assert client_.post(day_url(days_ago(2)), data).status_code == 302
    entry = DiaryEntry.objects.live().get(patient=patient, day=days_ago(2))
    assert (entry.mood, entry.took_simple_analgesic, entry.took_opioid) == ("low", True, True)
    # Not offered for a day that did not have it.
    fresh = client_.get(day_url(days_ago(3), answer="yes")).content.decode()
    assert 'value="naproxen"' not in fresh and 'value="codeine"' not in fresh


def test_correcting_a_day_updates_its_record(client_, patient):
    entry = record(patient, days_ago(2), headache_day(episode("mild", doses={"ibuprofen": 1})))
    changed = {
        "severity": "severe",
        "duration": "12_to_24h",
        "medicine_1": "ibuprofen",
        "doses_1": "3",
    }
    response = client_.post(day_url(days_ago(2)), form_data(episodes=[changed], initial=1))
    assert response.status_code == 302
    live = DiaryEntry.objects.live().get(patient=patient)
    assert live.pk == entry.pk
    assert live.worst_severity == "severe"
    assert HeadacheEpisode.objects.filter(entry=entry).count() == 2  # old one superseded


def test_removing_a_headache_and_answering_no_is_allowed(client_, patient):
    record(patient, days_ago(2), headache_day(episode("mild")))
    removed = {"severity": "mild", "duration": "4_to_12h", "DELETE": "on"}
    response = client_.post(
        day_url(days_ago(2)), form_data(headache="no", episodes=[removed], initial=1)
    )
    assert response.status_code == 302
    assert not DiaryEntry.objects.live().get(patient=patient).headache


def test_answering_no_without_removing_a_saved_headache_is_refused(client_, patient):
    record(patient, days_ago(2), headache_day(episode("mild")))
    kept = {"severity": "mild", "duration": "4_to_12h"}
    response = client_.post(
        day_url(days_ago(2)), form_data(headache="no", episodes=[kept], initial=1)
    )
    assert b"You said you did not have a headache" in response.content
    assert b'href="#id_remove_headaches"' in response.content
    assert DiaryEntry.objects.live().get(patient=patient).headache


def test_answering_no_removes_saved_headaches_once_the_patient_ticks_to_remove_them(
    client_, patient
):
    record(patient, days_ago(2), headache_day(episode("mild"), episode("severe")))
    kept = [{"severity": "mild", "duration": "4_to_12h"}, {"severity": "severe", "duration": ""}]
    data = form_data(headache="no", episodes=kept, initial=2)
    asked = client_.post(day_url(days_ago(2)), data)
    assert asked.status_code == 200
    assert b'name="remove_headaches" type="checkbox"' in asked.content
    assert b"Yes, remove the headache details for this day" in asked.content
    response = client_.post(day_url(days_ago(2)), {**data, "remove_headaches": "on"})
    assert response.status_code == 302
    entry = DiaryEntry.objects.live().get(patient=patient)
    assert not entry.headache
    assert not entry.episodes.live().exists()


def test_the_remove_box_is_not_offered_until_no_meets_headache_details(client_, patient):
    record(patient, days_ago(2), headache_day(episode("mild")))
    assert b"remove_headaches" not in client_.get(day_url(days_ago(2))).content


# Two tabs or devices


def _based_on(response) -> str:
    return response.context["based_on"]


def test_a_save_from_a_page_older_than_the_record_is_refused_and_keeps_what_was_typed(
    client_, patient
):
    record(patient, days_ago(2), clear_day(note="First"))
    tab_a = _based_on(client_.get(day_url(days_ago(2))))
    record(patient, days_ago(2), clear_day(note="First", mood="low"))  # saved in tab B
    response = client_.post(
        day_url(days_ago(2)), form_data(headache="no", note="From tab A", based_on=tab_a)
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "was changed in another tab or on another device" in content
    assert "<title>Error: " in content
    assert "From tab A" in content
    entry = DiaryEntry.objects.live().get(patient=patient)
    assert (entry.note, entry.mood) == ("First", "low")
    # Saving again from the page now shown replaces the other change, as the message says.
    again = client_.post(
        day_url(days_ago(2)),
        form_data(headache="no", note="From tab A", based_on=_based_on(response)),
    )
    assert again.status_code == 302
    assert DiaryEntry.objects.live().get(patient=patient).note == "From tab A"


def test_a_save_from_an_older_page_that_needs_correcting_still_says_it_was_changed(
    client_, patient
):
    # Tab B opened, tab A saves a severe headache, tab B sends a mistake, then puts it right:
    # the other tab's change is never replaced unseen.
    record(patient, days_ago(2), clear_day(note="First"))
    tab_b = _based_on(client_.get(day_url(days_ago(2))))
    record(patient, days_ago(2), headache_day(episode("severe")))  # tab A
    wrong = client_.post(
        day_url(days_ago(2)),
        form_data(
            episodes=[{**MIGRAINE_EPISODE, "doses_1": "0"}], note="From tab B", based_on=tab_b
        ),
    )
    content = wrong.content.decode()
    assert "was changed in another tab or on another device" in content
    assert "put right anything the page asks, then save again" in content
    assert "From tab B" in content
    assert DiaryEntry.objects.live().get(patient=patient).worst_severity == "severe"
    # Adding a headache box on the stale page keeps it stale: its save is still checked.
    added = client_.post(
        day_url(days_ago(2)),
        form_data(episodes=[MIGRAINE_EPISODE], note="From tab B", based_on=tab_b, add_episode="1"),
    )
    assert _based_on(added) == tab_b
    # Told, the patient saves again from the page now shown: their answers replace tab A's.
    again = client_.post(
        day_url(days_ago(2)),
        form_data(episodes=[MIGRAINE_EPISODE], note="From tab B", based_on=_based_on(wrong)),
    )
    assert again.status_code == 302
    assert DiaryEntry.objects.live().get(patient=patient).note == "From tab B"


def test_a_headache_saved_elsewhere_is_not_read_into_an_older_pages_empty_box(client_, patient):
    # Tab B shows a headache-free day (its headache box empty, under "Yes"); tab A then records
    # a headache. Tab B's note is not mixed with tab A's headache: it is refused as older than
    # the record, saying what the day now holds, and tab A's headache stays as saved.
    record(patient, days_ago(2), clear_day(note="First"))
    tab_b = _based_on(client_.get(day_url(days_ago(2))))
    record(patient, days_ago(2), headache_day(episode("moderate")))  # tab A
    response = client_.post(
        day_url(days_ago(2)),
        form_data(headache="no", episodes=[{}], note="From tab B", based_on=tab_b),
    )
    content = response.content.decode()
    assert "was changed in another tab or on another device" in content
    assert "It now records a headache." in content
    assert "Choose how bad the headache was" not in content
    assert "headache details are filled in" not in content
    assert DiaryEntry.objects.live().get(patient=patient).worst_severity == "moderate"


def test_the_same_save_sent_twice_is_not_a_conflict(client_, patient):
    shown = _based_on(client_.get(day_url(days_ago(2), answer="details")))
    data = form_data(headache="no", note="Once", based_on=shown)
    assert client_.post(day_url(days_ago(2)), data).status_code == 302
    assert client_.post(day_url(days_ago(2)), data).status_code == 302
    assert DiaryEntry.objects.live().get(patient=patient).note == "Once"


def test_the_one_tap_answer_does_not_remove_headaches_recorded_elsewhere(client_, patient):
    assert _based_on(client_.get(TODAY_URL)) == ""
    record(patient, today(), headache_day(episode("severe")))  # on the patient's phone
    response = client_.post(
        TODAY_URL, {"action": "headache_free", "next": "", "based_on": ""}, follow=True
    )
    assert response.redirect_chain == [(TODAY_URL, 302)]
    assert "was changed in another tab or on another device" in response.content.decode()
    assert "Nothing has been changed." in response.content.decode()
    assert DiaryEntry.objects.live().get(patient=patient).headache


def test_the_one_tap_answer_twice_is_not_a_conflict(client_, patient):
    for _ in range(2):
        response = client_.post(TODAY_URL, {"action": "headache_free", "based_on": ""})
        assert response.status_code == 302
    assert not DiaryEntry.objects.live().get(patient=patient).headache


def test_a_record_changed_elsewhere_is_not_removed_from_an_older_page(client_, patient):
    record(patient, days_ago(1), clear_day())
    shown = _based_on(client_.get(day_url(days_ago(1))))
    record(patient, days_ago(1), headache_day(episode("severe")))
    response = client_.post(
        day_url(days_ago(1)), {"action": "remove", "confirm": "yes", "based_on": shown}, follow=True
    )
    assert "It has not been removed." in response.content.decode()
    assert DiaryEntry.objects.live().get(patient=patient).headache


def test_adding_a_headache_without_javascript_keeps_what_was_typed(client_):
    data = form_data(
        episodes=[{"severity": "moderate", "features": ["pulsating"]}], note="Still typing"
    )
    data["add_episode"] = "1"
    response = client_.post(TODAY_URL, data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Headache 2" in content
    assert 'name="episode-TOTAL_FORMS" value="2"' in content
    assert "Still typing" in content
    assert 'value="pulsating" checked' in content
    assert "There is a problem" not in content
    assert "<title>Error: " not in content
    assert not DiaryEntry.objects.exists()


def test_the_htmx_button_gets_the_next_headache_and_the_new_total(client_):
    response = client_.get(reverse("diaries:episode-form"), {"episode-TOTAL_FORMS": "1"})
    content = response.content.decode()
    assert "Headache 2" in content
    assert 'name="episode-1-severity"' in content
    assert 'id="id_episode-TOTAL_FORMS" hx-swap-oob="true"' in content
    assert 'value="2"' in content
    limit = client_.get(reverse("diaries:episode-form"), {"episode-TOTAL_FORMS": "10"})
    assert b"up to 10 headaches" in limit.content
    assert (
        client_.get(reverse("diaries:episode-form"), {"episode-TOTAL_FORMS": "x"}).status_code
        == 200
    )


def test_removing_a_days_record_asks_first(client_, patient):
    entry = record(patient, days_ago(1), headache_day(episode("severe")))
    page = client_.get(day_url(days_ago(1), next="calendar"))
    # The button opens the question at an address of its own (Back from it sends nothing).
    button = re.search(
        r'<form method="get" action="([^"]+)"[^>]*>(.*?)</form>', page.content.decode(), re.S
    )
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', button[2]))
    assert fields == {"remove": "yes", "next": "calendar", "based_on": page.context["based_on"]}
    asked = client_.get(button[1], fields)
    content = asked.content.decode()
    assert asked.status_code == 200
    assert "Remove your diary record for" in content
    assert "1 headache, worst severe." in content
    assert f'href="{day_url(days_ago(1))}?next=calendar">No, keep it</a>' in content
    entry.refresh_from_db()
    assert not entry.entered_in_error
    confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', content))
    assert confirm["based_on"] == page.context["based_on"]
    response = client_.post(day_url(days_ago(1)), confirm)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.entered_in_error


def test_a_remove_posted_from_an_older_page_is_sent_to_the_question_page(client_, patient):
    entry = record(patient, days_ago(1), headache_day(episode("severe")))
    version = client_.get(day_url(days_ago(1))).context["based_on"]
    response = client_.post(
        day_url(days_ago(1)), {"action": "remove", "next": "calendar", "based_on": version}
    )
    assert response.status_code == 302
    assert response.url.startswith(f"{day_url(days_ago(1))}?remove=yes&next=calendar&based_on=")
    assert "Remove your diary record for" in client_.get(response.url).content.decode()
    entry.refresh_from_db()
    assert not entry.entered_in_error
    # A question page for a day with nothing recorded goes back to the day.
    assert client_.get(day_url(days_ago(2)), {"remove": "yes"}).status_code == 302


def test_today_lists_the_week_before_with_links(client_, patient):
    record(patient, days_ago(1), headache_day(episode("severe", doses={"ibuprofen": 1})))
    content = client_.get(TODAY_URL).content.decode()
    assert "1 headache, worst severe, medicine taken" in content
    assert "not filled in" in content
    for n in range(1, 8):
        assert f'href="{day_url(days_ago(n))}?next=today"' in content
    assert day_url(days_ago(8)) not in content


# Calendar


def test_the_calendar_links_each_day_that_can_still_be_changed(client_):
    day = today().replace(day=1) - timedelta(days=5)
    response = client_.get(reverse("diaries:calendar"), {"month": f"{day:%Y-%m}"})
    content = response.content.decode()
    assert f'href="{day_url(day)}?next=calendar"' in content
    assert f'href="{day_url(day - timedelta(days=1))}?next=calendar"' in content


def test_the_calendar_shades_days_and_links_the_ones_that_can_be_changed(client_, patient):
    record(patient, today(), headache_day(episode("severe", doses={"sumatriptan": 1})))
    response = client_.get(reverse("diaries:calendar"))
    content = response.content.decode()
    assert "app-diary-calendar__day--severe" in content
    assert f"{today():%B}: severe headache, medicine taken" in content
    assert f'href="{TODAY_URL}"' in content
    assert "as a list" in content


def test_the_calendar_moves_between_months_but_not_into_the_future(client_):
    first = today().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    content = client_.get(
        reverse("diaries:calendar"), {"month": f"{previous:%Y-%m}"}
    ).content.decode()
    assert f"<h1>{previous:%B %Y}</h1>" in content
    assert f"?month={first:%Y-%m}" in content
    future = client_.get(reverse("diaries:calendar"), {"month": "2999-01"}).content.decode()
    assert f"<h1>{first:%B %Y}</h1>" in future
    assert "was not understood" not in content and "was not understood" not in future
    assert client_.get(reverse("diaries:calendar"), {"month": "13-2025"}).status_code == 200
    # Numbers too large for a date show this month too, not a server error.
    for month in ("99999999999-1", "2026-99999999999999999999"):
        page = client_.get(reverse("diaries:calendar"), {"month": month})
        assert f"<h1>{first:%B %Y}</h1>" in page.content.decode()


@pytest.mark.parametrize("month", ["2026-13", "garbage", "13-2025", "2026-1-5", "99999999999-1"])
def test_a_month_that_is_not_understood_shows_this_month_and_says_so(client_, month):
    page = client_.get(reverse("diaries:calendar"), {"month": month})
    assert page.status_code == 200
    content = page.content.decode()
    assert f"<h1>{today():%B %Y}</h1>" in content
    assert (
        "The month in the web address was not understood, so this month is shown instead."
    ) in content
    # Said once: the next page does not repeat it.
    assert "was not understood" not in client_.get(reverse("diaries:calendar")).content.decode()


def test_the_calendar_goes_back_to_the_first_day_that_can_be_filled_in(client_):
    earliest = days_ago(90).replace(day=1)
    content = client_.get(
        reverse("diaries:calendar"), {"month": f"{earliest:%Y-%m}"}
    ).content.decode()
    assert f"<h1>{earliest:%B %Y}</h1>" in content
    assert "Previous month" not in content
    # Days of that month before the 90 are greyed, said so, and not offered as "not filled in".
    closed = days_ago(91)
    assert ("not filled in, too long ago to fill in now" in content) is (closed >= earliest)
    assert ("too long ago to fill in now</li>" in content) is (closed >= earliest)
    # An earlier month (an old link) opens the first month there is.
    before = (earliest - timedelta(days=1)).replace(day=1)
    for month in (f"{before:%Y-%m}", "2000-01", "1999-12"):
        page = client_.get(reverse("diaries:calendar"), {"month": month}).content.decode()
        assert f"<h1>{earliest:%B %Y}</h1>" in page
        assert "Previous month" not in page


def test_the_calendar_goes_back_to_the_first_day_recorded(client_, patient):
    # A record from before the 90 days a patient can still change.
    flag_entry(patient, date(2024, 2, 10), headache=True, worst_severity="mild").save()
    content = client_.get(reverse("diaries:calendar"), {"month": "2024-02"}).content.decode()
    assert "<h1>February 2024</h1>" in content
    assert "February: mild headache" in content
    assert "Previous month" not in content
    assert "Next month" in content
    january = client_.get(reverse("diaries:calendar"), {"month": "2024-01"}).content.decode()
    assert "<h1>February 2024</h1>" in january


def test_adding_headaches_past_the_limit_says_so_once_beside_the_button(client_):
    page = client_.get(day_url(days_ago(1), answer="yes")).content.decode()
    assert '<p class="nhsuk-body-s" id="episode-limit" aria-live="polite"></p>' in page
    limit = client_.get(reverse("diaries:episode-form"), {"episode-TOTAL_FORMS": "10"})
    assert limit.content.decode().strip().splitlines()[-1] == (
        '<p id="episode-limit" hx-swap-oob="innerHTML">'
        "You can record up to 10 headaches in one day.</p>"
    )


def test_days_too_old_to_change_have_no_link(client_, patient):
    old = days_ago(120)
    content = client_.get(reverse("diaries:calendar"), {"month": f"{old:%Y-%m}"}).content.decode()
    assert day_url(old) not in content


# Summary


def _triptan_overuse(patient):
    for ago in range(0, 90, 3):  # 30 triptan days with migraine
        record(
            patient,
            days_ago(ago),
            headache_day(episode("severe", migraine=True, doses={"sumatriptan": 1})),
        )
    for ago in range(1, 90, 3):  # 30 more headache days, no medicine
        record(patient, days_ago(ago), headache_day(episode("mild")))


def test_the_summary_warns_about_triptan_overuse_in_plain_english(client_, patient):
    for ago in range(0, 66, 2):  # 33 days: 11 a month
        record(
            patient,
            days_ago(ago),
            headache_day(episode("severe", migraine=True, doses={"sumatriptan": 1})),
        )
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "You took triptans on 11 days a month." in content
    assert "Taking triptans on 10 or more days a month can make headaches worse" in content
    assert "Talk to your care team" in content
    assert "<svg" in content and "Days in each 30-day month" in content
    # The page's heading names the medicine table; its caption, as wide as the table, would be
    # cut off in the scroll box on a phone, so it is for screen readers only.
    assert (
        '<caption class="nhsuk-table__caption nhsuk-table__caption--s nhsuk-u-visually-hidden">'
        "Days with each kind of painkiller or migraine medicine</caption>"
    ) in content
    # Both tables scroll in their own boxes on a narrow screen, and the wide one says so.
    assert 'role="region" aria-label="Days in each 30-day month">\n<table' in content
    assert "Scroll the table sideways to see every month, the average and the limit." in content


def test_the_summary_notes_a_chronic_migraine_pattern(client_, patient):
    _triptan_overuse(patient)
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "meets the diary criteria for chronic migraine" in content
    assert "diagnos" not in content


def test_a_diary_begun_inside_the_window_asks_for_no_days_before_it(client_, patient):
    started = days_ago(30)
    for ago in range(0, 31):
        record(patient, days_ago(ago), clear_day())
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert (
        f"You started your diary on {started:%-d %B %Y}, so it does not cover all 90 days yet."
    ) in content
    assert "Fill in missed days" not in content


def test_an_empty_diary_is_not_asked_for_90_past_days(client_, patient):
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "You have not filled in your diary yet, so there is nothing to count." in content
    assert "Fill in missed days" not in content and "0 of the 90 days" not in content


@pytest.mark.parametrize("care", ["headache", "chronic_pain"])
def test_a_summary_with_nothing_recorded_shows_no_figures_of_none(client_, patient, care):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=patient, condition=care)
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "on 0 days" not in content and "0 a month" not in content
    assert "Average a month" not in content and "app-diary-chart" not in content
    # A diary begun before these 90 days, with nothing in them, says so for the days shown.
    flag_entry(patient, days_ago(120), headache=True, worst_severity="mild").save()
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert (
        f"Nothing is recorded in your diary from {days_ago(89):%-d %B %Y} to "
        f"{today():%-d %B %Y}, so there is nothing to count."
    ) in content
    assert "on 0 days" not in content and "app-diary-chart" not in content
    assert "You have not filled in your diary yet" not in content


def test_today_not_yet_filled_in_is_not_a_missed_day(client_, patient):
    for ago in range(1, 91):  # from before the window's first day to yesterday
        record(patient, days_ago(ago), clear_day())
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "may be too low" not in content and "Fill in missed days" not in content


def test_the_summary_counts_the_days_missed_since_the_diary_began(client_, patient):
    for ago in (1, 2, 5, 90):
        record(patient, days_ago(ago), clear_day())
    content = client_.get(reverse("diaries:summary")).content.decode()
    # The window's 89 days before today, less the three filled in.
    assert "You have not filled in 86 days. Days you have not filled in count" in content
    assert "You started your diary" not in content


def test_fill_in_missed_days_opens_the_month_of_the_latest_day_missed(client_, patient):
    # Every day of the last five weeks is filled in; the gap before them, after the diary's
    # first day, is the one to fill.
    for ago in [*range(0, 36), 50]:
        record(patient, days_ago(ago), clear_day())
    gap = days_ago(36)
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "You have also not filled in 14 days since you started." in content
    link = f'{reverse("diaries:calendar")}?month={gap:%Y-%m}">Fill in missed days</a>'
    assert link in content


def test_a_chronic_pain_patients_summary_starts_with_their_pain(client_, pain_patient):
    record(pain_patient, days_ago(1), clear_day(pain_score=6, pain_sites=("lower_back", "neck")))
    record(pain_patient, days_ago(2), clear_day(pain_score=3, pain_sites=("lower_back",)))
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert (
        "You scored your pain on 2 days out of 90. Your average score was 4.5 out of 10, and "
        "your highest was 6."
    ) in content
    assert "Where it hurt most often: lower back (2 days), neck (1 day)." in content
    # No headaches: nothing said of them, and no empty headache chart.
    summary = content[content.index("<h1>") : content.index('id="report"')]
    assert "headache" not in summary.lower()
    assert "Days in each 30-day month" not in content
    assert "Pain scores (0 to 10) in each 30-day month" in content


def test_a_chronic_pain_patient_is_not_given_medication_overuse_headaches_limits(
    client_, pain_patient
):
    # Painkillers for back pain on 20 days a month: medication-overuse headache's limits and
    # warnings are a headache disorder's (clinical-rules.md section 8), not theirs.
    for ago in range(1, 61):
        record(pain_patient, days_ago(ago), clear_day(pain_score=5, doses=doses(ibuprofen=1)))
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "<h2>Your medicines for pain</h2>" in content
    assert "You took painkillers or other medicines for pain on 60 days" in content
    assert "Limit a month" not in content and "Over the limit" not in content
    assert "too often" not in content and "medication overuse" not in content
    # The days before the diary began understate the medicine days, and the page says so.
    assert (
        "Until it does, the days before you started count as days without medicines, so the "
        "medicine figures may be too low."
    ) in content
    # A headache recorded brings what is said of headaches back.
    record(pain_patient, days_ago(1), headache_day(episode(), pain_score=5))
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "Your headaches" in content and "Limit a month" in content


def test_a_chronic_pain_patient_without_scores_is_asked_for_one(client_, pain_patient):
    # A day recorded without a score (an empty diary says only that it is empty).
    record(pain_patient, days_ago(1), clear_day())
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert "You have not scored your pain in these 90 days." in content
    assert "Pain scores (0 to 10)" not in content


def test_a_headache_patients_pain_scores_follow_their_headaches(client_, patient):
    record(patient, days_ago(1), headache_day(episode(), pain_score=5))
    content = client_.get(reverse("diaries:summary")).content.decode()
    assert content.index("Your headaches") < content.index("<h2>Your pain</h2>")
    assert "Days in each 30-day month" in content
    record(patient, days_ago(1), headache_day(episode()))
    assert "<h2>Your pain</h2>" not in client_.get(reverse("diaries:summary")).content.decode()


def test_the_summary_reads_the_diary_window_in_one_query(client_, patient):
    _triptan_overuse(patient)
    with CaptureQueriesContext(connection) as queries:
        client_.get(reverse("diaries:summary"))
    diary_reads = [q["sql"] for q in queries if 'FROM "diaries_diaryentry"' in q["sql"]]
    # The window's rows once; the patient's own row carries the diary's first day (LIMIT 1).
    window = [sql for sql in diary_reads if not sql.startswith('SELECT "pathway_patient"')]
    assert len(window) == 1 and len(diary_reads) == 2


# Constant query counts


def _queries(client, url) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("care", ["headache", "chronic_pain"])
@pytest.mark.parametrize("name", ["diaries:today", "diaries:calendar", "diaries:summary"])
def test_patient_pages_run_a_constant_number_of_queries(
    client_, patient, name, care, django_assert_num_queries
):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=patient, condition=care)
    url = reverse(name)
    record(patient, today(), headache_day(episode(doses={"ibuprofen": 1})))
    small = _queries(client_, url)
    record(
        patient,
        today(),
        headache_day(
            episode(doses={"ibuprofen": 1, "sumatriptan": 1}),
            episode("severe", migraine=True, doses={"sumatriptan": 1, "metoclopramide": 1}),
            episode("mild", doses={"paracetamol": 2}),
        ),
    )
    for ago in range(1, 90):
        record(
            patient,
            days_ago(ago),
            headache_day(episode(doses={"naproxen": 1})) if ago % 2 else clear_day(),
        )
    client_.get(url)
    with django_assert_num_queries(small):
        client_.get(url)
    assert small <= 12


def test_more_than_ten_headaches_in_a_day_is_refused(client_):
    data = form_data(episodes=[{"severity": "mild", "duration": "under_1h"}] * 11)
    response = client_.post(TODAY_URL, data)
    assert b"You can record up to 10 headaches in one day." in response.content
    assert not DiaryEntry.objects.exists()


def test_removing_a_day_that_has_no_record_changes_nothing(client_):
    response = client_.post(day_url(days_ago(4)), {"action": "remove", "confirm": "yes"})
    assert response.status_code == 302
    assert not DiaryEntry.objects.exists()


def _clock_at(monkeypatch, hour, minute):
    """Today's local time reads hour:minute (the date is today's)."""
    real = timezone.localtime
    fixed = datetime.combine(today(), time(hour, minute), tzinfo=ZoneInfo("Europe/London"))

    def localtime(value=None, timezone=None):
        return fixed if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localtime", localtime)


def test_a_headache_today_cannot_have_started_later_than_now(client_, patient, monkeypatch):
    _clock_at(monkeypatch, 9, 0)
    later = {**MIGRAINE_EPISODE, "start_time": "14:00"}
    content = client_.post(TODAY_URL, form_data(episodes=[later])).content.decode()
    assert "The time it started cannot be later than now (09:00)." in content
    assert not DiaryEntry.objects.filter(patient=patient).exists()
    # A few minutes ahead is a rounded guess, and any time on an earlier day is fine.
    soon = {**MIGRAINE_EPISODE, "start_time": "09:15"}
    assert client_.post(TODAY_URL, form_data(episodes=[soon])).status_code == 302
    yesterday = today() - timedelta(days=1)
    response = client_.post(day_url(yesterday), form_data(episodes=[later]))
    assert response.status_code == 302
    assert DiaryEntry.objects.filter(patient=patient).count() == 2


def test_late_in_the_evening_any_start_time_today_is_taken(client_, patient, monkeypatch):
    # 23:50 and the leeway run past midnight: no limit, rather than refusing every time.
    _clock_at(monkeypatch, 23, 50)
    late = {**MIGRAINE_EPISODE, "start_time": "23:59"}
    assert client_.post(TODAY_URL, form_data(episodes=[late])).status_code == 302


def test_a_headache_lasting_days_is_to_be_recorded_on_each_day(client_):
    # Only the day recorded counts as a headache day: the form says to fill in the next one.
    page = client_.get(day_url(days_ago(1), answer="yes")).content.decode()
    assert "If it went on into the next day, fill in that day too: each day with a headache " in (
        page
    )


def test_a_pain_patients_older_page_is_told_the_pain_score_saved_meanwhile(client_, pain_patient):
    record(pain_patient, days_ago(3), clear_day(pain_score=2))
    tab_b = _based_on(client_.get(day_url(days_ago(3))))
    record(pain_patient, days_ago(3), clear_day(pain_score=4))  # tab A
    response = client_.post(
        day_url(days_ago(3)), form_data(headache="no", pain_score="9", based_on=tab_b)
    )
    content = response.content.decode()
    assert "was changed in another tab or on another device" in content
    assert "It now records pain 4 out of 10 and no headache. Nothing has been saved." in content
    assert DiaryEntry.objects.live().get(patient=pain_patient).pain_score == 4
