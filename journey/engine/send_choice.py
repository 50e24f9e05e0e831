"""Which variant and which channel a send takes for a contact: pure decisions.

A send with `variants` gives the contact the variant whose range holds its
split bucket (the same SHA-256 bucket as a split, over journey, step and
contact), so a contact always gets the same one. A send with an ordered channel
list goes out on the first channel the contact can receive: an address, consent
(unless the journey is transactional) and, for a send with a `topic`, a
subscription to that topic on that kind of message. Each channel passed over
is named with why, so status, report and tests can show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from journey.engine.buckets import split_bucket
from journey.engine.sends import address_for
from journey.model import Contact, Plan, SendStep, SendVariant
from journey.slotted import quick_init


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelChoice:
    step: SendStep | None  # the step as sent on the chosen channel; None: none receivable
    passed_over: tuple[str, ...] = ()  # "push: no push consent", in the order tried

    @property
    def detail(self) -> str:
        """For the step record: which channel, and why the ones before it were skipped."""
        skipped = "; ".join(self.passed_over)
        if self.step is None:
            return skipped
        if not skipped:
            return ""
        return f"via {self.step.channel} ({skipped})"


def variant_for(step: SendStep, journey_id: str, contact_id: str) -> SendVariant | None:
    """The contact's variant: consecutive ranges of weight x 100 buckets, in file order."""
    if not step.variants:
        return None
    bucket = split_bucket(journey_id, step.id, contact_id)
    upper = 0
    for variant in step.variants:
        upper += variant.weight * 100
        if bucket < upper:
            return variant
    return step.variants[-1]


def unreceivable(
    plan: Plan,
    step: SendStep,
    contact: Contact,
    message: str,
    topic_defaults: Mapping[str, bool],
) -> str | None:
    """Why the contact cannot receive this kind of message for the step, else None."""
    if address_for(contact, message) is None:
        return f"no {message} address"
    if plan.category != "transactional" and not contact.has_consent(message):
        return f"no {message} consent"
    topic = step.topic
    if topic and not contact.subscribed(topic, message, topic_defaults.get(topic, True)):
        return f"unsubscribed from {topic}"
    return None


def choose_channel(
    plan: Plan, step: SendStep, contact: Contact, topic_defaults: Mapping[str, bool]
) -> ChannelChoice:
    """The first channel of the step's list the contact can receive."""
    passed: list[str] = []
    for option in step.channels:
        problem = unreceivable(plan, step, contact, option.message, topic_defaults)
        if problem is None:
            if option.channel == step.channel and not step.fallback:
                return ChannelChoice(step=step)
            chosen = replace(step, channel=option.channel, message=option.message, fallback=())
            return ChannelChoice(step=chosen, passed_over=tuple(passed))
        passed.append(f"{option.channel}: {problem}" if step.fallback else problem)
    return ChannelChoice(step=None, passed_over=tuple(passed))
