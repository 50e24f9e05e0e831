"""NumberFormat gives exactly Babel's result: across locales with unusual
symbols, groupings and sign placement, currencies with 0-4 decimals, rounding
halves, negative zero, huge and non-finite values, and Babel's own general path
where the shortcut does not apply."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from babel import Locale, localedata, numbers
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.renderer.numberformat import Kind, agrees_with_babel, number_format

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


class SymbolsLocale(Locale):
    """en_US with the decimal pattern and symbols a test chooses: the cases below hold
    whatever CLDR data the installed Babel ships (de_CH's group symbol became an
    ASCII apostrophe in Babel 2.19, which quietly changed what Babel prints)."""

    def __init__(self, pattern: str, **symbols: str) -> None:
        super().__init__("en", "US")
        self._pattern, self._symbols = pattern, symbols

    @property
    def number_symbols(self) -> Any:
        data = dict(super().number_symbols)
        data["latn"] = {**data["latn"], **self._symbols}
        return data

    @property
    def decimal_formats(self) -> Any:
        return {None: numbers.parse_pattern(self._pattern)}

    def __hash__(self) -> int:  # the format cache must not mix it up with en_US
        return hash((self._pattern, tuple(sorted(self._symbols.items()))))

    def __eq__(self, other: object) -> bool:
        return self is other


PROBE_VALUES = [0, 7, -7, 0.5, 1234567.5, -1234567.125, Decimal("0.0005"), 10**12]


def _formats_like_babel(locale: Locale) -> bool:
    ours = number_format("decimal", locale, "")
    return all(ours.format(v) == numbers.format_decimal(v, locale=locale) for v in PROBE_VALUES)


def test_the_shortcut_serves_a_plain_locale_and_prints_what_babel_prints() -> None:
    plain = SymbolsLocale("#,##0.###", group=",", decimal=".")
    assert number_format("decimal", plain, "").prefix is not None
    assert _formats_like_babel(plain)


@pytest.mark.parametrize(
    "symbols",
    [{"group": "'"}, {"decimal": "'"}, {"group": "'", "decimal": "’"}, {"group": "¤"}],
)
def test_a_quote_or_currency_sign_in_a_symbol_is_left_to_babel(symbols: dict[str, str]) -> None:
    odd = SymbolsLocale("#,##0.###", **symbols)
    assert number_format("decimal", odd, "").prefix is None
    assert _formats_like_babel(odd)


@pytest.mark.parametrize("pattern", ["#,##0.###", "#,##,##0.###", "0.00", "#E0", "@@@", "'#'#"])
def test_any_pattern_prints_what_babel_prints(pattern: str) -> None:
    assert _formats_like_babel(SymbolsLocale(pattern, group="\u202f", decimal=","))


def test_a_shortcut_that_disagrees_with_babel_is_never_used() -> None:
    built = number_format("decimal", Locale.parse("en_US"), "")
    wrong = replace(built, group_symbol=built.group_symbol + "x")
    assert not agrees_with_babel(wrong)
    assert agrees_with_babel(built) == (built.prefix is not None)


def test_every_installed_locale_formats_like_babel() -> None:
    for identifier in localedata.locale_identifiers()[::7]:
        locale = Locale.parse(identifier)
        for kind, currency in (("decimal", ""), ("percent", ""), ("currency", "EUR")):
            for value in (0, -1234567.891, Decimal("0.125")):
                assert _ours(kind, value, locale, currency) == _babel(
                    kind, value, locale, currency
                ), (identifier, kind)


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
