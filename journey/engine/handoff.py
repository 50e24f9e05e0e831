"""Deliveries the runner has just written, handed to the delivery worker of the same shell.

The runner writes every delivery to the store before anything is sent
(`add_delivery`), and the worker claims due deliveries back from the store.
What this process wrote it still holds, as written: the worker passes these
records to its claim (`StateStore.claim_due_deliveries(known=...)`), so the
store claims exactly what it would have claimed — the same query, the same
leases, the same order, other workers' deliveries included — and hands the
known records back with their lease instead of decoding their rows again. A
known record whose row changed since it was written (another worker tried
it, an operator requeued it) is decoded as before; one the claim did not
take (another worker holds it, the contact was erased) is not attempted here.

Only records that decode to themselves are kept: pending email, sms and push
deliveries (their payload is text, lists and dicts of text) stamped in UTC.
A webhook's body may hold anything JSON turns into something else, so
webhooks are read back. What is kept is bounded by count and by the size of the
message text it holds (`KEPT_CHARS`: rendered HTML is kilobytes, a simulation's
placeholder a few bytes): the first written are kept, which a claim (due order)
takes first; the rest are read back as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC

from journey.records import DeliveryRecord

# Enough for many claims' batches (a simulation writes a whole population's first sends
# before its worker claims any), bounded by the text held: ~16 MiB of rendered copy.
KEPT = 20_000
KEPT_CHARS = 16 * 1024 * 1024
_MESSAGE_TEXT = ("subject", "preheader", "text", "html", "title")


class WrittenDeliveries:
    """Pending deliveries this process wrote and no claim has taken yet, by key."""

    __slots__ = ("_chars", "_records", "kept", "kept_chars")

    def __init__(self, kept: int = KEPT, kept_chars: int = KEPT_CHARS) -> None:
        self._records: dict[str, DeliveryRecord] = {}
        self._chars = 0  # message text held by the kept records (counted when kept)
        self.kept = kept
        self.kept_chars = kept_chars

    def __len__(self) -> int:
        return len(self._records)

    @property
    def records(self) -> Mapping[str, DeliveryRecord]:
        return self._records

    def written(self, record: DeliveryRecord) -> None:
        """`record` was just inserted (`add_delivery` said so)."""
        if (
            record.status != "pending"
            or record.kind == "webhook"
            or record.created_at.tzinfo is not UTC
            or (record.next_attempt_at is not None and record.next_attempt_at.tzinfo is not UTC)
        ):
            return
        records = self._records
        if len(records) >= self.kept or self._chars >= self.kept_chars:
            return  # the oldest are kept: what the next claim takes first
        payload = record.payload
        self._chars += sum(len(payload.get(name) or "") for name in _MESSAGE_TEXT)
        records[record.delivery_key] = record

    def claimed(self, records: Sequence[DeliveryRecord], *, all_due: bool) -> None:
        """After a claim: what it took is no longer pending here. When it took every
        claimable due delivery (`all_due`), the known ones it left are not claimable now
        (another worker holds them, or they are gone): forgotten."""
        if all_due:
            self.forget()
            return
        for record in records:
            self._records.pop(record.delivery_key, None)
        if not self._records:
            self._chars = 0  # a bound on what is held, not an exact count: reset when empty

    def forget(self) -> None:
        """Writes were undone (a rolled-back batch): what they wrote may not be stored."""
        self._records.clear()
        self._chars = 0
