"""Unsubscribe tokens: round trip, and every kind of tampering is refused."""

from __future__ import annotations

import pytest

from journey.unsubscribe import (
    KeyRing,
    make_unsubscribe_token,
    unsubscribe_url,
    verify_unsubscribe_token,
    verify_with_any,
)

SECRET = b"a-long-random-secret"


def test_a_token_round_trips_to_contact_and_journey() -> None:
    token = make_unsubscribe_token(SECRET, "c-1042", "onboarding-welcome")

    assert verify_unsubscribe_token(SECRET, token) == ("c-1042", "onboarding-welcome")
    assert "=" not in token and "+" not in token and "/" not in token


def test_unicode_ids_round_trip() -> None:
    token = make_unsubscribe_token(SECRET, "kund-åäö-客户", "loyalty")
    assert verify_unsubscribe_token(SECRET, token) == ("kund-åäö-客户", "loyalty")


def test_tokens_are_deterministic_and_differ_per_contact() -> None:
    assert make_unsubscribe_token(SECRET, "c1", "j") == make_unsubscribe_token(SECRET, "c1", "j")
    assert make_unsubscribe_token(SECRET, "c1", "j") != make_unsubscribe_token(SECRET, "c2", "j")


def test_another_secret_rejects_the_token() -> None:
    token = make_unsubscribe_token(SECRET, "c1", "j")
    with pytest.raises(ValueError, match="signature"):
        verify_unsubscribe_token(b"other-secret", token)


def test_swapping_the_payload_for_another_contact_is_rejected() -> None:
    mine = make_unsubscribe_token(SECRET, "c1", "j")
    theirs = make_unsubscribe_token(SECRET, "c2", "j")
    forged = theirs.split(".")[0] + "." + mine.split(".")[1]
    with pytest.raises(ValueError, match="signature"):
        verify_unsubscribe_token(SECRET, forged)


def test_every_single_character_change_is_rejected() -> None:
    token = make_unsubscribe_token(SECRET, "c1", "onboarding")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index, char in enumerate(token):
        if char == ".":
            continue
        replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        tampered = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(ValueError):
            verify_unsubscribe_token(SECRET, tampered)


@pytest.mark.parametrize("junk", ["", ".", "abc", "a.b.c", "!!!.???", "YQ.", ".YQ", "YQ==.YQ"])
def test_malformed_tokens_raise_value_error(junk: str) -> None:
    with pytest.raises(ValueError):
        verify_unsubscribe_token(SECRET, junk)


def test_the_url_has_the_daemons_route() -> None:
    assert unsubscribe_url("https://u.example/", "tok") == "https://u.example/v1/unsubscribe/tok"


def test_an_empty_key_signs_nothing() -> None:
    with pytest.raises(ValueError):
        make_unsubscribe_token(b"", "c1", "j")


def test_any_accepted_key_verifies_and_a_mangled_token_is_refused_by_all() -> None:
    old, new = b"the-key-before-rotation", b"the-key-after-rotation"
    ring = KeyRing(current=new, accepted=(new, old))
    assert ring.verify(make_unsubscribe_token(old, "c1", "j")) == ("c1", "j")
    assert ring.verify(make_unsubscribe_token(new, "c2", "j")) == ("c2", "j")
    with pytest.raises(ValueError, match="signature"):
        KeyRing(current=new, accepted=(new,)).verify(make_unsubscribe_token(old, "c1", "j"))
    with pytest.raises(ValueError, match="malformed"):
        verify_with_any([new, old], "not-a-token")
    with pytest.raises(ValueError, match="no unsubscribe key"):
        verify_with_any([], make_unsubscribe_token(old, "c1", "j"))
