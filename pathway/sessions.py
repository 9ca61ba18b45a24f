"""Sessions in the database, as django.contrib.sessions keeps them, with one difference: a save
that only slides the idle timeout forward (SessionRefreshMiddleware marks it) does not wait for
its commit to reach the disk on PostgreSQL.

Such a save is most of the session writes a signed-in user causes, and waiting for the disk is
most of its cost. Only a database crash can lose it, and then the session ends up to
SESSION_REFRESH_SECONDS earlier than it would have: the safe direction. Every other save (sign
in, a new key, the second factor, anything a view stored) and every delete still waits.
"""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, connections, router, transaction


class SessionStore(DatabaseSessionStore):
    refresh_only = False

    def save(self, must_create=False):
        using = router.db_for_write(self.model)
        connection = connections[using]
        relaxed = (
            self.refresh_only
            and not must_create
            and self.session_key is not None
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
        )
        if not relaxed:
            return super().save(must_create=must_create)
        obj = self.create_model_instance(self._get_session())
        try:
            with transaction.atomic(using=using):
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                obj.save(force_update=True, using=using)
        except DatabaseError as error:
            # As the database store does: the session was deleted meanwhile (signed out).
            raise UpdateError from error
