"""The embedded broker (pathway.broker): messages appear in the queue only when whole, and one
that cannot be read is skipped instead of stopping the worker."""

import base64
import json
import os
from pathlib import Path

import pytest
from kombu import Connection


@pytest.fixture
def folders(tmp_path) -> dict[str, Path]:
    names = ("queue", "staging", "processed", "control")
    found = {name: tmp_path / name for name in names}
    for folder in found.values():
        folder.mkdir()
    return found


def _queue_name(tmp_path) -> str:
    # kombu keeps queue bindings per process, not per folder: each test has its own queue.
    return f"tasks-{tmp_path.name}"


def _connect(folders) -> Connection:
    return Connection(
        "filesystem://localhost/",
        transport="pathway.broker:Transport",
        transport_options={
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "staging_folder": str(folders["staging"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
            "store_processed": False,
        },
    )


def test_a_message_goes_through_the_queue(folders, tmp_path):
    with _connect(folders) as connection, connection.SimpleQueue(_queue_name(tmp_path)) as queue:
        queue.put({"task": "send", "n": 1})
        message = queue.get(timeout=2)
        assert message.payload == {"task": "send", "n": 1}
        message.ack()
    assert list(folders["queue"].iterdir()) == []
    assert list(folders["staging"].iterdir()) == []


def test_a_message_is_whole_before_it_appears_in_the_queue(folders, tmp_path, monkeypatch):
    seen = []
    replace = os.replace

    def watching(source, target):
        # The moment it moves: written in full, and not yet where a worker looks.
        seen.append((Path(source).read_bytes(), sorted(p.name for p in folders["queue"].iterdir())))
        replace(source, target)

    monkeypatch.setattr(os, "replace", watching)
    with _connect(folders) as connection, connection.SimpleQueue(_queue_name(tmp_path)) as queue:
        queue.put({"task": "send"})
        [(written, queue_then)] = seen
        body = json.loads(written)["body"]
        assert json.loads(base64.b64decode(body)) == {"task": "send"}
        assert queue_then == []
        assert len(list(folders["queue"].iterdir())) == 1


def test_an_unreadable_message_is_skipped_and_the_next_one_read(folders, tmp_path, caplog):
    name = _queue_name(tmp_path)
    with _connect(folders) as connection, connection.SimpleQueue(name) as queue:
        # A file as kombu's own writer can leave it for a moment: created, not yet written.
        (folders["queue"] / f"0_cut-short.{name}.msg").write_bytes(b"")
        queue.put({"task": "after"})
        message = queue.get(timeout=2)
        assert message.payload == {"task": "after"}
        message.ack()
    assert "could not be decoded" in caplog.text
    assert list(folders["queue"].iterdir()) == []
