"""Locale negotiation, spec section 5: case, separators, likely scripts, fallback."""

from __future__ import annotations

import pytest

from journey.renderer import negotiate_locale
from journey.renderer.locale import formatting_locale

EN_SV_ZH = ["en", "sv", "zh_Hans"]


@pytest.mark.parametrize(
    ("contact_locale", "journey_locales", "expected"),
    [
        ("sv", EN_SV_ZH, "sv"),
        ("sv-SE", EN_SV_ZH, "sv"),
        ("SV_se", EN_SV_ZH, "sv"),
        ("sv-FI", EN_SV_ZH, "sv"),
        ("zh_CN", EN_SV_ZH, "zh_Hans"),
        ("zh-cn", EN_SV_ZH, "zh_Hans"),
        ("zh", EN_SV_ZH, "zh_Hans"),
        ("zh_Hans_SG", EN_SV_ZH, "zh_Hans"),
        ("zh_TW", EN_SV_ZH, "en"),  # Traditional script: not zh_Hans
        ("zh_HK", EN_SV_ZH, "en"),
        ("zh_TW", ["en", "zh_Hans", "zh"], "zh"),
        ("pt-BR", ["en", "pt_BR", "pt"], "pt_BR"),
        ("pt-BR", ["en", "pt", "pt_BR"], "pt_BR"),  # lang_TERR beats lang
        ("pt-BR", ["en", "pt"], "pt"),
        ("pt-PT", ["en", "pt_BR"], "en"),
        ("en_GB", ["sv", "en"], "en"),
        ("en_GB", ["sv", "en", "en_GB"], "en_GB"),
        ("de_DE", EN_SV_ZH, "en"),
        ("sr_Latn_RS", ["en", "sr_Latn", "sr"], "sr_Latn"),
        ("sr_RS", ["en", "sr_Latn", "sr"], "sr"),  # likely script is Cyrillic
        ("sv_SE.UTF-8", EN_SV_ZH, "sv"),
        (None, EN_SV_ZH, "en"),
        ("", EN_SV_ZH, "en"),
        ("not a locale!", EN_SV_ZH, "en"),
        ("123", ["sv", "en"], "sv"),
        ("en-US-x-private", EN_SV_ZH, "en"),
        ("sv", ["en", "SV"], "SV"),  # the listed spelling is returned as written
    ],
)
def test_negotiate_locale(
    contact_locale: str | None, journey_locales: list[str], expected: str
) -> None:
    assert negotiate_locale(contact_locale, journey_locales) == expected


def test_negotiate_locale_without_journey_locales_is_english() -> None:
    assert negotiate_locale("sv_SE", []) == "en"


@pytest.mark.parametrize(
    ("contact_locale", "copy_locale", "expected"),
    [
        ("en_GB", "en", "en_GB"),
        ("sv-FI", "sv", "sv_FI"),
        ("zh_CN", "zh_Hans", "zh_Hans_CN"),
        ("de_DE", "en", "en_DE"),  # English copy, German territory conventions
        (None, "zh_Hans", "zh_Hans"),
        ("garbage!", "sv", "sv"),
    ],
)
def test_formatting_locale_keeps_the_contacts_territory(
    contact_locale: str | None, copy_locale: str, expected: str
) -> None:
    assert str(formatting_locale(contact_locale, copy_locale)) == expected
