"""Babel's number, currency and percent formatting with the locale data looked up
once per (kind, locale, currency) instead of once per number.

`babel.numbers.format_*` re-reads the pattern and every symbol (decimal, group,
currency symbol and even the plural currency name, unused by the standard
pattern) through Babel's locale-data dictionaries on every call, which made
these filters the costliest part of a render. A `NumberFormat` resolves all of
that up front and then runs the same steps as `NumberPattern.apply` for the
standard patterns: the same Decimal conversion, rounding (quantize with the
context's rounding, half-even) and grouping. Anything outside that common shape
- scientific or significant-digit patterns, `¤¤¤`, quotes that Babel would
treat differently, infinities and NaN - is handed to Babel itself, so results
are always Babel's (tests compare the two across locales, currencies and values).
And whatever Babel's data or code become, a format whose shortcut gives anything
but Babel's string for a few probe values is built without the shortcut.
"""

from __future__ import annotations

import decimal
import functools
import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from babel import Locale, numbers
from babel.numbers import NumberPattern

Kind = Literal["decimal", "currency", "percent"]
_QUOTED = re.compile(r"'([^']*)'")
# Checked against Babel when a format is built: signs, grouping, rounding, zero.
PROBES: tuple[Any, ...] = (
    0,
    -1,
    7,
    0.5,
    -2.675,
    1234567.891,
    decimal.Decimal("-1234.5678"),
    decimal.Decimal("0.005"),
    10**15,
)


def _unquote(text: str) -> str:
    """Babel's last step on the whole result: quoted literals lose their quotes."""
    return _QUOTED.sub(lambda m: m.group(1) or "'", text)


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How one kind of number reads in one locale (and currency)."""

    kind: Kind
    locale: Locale
    currency: str
    pattern: NumberPattern
    # None when the pattern or the locale's symbols need Babel's general path.
    prefix: tuple[str, str] | None
    suffix: tuple[str, str]
    decimal_symbol: str
    group_symbol: str
    min_int: int
    grouping: tuple[int, int]
    frac_prec: tuple[int, int]
    quantum: decimal.Decimal
    scale: int

    def format(self, value: Any) -> str:
        """The same string `babel.numbers.format_<kind>` returns for `value`."""
        if self.prefix is None:
            return self._babel(value)
        number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
        if not number.is_finite():
            return self._babel(value)
        number = number.scaleb(self.scale)
        negative = int(number.is_signed())
        rounded = abs(number).normalize().quantize(self.quantum)
        whole, _, fraction = f"{rounded:f}".partition(".")
        return "".join(
            (
                self.prefix[negative],
                self._group(whole),
                self._fraction(fraction or "0"),
                self.suffix[negative],
            )
        )

    def _group(self, digits: str) -> str:
        if len(digits) < self.min_int:
            digits = "0" * (self.min_int - len(digits)) + digits
        size, rest = self.grouping
        grouped = ""
        while len(digits) > size:
            grouped = self.group_symbol + digits[-size:] + grouped
            digits = digits[:-size]
            size = rest
        return digits + grouped

    def _fraction(self, digits: str) -> str:
        low, high = self.frac_prec
        if len(digits) < low:
            digits += "0" * (low - len(digits))
        if high == 0 or (low == 0 and int(digits) == 0):
            return ""
        while len(digits) > low and digits[-1] == "0":
            digits = digits[:-1]
        return self.decimal_symbol + digits

    def _babel(self, value: Any) -> str:
        if self.kind == "currency":
            return str(numbers.format_currency(value, self.currency, locale=self.locale))
        if self.kind == "percent":
            return str(numbers.format_percent(value, locale=self.locale))
        return str(numbers.format_decimal(value, locale=self.locale))


def _pattern(kind: Kind, locale: Locale) -> NumberPattern:
    if kind == "currency":
        return numbers.parse_pattern(locale.currency_formats["standard"])
    formats = locale.percent_formats if kind == "percent" else locale.decimal_formats
    return numbers.parse_pattern(formats[None])


def _affixes(affixes: tuple[str, str], currency: str, symbol: str) -> tuple[str, str] | None:
    """Affixes as they end up in Babel's result, or None when doing it ahead of
    time could differ (an odd number of quotes pairs across the number)."""
    done = []
    for text in affixes:
        if currency:
            if "¤¤¤" in text:
                return None  # the plural currency name depends on the value
            text = text.replace("¤¤", currency).replace("¤", symbol)
        if text.count("'") % 2:
            return None
        done.append(_unquote(text))
    return done[0], done[1]


@functools.lru_cache(maxsize=1024)
def number_format(kind: Kind, locale: Locale, currency: str = "") -> NumberFormat:
    """The format for `kind` in `locale` (`currency`: an upper-case ISO code)."""
    pattern = _pattern(kind, locale)
    decimal_symbol = numbers.get_decimal_symbol(locale)
    group_symbol = numbers.get_group_symbol(locale)
    symbol = numbers.get_currency_symbol(currency, locale) if currency else ""
    frac_prec = pattern.frac_prec
    if currency:
        frac_prec = (numbers.get_currency_precision(currency),) * 2
    prefix = _affixes(pattern.prefix, currency, symbol)
    suffix = _affixes(pattern.suffix, currency, symbol)
    general = (
        pattern.exp_prec
        or "@" in pattern.pattern
        or pattern.number_pattern == ""
        or any("'" in s or "¤" in s for s in (decimal_symbol, group_symbol, symbol, currency))
    )
    usable = prefix is not None and suffix is not None and not general
    built = NumberFormat(
        kind=kind,
        locale=locale,
        currency=currency,
        pattern=pattern,
        prefix=prefix if usable else None,
        suffix=suffix or ("", ""),
        decimal_symbol=decimal_symbol,
        group_symbol=group_symbol,
        min_int=pattern.int_prec[0],
        grouping=pattern.grouping,
        frac_prec=frac_prec,
        quantum=numbers.get_decimal_quantum(frac_prec[1]),
        scale=pattern.scale,
    )
    if built.prefix is not None and not agrees_with_babel(built):
        return replace(built, prefix=None)
    return built


def agrees_with_babel(built: NumberFormat) -> bool:
    try:
        return all(built.format(value) == built._babel(value) for value in PROBES)
    except (ArithmeticError, ValueError, KeyError):
        return False
