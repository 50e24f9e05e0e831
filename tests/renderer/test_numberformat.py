"""NumberFormat gives exactly Babel's result: across locales with unusual
symbols, groupings and sign placement, currencies with 0-4 decimals, rounding
halves, negative zero, huge and non-finite values, and Babel's own general path
where the shortcut does not apply."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from babel import Locale, numbers
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.renderer.numberformat import Kind, number_format

LOCALES = [
    "en_US", "en_GB", "en_IN", "sv_SE", "zh_CN", "zh_Hant_TW", "de_DE", "de_CH", "de_AT",
    "fr_FR", "fr_CH", "it_CH", "es_ES", "pt_BR", "nl_NL", "da_DK", "nb_NO", "fi_FI", "pl_PL",
    "ru_RU", "tr_TR", "he_IL", "ar_EG", "ar_SA", "fa_IR", "hi_IN", "bn_BD", "ja_JP", "ko_KR",
    "th_TH", "vi_VN", "id_ID", "sw_KE", "en_ZA", "lt_LT", "ps_AF", "my_MM",
]  # fmt: skip
CURRENCIES = ["USD", "EUR", "SEK", "JPY", "BHD", "CLF", "INR", "CHF", "XXX", "XAU", "CNY"]
VALUES: list[Any] = [
    0, 1, -1, 7, 0.5, -0.5, 0.15, 0.005, 0.015, 0.125, 1.005, 2.675, 99.995, -99.995,
    199.5, 1234.5, -1234.567, 12345678.125, 1e7, 1e20, 1e-10, -0.0, 10**15, 123456789012,
    Decimal("0.005"), Decimal("-0.0"), Decimal("1234.5678"), Decimal("1E+3"), Decimal("12.3450"),
    float("inf"), float("-inf"), float("nan"), Decimal("NaN"),
]  # fmt: skip


def _babel(kind: Kind, value: Any, locale: Locale, currency: str) -> Any:
    try:
        if kind == "currency":
            return numbers.format_currency(value, currency, locale=locale)
        if kind == "percent":
            return numbers.format_percent(value, locale=locale)
        return numbers.format_decimal(value, locale=locale)
    except Exception as exc:  # the same failure is expected of ours
        return type(exc)


def _ours(kind: Kind, value: Any, locale: Locale, currency: str) -> Any:
    try:
        return number_format(kind, locale, currency).format(value)
    except Exception as exc:
        return type(exc)


@pytest.mark.parametrize("identifier", LOCALES)
def test_decimal_and_percent_match_babel(identifier: str) -> None:
    locale = Locale.parse(identifier)
    for kind in ("decimal", "percent"):
        for value in VALUES:
            expected = _babel(kind, value, locale, "")
            assert _ours(kind, value, locale, "") == expected, (kind, value)


@pytest.mark.parametrize("identifier", LOCALES)
def test_currency_matches_babel(identifier: str) -> None:
    locale = Locale.parse(identifier)
    for currency in CURRENCIES:
        for value in VALUES:
            expected = _babel("currency", value, locale, currency)
            assert _ours("currency", value, locale, currency) == expected, (currency, value)


def test_shortcut_applies_to_the_common_formats_and_not_to_odd_symbols() -> None:
    for identifier in ("en_US", "sv_SE", "zh_CN", "de_CH", "hi_IN", "ar_EG"):
        locale = Locale.parse(identifier)
        for kind, currency in (("decimal", ""), ("percent", ""), ("currency", "EUR")):
            assert number_format(kind, locale, currency).prefix is not None  # type: ignore[arg-type]
    # XXX's symbol is itself "¤": Babel's substitution order matters, so Babel formats it.
    assert number_format("currency", Locale.parse("en_US"), "XXX").prefix is None


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.integers(min_value=-(10**18), max_value=10**18),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.decimals(allow_nan=False, allow_infinity=False, places=3),
        st.decimals(allow_nan=False, allow_infinity=False),
    ),
    identifier=st.sampled_from(LOCALES),
    kind=st.sampled_from(["decimal", "percent", "currency"]),
    currency=st.sampled_from(CURRENCIES),
)
def test_any_number_reads_as_babel_writes_it(
    value: Any, identifier: str, kind: Kind, currency: str
) -> None:
    locale = Locale.parse(identifier)
    currency = currency if kind == "currency" else ""
    assert _ours(kind, value, locale, currency) == _babel(kind, value, locale, currency)
