"""The one-click unsubscribe links a delivery carries when it was stored without one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from journey.channels.base import ChannelImpl
from journey.engine.performing import signed_token
from journey.unsubscribe import unsubscribe_url


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsubscribeLinks:
    """Signed one-click links (RFC 8058), served by the daemon at /v1/unsubscribe/.

    A message carries the link its body was rendered with (`unsubscribe_url`),
    and the channel puts that same link in List-Unsubscribe; this makes one only
    for a delivery stored without it.
    """

    secret: bytes = field(repr=False)
    base_url: str
    channel_bases: Mapping[str, str] = field(default_factory=dict)

    def url(self, contact_id: str, journey_id: str, channel: str = "") -> str:
        base = self.channel_bases.get(channel) or self.base_url
        return unsubscribe_url(base, signed_token(self.secret, contact_id, journey_id))


def replace_links(links: UnsubscribeLinks | None, *, secret: bytes) -> UnsubscribeLinks | None:
    return None if links is None else replace(links, secret=secret)


def channel_unsubscribe_bases(channels: Mapping[str, ChannelImpl]) -> dict[str, str]:
    """Each email channel's own (expanded) `unsubscribe_base_url`: its links point there."""
    found = {}
    for name, channel in channels.items():
        identity = getattr(getattr(channel, "settings", None), "identity", None)
        base = getattr(identity, "unsubscribe_base_url", None)
        if isinstance(base, str) and base:
            found[name] = base
    return found
