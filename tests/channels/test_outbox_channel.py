"""The outbox: append-only JSONL that survives kill -9 without breaking readers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from journey.channels import OutboxChannel, WebhookRequest, build_channel, read_outbox
from journey.channels.outbox_file import OutboxDamage, rewrite_without
from journey.clock import VirtualClock
from journey.errors import JourneyError
from journey.model import Channel, Message

ROOT = Path(__file__).resolve().parents[2]


def outbox(tmp_path: Path, clock: VirtualClock, **settings: object) -> OutboxChannel:
    config = Channel(name="email", kind="outbox", message="email", settings=dict(settings))
    channel = build_channel(config, root=tmp_path, env={}, clock=clock)
    assert isinstance(channel, OutboxChannel)
    return channel


def test_a_message_becomes_one_complete_json_line(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    channel = outbox(tmp_path, clock)

    receipt = channel.deliver(make_message(headers={"List-Unsubscribe": "<https://u/x>"}))
    channel.close()

    path = tmp_path / ".journey" / "outbox.jsonl"
    assert channel.path == path
    [record] = list(read_outbox(path))
    assert record["delivery_key"] == "enr-1:welcome:0"
    assert record["to"] == "astrid@example.com"
    assert record["subject"] == "Välkommen, Astrid!"
    assert record["html"].startswith("<p>Hej")
    assert record["headers"] == {"List-Unsubscribe": "<https://u/x>"}
    assert (record["journey_id"], record["step_id"], record["contact_id"]) == (
        "onboarding-welcome",
        "welcome",
        "c-1042",
    )
    assert record["locale"] == "sv"
    assert record["written_at"] == "2026-03-29T07:30:00+00:00"
    assert receipt.message_id == "enr-1:welcome:0"
    assert path.read_bytes().count(b"\n") == 1


def test_a_relative_path_setting_lives_under_the_workspace(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    channel = outbox(tmp_path, clock, path="out/sms.jsonl")
    channel.deliver(make_message())

    assert channel.path == tmp_path / "out" / "sms.jsonl"
    assert channel.path.exists()


def test_deliver_many_writes_a_batch(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    channel = outbox(tmp_path, clock)

    receipts = channel.deliver_many(make_message(delivery_key=f"k{n}") for n in range(50))

    assert [r.message_id for r in receipts] == [f"k{n}" for n in range(50)]
    assert [r["delivery_key"] for r in read_outbox(channel.path)] == [f"k{n}" for n in range(50)]


def test_a_webhook_call_is_recorded_too(tmp_path: Path, clock: VirtualClock) -> None:
    channel = outbox(tmp_path, clock)

    channel.call_webhook(
        WebhookRequest(delivery_key="k-w", path="/hooks/x", body={"a": [1, 2]}, step_id="crm")
    )

    [record] = list(read_outbox(channel.path))
    assert record["kind"] == "webhook"
    assert record["body"] == {"a": [1, 2]}
    assert record["path"] == "/hooks/x"


def test_readers_skip_a_torn_last_line_and_the_next_writer_cuts_it_off(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    path = tmp_path / ".journey" / "outbox.jsonl"
    path.parent.mkdir()
    path.write_bytes(b'{"delivery_key": "k0"}\n{"delivery_key": "k1", "to": "ast')

    assert [r["delivery_key"] for r in read_outbox(path)] == ["k0"]

    outbox(tmp_path, clock).deliver(make_message(delivery_key="k2"))

    assert [r["delivery_key"] for r in read_outbox(path)] == ["k0", "k2"]
    assert path.read_bytes().endswith(b"\n")


def test_a_corrupt_line_in_the_middle_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    path.write_bytes(b'{"delivery_key": "k0"}\nnot json\n{"delivery_key": "k2"}\n')

    with pytest.raises(JourneyError, match=r"outbox.jsonl:2: not a JSON line"):
        list(read_outbox(path))


def test_threads_writing_at_once_never_interleave(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    channel = outbox(tmp_path, clock, fsync=False)
    big = "x" * 70_000  # larger than a pipe buffer: a torn write would show

    def write(worker: int) -> None:
        for n in range(20):
            channel.deliver(make_message(delivery_key=f"w{worker}-{n}", text=big))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    keys = sorted(r["delivery_key"] for r in read_outbox(channel.path))
    assert keys == sorted(f"w{w}-{n}" for w in range(4) for n in range(20))


WRITER = """
import sys
from pathlib import Path
from journey.channels.outbox import OutboxChannel
from journey.clock import SystemClock
from journey.model import Message

channel = OutboxChannel(name="email", path=Path(sys.argv[1]), clock=SystemClock())
text = "y" * 5000
n = 0
while True:
    channel.deliver_many(
        Message(delivery_key=f"k{n + i}", channel="email", message="email", to="a@b.example",
                locale="en", subject="s", text=text)
        for i in range(10)
    )
    n += 10
