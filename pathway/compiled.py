"""A query's SQL worked out once and run again.

For a query a page asks on every view with the same shape and the same parameters (the
worklist's live reasons for one scope and day), Django's building and compiling of the query can
cost more than the database's own work. `Compiled.of(queryset)` keeps what iterating the
queryset would send (the SQL and its parameters) and the converters Django applies to each
column it reads back; `rows()` sends it again and returns the rows exactly as iterating a
`values_list` of that queryset would: the same types on SQLite and PostgreSQL.

On PostgreSQL the server's planning of such a query can cost as much as running it (the
worklist's live reasons on the load data: 5.2 ms a view as sent, 2.6 ms prepared), so each
connection prepares a `Compiled` the first time it runs it (PREPARE, with the parameters written
into the statement, so the plan is made for those values) and runs it with EXECUTE after that. A
connection holds at most PREPARED_PER_CONNECTION of them, dropping the longest unused; they end
with the connection. PREPARE is not undone by a rollback, so a statement prepared in a
transaction that fails stays usable.

Only for `values_list` querysets (plain tuples); what a `Compiled` holds is fixed when it is made,
so whoever keeps one must key it on everything its SQL depends on.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

PREPARED_PER_CONNECTION = 64
# The statements each open PostgreSQL connection holds, by name, least recently run first. Keyed
# by the driver's connection object, so a connection opened again starts with none.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()
# What a connection holds after an error while preparing: it prepares nothing more.
PLAIN: OrderedDict = OrderedDict()


@dataclass(frozen=True)
class Compiled:
    using: str
    sql: str | None  # None: the queryset can match nothing (e.g. `.none()`)
    params: tuple
    converters: tuple[tuple[int, tuple[Callable, ...], object], ...]
    # The name it is prepared under: the same SQL and parameters share one.
    name: str = field(init=False, compare=False)

    def __post_init__(self):
        digest = hashlib.sha256(repr((self.sql, self.params)).encode()).hexdigest()[:32]
        object.__setattr__(self, "name", f"compiled_{digest}")

    @classmethod
    def of(cls, queryset: QuerySet) -> Compiled:
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError("Compiled.of takes a values_list() queryset")
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return cls(queryset.db, None, (), ())
        # What SQLCompiler.results_iter converts each row with, for the columns it selects.
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        )
        return cls(queryset.db, sql, tuple(params), converters)

    def rows(self) -> list[tuple]:
        """Run the query now, on this thread's connection."""
        if self.sql is None:
            return []
        connection = connections[self.using]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self._run_prepared(connection.connection, cursor)
            else:
                cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        if not self.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for position, functions, expression in self.converters:
                value = values[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                values[position] = value
            converted.append(tuple(values))
        return converted

    def _run_prepared(self, raw, cursor) -> None:
        """Run the statement on this PostgreSQL connection: EXECUTE once it is prepared there,
        else PREPARE and EXECUTE in one round trip (dropping the connection's least recently
        run statement when it holds its limit). After an error on the way the connection's
        statements are no longer known for sure, so it runs queries as sent from then on."""
        with _prepared_lock:
            held = _prepared.setdefault(raw, OrderedDict())
        if held is PLAIN:
            cursor.execute(self.sql, self.params)
            return
        if self.name in held:
            script = f"EXECUTE {self.name}"
            held.move_to_end(self.name)
            dropped = None
        else:
            # mogrify writes the parameters in as psycopg2 would send them.
            statement = cursor.mogrify(self.sql, self.params).decode()
            script = f"PREPARE {self.name} AS {statement}; EXECUTE {self.name}"
            dropped = next(iter(held)) if len(held) >= PREPARED_PER_CONNECTION else None
            if dropped is not None:
                script = f"DEALLOCATE {dropped}; {script}"
        try:
            cursor.execute(script)
        except DatabaseError:
            with _prepared_lock:
                _prepared[raw] = PLAIN
            raise
        if dropped is not None:
            del held[dropped]
        held[self.name] = None
