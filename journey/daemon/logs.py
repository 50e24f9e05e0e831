"""Structured logs: one line per state change (enrolled, step, sent, retry, dead, exited, reload).

`--log-format json` writes one JSON object per line to stderr for log shippers;
`text` writes the same facts as `key=value` pairs for people.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]

# Built once: json.dumps with options constructs an encoder per line.
_JSON = json.JSONEncoder(default=str, ensure_ascii=False)


class StateLog:
    """Thread-safe; `now` comes from the daemon's clock so virtual-clock runs log virtual time."""

    def __init__(
        self,
        *,
        fmt: LogFormat = "text",
        stream: TextIO | None = None,
        now: Callable[[], datetime],
        enabled: bool = True,
    ) -> None:
        self.fmt = fmt
        self._stream = stream
        self._now = now
        self._lock = threading.Lock()
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self.buffered = False

    def emit(self, event: str, **fields: Any) -> None:
        with self._lock:
            self.counts[event] = self.counts.get(event, 0) + 1
        if not self.enabled:
            return
        record = {"ts": self._now().isoformat(), "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        line = _JSON.encode(record) if self.fmt == "json" else _text_line(record)
        stream = self._stream or sys.stderr
        with self._lock:
            stream.write(line + "\n")
            if not self.buffered:
                stream.flush()

    def flush(self) -> None:
        """Buffered logs (the daemon's) are flushed once per tick, not once per line."""
        stream = self._stream or sys.stderr
        with self._lock:
            stream.flush()


def _text_line(record: dict[str, Any]) -> str:
    head = f"{record.pop('ts')} {record.pop('event'):<8}"
    parts = [f"{key}={_text_value(value)}" for key, value in record.items()]
    return " ".join([head, *parts])


def _text_value(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text
