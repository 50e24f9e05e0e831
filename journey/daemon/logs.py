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
from typing import Any, TextIO

from journey.logsetup import LogFormat

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
            with self._lock:
                self.counts[event] = self.counts.get(event, 0) + 1
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
