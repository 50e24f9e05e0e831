"""workspace.yaml's `tracking:`, and whether one message is tracked.

```yaml
tracking:
  base_url: https://t.example.com   # the public https address that reaches the daemon
  opens: true                       # add the open pixel to HTML emails (default false)
  consent: tracking                 # the consent flag a contact needs (default `tracking`)
  machine_window: 10s               # fetches this soon after delivery may be machines
```

Without `tracking:` (or with `tracking: false`) nothing is rewritten. A journey
or a send step turns it off with `tracking: false`. A contact is tracked only
with the consent flag set (`consent: {tracking: true}`), unless the workspace
says `consent: false` (the sender has another lawful basis). Building is
tolerant; what is wrong is the validator's to report (semantic_tracking.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from journey.durations import parse_duration
from journey.model import Contact

DEFAULT_CONSENT = "tracking"
DEFAULT_MACHINE_WINDOW = timedelta(seconds=10)
TRACK_PATH = "/v1/t/"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingSettings:
    base_url: str
    opens: bool = False
    consent: str | None = DEFAULT_CONSENT  # None: no consent flag asked
    machine_window: timedelta = DEFAULT_MACHINE_WINDOW

    def url(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{TRACK_PATH}{token}"

    def allows(self, contact: Contact) -> bool:
        return self.consent is None or bool(contact.consent.get(self.consent, False))


def build_tracking(value: Any) -> TrackingSettings | None:
    """The workspace's settings; None when tracking is off or `base_url` is not https."""
    if not isinstance(value, dict) or url_problem(value.get("base_url")) is not None:
        return None
    consent = value.get("consent", DEFAULT_CONSENT)
    try:
        window = parse_duration(value.get("machine_window", "10s")).approx_seconds()
    except ValueError:
        window = int(DEFAULT_MACHINE_WINDOW.total_seconds())
    return TrackingSettings(
        base_url=str(value["base_url"]),
        opens=value.get("opens") is True,
        consent=None if consent is False else _consent_flag(consent),
        machine_window=timedelta(seconds=window),
    )


def _consent_flag(value: Any) -> str:
    return value if isinstance(value, str) and value else DEFAULT_CONSENT


def url_problem(value: Any) -> str | None:
    """Why `value` cannot be the tracking base: links in email must be public https."""
    if not isinstance(value, str) or not value:
        return "`tracking.base_url` is required: the public https address of the daemon"
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        return f"`tracking.base_url` must be an https URL with a host, not `{value}`"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"`tracking.base_url` must be a plain https address (no query or user): `{value}`"
    return None
