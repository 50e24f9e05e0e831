"""Validation of sends against templates and catalogs: codes and locations."""

from __future__ import annotations

import shutil
from pathlib import Path

from journey.errors import Diagnostic, Location
from journey.validator.templates_check import check_send_templates
from tests.renderer.conftest import LOCALES, TEMPLATES

JOURNEY = Location(path="journeys/j.yaml", line=12, col=17)
DECLARED = {
    "first_name": "string",
    "trial_days": "number",
    "credit": "number",
    "currency": "string",
    "points": "number",
}


def check(
    *sends: tuple[str, str],
    locales: tuple[str, ...] = ("en", "sv", "zh_Hans"),
    templates: Path = TEMPLATES,
    locales_dir: Path = LOCALES,
    declared: dict[str, str] | None = DECLARED,
) -> list[Diagnostic]:
    refs = [(template, kind, JOURNEY) for template, kind in sends]
    return check_send_templates(refs, locales, templates, locales_dir, declared)


def codes(found: list[Diagnostic]) -> list[tuple[str, str, int]]:
    return sorted((d.code, Path(d.location.path).name, d.location.line) for d in found)


def test_complete_email_template_is_clean() -> None:
    assert check(("welcome", "email"), ("points", "push")) == []


def test_unknown_template_points_at_the_send_with_a_suggestion() -> None:
    (found,) = check(("welcom", "email"))
    assert (found.code, found.location) == ("unknown-template", JOURNEY)
    assert found.hint == "did you mean `welcome`?"


def test_missing_parts_for_the_channel() -> None:
    found = check(("reminder", "email"))
    assert {d.code for d in found} == {"missing-template-part"}
    assert sorted(d.message.split(" has no ")[1].split(",")[0] for d in found) == [
        "body.html",
        "body.txt",
        "subject.txt",
    ]
    assert check(("reminder", "sms")) == []


def test_syntax_error_points_into_the_template() -> None:
    found = check(("syntax", "email"))
    assert codes(found) == [("template-syntax", "body.txt", 2)]
    assert found[0].location.path.endswith("syntax/body.txt")


def test_unknown_names_and_undeclared_contact_attributes() -> None:
    found = check(("badvars", "sms"))
    assert codes(found) == [
        ("unknown-template-variable", "sms.txt", 2),
        ("unknown-template-variable", "sms.txt", 2),
    ]
    messages = sorted(d.message for d in found)
    assert messages == [
        "`contact.frist_name` is not a declared contact attribute",
        "`coupon_code` is not available to templates",
    ]
    assert any(d.hint == "did you mean `contact.first_name`?" for d in found)


def test_contact_attributes_are_not_checked_without_declarations() -> None:
    assert codes(check(("badvars", "sms"), declared=None)) == [
        ("unknown-template-variable", "sms.txt", 2)
    ]


def test_missing_layout_is_reported_where_it_is_extended() -> None:
    assert codes(check(("badlayout", "email"))) == [("unknown-template", "body.html", 1)]


def test_untranslated_string_is_reported_per_locale_at_its_line() -> None:
    found = check(("untranslated", "sms"))
    assert codes(found) == [
        ("missing-translation", "sms.txt", 2),
        ("missing-translation", "sms.txt", 2),
    ]
    assert sorted(d.message for d in found) == [
        "“Brand new line” is not translated to sv",
        "“Brand new line” is not translated to zh_Hans",
    ]


def test_fallback_locale_needs_no_translation() -> None:
    assert check(("untranslated", "sms"), locales=("en",)) == []


def test_fuzzy_and_empty_plural_forms_count_as_untranslated() -> None:
    found = check(("fuzzy", "sms"), locales=("en", "sv"))
    assert sorted(d.message for d in found) == [
        "“%(num)s apple” is not translated to sv",
        "“Draft line” is not translated to sv",
    ]


def test_strings_of_the_extended_layout_count_too(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    po = locales / "sv" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "Avsluta prenumerationen"', 'msgstr ""'))
    found = check(("welcome", "email"), locales=("en", "sv"), locales_dir=locales)
    assert codes(found) == [("missing-translation", "email.html", 5)]


def test_listed_locale_without_catalog(tmp_path: Path) -> None:
    (found,) = check(("welcome", "email"), locales=("en", "de"))
    assert (found.code, found.location) == ("missing-catalog", JOURNEY)


def test_broken_catalog_points_at_the_po_line(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    (locales / "sv" / "LC_MESSAGES" / "messages.po").write_text('msgid "a"\nmsgstr "b"\nbad\n')
    (found,) = check(("welcome", "email"), locales=("en", "sv"), locales_dir=locales)
    assert (found.code, found.location.line) == ("catalog-error", 3)
    assert found.location.path.endswith("sv/LC_MESSAGES/messages.po")
