"""YAML text -> plain data plus a source map, safely.

Marketers' files are untrusted and YAML 1.1 is full of surprises, so this loader
composes the node tree itself instead of calling ``yaml.safe_load``:

* only the JSON-like core types are resolved (YAML 1.2 style): ``true/false``,
  decimal/hex/octal ints, floats, null. Timestamps and dates stay the strings
  the user wrote, and ``9:30`` never becomes the base-60 integer 570;
* a plain ``yes no on off y n`` is kept as a :class:`BoolWord` (a ``str``), so
  later stages can either read it as a boolean where one is expected or report
  ``ambiguous-yaml-value`` where a string is (a locale ``no`` stays Norwegian);
* duplicate keys are reported, file size and alias expansion are bounded (a
  "billion laughs" file fails fast), non-UTF-8 and binary files are reported;
* every node's position is kept, keyed by its JSON path, so a later problem at
  ``steps[3].wait`` points at the line of ``wait:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from journey.errors import Diagnostic, Location
from journey.workspace_files import OutsideWorkspace, inside, read_file

try:  # the C parser is several times faster; resolution stays ours either way
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000  # nodes visited while building data, aliases expanded

JsonPath = tuple[str | int, ...]

BOOL_WORDS = frozenset({"yes", "no", "on", "off", "y", "n"})


class BoolWord(str):
    """A plain ``yes/no/on/off/y/n`` scalar: a string that YAML 1.1 would call a boolean."""

    __slots__ = ()

    def as_bool(self) -> bool:
        return self.lower() in {"yes", "on", "y"}


class _CoreResolverLoader(_BaseLoader):
    """A loader whose implicit resolvers follow the YAML 1.2 core schema."""


_CoreResolverLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN\0"),
):
    # An empty plain scalar (`key:`) is null; PyYAML looks that up under "".
    _firsts = [*_first.replace("\0", "")] + ([""] if "\0" in _first else [])
    _CoreResolverLoader.add_implicit_resolver(_tag, re.compile(_regexp), _firsts)

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}


@dataclass(slots=True)
class Document:
    """A loaded YAML file: its data (None when unreadable) and where every node is.

    ``key_positions`` holds, for a mapping member, the position of its key (the
    line a marketer looks for); ``value_positions`` where each value starts.
    """

    path: str
    data: Any = None
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    value_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bool_words: list[JsonPath] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not any(d.is_error for d in self.diagnostics)

    def location(self, path: JsonPath, *, value: bool = False) -> Location:
        """The position of ``path``, else of its nearest ancestor that has one."""
        probe = tuple(path)
        while True:
            positions = (self.value_positions, self.key_positions)
            if not value:
                positions = (self.key_positions, self.value_positions)
            for table in positions:
                if probe in table:
                    line, col = table[probe]
                    return Location(
                        path=self.path, line=line, col=col, json_path=format_json_path(path)
                    )
            if not probe:
                return Location(path=self.path, line=1, col=1, json_path=format_json_path(path))
            probe = probe[:-1]


def format_json_path(path: JsonPath) -> str:
    """``("steps", 3, "wait")`` -> ``steps[3].wait`` (``$`` for the root)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def load_yaml(
    path: Path | str, *, max_bytes: int = MAX_FILE_BYTES, root: Path | None = None
) -> Document:
    """Read and load one YAML file; problems come back as diagnostics, never raised.

    With `root` (the workspace), a file under it is read only through no symbolic
    link (`file-outside-workspace` otherwise); a file elsewhere was named by the
    user on the command line and is read as named.
    """
    shown = str(path)
    try:
        if root is not None and inside(root, path):
            raw = read_file(root, path, max_bytes=max_bytes).data
        else:
            with open(path, "rb") as handle:
                raw = handle.read(max_bytes + 1)
    except OutsideWorkspace as exc:
        return _failed(
            shown,
            exc.code,
            str(exc),
            hint="Replace the link with the file itself; journey reads no linked file.",
        )
    except OSError as exc:
        return _failed(shown, "unreadable-file", f"cannot read file: {exc.strerror or exc}")
    if len(raw) > max_bytes:
        return _failed(
            shown,
            "file-too-large",
            f"file is larger than {max_bytes:,} bytes",
            hint="Journey files are small; split a very large file or check it is the right one.",
        )
    return load_yaml_bytes(raw, shown)


def load_yaml_bytes(raw: bytes, path: str) -> Document:
    if b"\x00" in raw:
        return _failed(path, "binary-file", "this is a binary file, not YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _failed(
            path,
            "not-utf8",
            f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            line=line,
            hint="Save the file as UTF-8 in your editor.",
        )
    return load_yaml_text(text, path)


