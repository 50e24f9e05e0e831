"""A translator's placeholder typo is reported at its line in the .po, before any
contact of that locale exits with an error (what `msgfmt --check-format` checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey.errors import Diagnostic
from journey.renderer.placeholders import check_entry
from journey.validator import check_workspace, validate_files
from tests.support.cart_workspace import CATALOG, write_cart_workspace


def validate(root: Path, journey: Path) -> list[Diagnostic]:
    workspace, _, _ = check_workspace(root)
    return validate_files([journey], workspace).diagnostics


def test_a_misspelt_placeholder_is_an_error_at_the_msgstr_line(tmp_path: Path) -> None:
    catalog = CATALOG.replace("Ihr Warenkorb: %(total)s.", "Ihr Warenkorb: %(summe)s.")
    journey = write_cart_workspace(tmp_path, catalog=catalog)
    (problem,) = [d for d in validate(tmp_path, journey) if d.code == "translation-placeholder"]
    assert problem.is_error
    assert problem.location.path.endswith("locales/de/LC_MESSAGES/messages.po")
    line = catalog.splitlines()[problem.location.line - 1]
    assert line.startswith("msgstr") and "%(summe)s" in line
    assert "`%(summe)s`, which the msgid does not have (de)" in problem.message
    assert problem.hint == "The msgid has `%(total)s`."


def test_a_dropped_placeholder_is_a_warning(tmp_path: Path) -> None:
    catalog = CATALOG.replace("Gespeichert am %(when)s.", "Gespeichert.")
    journey = write_cart_workspace(tmp_path, catalog=catalog)
    found = [d for d in validate(tmp_path, journey) if d.code == "translation-placeholder"]
    assert [(d.severity, "leaves out `%(when)s`" in d.message) for d in found] == [
        ("warning", True)
    ]


def test_the_catalog_as_written_has_no_placeholder_problem(tmp_path: Path) -> None:
    journey = write_cart_workspace(tmp_path)
    assert validate(tmp_path, journey) == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "expected"),
    [
        ("Hi %(name)s", "Hej %(name)s", []),
        ("Hi %(name)s", "Hej %(namn)s", ["error"]),
        ("Hi %(name)s", "Hej %(name)", ["error"]),  # no conversion: Python's % raises
        ("Hi %(name)s", "Hej 100 %", ["error"]),
        ("Hi %(name)s", "Hej 100 %% %(name)s", []),
        ("%(n)d bags", "%(n)s påsar", []),  # %s formats anything
        ("%(n)d bags", "%(n)x påsar", ["error"]),
        ("Save %(share)s", "Spara", ["warning"]),
    ],
)
def test_python_format_rules(msgid: str, msgstr: str, expected: list[str]) -> None:
    found = check_entry((None, msgid), [msgid], [msgstr], set(), 7)
    assert [p.severity for p in found] == expected
    assert all(p.line == 7 for p in found)


def test_plural_forms_are_each_checked_against_both_ids() -> None:
    ids = ["%(count)s point", "%(count)s points"]
    assert check_entry((None, ids[0]), ids, ["%(count)s poäng", "%(count)s poäng"], set(), 1) == []
    (problem,) = check_entry((None, ids[0]), ids, ["%(count)s poäng", "%(cuont)s poäng"], set(), 1)
    assert "%(cuont)s" in problem.message


def test_an_entry_without_placeholders_is_not_a_format_string() -> None:
    assert check_entry((None, "100% coffee"), ["100% coffee"], ["100 % kaffe"], set(), 1) == []
