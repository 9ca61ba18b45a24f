"""reviews.questionnaires: the item data matches the kernel's scoring for every instrument."""

import itertools

import pytest

from pathway import instruments
from reviews.questionnaires import CRISIS_CONTACTS, QUESTIONNAIRES, REQUESTABLE


def test_every_instrument_has_items_and_every_requestable_one_exists():
    assert set(QUESTIONNAIRES) == set(instruments.INSTRUMENTS)
    assert set(REQUESTABLE) == set(QUESTIONNAIRES)


@pytest.mark.parametrize("code", [c for c in QUESTIONNAIRES if c != "PSFS"])
def test_item_count_matches_the_scorer(code):
    assert len(QUESTIONNAIRES[code].items) == instruments.INSTRUMENTS[code].min_items


@pytest.mark.parametrize("code", [c for c in QUESTIONNAIRES if c != "PSFS"])
def test_the_lowest_and_highest_option_of_every_item_score(code):
    items = QUESTIONNAIRES[code].items

    def extreme(item, pick):
        if item.options is None:
            return item.maximum if pick is max else item.minimum
        values = [value for value, _ in item.options]
        if code == "HIT-6":
            return values[0] if pick is min else values[-1]
        return pick(values)

    low = instruments.score(code, [extreme(item, min) for item in items])
    high = instruments.score(code, [extreme(item, max) for item in items])
    meta = instruments.INSTRUMENTS[code]
    assert low.total == meta.min_total
    assert high.total == meta.max_total


def test_every_option_of_every_item_is_a_valid_answer():
    for code, questionnaire in QUESTIONNAIRES.items():
        for number, item in enumerate(questionnaire.items):
            if item.options is None:
                continue
            baseline = [(i.options[0][0] if i.options else i.minimum) for i in questionnaire.items]
            for value, _ in item.options:
                answers = list(baseline)
                answers[number] = value
                instruments.score(code, answers)  # raises if not a valid answer


def test_msk_hq_items_12_and_13_score_not_at_all_as_the_worst_answer():
    items = QUESTIONNAIRES["MSK-HQ"].items
    for number in (12, 13):
        options = {label: value for value, label in items[number - 1].options}
        assert options["Not at all"] == 0
    # ...while for a symptom item "not at all" is the best.
    walking = {label: value for value, label in items[2].options}
    assert walking["Not at all"] == 4
    pain = {label: value for value, label in items[0].options}
    assert pain["None"] == 4 and pain["Very severe"] == 0


def test_each_msk_hq_item_uses_every_score_once():
    for item in QUESTIONNAIRES["MSK-HQ"].items:
        assert sorted(value for value, _ in item.options) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("code", ["HIT-6", "MIDAS", "MSK-HQ", "PSEQ"])
def test_licensed_instruments_are_labelled_paraphrases(code):
    questionnaire = QUESTIONNAIRES[code]
    assert questionnaire.licensed
    assert "not the official wording" in questionnaire.licence_note
    # The page says so once, above the questions, not at the start of every question.
    items = (*questionnaire.items, *questionnaire.unscored)
    assert not any(item.text.startswith("Summary") for item in items)


@pytest.mark.parametrize("code", ["PHQ-9", "GAD-7", "ID_MIGRAINE"])
def test_free_instruments_show_their_published_wording(code):
    questionnaire = QUESTIONNAIRES[code]
    assert not questionnaire.licensed
    assert not any(item.text.startswith("Summary:") for item in questionnaire.items)


def test_phq9_item_9_carries_the_safety_note_and_its_published_wording():
    items = QUESTIONNAIRES["PHQ-9"].items
    assert items[8].safety_note
    assert not any(item.safety_note for item in items[:8])
    assert "better off dead" in items[8].text and "hurting yourself" in items[8].text


def test_midas_asks_a_and_b_but_never_scores_them():
    midas = QUESTIONNAIRES["MIDAS"]
    assert len(midas.unscored) == 2
    with pytest.raises(instruments.InvalidAnswers):
        instruments.score("MIDAS", [0, 0, 0, 0, 0, 30, 5])


def test_the_crisis_contacts_include_999_111_and_samaritans():
    names = [name for name, _, _ in CRISIS_CONTACTS]
    assert names[0] == "999"
    assert {"NHS 111", "Samaritans"} <= set(names)
    links = {name: href for name, _, href in CRISIS_CONTACTS}
    assert links["Samaritans"] == "tel:116123"
    # The text to Shout must say SHOUT: the link writes it for the patient (RFC 5724).
    assert links["Shout"] == "sms:85258?body=SHOUT"


def test_hit6_options_are_the_scoring_labels_in_order():
    values = [value for value, _ in QUESTIONNAIRES["HIT-6"].items[0].options]
    assert values == list(instruments.HIT6_WEIGHTS)
    assert all(
        instruments.HIT6_WEIGHTS[a] < instruments.HIT6_WEIGHTS[b]
        for a, b in itertools.pairwise(values)
    )
