"""The embedded default channel: every delivery becomes one line of a JSONL file.

Durability is the point: a batch is written with whole-line appends under an
exclusive lock, then flushed and fsynced, before its deliveries count as
accepted. The file's rules (torn tails, failed appends, rewrites) live in
:mod:`journey.channels.outbox_file`.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterable, Mapping, Set
from datetime import datetime
from pathlib import Path
from typing import Any

from journey.channels.base import (
    DeliveryReceipt,
    WebhookRequest,
    check_known_settings,
    setting_bool,
    setting_str,
)
from journey.channels.outbox_file import (
    append_locked,
    encode,
    is_current,
    open_for_append,
    read_outbox,
    written_among,
)
from journey.clock import Clock, SystemClock
from journey.errors import DeliveryError
from journey.model import Message

DEFAULT_PATH = Path(".journey") / "outbox.jsonl"
KNOWN_SETTINGS = {"path", "fsync"}
__all__ = ["DEFAULT_PATH", "OutboxChannel", "build_outbox", "message_record", "read_outbox"]

_SYSTEM_CLOCK = SystemClock()


def message_record(message: Message, *, written_at: str) -> dict[str, Any]:
    """The JSON shape of a message, shared with the webhook channel's message mode."""
    return {
        "kind": "message",
        "delivery_key": message.delivery_key,
        "channel": message.channel,
        "message": message.message,
        "to": message.to,
        "locale": message.locale,
        "subject": message.subject,
        "preheader": message.preheader,
        "title": message.title,
        "text": message.text,
        "html": message.html,
        "headers": dict(message.headers),
        "journey_id": message.journey_id,
        "step_id": message.step_id,
        "contact_id": message.contact_id,
        "unsubscribe_url": message.unsubscribe_url,
        "written_at": written_at,
    }


def webhook_record(request: WebhookRequest, *, channel: str, written_at: str) -> dict[str, Any]:
    return {
        "kind": "webhook",
        "delivery_key": request.delivery_key,
        "channel": channel,
        "url": request.url,
        "path": request.path,
        "body": request.body,
        "headers": dict(request.headers),
        "journey_id": request.journey_id,
        "step_id": request.step_id,
        "contact_id": request.contact_id,
        "written_at": written_at,
    }


class OutboxChannel:
    """Appends deliveries to ``path``; safe across threads and appending processes."""

    def __init__(
        self, *, name: str, path: Path, fsync: bool = True, clock: Clock = _SYSTEM_CLOCK
    ) -> None:
        self._name = name
        self.path = path
        self._fsync = fsync
        self._clock = clock
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.repaired_bytes = 0  # a torn tail cut off when the file was opened

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, message: Message) -> DeliveryReceipt:
        (answer,) = self.deliver_many([message])
        if isinstance(answer, DeliveryError):
            raise answer
        return answer

    def deliver_many(self, messages: Iterable[Message]) -> list[DeliveryReceipt | DeliveryError]:
        """Write a batch with one write and one fsync: all of it is durable, or none.

        A message that cannot be written as JSON (text no encoding can carry)
        is answered with its own permanent DeliveryError and the rest are
        written: one bad message never fails its batch.
        """
        now = self._clock.now()
        stamp = now.isoformat()
        lines: list[bytes] = []
        answers: list[DeliveryReceipt | DeliveryError] = []
        for message in messages:
            try:
                lines.append(encode(message_record(message, written_at=stamp)))
            except (TypeError, ValueError) as exc:
                error = DeliveryError(f"outbox record is not JSON: {exc}", permanent=True)
                answers.append(error)
            else:
                answers.append(self._receipt(message.delivery_key, now))
        self._write(b"".join(lines))
        return answers

    def call_webhook(self, request: WebhookRequest) -> DeliveryReceipt:
        now = self._clock.now()
        self._append([webhook_record(request, channel=self._name, written_at=now.isoformat())])
        return self._receipt(request.delivery_key, now)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # ------------------------------------------------------------------ internals

    def _receipt(self, delivery_key: str, now: datetime) -> DeliveryReceipt:
        return DeliveryReceipt(message_id=delivery_key, accepted_at=now, detail=str(self.path))

    def _append(self, records: Iterable[Mapping[str, Any]]) -> None:
        try:
            data = b"".join(encode(record) for record in records)
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"outbox record is not JSON: {exc}", permanent=True) from exc
        self._write(data)

    def _write(self, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            try:
                fd = self._locked_fd()
                try:
                    append_locked(fd, data)
                    if self._fsync:
                        os.fsync(fd)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError as exc:
                # Disk full or a vanished folder may pass; the daemon retries.
                raise DeliveryError(
                    f"cannot write outbox {self.path}: {exc.strerror}", permanent=False
                ) from exc

    def _locked_fd(self) -> int:
        """The descriptor of the file now at `path`, locked; reopened after a rewrite."""
        while True:
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            if is_current(fd, self.path):
                return fd
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd, self.repaired_bytes = open_for_append(self.path)
        return self._fd

    def repair(self) -> int:
        """Open the file now if it is not open, cutting the torn tail a crash left: the bytes
        cut by this call (0 once it is open)."""
        with self._lock:
            if self._fd is not None:
                return 0
            self._open()
            return self.repaired_bytes

    def written_among(self, keys: Set[str], since: datetime) -> set[str]:
        """Which of `keys` the file holds, reading back to the records written before
        `since` (journey.channels.outbox_file.written_among); a torn tail is cut first."""
        with self._lock:
            self._open()
            return written_among(self.path, keys, since)


def build_outbox(
    name: str, settings: Mapping[str, Any], *, root: Path, clock: Clock = _SYSTEM_CLOCK
) -> OutboxChannel:
    check_known_settings(name, "outbox", settings, KNOWN_SETTINGS)
    path = outbox_path(name, settings, root=root)
    return OutboxChannel(
        name=name, path=path, fsync=setting_bool(name, settings, "fsync", True), clock=clock
    )


def outbox_path(name: str, settings: Mapping[str, Any], *, root: Path) -> Path:
    """Where an outbox channel writes: its `path` setting under the workspace, by default
    `.journey/outbox.jsonl`."""
    raw_path = setting_str(name, settings, "path")
    path = Path(raw_path) if raw_path else DEFAULT_PATH
    return path if path.is_absolute() else root / path
