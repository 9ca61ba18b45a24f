"""pathway.compiled: a values_list query compiled once and run again."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, DateTimeField, F, UUIDField, Value
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from pathway import compiled as compiled_module
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


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


@pytest.fixture
def nothing_prepared(db):
    """The test's connection with no prepared statements (earlier tests share it)."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    compiled_module._prepared.pop(connection.connection, None)


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@postgresql_only
@pytest.mark.usefixtures("nothing_prepared")
def test_postgresql_prepares_once_per_connection_and_executes_after(world):
    compiled = Compiled.of(Patient.objects.filter(given_name="Alice").values_list("family_name"))
    with CaptureQueriesContext(connection) as first:
        assert compiled.rows() == [("Anders",)]
    assert compiled.name in _prepared_names()
    with CaptureQueriesContext(connection) as second:
        assert compiled.rows() == [("Anders",)]
    # One round trip each time; the parameters are written into the prepared statement.
    assert [q["sql"] for q in first.captured_queries][0].startswith(f"PREPARE {compiled.name} AS")
    assert "'Alice'" in first.captured_queries[0]["sql"]
    assert [q["sql"] for q in second.captured_queries] == [f"EXECUTE {compiled.name}"]


@postgresql_only
@pytest.mark.usefixtures("nothing_prepared")
def test_other_parameters_are_another_statement(world):
    alice = Compiled.of(Patient.objects.filter(given_name="Alice").values_list("family_name"))
    other = Compiled.of(Patient.objects.filter(given_name="Nobody").values_list("family_name"))
    assert alice.name != other.name
    assert alice.rows() == [("Anders",)]
    assert other.rows() == []
    assert alice.rows() == [("Anders",)]


@postgresql_only
@pytest.mark.usefixtures("nothing_prepared")
def test_a_connection_holds_at_most_its_limit_dropping_the_longest_unused(world, monkeypatch):
    monkeypatch.setattr(compiled_module, "PREPARED_PER_CONNECTION", 2)
    names = ["Alice", "Bob", "Carol"]
    statements = [
        Compiled.of(Patient.objects.filter(given_name=name).values_list("id")) for name in names
    ]
    statements[0].rows()
    statements[1].rows()
    statements[0].rows()  # now the most recently run
    statements[2].rows()
    held = _prepared_names()
    assert {statements[0].name, statements[2].name} <= held
    assert statements[1].name not in held
    assert statements[1].rows() == list(Patient.objects.filter(given_name="Bob").values_list("id"))


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("nothing_prepared")
def test_a_prepared_statement_outlives_a_rolled_back_transaction(world):
    compiled = Compiled.of(Patient.objects.filter(given_name="Alice").values_list("family_name"))
    with pytest.raises(RuntimeError), transaction.atomic():
        compiled.rows()
        raise RuntimeError("the view failed after reading")
    with CaptureQueriesContext(connection) as again:
        assert compiled.rows() == [("Anders",)]
    assert [q["sql"] for q in again.captured_queries] == [f"EXECUTE {compiled.name}"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("nothing_prepared")
def test_after_an_error_the_connection_runs_queries_as_sent(world):
    compiled = Compiled.of(Patient.objects.filter(given_name="Alice").values_list("family_name"))
    with transaction.atomic():
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        # The transaction is aborted: preparing fails like any other query would.
        with pytest.raises(DatabaseError):
            compiled.rows()
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as after:
        assert compiled.rows() == [("Anders",)]
    assert after.captured_queries[0]["sql"].startswith("SELECT")
