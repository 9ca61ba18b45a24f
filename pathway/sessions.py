"""Sessions in the database, as django.contrib.sessions keeps them, with a cheap way to slide
the idle timeout forward.

SessionRefreshMiddleware pushes a session's expiry forward at most once every
SESSION_REFRESH_SECONDS. The row's own `expire_date` says when that last happened (it is always
set to the moment of a save plus SESSION_COOKIE_AGE), so nothing is kept in the session's data
for it, and the refresh (`touch`) is one UPDATE of that column: the data is not encoded and
signed again. On PostgreSQL the refresh does not wait for its commit to reach the disk: only a
database crash can lose it, and then the session ends up to SESSION_REFRESH_SECONDS earlier than
it would have, the safe direction. Every other save (sign in, a new key, the second factor,
anything a view stored) and every delete still waits.
"""

from datetime import datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    # The stored row's expiry as this request loaded it; None before loading or when the row
    # was missing or had expired.
    loaded_expiry: datetime | None = None

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self.loaded_expiry = stored.expire_date if stored is not None else None
        return stored

    def touch(self) -> bool:
        """Move the stored row's expiry to SESSION_COOKIE_AGE from now, leaving its data alone.
        False when the row is gone (signed out meanwhile, perhaps in another tab): nothing is
        written then, so a signed-out session is never brought back."""
        if self.session_key is None:
            return False
        using = router.db_for_write(self.model)
        connection = connections[using]
        expiry = self.get_expiry_date()
        table = connection.ops.quote_name(self.model._meta.db_table)
        # Only a row still live: one that expired meanwhile stays ended.
        update = (
            f"UPDATE {table} SET expire_date = %s "  # noqa: S608
            "WHERE session_key = %s AND expire_date > %s"
        )
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # One round trip: PostgreSQL runs the two statements as one implicit transaction,
            # to which SET LOCAL applies, and no other.
            update = f"SET LOCAL synchronous_commit TO OFF; {update}"
        with connection.cursor() as cursor:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.execute(update, [adapt(expiry), self.session_key, adapt(timezone.now())])
            updated = cursor.rowcount
        if updated:
            self.loaded_expiry = expiry
        return bool(updated)
