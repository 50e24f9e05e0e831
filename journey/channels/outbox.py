"""The embedded default channel: every delivery becomes one line of a JSONL file.

Durability is the point: a record is written with a single ``write`` of the
whole line, then flushed and fsynced, before the delivery counts as accepted.
A crash can at worst leave an incomplete last line; :func:`read_outbox` skips
it and the next writer cuts it off before appending, so readers never see a
torn record in the middle of the file.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
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
from journey.clock import Clock, SystemClock
from journey.errors import DeliveryError, JourneyError
from journey.model import Message

DEFAULT_PATH = Path(".journey") / "outbox.jsonl"
KNOWN_SETTINGS = {"path", "fsync"}

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
                lines.append(_encode(message_record(message, written_at=stamp)))
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
            data = b"".join(_encode(record) for record in records)
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"outbox record is not JSON: {exc}", permanent=True) from exc
        self._write(data)

    def _write(self, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            try:
                fd = self._open()
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    _write_all(fd, data)
                    if self._fsync:
                        os.fsync(fd)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError as exc:
                # Disk full or a vanished folder may pass; the daemon retries.
                raise DeliveryError(
                    f"cannot write outbox {self.path}: {exc.strerror}", permanent=False
                ) from exc

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                _cut_torn_tail(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._fd = fd
        return self._fd


def _encode(record: Mapping[str, Any]) -> bytes:
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8") + b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _cut_torn_tail(fd: int) -> None:
    """Drop an incomplete last line left by a crash, so the next record starts clean."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    keep = 0
    position = size
    chunk = 65536
    while position > 0:
        start = max(0, position - chunk)
        block = os.pread(fd, position - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        position = start
    os.ftruncate(fd, keep)


def read_outbox(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of an outbox, skipping an incomplete last line.

    A bad line anywhere else means someone else wrote to the file: that is an
    error naming the line, not something to skip silently.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise JourneyError(f"cannot read outbox {path}: {exc.strerror}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return  # torn by a crash or still being written
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                raise JourneyError(f"{path}:{number}: not a JSON line") from None
            if not isinstance(record, dict):
                raise JourneyError(f"{path}:{number}: not a JSON object")
            yield record


def build_outbox(
    name: str, settings: Mapping[str, Any], *, root: Path, clock: Clock = _SYSTEM_CLOCK
) -> OutboxChannel:
    check_known_settings(name, "outbox", settings, KNOWN_SETTINGS)
    raw_path = setting_str(name, settings, "path")
    path = Path(raw_path) if raw_path else DEFAULT_PATH
    if not path.is_absolute():
        path = root / path
    return OutboxChannel(
        name=name, path=path, fsync=setting_bool(name, settings, "fsync", True), clock=clock
    )
