"""The referrals app's lines on the GP's home page (pathway.referrer_tasks): referrals they sent
that came back rejected or redirected, until they are sent again or followed by another."""

import html
from datetime import timedelta

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pathway.extensions import Task
from referrals import selectors

# How long a referral that came back stays on the list: long enough to act on the advice, not
# so long that a referral the GP chose to leave stays for good.
CAME_BACK_DAYS = 28
# The most listed one by one; the rest are counted, with a link to "My referrals".
SHOWN = 5


def came_back(user) -> list[Task]:
    since = timezone.now() - timedelta(days=CAME_BACK_DAYS)
    referrals = list(selectors.came_back_to(user, since=since)[: SHOWN + 1])
    tasks = [
        Task(
            text=(
                f"Your referral of {referral.patient.full_name} was "
                f"{decision_words(referral)} on "
                f"{date_format(timezone.localtime(referral.decided_at), 'j F')}."
            ),
            url=reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid}),
            link_text="Read the advice" if referral.advice_to_referrer else "See the referral",
        )
        for referral in referrals[:SHOWN]
    ]
    if len(referrals) > SHOWN:
        tasks.append(
            Task(
                text=f"More of your referrals came back in the last {CAME_BACK_DAYS} days.",
                url=reverse("referrals:mine"),
                link_text="See them all in My referrals",
            )
        )
    return tasks


def decision_words(referral) -> str:
    """A decided referral's decision in words (referrals/includes/decision_words.html), as
    plain text: the template's escaping is undone, as the page showing the words escapes them
    (a message, a task line) and would otherwise show "patient&#x27;s"."""
    return html.unescape(
        render_to_string("referrals/includes/decision_words.html", {"referral": referral}).strip()
    )
