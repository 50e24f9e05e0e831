"""Where every log line goes: stdlib logging to stderr, one format for all of them.

`journey run --log-format json` promises one JSON object per line. The daemon's
own state lines come from :class:`journey.daemon.logs.StateLog`; everything else
(HTTP, SMTP, APScheduler, warnings, an exception in a thread) goes through
stdlib `logging`, formatted here: as JSON by python-json-logger (a well-kept
formatter: escaping, `exc_info` and `stack_info` as fields), or as readable
text. Both write to the same stream under the same lock, so lines never
interleave. State lines keep their own hand-built encoder because they are the
hot path (about 10x cheaper per line, measured in bench.daemon's load).
"""

from __future__ import annotations

import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

_HANDLER_FLAG = "_journey_handler"
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonLogFormatter(JsonFormatter):
    """`{"ts", "event": "log", "level", "logger", "message", ...extra, "exc_info"}` per record."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
            json_default=str,
        )

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_record["ts"] = _timestamp(record)
        log_record["event"] = "log"
        super().add_fields(log_record, record, message_dict)
        log_record["level"] = record.levelname.lower()


class TextLogFormatter(logging.Formatter):
    """`TS log      level=warning logger=NAME message...`, then the traceback, indented."""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(
            f"{key}={value}" for key, value in vars(record).items() if key not in _RESERVED
        )
        head = (
            f"{_timestamp(record)} {'log':<8} level={record.levelname.lower()} "
            f"logger={record.name} {record.getMessage()}"
        )
        lines = [f"{head} {extra}".rstrip()]
        if record.exc_info:
            lines.append(self.formatException(record.exc_info))
        if record.stack_info:
            lines.append(self.formatStack(record.stack_info))
        return "\n    ".join("\n".join(lines).splitlines())


@contextmanager
def logging_to(
    fmt: LogFormat, stream: TextIO | None = None
) -> Iterator[logging.StreamHandler[TextIO]]:
    """All logging to `stream` in `fmt` for the block; the earlier set-up is put back after."""
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, threading.excepthook
    try:
        yield configure_logging(fmt, stream)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        threading.excepthook = hook
        logging.captureWarnings(False)


def configure_logging(
    fmt: LogFormat, stream: TextIO | None = None
) -> logging.StreamHandler[TextIO]:
    """Route all logging to `stream` (stderr) in `fmt`; replaces an earlier journey handler."""
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter() if fmt == "json" else TextLogFormatter())
    setattr(handler, _HANDLER_FLAG, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    threading.excepthook = _log_thread_exception
    return handler


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    logging.getLogger("journey.thread").error(
        "uncaught exception in thread %s",
        name,
        exc_info=exc_info,
    )


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat()
