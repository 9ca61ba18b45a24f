"""Row links: the same URL reverse() gives, worked out once per list."""

import uuid

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from pathway.links import uuid_link


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
