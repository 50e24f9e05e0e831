"""kill -9 between an outbox batch's write and its commit: the restart writes nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from journey.channels import read_outbox
from journey.store.sqlite import SQLiteStore
from tests.daemon.crash_harness import seed, start_daemon, wait_for_log
from tests.daemon.workspace_factory import make_workspace

CONTACTS = 600  # two batches of the default 500


def kill_when_the_outbox_grows(process: subprocess.Popen[bytes], outbox: Path) -> None:
    """SIGKILL the moment a batch lands in the file: before the store has recorded it."""
    size = outbox.stat().st_size if outbox.exists() else 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if outbox.exists() and outbox.stat().st_size > size:
            break
        time.sleep(0.0005)
    process.send_signal(signal.SIGKILL)
    process.wait()


def written_but_unrecorded(root: Path) -> int:
    keys = {r["delivery_key"] for r in read_outbox(root / "outbox.jsonl")}
    store = SQLiteStore(root / "state.db")
    try:
        pending = {
            row[0]
            for row in store._all("SELECT delivery_key FROM deliveries WHERE status != 'sent'")
        }
    finally:
        store.close()
    return len(keys & pending)


def test_a_kill_between_the_outbox_write_and_its_commit_repeats_nothing(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")  # one welcome message per contact
    seed(root, CONTACTS)
    outbox = root / "outbox.jsonl"
    log = tmp_path / "daemon.log"
    log.touch()
    windows_hit = 0
    for _ in range(4):
        process = start_daemon(root, log)
        kill_when_the_outbox_grows(process, outbox)
        windows_hit += written_but_unrecorded(root) > 0
        if windows_hit:
            break
    assert windows_hit, "never killed inside the window; the test proves nothing"
    mark = log.stat().st_size
    process = start_daemon(root, log)
    try:
        assert wait_for_log(log, '"recovered_sent"', mark, 30), log.read_text()[mark:][-2000:]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list(read_outbox(outbox))) >= CONTACTS:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # a duplicate still being written would land now
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    copies = Counter(r["delivery_key"] for r in read_outbox(outbox))
    assert len(copies) == CONTACTS
    assert max(copies.values()) == 1, copies.most_common(3)
    assert os.path.getsize(outbox) > 0
