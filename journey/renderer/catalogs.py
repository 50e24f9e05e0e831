"""Gettext catalogs read straight from `.po` with Babel; strict by design.

Babel's own loader quietly returns empty translations when a file is missing;
here a missing or unparseable catalog is an error, and fuzzy entries or empty
plural forms count as untranslated (they fall back to the source text at render
time and are reported by validation).
"""

from __future__ import annotations

import gettext
import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from journey.errors import JourneyError
from journey.renderer.placeholders import PlaceholderProblem, catalog_problems
from journey.workspace_files import CODE as OUTSIDE_CODE
from journey.workspace_files import OutsideWorkspace, WorkspaceFile, probe_quietly, read_file

DOMAIN = "messages"

# (msgctxt or None, msgid) - the singular id for plural entries.
MessageKey = tuple[str | None, str]


class CatalogError(JourneyError):
    """A catalog is missing or cannot be read. Raised here; the renderer turns it
    into RenderError, validation into a diagnostic with `code`: `missing-catalog`,
    `catalog-error` or `file-outside-workspace` (a link or an escape, never read)."""

    def __init__(
        self, message: str, *, path: Path, line: int = 1, code: str = "catalog-error"
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.code = code


def catalog_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


class CatalogTranslations(gettext.NullTranslations):
    """gettext over complete entries only; anything else returns the source text."""

    def __init__(
        self,
        singles: dict[MessageKey, str],
        plurals: dict[MessageKey, tuple[str, ...]],
        plural_index: Callable[[int], int],
    ) -> None:
        super().__init__()
        self._singles = singles
        self._plurals = plurals
        self._plural_index = plural_index

    def gettext(self, message: str) -> str:
        return self._singles.get((None, message), message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plurals.get((None, msgid1))
        if forms is None:
            return msgid1 if n == 1 else msgid2
        return self._form(forms, n)

    def _form(self, forms: tuple[str, ...], n: int) -> str:
        try:
            index = self._plural_index(n)
        except (ArithmeticError, RecursionError, TypeError, ValueError):
            index = -1  # checked at load for small n; a huge n still must not fail a send
        return forms[index] if 0 <= index < len(forms) else forms[-1]

    def pgettext(self, context: str, message: str) -> str:
        return self._singles.get((context, message), message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plurals.get((context, msgid1))
        if forms is None:
            return msgid1 if n == 1 else msgid2
        return self._form(forms, n)


@dataclass(frozen=True, slots=True)
class LoadedCatalog:
    """A parsed catalog: its translations and which message ids are complete."""

    locale: str
    path: Path
    translations: CatalogTranslations
    translated: frozenset[MessageKey]
    mtime_ns: int
    placeholder_problems: tuple[PlaceholderProblem, ...] = ()


def _is_complete(string: str | tuple[str, ...] | list[str], num_plurals: int, plural: bool) -> bool:
    if not plural:
        return isinstance(string, str) and string != ""
    forms = (string,) if isinstance(string, str) else tuple(string)
    return len(forms) >= num_plurals and all(form != "" for form in forms)


_parsed: dict[tuple[str, str, int, int], LoadedCatalog] = {}


def load_catalog(locales_dir: Path, locale: str) -> LoadedCatalog:
    """The catalog of `locale` in a workspace's locales folder, read only inside
    the workspace (the folder's parent) and through no symbolic link."""
    return parse_catalog(locale, catalog_path(locales_dir, locale), root=locales_dir.parent)


def parse_catalog(locale: str, path: Path, *, root: Path | None = None) -> LoadedCatalog:
    """Read one `.po`, parsed once per file version: validating 500 journeys must not
    parse the same catalog 500 times. `root` is where the path must stay (default:
    the file's own folder). Raises CatalogError (with the line when Babel knows it)."""
    file = _read(locale, path, path.parent if root is None else root)
    key = (locale, str(path), file.mtime_ns, file.size)
    loaded = _parsed.get(key)
    if loaded is None:
        loaded = _parse_catalog(locale, path, file)
        _parsed[key] = loaded
    return loaded


def _read(locale: str, path: Path, root: Path) -> WorkspaceFile:
    try:
        return read_file(root, path)
    except OutsideWorkspace as exc:
        raise CatalogError(str(exc), path=path, code=OUTSIDE_CODE) from exc
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        raise CatalogError(
            f"no catalog for locale {locale!r} (expected {path})", path=path, code="missing-catalog"
        ) from exc
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc.strerror}", path=path) from exc


# No language has more than 6 plural forms (CLDR); Babel makes a list of
# `nplurals` strings per plural message, so a huge count is refused before parsing.
MAX_PLURAL_FORMS = 10
_NPLURALS = re.compile(rb"nplurals\s*=\s*([0-9]+)")


def _parse_catalog(locale: str, path: Path, file: WorkspaceFile) -> LoadedCatalog:
    raw = file.data
    for found in _NPLURALS.finditer(_header_entry(raw)):
        if int(found.group(1)) > MAX_PLURAL_FORMS:
            line = raw.count(b"\n", 0, found.start()) + 1
            raise CatalogError(
                f"catalog {path} has a bad Plural-Forms header: nplurals={int(found.group(1))}"
                f" (no language has more than {MAX_PLURAL_FORMS})",
                path=path,
                line=line,
            )
    try:
        catalog: Catalog = read_po(io.BytesIO(file.data), locale=None, abort_invalid=True)
    except PoFileError as exc:
        line = int(getattr(exc, "lineno", 0) or 0) + 1  # Babel counts from 0
        raise CatalogError(f"catalog {path} is malformed: {exc}", path=path, line=line) from exc
    except UnicodeError as exc:
        encoding = str(getattr(exc, "encoding", None) or "utf-8")
        line = _first_undecodable_line(raw, encoding)
        message = f"catalog {path} is not valid {encoding}: {getattr(exc, 'reason', exc)}"
        raise CatalogError(message, path=path, line=line) from exc
    except LookupError as exc:  # an unknown charset= in Content-Type
        line = _line_of(raw, b"charset=")
        raise CatalogError(f"catalog {path} names {exc}", path=path, line=line) from exc
    except (ValueError, SyntaxError, RecursionError) as exc:
        line = _line_of(raw, b"Plural-Forms:")
        raise CatalogError(f"catalog {path} cannot be parsed: {exc}", path=path, line=line) from exc
    return _build(locale, path, catalog, file.mtime_ns, raw)


def _header_entry(raw: bytes) -> bytes:
    """The catalog's first entry (the header, msgid ""), up to the next msgid."""
    first = raw.find(b"msgid")
    following = raw.find(b"\nmsgid", first + 1) if first >= 0 else -1
    return raw if following < 0 else raw[:following]


def _line_of(raw: bytes, needle: bytes) -> int:
    """The 1-based line where `needle` first occurs, else 1."""
    at = raw.find(needle)
    return 1 if at < 0 else raw.count(b"\n", 0, at) + 1


def _first_undecodable_line(raw: bytes, encoding: str) -> int:
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode(encoding)
        except (UnicodeError, LookupError):
            return number
    return 1


# A plural expression is tried on these counts at load: it must give an index
# in range(nplurals) for each, so a bad header fails validation, not a send.
PLURAL_PROBES = range(0, 1_001)


def _plural_function(catalog: Catalog, path: Path, raw: bytes) -> Callable[[int], int]:
    line = _line_of(raw, b"Plural-Forms:")
    try:
        # gettext.c2py tokenizes first and accepts only C operators, numbers and `n`:
        # a header such as `plural=__import__("os")...` is refused before any eval.
        function = gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError, RecursionError, MemoryError) as exc:
        raise CatalogError(
            f"catalog {path} has a bad Plural-Forms header: {exc}", path=path, line=line
        ) from exc
    count = int(catalog.num_plurals)
    for n in PLURAL_PROBES:
        try:
            index = function(n)
        except (ArithmeticError, RecursionError, TypeError, ValueError) as exc:
            raise CatalogError(
                f"catalog {path} has a bad Plural-Forms header: the plural expression fails"
                f" for n={n} ({exc})",
                path=path,
                line=line,
            ) from exc
        if not 0 <= index < count:
            raise CatalogError(
                f"catalog {path} has a bad Plural-Forms header: for n={n} the plural"
                f" expression gives form {index}, but nplurals={count}",
                path=path,
                line=line,
            )
    return function


def _build(locale: str, path: Path, catalog: Catalog, mtime_ns: int, raw: bytes) -> LoadedCatalog:
    singles: dict[MessageKey, str] = {}
    plurals: dict[MessageKey, tuple[str, ...]] = {}
    translated: set[MessageKey] = set()
    num_plurals = int(catalog.num_plurals)
    plural_index = _plural_function(catalog, path, raw)
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        msgid: Any = message.id
        string: Any = message.string or ""
        plural = isinstance(msgid, (tuple, list))
        key: MessageKey = (message.context, str(msgid[0] if plural else msgid))
        if not _is_complete(string, num_plurals, plural):
            continue
        translated.add(key)
        if plural:
            plurals[key] = tuple(string)
        else:
            singles[key] = string
    translations = CatalogTranslations(singles, plurals, plural_index)
    return LoadedCatalog(
        locale=locale,
        path=path,
        translations=translations,
        translated=frozenset(translated),
        mtime_ns=mtime_ns,
        placeholder_problems=catalog_problems(catalog, raw),
    )


class CatalogStore:
    """Loads each locale's catalog once; `reload()` drops them after a change on disk."""

    def __init__(self, locales_dir: Path) -> None:
        self.locales_dir = locales_dir
        self.root = locales_dir.parent
        self._loaded: dict[str, LoadedCatalog] = {}
        self._present: dict[str, bool] = {}
        self._lock = threading.Lock()

    def get(self, locale: str) -> LoadedCatalog:
        """The catalog for `locale`; raises CatalogError when missing or broken."""
        loaded = self._loaded.get(locale)
        if loaded is not None:
            return loaded
        with self._lock:
            loaded = self._loaded.get(locale)
            if loaded is None:
                loaded = load_catalog(self.locales_dir, locale)
                self._loaded[locale] = loaded
            return loaded

    def has(self, locale: str) -> bool:
        """Whether the locale has a catalog file (remembered until `reload()`); a link
        counts as present, so that `get` refuses it instead of rendering untranslated."""
        present = self._present.get(locale)
        if present is None:
            found = probe_quietly(self.root, catalog_path(self.locales_dir, locale))
            present = found in ("file", "outside")
            self._present[locale] = present
        return present

    def reload(self) -> None:
        with self._lock:
            self._loaded.clear()
            self._present.clear()
