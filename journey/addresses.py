"""Is this an email address or a phone number we can send to? One answer, at ingest and at send.

Address syntax is somebody's life work (RFC 5321/5322/6531, IDNA, quoted local
parts, length limits), so it is email-validator's, not a regex of ours: syntax
only (no DNS), which refuses CR/LF, comma lists, display names and angle
brackets. Phone numbers go through phonenumbers (Google's libphonenumber data):
international form only, since an SMS provider needs the country, stored and
sent as E.164 (`+46701234567`), which every SMS gateway takes.
"""

from __future__ import annotations

import re
from functools import lru_cache

import email_validator
import phonenumbers

from journey.text import visible


class AddressError(ValueError):
    """An address that cannot be sent to; the message says why."""


# A plain address (`ana.berg+news@mail.example.com`): ASCII letters, digits, `_+-` and
# single dots before the @; lowercase LDH labels without `--` after it, an alphabetic
# top-level label. email-validator accepts every such address unchanged (checked on
# generated ones in tests/test_addresses.py), so it is asked only about the others.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]{1,64}(?:\.[A-Za-z0-9_+-]{1,64})*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,63}"
)


def plain_email(value: str) -> bool:
    """An address of the plain shape above, within email-validator's length and name rules."""
    if len(value) > 200 or "--" in value or not _PLAIN_EMAIL.fullmatch(value):
        return False
    local, _, domain = value.rpartition("@")
    if len(local) > 64:
        return False
    names = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)  # a list callers may change
    if domain.rpartition(".")[2] not in _last_labels(names):
        return True  # no special-use name ends as this domain does (`.com`, `.se`)
    return not any(domain == name or domain.endswith("." + name) for name in names)


@lru_cache(maxsize=8)
def _last_labels(names: tuple[str, ...]) -> frozenset[str]:
    """The top-level labels of these domain names: a domain matches one of the names
    (is it or ends in `.` and it) only if it ends in the same label."""
    return frozenset(name.rpartition(".")[2] for name in names)


@lru_cache(maxsize=65536)  # a contact gets several messages; only good answers are kept
def check_email(value: str) -> str:
    """`value` itself when it is one deliverable-looking mailbox, else AddressError."""
    if plain_email(value):
        return value
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise AddressError(f"`{visible(value)}` is not an email address: {exc}") from None
    return value


@lru_cache(maxsize=65536)
def check_phone(value: str) -> str:
    """The E.164 form of an international phone number, else AddressError."""
    hint = "write it in international form, such as +46701234567"
    if not value.strip().startswith("+"):
        raise AddressError(f"`{visible(value)}` is not in international form; {hint}")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise AddressError(f"`{visible(value)}` is not a phone number; {hint}") from None
    if not phonenumbers.is_possible_number(number):
        raise AddressError(f"`{visible(value)}` has the wrong length for a phone number; {hint}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
