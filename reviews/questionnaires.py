"""What the patient sees for each questionnaire: items, answer options and the scored value of
each option. Pure data; scoring itself is `pathway.instruments.score`.

Wording and licences:
* PHQ-9, GAD-7 (Pfizer, free to use without permission) and the ID Migraine screener (published
  questions, clinical-rules.md section 1) are shown in their published wording.
* HIT-6 (QualityMetric/GSK), MIDAS (Innovative Medical Research), MSK-HQ (Oxford University
  Innovation, licensed free for NHS use) and PSEQ (M. Nicholas) are licensed or copyrighted. Until
  the service holds the licensed forms, each item is a short paraphrase and the page says so once,
  above the questions (`licensed=True`, `licence_note`), rather than on every question. The
  scores still follow the published scoring.
* MSK-HQ option order runs from best to worst health on most items but not on items 12 and 13
  (clinical-rules.md section 6); every option here carries its own score, so no item relies on
  "first option = 0".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pathway.instruments import MIDAS_ITEM_MAX, PHQ9_SELF_HARM_ITEM


@dataclass(frozen=True)
class Item:
    text: str
    # (scored value, label) pairs in the order shown; None for a number typed by the patient.
    options: tuple[tuple[object, str], ...] | None = None
    minimum: int = 0
    maximum: int = 0
    hint: str = ""
    # Shown under the item on every page where it appears (PHQ-9 item 9: where to get help).
    safety_note: bool = False


@dataclass(frozen=True)
class Questionnaire:
    code: str
    title: str
    intro: str
    items: tuple[Item, ...]
    licensed: bool = False
    licence_note: str = ""
    # Extra questions that are asked but never scored (MIDAS A and B), lettered rather than
    # numbered so that they never share a number with a scored question.
    unscored: tuple[Item, ...] = field(default_factory=tuple)
    # PSFS: the patient names up to five activities and rates each.
    activities: bool = False


PAST_TWO_WEEKS = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
YES_NO = ((True, "Yes"), (False, "No"))
HIT6_OPTIONS = (
    ("never", "Never"),
    ("rarely", "Rarely"),
    ("sometimes", "Sometimes"),
    ("very often", "Very often"),
    ("always", "Always"),
)
PSEQ_OPTIONS = tuple(
    (value, label)
    for value, label in (
        (0, "0 – not at all confident"),
        (1, "1"),
        (2, "2"),
        (3, "3"),
        (4, "4"),
        (5, "5"),
        (6, "6 – completely confident"),
    )
)
PARAPHRASE_NOTE = (
    "This questionnaire is licensed. The questions below are short summaries of the official "
    "ones, not the official wording; your answers are scored in the same way."
)


def _days(text: str, hint: str = "") -> Item:
    return Item(
        text=text,
        minimum=0,
        maximum=MIDAS_ITEM_MAX,
        hint=hint or f"Number of days, 0 to {MIDAS_ITEM_MAX}",
    )


def _msk(text: str, *labels: str, best_first: bool = True) -> Item:
    """An MSK-HQ item whose five labels are listed in the order shown; the score is 4 for the
    best-health answer and 0 for the worst."""
    scores = (4, 3, 2, 1, 0) if best_first else (0, 1, 2, 3, 4)
    return Item(text=text, options=tuple(zip(scores, labels, strict=True)))


NONE_TO_VERY_SEVERE = ("None", "Mild", "Moderate", "Severe", "Very severe")
NOT_AT_ALL_TO_UNABLE = ("Not at all", "Slightly", "Moderately", "Very much", "Unable")
NOT_AT_ALL_TO_EXTREMELY = ("Not at all", "Slightly", "Moderately", "Very much", "Extremely")

QUESTIONNAIRES: dict[str, Questionnaire] = {
    "PHQ-9": Questionnaire(
        code="PHQ-9",
        title="Mood (PHQ-9)",
        intro="Over the last 2 weeks, how often have you been bothered by any of the following "
        "problems?",
        items=tuple(
            Item(text=text, options=PAST_TWO_WEEKS, safety_note=number == 9)
            for number, text in enumerate(
                (
                    "Little interest or pleasure in doing things",
                    "Feeling down, depressed, or hopeless",
                    "Trouble falling or staying asleep, or sleeping too much",
                    "Feeling tired or having little energy",
                    "Poor appetite or overeating",
                    "Feeling bad about yourself, or that you are a failure or have let yourself "
                    "or your family down",
                    "Trouble concentrating on things, such as reading the newspaper or watching "
                    "television",
                    "Moving or speaking so slowly that other people could have noticed, or the "
                    "opposite: being so fidgety or restless that you have been moving around a "
                    "lot more than usual",
                    "Thoughts that you would be better off dead, or of hurting yourself in some "
                    "way",
                ),
                start=1,
            )
        ),
    ),
    "GAD-7": Questionnaire(
        code="GAD-7",
        title="Anxiety (GAD-7)",
        intro="Over the last 2 weeks, how often have you been bothered by the following problems?",
        items=tuple(
            Item(text=text, options=PAST_TWO_WEEKS)
            for text in (
                "Feeling nervous, anxious or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid as if something awful might happen",
            )
        ),
    ),
    "ID_MIGRAINE": Questionnaire(
        code="ID_MIGRAINE",
        title="Headache screening questions (ID Migraine)",
        intro="Think about your headaches in the last 3 months.",
        items=(
            Item(
                text="Has a headache limited your activities for a day or more in the last "
                "3 months?",
                options=YES_NO,
            ),
            Item(
                text="Are you nauseated or sick to your stomach when you have a headache?",
                options=YES_NO,
            ),
            Item(text="Does light bother you when you have a headache?", options=YES_NO),
        ),
    ),
    "HIT-6": Questionnaire(
        code="HIT-6",
        title="Headache impact (HIT-6)",
        intro="How often do your headaches affect you? The last three questions are about the "
        "past 4 weeks.",
        licensed=True,
        licence_note=PARAPHRASE_NOTE,
        items=tuple(
            Item(text=text, options=HIT6_OPTIONS)
            for text in (
                "How often your headaches are severely painful",
                "How often headaches limit your usual daily activities",
                "How often you wish you could lie down when you have a headache",
                "In the past 4 weeks, how often you felt too tired for work or daily "
                "activities because of headaches",
                "In the past 4 weeks, how often you felt fed up or irritated because of headaches",
                "In the past 4 weeks, how often headaches limited your ability to concentrate",
            )
        ),
    ),
    "MIDAS": Questionnaire(
        code="MIDAS",
        title="Migraine disability (MIDAS)",
        intro="Count the days in the last 3 months. If a day fits more than one question, "
        "count it only where the question says.",
        licensed=True,
        licence_note=PARAPHRASE_NOTE,
        items=(
            _days("Days you missed work or school because of headaches"),
            _days(
                "Days your work or school productivity was cut by half or more "
                "(do not count days you already counted above)"
            ),
            _days("Days you did no household work because of headaches"),
            _days(
                "Days your household work was cut by half or more (do not count days "
                "you already counted above)"
            ),
            _days("Days you missed family, social or leisure activities"),
        ),
        unscored=(
            _days("On how many days did you have a headache?"),
            Item(
                text="On average, how painful were the headaches?",
                minimum=0,
                maximum=10,
                hint="0 = no pain, 10 = pain as bad as it can be",
            ),
        ),
    ),
    "PSEQ": Questionnaire(
        code="PSEQ",
        title="Confidence despite pain (PSEQ)",
        intro="How confident are you now that you can do the following, despite the pain?",
        licensed=True,
        licence_note=PARAPHRASE_NOTE,
        items=tuple(
            Item(text=text, options=PSEQ_OPTIONS)
            for text in (
                "Enjoy things despite the pain",
                "Do most household chores",
                "Socialise with friends or family as often as before",
                "Cope with the pain in most situations",
                "Do some form of work (paid or unpaid)",
                "Still do many things you enjoy, such as hobbies",
                "Cope with the pain without medication",
                "Still reach most of your goals in life",
                "Live a normal lifestyle",
                "Gradually become more active",
            )
        ),
    ),
    "MSK-HQ": Questionnaire(
        code="MSK-HQ",
        title="Muscle and joint health (MSK-HQ)",
        intro="Think about your joint or muscle symptoms over the last 2 weeks.",
        licensed=True,
        licence_note=PARAPHRASE_NOTE,
        items=(
            _msk("Pain or stiffness during the day", *NONE_TO_VERY_SEVERE),
            _msk("Pain or stiffness during the night", *NONE_TO_VERY_SEVERE),
            _msk("How much symptoms got in the way of walking", *NOT_AT_ALL_TO_UNABLE),
            _msk(
                "How much symptoms got in the way of washing or dressing",
                *NOT_AT_ALL_TO_UNABLE,
            ),
            _msk(
                "How much symptoms got in the way of physical activity",
                *NOT_AT_ALL_TO_UNABLE,
            ),
            _msk(
                "How much symptoms got in the way of work or your daily routine",
                *NOT_AT_ALL_TO_UNABLE,
            ),
            _msk(
                "How much symptoms got in the way of social activities and hobbies",
                *NOT_AT_ALL_TO_UNABLE,
            ),
            _msk(
                "How much you needed help from others because of symptoms",
                *NOT_AT_ALL_TO_EXTREMELY,
            ),
            _msk(
                "Nights with trouble sleeping because of symptoms",
                "No nights",
                "1 to 2 nights",
                "3 to 4 nights",
                "5 to 6 nights",
                "Every night",
            ),
            _msk("Tiredness or low energy", *NONE_TO_VERY_SEVERE),
            _msk("Feeling worried or low because of symptoms", *NOT_AT_ALL_TO_EXTREMELY),
            # Items 12 and 13: "not at all" is the worst answer here.
            _msk(
                "How well you understand your condition and its treatment",
                "Not at all",
                "Slightly",
                "Moderately",
                "Very well",
                "Completely",
                best_first=False,
            ),
            _msk(
                "How confident you feel about managing your symptoms",
                "Not at all",
                "Slightly",
                "Moderately",
                "Very",
                "Extremely",
                best_first=False,
            ),
            _msk("Overall, how much symptoms bothered you", *NOT_AT_ALL_TO_EXTREMELY),
        ),
    ),
    "PSFS": Questionnaire(
        code="PSFS",
        title="Activities you find hard (PSFS)",
        intro="Name up to 5 activities you find hard because of your condition, and rate how "
        "well you can do each today: 0 means you cannot do it at all, 10 means you can do it "
        "as well as before the problem.",
        activities=True,
        items=(),
    ),
}

# Instruments a clinician may request, in the order offered.
REQUESTABLE = ("PHQ-9", "GAD-7", "HIT-6", "MIDAS", "ID_MIGRAINE", "PSEQ", "MSK-HQ", "PSFS")

# Where to get help now (PHQ-9 item 9). Shown to the patient at once, whatever the total:
# (name, what to do, link a phone can follow: Shout's opens a text with the word it needs).
CRISIS_CONTACTS = (
    (
        "999",
        "Call 999 or go to A&E if your life is at risk right now or you have hurt yourself.",
        "tel:999",
    ),
    (
        "NHS 111",
        "Call 111 and choose the mental health option for urgent help, day or night.",
        "tel:111",
    ),
    ("Samaritans", "Call 116 123, free, any time, to talk to someone.", "tel:116123"),
    (
        "Shout",
        "Text SHOUT to 85258 for free, confidential text support, any time.",
        "sms:85258?body=SHOUT",
    ),
)


# How unscored questions are numbered: A, B, ... (never a number a scored question has).
UNSCORED_LETTERS = "ABCDEFGH"


def answer_details(
    code: str, *, answers: list, activities: list[str], unscored: list
) -> tuple[str, ...]:
    """What a completed questionnaire's score leaves out, for the clinician: each PSFS activity
    with its rating (a single activity's change counts, clinical-rules.md section 5), and the
    unscored questions with their answers (MIDAS A and B, section 2). Empty for the others."""
    questionnaire = QUESTIONNAIRES.get(code)
    if questionnaire is None:
        return ()
    # Not strict: a row kept before unscored answers were stored has none.
    if questionnaire.activities:
        pairs = zip(activities, answers, strict=False)
        return tuple(f"{name}: {rating} of 10" for name, rating in pairs)
    asked = zip(questionnaire.unscored, unscored, strict=False)
    return tuple(
        f"{UNSCORED_LETTERS[number]}. {item.text} {value}"
        for number, (item, value) in enumerate(asked)
        if value not in (None, "")
    )


def self_harm_answer(answers: list) -> str:
    """The patient's answer to PHQ-9 question 9 in the questionnaire's own words ("Several
    days" to "Nearly every day"), for the clinician acting on its safety alert; "" when the
    answers hold no such question."""
    if len(answers) < PHQ9_SELF_HARM_ITEM:
        return ""
    return dict(PAST_TWO_WEEKS).get(answers[PHQ9_SELF_HARM_ITEM - 1], "")
