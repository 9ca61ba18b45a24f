"""The Django admin over clinical records: structured answers are shown, not edited as JSON."""

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from pathway.admin import RecordReadAdmin
from tests.referrals import builders as referral_builders


def _clinical_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, RecordReadAdmin)
        and any(isinstance(f, models.JSONField) for f in model._meta.get_fields())
    ]


def test_there_are_clinical_records_with_structured_answers():
    names = {model.__name__ for model, _ in _clinical_admins()}
    assert {"Referral", "Assessment", "QuestionnaireRequest", "DiaryEntry"} <= names


@pytest.mark.parametrize(
    ("model", "model_admin"), _clinical_admins(), ids=lambda v: getattr(v, "__name__", "")
)
def test_every_structured_field_of_a_clinical_record_is_read_only(model, model_admin, rf):
    readonly = set(model_admin.get_readonly_fields(rf.get("/")))
    structured = {f.name for f in model._meta.get_fields() if isinstance(f, models.JSONField)}
    assert structured <= readonly


def test_a_referrals_red_flags_show_on_its_admin_page_but_cannot_be_typed(world, login):
    made = referral_builders.referral(world.patient, world.gp)
    page = login(world.admin).get(reverse("admin:referrals_referral_change", args=[made.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Red flags" in body
    assert 'name="red_flags"' not in body and 'name="id_migraine_answers"' not in body
