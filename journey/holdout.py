"""The workspace's holdout group: contacts that no marketing journey reaches.

Membership is a pure function of the contact id and the workspace's salt, so a
contact stays in (or out) for as long as the salt is kept, on every worker and
in every shell: bucket = the first 8 bytes (big-endian) of
SHA-256("holdout" 0x1F salt 0x1F contact_id) mod 10000, and the contact is held
out when bucket < percent x 100. Transactional journeys reach everyone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

DEFAULT_SALT = "holdout"
MAX_PERCENT = 50.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Holdout:
    percent: float  # of all contacts, 0 < percent <= 50; two decimals count (0.01 % buckets)
    salt: str = DEFAULT_SALT

    def bucket(self, contact_id: str) -> int:
        raw = f"holdout\x1f{self.salt}\x1f{contact_id}".encode()
        return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big") % 10_000

    def holds_out(self, contact_id: str) -> bool:
        """True for a member of the holdout group."""
        return self.bucket(contact_id) < round(self.percent * 100)


def build_holdout(value: Any) -> Holdout | None:
    """workspace.yaml's `holdout:`; a malformed one is left out (the validator reports it)."""
    if not isinstance(value, dict):
        return None
    percent = value.get("percent")
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        return None
    if not 0 < percent <= MAX_PERCENT:
        return None
    salt = value.get("salt", DEFAULT_SALT)
    return Holdout(
        percent=float(percent), salt=salt if isinstance(salt, str) and salt else DEFAULT_SALT
    )
