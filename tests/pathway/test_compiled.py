"""pathway.compiled: a values_list query compiled once and run again."""

import pytest
from django.db.models import CharField, DateTimeField, F, UUIDField, Value
from django.db.models.functions import Cast

from pathway.compiled import Compiled
from pathway.models import Organisation, Patient

COLUMNS = ("id", "uuid", "date_of_birth", "created_at", "given_name")


def _patients():
    return Patient.objects.order_by("id").values_list(*COLUMNS)


@pytest.mark.django_db
def test_rows_are_what_iterating_the_queryset_gives(world):
    rows = Compiled.of(_patients()).rows()
    assert rows == list(_patients())
    first = rows[0]
    assert (first[1], first[2], first[3]) == (
        world.patient.uuid,
        world.patient.date_of_birth,
        world.patient.created_at,
    )


@pytest.mark.django_db
def test_a_union_with_typed_blank_columns_reads_back_the_same(world):
    def shaped(queryset, code, **columns):
        blank = {
            "w_ref": Cast(Value(None), UUIDField()),
            "w_at": Cast(Value(None), DateTimeField()),
        }
        return queryset.annotate(
            w_code=Value(code, output_field=CharField()), **{**blank, **columns}
        ).values_list("id", "w_code", "w_ref", "w_at")

    union = shaped(
        Patient.objects.filter(registered_practice=world.practice_a).order_by(),
        "patient",
        w_ref=F("uuid"),
        w_at=F("created_at"),
    ).union(shaped(Organisation.objects.filter(pk=world.practice_c.pk).order_by(), "org"), all=True)
    rows = Compiled.of(union).rows()
    assert sorted(rows, key=repr) == sorted(union, key=repr)
    assert (world.practice_c.pk, "org", None, None) in rows
    assert (world.patient.pk, "patient", world.patient.uuid, world.patient.created_at) in rows


@pytest.mark.django_db
def test_each_call_runs_the_query_again(world):
    compiled = Compiled.of(Patient.objects.filter(given_name="Alice").values_list("family_name"))
    assert compiled.rows() == [("Anders",)]
    Patient.objects.filter(pk=world.patient.pk).update(family_name="Archer")
    assert compiled.rows() == [("Archer",)]


@pytest.mark.django_db
def test_a_query_that_can_match_nothing_gives_no_rows(django_assert_num_queries):
    compiled = Compiled.of(Patient.objects.none().values_list("id"))
    with django_assert_num_queries(0):
        assert compiled.rows() == []


def test_only_values_list_querysets():
    with pytest.raises(TypeError):
        Compiled.of(Patient.objects.all())
