"""Locale negotiation (spec section 5) and the Babel locale used for formatting.

The copy locale (which catalog to use) comes from the journey's list; the
formatting locale keeps the contact's territory, so `en_GB` reads British dates
even when the copy is `en`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from babel import Locale
from babel.core import UnknownLocaleError, get_global, parse_locale
from babel.localedata import exists as cldr_has


class LocaleParts(NamedTuple):
    language: str
    script: str | None
    territory: str | None


@lru_cache(maxsize=1024)
def parse_parts(identifier: str | None) -> LocaleParts | None:
    """`sv-se`, `SV_SE`, `zh_hans_cn`, `de_DE@euro` -> parts; None when it is not a locale."""
    if not identifier or not isinstance(identifier, str):
        return None
    try:
        parsed = parse_locale(identifier.strip().replace("-", "_"))
    except ValueError:
        return None
    language, territory, script = parsed[0], parsed[1], parsed[2]
    if not (2 <= len(language) <= 3):
        return None
    return LocaleParts(language, script, territory)


def _likely_script(parts: LocaleParts) -> str | None:
    """The script CLDR's likely-subtags data implies (`zh_TW` -> Hant, `zh` -> Hans)."""
    if parts.script:
        return parts.script
    likely: Mapping[str, str] = get_global("likely_subtags")
    keys = [parts.language]
    if parts.territory:
        keys = [f"{parts.language}_{parts.territory}", f"und_{parts.territory}", parts.language]
    for key in keys:
        expanded = likely.get(key)
        if not expanded:
            continue
        full = parse_parts(expanded)
        if full is not None and full.language == parts.language and full.script:
            return full.script
    return None


def _key(parts: LocaleParts) -> str:
    return "_".join(p for p in parts if p)


@lru_cache(maxsize=4096)
def _negotiate(contact_locale: str | None, journey_locales: tuple[str, ...]) -> str:
    fallback = journey_locales[0]
    parts = parse_parts(contact_locale)
    if parts is None:
        return fallback
    script = _likely_script(parts)
    lang, terr = parts.language, parts.territory
    candidates = [
        LocaleParts(lang, script, terr) if script and terr else None,
        LocaleParts(lang, None, terr) if terr else None,
        LocaleParts(lang, script, None) if script else None,
        LocaleParts(lang, None, None),
    ]
    listed = [(parse_parts(name), name) for name in journey_locales]
    for candidate in candidates:
        if candidate is None:
            continue
        for listed_parts, name in listed:
            if listed_parts is not None and _key(listed_parts) == _key(candidate):
                return name
    return fallback


def negotiate_locale(contact_locale: str | None, journey_locales: Sequence[str]) -> str:
    """Pick the copy locale among the journey's; the first listed is the fallback.

    Never raises: an unparseable contact locale simply gets the fallback.
    """
    if not journey_locales:
        return "en"
    return _negotiate(contact_locale, tuple(journey_locales))


# Locale's own __hash__ and __eq__ are Python code, and every cached filter
# result used to pay for both on every lookup. Caches key on the identifier
# instead (equal identifiers <=> equal Locales) and get the object back here.
# Bounded by CLDR: a Locale object only exists for a locale CLDR knows.
_BY_ID: dict[str, Locale] = {}


def locale_id(locale: Locale) -> str:
    """The identifier of `locale` (`zh_Hans_CN`), remembered for `locale_by_id`."""
    identifier = str(locale)
    _BY_ID.setdefault(identifier, locale)
    return identifier


def locale_by_id(identifier: str) -> Locale:
    """The Locale behind an identifier that `locale_id` gave out."""
    return _BY_ID[identifier]


@lru_cache(maxsize=512)
def babel_locale(identifier: str) -> Locale:
    """A cached Babel locale; raises ValueError for one CLDR does not know."""
    try:
        return Locale.parse(identifier.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"unknown locale {identifier!r}") from exc


@lru_cache(maxsize=4096)
def formatting_locale(contact_locale: str | None, copy_locale: str) -> Locale:
    """The locale that formats dates and numbers for a contact reading `copy_locale`.

    The contact's full locale when it shares the copy's language; else the copy's
    language with the contact's territory when CLDR knows it (`en` copy for a
    `de_DE` contact -> `en_DE`); else the copy locale itself.
    """
    copy = babel_locale(copy_locale)
    parts = parse_parts(contact_locale)
    if parts is None:
        return copy
    if parts.language == copy.language:
        try:
            return babel_locale(_key(parts))
        except ValueError:
            return copy
    if parts.territory:
        mixed = f"{copy.language}_{parts.territory}"
        if cldr_has(mixed):
            return babel_locale(mixed)
    return copy
