"""Catalogs are read straight from .po, strictly: broken or missing is an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from journey.renderer.catalogs import CatalogError, CatalogStore, parse_catalog
from tests.renderer.conftest import LOCALES

HEADER = 'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'


def write_po(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "messages.po"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_only_complete_entries_count_as_translated(tmp_path: Path) -> None:
    path = write_po(
        tmp_path,
        'msgid "done"\nmsgstr "klar"\n\n'
        '#, fuzzy\nmsgid "guess"\nmsgstr "gissning"\n\n'
        'msgid "empty"\nmsgstr ""\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "en"\nmsgstr[1] ""\n\n'
        'msgid "apple"\nmsgid_plural "apples"\nmsgstr[0] "äpple"\nmsgstr[1] "äpplen"\n\n'
        'msgctxt "button"\nmsgid "Go"\nmsgstr "Kör"\n',
    )
    catalog = parse_catalog("sv", path)
    assert catalog.translated == {(None, "done"), (None, "apple"), ("button", "Go")}
    translations = catalog.translations
    assert translations.gettext("guess") == "guess"
    assert translations.ngettext("one", "many", 2) == "many"
    assert translations.ngettext("apple", "apples", 2) == "äpplen"
    assert translations.pgettext("button", "Go") == "Kör"


def test_malformed_catalog_reports_its_line(tmp_path: Path) -> None:
    path = write_po(tmp_path, 'msgid "a"\nmsgstr "b"\ngarbage\n')
    with pytest.raises(CatalogError, match="malformed") as caught:
        parse_catalog("sv", path)
    assert caught.value.line == 7


def test_catalog_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "messages.po"
    path.write_bytes(b'msgid "a"\nmsgstr "\xff"\n')
    with pytest.raises(CatalogError, match="is not valid utf-8") as raised:
        parse_catalog("sv", path)
    assert raised.value.line == 2


def test_missing_catalog_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no catalog for locale 'de'"):
        CatalogStore(tmp_path).get("de")


def test_store_caches_until_reload_and_reload_sees_an_edited_catalog(tmp_path: Path) -> None:
    shutil.copytree(LOCALES, tmp_path / "locales")
    store = CatalogStore(tmp_path / "locales")
    first = store.get("sv")
    assert store.get("sv") is first
    store.reload()
    assert store.get("sv") is first  # unchanged file: the parsed version is reused
    po = tmp_path / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    store.reload()
    assert store.get("sv") is not first


def test_a_huge_plural_count_is_refused_at_its_line_before_anything_is_allocated(
    tmp_path: Path,
) -> None:
    # Babel would make a list of nplurals strings for every plural message: 10^20 here.
    header = 'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=99999999999999999999; plural=0;\\n"\n\n'
    path = write_po(tmp_path, 'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "eins"\n', header)
    with pytest.raises(CatalogError) as caught:
        parse_catalog("de", path)
    assert caught.value.line == 3 and "nplurals=99999999999999999999" in str(caught.value)


def test_a_translation_that_mentions_nplurals_is_only_text(tmp_path: Path) -> None:
    path = write_po(tmp_path, 'msgid "hint"\nmsgstr "set nplurals=99 in the header"\n')
    assert parse_catalog("sv", path).translations.gettext("hint") == "set nplurals=99 in the header"
