"""The embedded Celery broker used without Redis (`make run`): kombu's filesystem transport,
made safe for a worker reading while the web server writes.

kombu writes a message by creating its file in the queue folder and then filling it, so a
worker polling at that moment can take the file while it is still empty, fail to decode it and
stop for good (kombu reports it as an unrecoverable error). Here each message is written whole
in a staging folder beside the queue and renamed into it, which is atomic on one filesystem, and
a message that cannot be read is logged and skipped instead of stopping the worker."""

import logging
import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    @property
    def staging_folder(self) -> str:
        return self.transport_options.get("staging_folder") or os.path.join(
            os.path.dirname(os.path.normpath(self.data_folder_out)), "staging"
        )

    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written in full, then moved into the queue folder."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        staged = os.path.join(self.staging_folder, name)
        try:
            os.makedirs(self.staging_folder, exist_ok=True)
            with open(staged, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(staged, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add message {name!r} to the queue") from exc

    def _get(self, queue):
        """The next message on `queue`. One whose file cannot be decoded (cut short by a crash,
        say) has already been taken off the queue: it is logged and the next one is read."""
        while True:
            try:
                return super()._get(queue)
            except ValueError:
                logger.error("Skipped a message on queue %s that could not be decoded", queue)


class Transport(filesystem.Transport):
    Channel = Channel
