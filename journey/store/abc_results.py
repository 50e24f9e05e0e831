"""The StateStore contract, what reports and experiments read (part of journey.store.abc):
counts and due times for status, the splits' auto-winner decisions, and the rows
journey.results computes its figures from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from datetime import datetime

from journey.model import Event
from journey.records import JourneyCounts, SplitDecision
from journey.store.result_rows import EnrollmentOutcome, MessageTouch


class ResultReads(ABC):
    # ----------------------------------------------------------------- reports
    @abstractmethod
    def next_due_at(self, journey_ids: Iterable[str]) -> datetime | None:
        """The earliest moment an enrollment or trigger of these journeys, or any pending
        delivery, needs attention."""

    @abstractmethod
    def journey_counts(self, journey_id: str) -> JourneyCounts: ...

    @abstractmethod
    def journey_ids(self) -> list[str]:
        """Every journey with at least one enrollment (for status of removed journeys)."""

    # ------------------------------------------------------------- experiments
    @abstractmethod
    def split_progress(
        self, journey_id: str, step_id: str, *, count_up_to: int
    ) -> tuple[int, datetime | None]:
        """How many times the split step gave an arm (counted up to `count_up_to`, so the
        read stays short on a busy split), and when it first did (None: never)."""

    @abstractmethod
    def split_decision(self, journey_id: str, step_id: str) -> SplitDecision | None:
        """The split's auto-winner decision, if one was made."""

    @abstractmethod
    def record_split_decision(self, decision: SplitDecision) -> SplitDecision:
        """Keep the split's decision unless one is already kept; return the one kept.

        At most one per (journey, step): of two workers deciding at once, the first
        write wins and the other gets that decision back, so both route alike.
        """

    @abstractmethod
    def split_decisions(self, journey_id: str | None = None) -> list[SplitDecision]:
        """Every decision (of one journey, or all), oldest first."""

    # ----------------------------------------------------------------- results
    # Bulk reads behind `journey report` and the site's results pages; the
    # analysis (attribution, experiments) is journey.results' job.
    def enrollment_outcomes(
        self, journey_id: str, since: datetime | None = None
    ) -> list[EnrollmentOutcome]:
        """The journey's enrollments (entered at or after `since`), oldest first, with their
        arms and the first time each step was entered."""
        raise NotImplementedError(f"{type(self).__name__} has no results")

    def message_touches(
        self, journey_id: str | None = None, since: datetime | None = None
    ) -> list[MessageTouch]:
        """Deliveries (of one journey, or all) created at or after `since`, oldest first."""
        raise NotImplementedError(f"{type(self).__name__} has no results")

    def events_named(
        self,
        names: Iterable[str],
        since: datetime | None = None,
        contact_ids: Collection[str] | None = None,
    ) -> list[Event]:
        """Stored events with one of these names (at or after `since`; of these contacts
        only, None: everyone's), oldest first."""
        raise NotImplementedError(f"{type(self).__name__} has no results")

    def last_event_named_at(self, names: Iterable[str]) -> datetime | None:
        """The latest timestamp of the stored events with one of these names (None: none)."""
        raise NotImplementedError(f"{type(self).__name__} has no results")
