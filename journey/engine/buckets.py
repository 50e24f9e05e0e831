"""The stable bucket a contact falls in at a step: splits and send variants share it."""

from __future__ import annotations

import hashlib


def split_bucket(journey_id: str, step_id: str, contact_id: str) -> int:
    """First 8 bytes (big-endian) of SHA-256(journey 0x1F step 0x1F contact) mod 10000."""
    digest = hashlib.sha256(f"{journey_id}\x1f{step_id}\x1f{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000
