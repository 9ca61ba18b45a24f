"""Fast row writers for the load data set: PostgreSQL COPY, or bulk_create elsewhere.

A `Sink` takes rows as tuples in the order of the field names it was built with and hands out
primary keys itself, so children can point at parents before anything is written. A `Sinks`
group writes all its sinks together, parents before children, whenever enough rows are waiting.
On PostgreSQL the rows go through `COPY ... FROM STDIN` in text format (about ten times faster than
multi-row INSERTs), run by a background thread on the same connection and transaction so that
the database ingests one batch while Python builds the next; on SQLite (the test suite) they
become model instances for `bulk_create`. Constraints (checks, uniques, foreign keys) are
enforced by the database either way, so a generator bug fails the load instead of producing
impossible data.
"""

from __future__ import annotations

import io
import json
import queue
import threading
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal

from django.db import connection, models

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    return str(value).translate(_ESCAPES)


def _bool(value) -> str:
    return "t" if value else "f"


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":")).translate(_ESCAPES)


def _iso(value: date | datetime | time) -> str:
    return value.isoformat()


def _plain(value) -> str:
    return str(value)


def _converter(field: models.Field):
    """The function turning one Python value of `field` into COPY text."""
    if isinstance(field, models.BooleanField):
        convert = _bool
    elif isinstance(field, models.JSONField):
        convert = _json
    elif isinstance(field, models.DateTimeField | models.DateField | models.TimeField):
        convert = _iso
    elif isinstance(field, models.CharField | models.TextField):
        convert = _text
    else:  # integers, decimals, UUIDs, foreign keys
        convert = _plain
    if not field.null and not isinstance(field, models.JSONField):
        return convert
    return lambda value: NULL if value is None else convert(value)


@contextmanager
def _own_times(model, names):
    """While it lasts, `model`'s auto_now and auto_now_add columns among `names` keep the times
    given (bulk_create would stamp every row with the time of the insert, so every row would
    read as made just now, and "the latest recorded" by created_at, as the worklist reads the
    next review due, would be whichever was inserted last). The loader writes on one thread."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField)
        and field.attname in names
        and (field.auto_now or field.auto_now_add)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Sink:
    """Buffered writer for one table."""

    def __init__(self, model: type[models.Model], fields: list[str]):
        self.model = model
        self.fields = fields
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        missing = [name for name in fields if name not in by_attname]
        if missing:
            raise ValueError(f"{model._meta.label} has no fields {missing}")
        self.columns = [by_attname[name].column for name in fields]
        self.converters = [_converter(by_attname[name]) for name in fields]
        self.rows: list[tuple] = []
        self.written = 0
        self.postgres = connection.vendor == "postgresql"
        self.table = model._meta.db_table
        self._next_id: int | None = None
        self._allocates_ids = fields[0] == "id"

    # Primary keys ------------------------------------------------------------------------------

    def new_id(self) -> int:
        """A fresh primary key. Keys follow the table's current maximum; `finish` moves the
        table's sequence past them. The loader assumes nobody else writes these tables."""
        if self._next_id is None:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')  # noqa: S608
                self._next_id = cursor.fetchone()[0] + 1
        value = self._next_id
        self._next_id += 1
        return value

    # Rows --------------------------------------------------------------------------------------

    def prime(self) -> None:
        """Read the table's highest key now, while the connection is free."""
        if self._allocates_ids and self._next_id is None:
            self._next_id = self.new_id()

    def add(self, row: tuple) -> None:
        self.rows.append(row)

    def flush(self, writer: CopyWriter | None = None) -> None:
        if not self.rows:
            return
        if self.postgres:
            self._copy(writer)
        else:
            names = self.fields
            with _own_times(self.model, names):
                self.model.objects.bulk_create(
                    [self.model(**dict(zip(names, row, strict=True))) for row in self.rows],
                    batch_size=500,
                )
        self.written += len(self.rows)
        self.rows = []

    def _copy(self, writer: CopyWriter | None) -> None:
        converters = self.converters
        buffer = io.StringIO()
        write = buffer.write
        for row in self.rows:
            write("\t".join([convert(v) for convert, v in zip(converters, row, strict=True)]))
            write("\n")
        buffer.seek(0)
        columns = ", ".join(f'"{c}"' for c in self.columns)
        statement = f'COPY "{self.table}" ({columns}) FROM STDIN'
        if writer is not None:
            writer.submit(statement, buffer)
        else:
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(statement, buffer)

    def finish(self) -> None:
        """Move the id sequence past the keys handed out (after everything is written)."""
        if self.postgres and self._allocates_ids and self._next_id is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{self.table}"))',  # noqa: S608
                    [f'"{self.table}"'],
                )


class CopyWriter:
    """Runs COPY statements, in the order given, in a background thread on the loader's own
    database connection (the same transaction). The main thread must not use the connection
    until `close()`."""

    def __init__(self):
        connection.ensure_connection()
        self.raw = connection.connection
        self.jobs: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        cursor = self.raw.cursor()
        while True:
            job = self.jobs.get()
            if job is None:
                break
            if self.error is None:
                try:
                    cursor.copy_expert(*job)
                except BaseException as exc:  # noqa: BLE001  re-raised by close()
                    self.error = exc
        cursor.close()

    def submit(self, statement: str, buffer: io.StringIO) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((statement, buffer))

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class Sinks:
    """Sinks written together, in the order they were declared (parents first), so foreign keys
    can be checked as rows arrive rather than all at commit."""

    def __init__(self, *, batch: int = 60_000):
        self.batch = batch
        self.sinks: dict[str, Sink] = {}
        self.writer: CopyWriter | None = None

    def declare(self, model: type[models.Model], fields: list[str]) -> Sink:
        sink = Sink(model, fields)
        self.sinks[model._meta.label] = sink
        return sink

    def start(self) -> None:
        """Prime every sink's keys, then hand COPY to the background writer (PostgreSQL)."""
        for sink in self.sinks.values():
            sink.prime()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.writer = CopyWriter()

    def waiting(self) -> int:
        return sum(len(sink.rows) for sink in self.sinks.values())

    def maybe_flush(self) -> None:
        if self.waiting() >= self.batch:
            self.flush()

    def flush(self) -> None:
        for sink in self.sinks.values():
            sink.flush(self.writer)

    def finish(self) -> dict[str, int]:
        self.flush()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        for sink in self.sinks.values():
            sink.finish()
        return {label: sink.written for label, sink in sorted(self.sinks.items())}


def decimal(value: float, places: int = 2) -> Decimal:
    return Decimal(f"{value:.{places}f}")