"""


def test_kill_9_mid_write_never_breaks_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    for _round in range(3):
        before = path.stat().st_size if path.exists() else 0
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], cwd=ROOT, env={**os.environ}
        )
        deadline = time.monotonic() + 20
        while (path.stat().st_size if path.exists() else 0) < before + 200_000:
            assert writer.poll() is None, "writer died on its own"
            assert time.monotonic() < deadline, "writer made no progress"
            time.sleep(0.005)
        writer.send_signal(signal.SIGKILL)
        writer.wait()

    records = list(read_outbox(path))
    assert len(records) >= 3 * 30
    assert all(record["text"] == "y" * 5000 for record in records)
    # Each restart began where the last complete record ended: keys restart at k0 per round.
    assert sum(1 for record in records if record["delivery_key"] == "k0") == 3
    raw_lines = path.read_bytes().split(b"\n")
    assert all(json.loads(line) for line in raw_lines[:-1])


FULL_DISK_WRITER = """
import resource, signal, sys
from pathlib import Path
from journey.channels import OutboxChannel
from journey.clock import SystemClock
from journey.errors import DeliveryError
from journey.model import Message

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, write() fails with EFBIG
path = Path(sys.argv[1])
channel = OutboxChannel(name="email", path=path, clock=SystemClock())

def batch(first, size, text):
    return [Message(delivery_key=f"k{first + i}", channel="email", message="email",
                    to="a@b.example", locale="en", subject="s", text=text) for i in range(size)]

channel.deliver_many(batch(0, 3, "small"))
limit = path.stat().st_size + 5000  # the next batch stops half-way through its second record
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
try:
    channel.deliver_many(batch(3, 3, "z" * 4000))
except DeliveryError as exc:
    print("refused:", exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
channel.deliver_many(batch(6, 2, "small"))
"""


def test_a_full_disk_mid_batch_leaves_no_torn_record_and_the_earlier_ones_readable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.jsonl"
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK_WRITER, str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "refused: cannot write outbox" in result.stdout
    damage = OutboxDamage()
    keys = [r["delivery_key"] for r in read_outbox(path, damage)]
    assert keys == ["k0", "k1", "k2", "k6", "k7"]
    assert damage.clean
    assert [r["delivery_key"] for r in read_outbox(path)] == keys  # the strict reader too


def test_a_torn_tail_is_flagged_by_the_reader_and_cut_by_the_next_writer(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    path = tmp_path / ".journey" / "outbox.jsonl"
    path.parent.mkdir()
    path.write_bytes(b'{"delivery_key": "k0"}\n{"delivery_key": "k1", "to": "ast')
    damage = OutboxDamage()
    assert [r["delivery_key"] for r in read_outbox(path, damage)] == ["k0"]
    assert (damage.torn_tail_line, damage.torn_tail_bytes) == (2, 33)
    assert not damage.clean

    channel = outbox(tmp_path, clock)
    channel.deliver(make_message(delivery_key="k2"))
    assert channel.repaired_bytes == 33
    damage = OutboxDamage()
    assert [r["delivery_key"] for r in read_outbox(path, damage)] == ["k0", "k2"]
    assert damage.clean


def test_a_rewrite_under_a_writer_keeps_every_later_append(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    """Erasure renames a new file over the outbox; an open writer must follow it."""
    channel = outbox(tmp_path, clock)
    for n in range(4):
        channel.deliver(make_message(delivery_key=f"k{n}", contact_id=f"c{n % 2}"))
    dropped = rewrite_without(channel.path, lambda record: record["contact_id"] == "c1")
    channel.deliver(make_message(delivery_key="k4", contact_id="c0"))
    assert dropped == 2
    assert [r["delivery_key"] for r in read_outbox(channel.path)] == ["k0", "k2", "k4"]


def test_keys_in_doubt_are_found_however_many_lines_came_after_them(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    """A worker wrote k-early and k-late and died; busy workers then wrote 3,000 more lines
    (big ones: several read chunks). Reading back stops at the records written before the
    earliest one in doubt fell due, not after a count of lines."""
    channel = outbox(tmp_path, clock)
    channel.deliver(make_message(delivery_key="k-before"))  # long sent: below the cut-off
    clock.advance(timedelta(minutes=5))
    due = clock.now()
    channel.deliver_many([make_message(delivery_key=k) for k in ("k-early", "k-late")])
    for n in range(30):
        clock.advance(timedelta(seconds=1))
        channel.deliver_many(
            [make_message(delivery_key=f"busy-{n}-{m}", text="x" * 300) for m in range(100)]
        )
    path = channel.path
    with path.open("ab") as torn:  # a writer killed mid-line: not a record
        torn.write(b'{"delivery_key": "k-torn", "written_at": "')
    doubt = {"k-early", "k-late", "k-before", "k-never-written", "k-torn"}
    assert channel.written_among(doubt, due) == {"k-early", "k-late"}
    # every key found: the read stops there
    assert channel.written_among({"busy-29-0", "busy-0-0"}, due) == {"busy-29-0", "busy-0-0"}
    assert channel.written_among(doubt, due - timedelta(minutes=10)) == {
        "k-early", "k-late", "k-before",
    }  # fmt: skip
    assert channel.written_among(set(), due) == set()
