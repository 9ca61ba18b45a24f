"""A query's SQL worked out once and run again.

For a query a page asks on every view with the same shape and the same parameters (the
worklist's live reasons for one scope and day), Django's building and compiling of the query can
cost more than the database's own work. `Compiled.of(queryset)` keeps what iterating the
queryset would send (the SQL and its parameters) and the converters Django applies to each
column it reads back; `rows()` sends it again and returns the rows exactly as iterating a
`values_list` of that queryset would: the same types on SQLite and PostgreSQL.

Only for `values_list` querysets (plain tuples); what a `Compiled` holds is fixed when it is made,
so whoever keeps one must key it on everything its SQL depends on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable


@dataclass(frozen=True)
class Compiled:
    using: str
    sql: str | None  # None: the queryset can match nothing (e.g. `.none()`)
    params: tuple
    converters: tuple[tuple[int, tuple[Callable, ...], object], ...]

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
