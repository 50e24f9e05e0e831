"""In-memory channels: where `journey test`, `simulate`, the forecast and the benchmark deliver.

They stand where SMTP, webhooks and outboxes stand under `journey run`, behind
the same contract (:class:`~journey.channels.base.ChannelImpl`), so the
delivery worker, its send-time gate, retries and outcome events are the same
code in every shell. `MemoryChannels` answers for any channel name a plan
uses; `fail` makes a channel refuse, for stories about retries and dead letters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from journey.channels.base import DeliveryReceipt, WebhookRequest
from journey.errors import DeliveryError
from journey.model import Message

# Decides, per message or webhook call, whether the channel fails it (None: accepted).
FailureRule = Callable[[Message | WebhookRequest], DeliveryError | None]


@dataclass(slots=True)
class MemoryChannel:
    """Keeps what it was given (unless `keep` is off) and answers with a receipt."""

    name: str
    now: Callable[[], datetime]
    messages: list[Message] = field(default_factory=list)
    webhooks: list[WebhookRequest] = field(default_factory=list)
    keep: bool = True
    fail: FailureRule | None = None

    def deliver(self, message: Message) -> DeliveryReceipt:
        self._check(message)
        return self._accept(message, self.now())

    def deliver_many(self, messages: list[Message]) -> list[DeliveryReceipt | DeliveryError]:
        """A batch at once, as the outbox takes it (accepted at one instant, one store write
        for the batch's outcomes); a message the failure rule refuses is answered alone."""
        at = self.now()
        answers: list[DeliveryReceipt | DeliveryError] = []
        for message in messages:
            try:
                self._check(message)
            except DeliveryError as exc:
                answers.append(exc)
            else:
                answers.append(self._accept(message, at))
        return answers

    def call_webhook(self, request: WebhookRequest) -> DeliveryReceipt:
        self._check(request)
        if self.keep:
            self.webhooks.append(request)
        return DeliveryReceipt(message_id=request.delivery_key, accepted_at=self.now())

    def close(self) -> None:
        return None

    def _accept(self, message: Message, at: datetime) -> DeliveryReceipt:
        if self.keep:
            self.messages.append(message)
        return DeliveryReceipt(message_id=message.delivery_key, accepted_at=at)

    def _check(self, item: Message | WebhookRequest) -> None:
        if self.fail is not None and (error := self.fail(item)) is not None:
            raise error


class MemoryChannels(Mapping[str, MemoryChannel]):
    """A memory channel for every name asked for, sharing one list of what was sent."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        keep: bool = True,
        fail: Mapping[str, FailureRule] | None = None,
    ) -> None:
        self.now = now
        self.keep = keep
        self.failures = dict(fail or {})
        self._channels: dict[str, MemoryChannel] = {}
        self.messages: list[Message] = []
        self.webhooks: list[WebhookRequest] = []

    def __getitem__(self, name: str) -> MemoryChannel:
        channel = self._channels.get(name)
        if channel is None:
            channel = MemoryChannel(
                name=name,
                now=self.now,
                messages=self.messages,
                webhooks=self.webhooks,
                keep=self.keep,
                fail=self.failures.get(name),
            )
            self._channels[name] = channel
        return channel

    def get(self, name: str, default: object = None) -> MemoryChannel:
        return self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._channels)

    def __len__(self) -> int:
        return len(self._channels)
