"""Plain email addresses skip email-validator: only where it would accept them unchanged."""

from __future__ import annotations

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.addresses import _PLAIN_EMAIL, AddressError, check_email, plain_email

LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
shaped = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    st.from_regex(r"[A-Za-z0-9_+.-]{1,70}", fullmatch=True),
    st.lists(LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "se", "test", "local", "c1", "x", "co", "onion", "arpa"]),
)


def _validated(value: str) -> str | None:
    """email-validator's normalized form of `value`, or None when it refuses it."""
    try:
        found = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return str(found.normalized)


@settings(max_examples=500)
@given(value=st.one_of(shaped, st.from_regex(_PLAIN_EMAIL, fullmatch=True), st.text(max_size=30)))
def test_a_plain_address_is_one_email_validator_accepts_as_it_is(value: str) -> None:
    if plain_email(value):
        assert _validated(value) == value


@pytest.mark.parametrize(
    "value",
    ["ana@example.com", "ana.berg+news@mail.example.se", "c1@example.com", "-x_y@a-b.co"],
)
def test_everyday_addresses_take_the_short_way(value: str) -> None:
    assert plain_email(value)
    assert check_email(value) == value


@pytest.mark.parametrize(
    "value",
    ["ana@localhost", "ana@shop.test", "ana..berg@example.com", "ana@xn--bcher-kva.example",
     "Ana <ana@example.com>", "ana@example.com\n", "ana@exa_mple.com"],
)  # fmt: skip
def test_anything_else_still_goes_to_email_validator(value: str) -> None:
    assert not plain_email(value)
    try:
        answer: str | None = check_email(value)
    except AddressError:
        answer = None
    assert (answer == value) == (_validated(value) is not None)


def _plain_email_by_every_name(value: str) -> bool:
    """`plain_email` as it was first written: every special-use name tried in turn."""
    if len(value) > 200 or "--" in value or not _PLAIN_EMAIL.fullmatch(value):
        return False
    local, _, domain = value.rpartition("@")
    if len(local) > 64:
        return False
    return not any(
        domain == name or domain.endswith("." + name)
        for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )


@settings(max_examples=1000)
@given(value=st.one_of(shaped, st.from_regex(_PLAIN_EMAIL, fullmatch=True), st.text(max_size=30)))
def test_the_top_label_shortcut_answers_as_trying_every_special_name(value: str) -> None:
    assert plain_email(value) == _plain_email_by_every_name(value)


def test_special_names_added_by_the_caller_are_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [*email_validator.SPECIAL_USE_DOMAIN_NAMES, "corp.example", "intranet"]
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", names)
    for value in ["ana@corp.example", "ana@mail.corp.example", "ana@wiki.intranet"]:
        assert not plain_email(value)
        assert plain_email(value) == _plain_email_by_every_name(value)
    assert plain_email("ana@other.example")
