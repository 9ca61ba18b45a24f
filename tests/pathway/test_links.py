"""Row links: the same URL reverse() gives, worked out once per list."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from pathway.links import date_link, uuid_link


def test_gives_what_reverse_gives_for_each_value():
    link = uuid_link("referrals:detail", "referral_uuid")
    for value in (uuid.uuid4(), uuid.uuid4()):
        assert link(value) == reverse("referrals:detail", kwargs={"referral_uuid": value})


def test_text_values_are_read_as_uuids():
    link = uuid_link("reviews:patient-reviews", "patient_uuid")
    value = uuid.uuid4()
    assert link(str(value).upper()) == reverse(
        "reviews:patient-reviews", kwargs={"patient_uuid": value}
    )
    with pytest.raises(ValueError):
        link("../../admin/")


def test_keeps_the_script_prefix():
    set_script_prefix("/pathway/")
    try:
        link = uuid_link("referrals:detail", "referral_uuid")
        value = uuid.uuid4()
        assert link(value) == f"/pathway/referrals/{value}/"
    finally:
        set_script_prefix("/")


def test_an_unknown_name_fails_at_once():
    with pytest.raises(NoReverseMatch):
        uuid_link("referrals:no-such-page", "referral_uuid")


def test_a_date_link_gives_what_reverse_gives_for_each_day():
    link = date_link("diaries:day", "day")
    first = date(2026, 1, 1)
    for day in [first + timedelta(days=n) for n in range(400)] + [date(1999, 12, 31)]:
        assert link(day) == reverse("diaries:day", kwargs={"day": day})


def test_a_date_link_keeps_the_script_prefix():
    set_script_prefix("/pathway/")
    try:
        assert date_link("diaries:day", "day")(date(2026, 3, 4)) == "/pathway/diary/day/2026-03-04/"
    finally:
        set_script_prefix("/")


def test_a_date_link_to_an_unknown_name_fails_at_once():
    with pytest.raises(NoReverseMatch):
        date_link("diaries:no-such-page", "day")