def load_yaml_text(text: str, path: str) -> Document:
    doc = Document(path=path)
    try:
        loader = _CoreResolverLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.composer.ComposerError as exc:
        if "single document" in str(exc.problem) or "another document" in str(exc.problem):
            return _multiple_documents(doc, exc)
        return _syntax_error(doc, exc)
    except yaml.MarkedYAMLError as exc:
        if "another document" in str(exc.problem):
            return _multiple_documents(doc, exc)
        return _syntax_error(doc, exc)
    except yaml.YAMLError as exc:
        doc.diagnostics.append(_diag(path, "yaml-syntax", f"invalid YAML: {exc}", 1, 1))
        return doc
    if root is None:
        doc.data = {}
        return doc
    builder = _Builder(doc)
    try:
        data = builder.build(root, ())
        # A file holding only `~` or `null` is as empty as an empty file: the
        # schema pass then says which keys are missing.
        doc.data = {} if data is None and not doc.diagnostics else data
    except _TooComplex:
        doc.data = None
        doc.diagnostics.append(
            _diag(
                path,
                "yaml-too-complex",
                f"the file expands to more than {MAX_NODES:,} values (aliases nested too deeply?)",
                1,
                1,
                hint="Remove the `&anchor`/`*alias` chains; journey files do not need them.",
            )
        )
    return doc


class _TooComplex(Exception):
    pass


class _Builder:
    """Turns composed nodes into plain data, recording positions and problems."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.visited = 0

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _TooComplex
        self.doc.value_positions.setdefault(path, _pos(node))
        if node.tag not in _STANDARD_TAGS:
            self._add("unsupported-yaml-tag", f"YAML tag {node.tag} is not allowed", node)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is None:
                continue
            if key in seen:
                first = seen[key].start_mark.line + 1
                self._add(
                    "duplicate-key",
                    f"key `{key}` appears twice in the same mapping (first on line {first})",
                    key_node,
                    hint="Keep one of them; YAML would silently use the last.",
                )
                continue
            seen[key] = key_node
            child = (*path, key)
            self.doc.key_positions[child] = _pos(key_node)
            result[key] = self.build(value_node, child)
        return result

    def _key(self, node: yaml.Node) -> str | None:
        if node.tag == "tag:yaml.org,2002:merge" or (
            isinstance(node, yaml.ScalarNode) and node.value == "<<" and not node.style
        ):
            self._add(
                "unsupported-yaml-merge",
                "YAML merge keys (`<<:`) are not supported",
                node,
                hint="Write the keys out; journeys are easier to review that way.",
            )
            return None
        if not isinstance(node, yaml.ScalarNode):
            self._add(
                "invalid-key", "a mapping key must be a plain word, not a list or mapping", node
            )
            return None
        return str(node.value)

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == "tag:yaml.org,2002:str" or tag == "tag:yaml.org,2002:timestamp":
            if not node.style and tag == "tag:yaml.org,2002:str" and value.lower() in BOOL_WORDS:
                self.doc.bool_words.append(path)
                return BoolWord(value)
            return value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            try:
                return int(value, 0) if value[:2] in ("0x", "0o") else int(value, 10)
            except ValueError:
                return value
        if tag == "tag:yaml.org,2002:float":
            try:
                return float(value)
            except ValueError:
                return value
        return value

    def _add(self, code: str, message: str, node: yaml.Node, *, hint: str | None = None) -> None:
        line, col = _pos(node)
        self.doc.diagnostics.append(_diag(self.doc.path, code, message, line, col, hint=hint))


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _diag(
    path: str, code: str, message: str, line: int, col: int, *, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(
        code=code, message=message, location=Location(path=path, line=line, col=col), hint=hint
    )


def _failed(
    path: str, code: str, message: str, *, line: int = 1, hint: str | None = None
) -> Document:
    return Document(path=path, diagnostics=[_diag(path, code, message, line, 1, hint=hint)])


def _multiple_documents(doc: Document, exc: yaml.MarkedYAMLError) -> Document:
    mark = exc.problem_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    doc.diagnostics.append(
        _diag(
            doc.path,
            "multiple-documents",
            "the file holds more than one YAML document",
            line,
            col,
            hint="Put one journey in each file and remove the extra `---`.",
        )
    )
    return doc


def _syntax_error(doc: Document, exc: yaml.MarkedYAMLError) -> Document:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    hint = None
    if "tab" in problem or "\\t" in problem:
        hint = "YAML does not allow tabs for indentation; use spaces."
    elif "mapping values are not allowed" in problem:
        hint = 'A value containing `: ` must be quoted, e.g. "Note: text".'
    elif "found undefined alias" in problem:
        hint = "Define the `&anchor` before using `*alias`."
    doc.diagnostics.append(
        _diag(doc.path, "yaml-syntax", f"invalid YAML: {problem}", line, col, hint=hint)
    )
    return doc
