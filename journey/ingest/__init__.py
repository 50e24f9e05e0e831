"""Ingestion: contacts and events from files and HTTP bodies -> model records.

Pure parsing and validation (spec section 1) shared by the CLI, the daemon's
HTTP endpoint, `simulate` and `test`; storing and triggering is the caller's.
"""

from journey.ingest.jsonl import MAX_LINE_BYTES, LineError, read_jsonl
from journey.ingest.records import (
    ContactChange,
    RecordError,
    apply_contact_change,
    contact_from_record,
    event_fingerprint,
    parse_contact,
    parse_event,
)

__all__ = [
    "MAX_LINE_BYTES",
    "ContactChange",
    "LineError",
    "RecordError",
    "apply_contact_change",
    "contact_from_record",
    "event_fingerprint",
    "parse_contact",
    "parse_event",
    "read_jsonl",
]
