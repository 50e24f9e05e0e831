"""Structured logs: one line per state change (enrolled, step, sent, retry, dead, exited, reload).

`--log-format json` writes one JSON object per line to stderr for log shippers;
`text` writes the same facts as `key=value` pairs for people. The lines share
the stream and the lock of the logging handler (journey/logsetup.py), so they
never interleave with other libraries' lines.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, TextIO

from journey.logsetup import LogFormat
from journey.reporting import as_json

if TYPE_CHECKING:
    from journey.daemon.catalog import ReloadReport
    from journey.engine.perform import Happening
    from journey.engine.state import Enrollment

# Built once: json.dumps with options constructs an encoder per line.
_JSON = json.JSONEncoder(default=str, ensure_ascii=False)
_quote = encode_basestring  # what _JSON does to a str, without the encoder round trip


class StateLog:
    """Thread-safe; `now` comes from the daemon's clock so virtual-clock runs log virtual time."""

    def __init__(
        self,
        *,
        fmt: LogFormat = "text",
        stream: TextIO | None = None,
        now: Callable[[], datetime],
        enabled: bool = True,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.fmt = fmt
        self._stream = stream
        self._now = now
        self._lock: AbstractContextManager[Any] = lock or threading.Lock()
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self.buffered = False

    def emit(self, event: str, **fields: Any) -> None:
        if not self.enabled:
            self.count(event)
            return
        record = {"ts": self._now().isoformat(), "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        line = _json_line(record) if self.fmt == "json" else _text_line(record)
        stream = self._stream or sys.stderr
        with self._lock:
            self.counts[event] = self.counts.get(event, 0) + 1
            stream.write(line + "\n")
            if not self.buffered:
                stream.flush()

    def count(self, event: str, times: int = 1) -> None:
        """`event` happened `times` times: counted, no line written (a disabled log's emit)."""
        with self._lock:
            self.counts[event] = self.counts.get(event, 0) + times

    def flush(self) -> None:
        """Buffered logs (the daemon's) are flushed once per tick, not once per line."""
        stream = self._stream or sys.stderr
        with self._lock:
            stream.flush()


def _json_line(record: dict[str, Any]) -> str:
    """Exactly `json.dumps(record, default=str, ensure_ascii=False)`; about twice as fast
    for the daemon's lines, whose values are nearly all strings (several lines per send)."""
    parts = [
        f"{_quote(key)}: {_quote(value) if type(value) is str else _JSON.encode(value)}"
        for key, value in record.items()
    ]
    return "{" + ", ".join(parts) + "}"


def _text_line(record: dict[str, Any]) -> str:
    head = f"{record.pop('ts')} {record.pop('event'):<8}"
    parts = [f"{key}={_text_value(value)}" for key, value in record.items()]
    return " ".join([head, *parts])


def _text_value(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


_HAPPENING_LOG = {
    "enter": "enrolled",
    "send": "step",
    "skip": "step",
    "webhook": "step",
    "exit": "exited",
    "convert": "converted",
    "fail": "failed",
}


def log_happening(log: StateLog, happening: Happening) -> None:
    """A runner happening as the daemon's state-change line."""
    event = _HAPPENING_LOG.get(happening.kind, happening.kind)
    fields: dict[str, Any] = {
        "journey": happening.journey_id,
        "contact": happening.contact_id,
        "step": happening.step_id or None,
        "reason": happening.reason or None,
    }
    if happening.kind == "send":
        fields["outcome"] = "queued"
    elif happening.kind == "skip":
        fields["outcome"] = happening.reason
        fields["reason"] = None
    log.emit(event, **fields)


def log_exit(log: StateLog, enrollment: Enrollment, reason: str) -> None:
    log.emit(
        "exited",
        journey=enrollment.journey_id,
        contact=enrollment.contact_id,
        step=enrollment.step_id,
        reason=reason,
    )


def log_reload(log: StateLog, report: ReloadReport, reason: str, *, journeys: int) -> None:
    """What a (re)load found: broken files, diagnostics, and what changed."""
    for path, problems in sorted(report.broken.items()):
        log.emit("invalid", file=path, problems=len(problems), first=problems[0])
    for problem in report.workspace_broken:
        log.emit("invalid", file="workspace.yaml", first=problem)
    for diagnostic in report.diagnostics:
        log.emit("diagnostic", **as_json(diagnostic))
    log.emit(
        "reload",
        reason=reason,
        journeys=journeys,
        added=",".join(report.added) or None,
        changed=",".join(report.changed) or None,
        removed=",".join(report.removed) or None,
        kept_last_good=",".join(report.kept) or None,
    )
