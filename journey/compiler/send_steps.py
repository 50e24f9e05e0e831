"""A `send:` mapping -> SendStep: its ordered channel list, its variants, its topic.

`channel` is one name or an ordered list (`[push, sms, email]`): the first is
the step's `channel`, the rest its `fallback`, tried in order at send time.
`variants` maps a name to `{weight, subject?, vars?}`, kept in file order: the
arms take consecutive ranges of buckets like a split's.
"""

from __future__ import annotations

from typing import Any, cast

from journey.model import SendChannel, SendStep, SendVariant
from journey.workspace import Workspace


def channel_names(value: dict[str, Any]) -> list[str]:
    """The send's channels in order (`channel: email` is a list of one)."""
    channel = value["channel"]
    return [str(c) for c in channel] if isinstance(channel, list) else [str(channel)]


def send_step(step_id: str, next_id: str, value: dict[str, Any], workspace: Workspace) -> SendStep:
    channels = [
        SendChannel(channel=name, message=_message(name, workspace))
        for name in channel_names(value)
    ]
    first, rest = channels[0], tuple(channels[1:])
    variants = tuple(
        SendVariant(
            name=str(name),
            weight=int(item.get("weight", 0)),
            subject=item.get("subject"),
            vars=dict(item.get("vars") or {}),
        )
        for name, item in (value.get("variants") or {}).items()
    )
    return SendStep(
        id=step_id,
        next=next_id,
        channel=first.channel,
        template=value["template"],
        message=first.message,
        fallback=rest,
        variants=variants,
        topic=value.get("topic"),
        tracking=False if value.get("tracking") is False else None,
    )


def _message(name: str, workspace: Workspace) -> Any:
    channel = workspace.channels.get(name)
    message = channel.message if channel and channel.message != "webhook" else "email"
    return cast(Any, message)
