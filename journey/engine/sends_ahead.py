"""Marketing send times for a claimed batch of enrollments, read once for all of them.

Every send behind a frequency cap asks the contact's marketing send times
(`History.marketing_send_times`); one per send and contact was a store read
each. `SendTimesAhead` reads them for every contact of the batch with the first
question (`StateStore.marketing_send_times_of`) and answers the rest from
memory. What the runner writes in the batch it is told of (`written`), so an
answer is what the store would say at that moment: the batch runs in one
transaction, and nothing but the runner writes deliveries during it — in
SQLite the transaction holds the write lock from its start; in PostgreSQL
(read committed) a send another process commits during the batch is seen at
the next batch, as a send it commits just after a per-send read would be.

The times are read with some slack before the window asked first, so the
windows of other zones (a calendar-day cap starts at another instant in each)
are answered from the same read; a wider window (another journey's cap) reads
again.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from journey.records import DeliveryRecord

if TYPE_CHECKING:
    from journey.store.abc import StateStore

# More than a zone's offset changes by across any cap window, so one read serves all zones.
SLACK = timedelta(days=1)

# Deliveries that are not sends (StateStore.marketing_send_times leaves them out).
_NOT_SENT = frozenset({"dead", "suppressed", "capped", "failed"})


class SendTimesAhead:
    """The batch's marketing send times since `read_since`, kept up to date with its writes."""

    __slots__ = ("_times", "contact_ids", "known", "read_since", "store")

    def __init__(self, store: StateStore, contact_ids: Sequence[str]) -> None:
        self.store = store
        self.contact_ids = list(dict.fromkeys(contact_ids))
        self.known = frozenset(self.contact_ids)
        self.read_since: datetime | None = None  # None: not read yet
        self._times: dict[str, list[datetime]] = {}

    def send_times(self, contact_id: str, since: datetime) -> list[datetime]:
        """`StateStore.marketing_send_times(contact_id, since)`, from the batch's read."""
        if contact_id not in self.known:
            return self.store.marketing_send_times(contact_id, since)
        if self.read_since is None or since < self.read_since:
            self.read_since = since - SLACK
            self._times = self.store.marketing_send_times_of(self.contact_ids, self.read_since)
        return [at for at in self._times.get(contact_id, ()) if at > since]

    def written(self, record: DeliveryRecord) -> None:
        """`record` was just inserted: a marketing send joins its contact's times."""
        if (
            self.read_since is None  # the read, when it comes, will find it in the store
            or record.contact_id not in self.known
            or record.category != "marketing"
            or record.kind == "webhook"
            or record.status in _NOT_SENT
            or not record.created_at > self.read_since
        ):
            return
        insort(self._times.setdefault(record.contact_id, []), record.created_at)
