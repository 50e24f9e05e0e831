"""Placeholders of translations against their msgid, as `msgfmt --check-format` checks them.

Jinja's `{% trans total=… %}…{{ total }}…{% endtrans %}` becomes the msgid
`… %(total)s …`, and the renderer fills the translation with Python's `%`
operator: a translator's `%(summe)s` raises KeyError for every contact of that
locale. For each translated entry whose msgid holds python-format placeholders
(or that is flagged `python-format`), a translation must use only the msgid's
names, with the same conversions, and be a well-formed format string; dropping
one of the msgid's names is allowed, as msgfmt allows it, but warned about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from journey.validator.suggest import did_you_mean, sentence

# %[(name)][flags][width][.precision]conversion, and %% for a literal percent sign
_SPEC = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>.?)")
_CONVERSIONS = frozenset("diouxXeEfFgGcrsa%")

MessageKey = tuple[str | None, str]


@dataclass(frozen=True, slots=True)
class PlaceholderProblem:
    """One translation whose placeholders do not fit its msgid; `line` is the msgstr's."""

    key: MessageKey
    line: int
    message: str
    hint: str | None = None
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class _Format:
    named: dict[str, str]  # name -> conversion
    positional: int
    bad: str | None  # the first malformed directive, if any


def parse_format(text: str) -> _Format:
    named: dict[str, str] = {}
    positional = 0
    for match in _SPEC.finditer(text):
        conv, name = match["conv"], match["name"]
        if conv not in _CONVERSIONS or not conv:
            return _Format(named, positional, match[0] or "%")
        if conv == "%" and name is None:
            continue
        if name is None:
            positional += 1
        else:
            named.setdefault(name, conv)
    return _Format(named, positional, None)


def uses_format(msgid: str, flags: set[str]) -> bool:
    if "no-python-format" in flags:
        return False
    return "python-format" in flags or "%(" in msgid


def check_entry(
    key: MessageKey, ids: list[str], strings: list[str], flags: set[str], line: int
) -> list[PlaceholderProblem]:
    """Problems of one catalog entry: `ids` the msgid (and msgid_plural), `strings` its forms."""
    if not uses_format(ids[0], flags):
        return []
    source = parse_format(" ".join(ids))
    if source.bad is not None:
        return []  # the msgid itself is not a format string: nothing to hold the translation to
    found: list[PlaceholderProblem] = []
    for string in strings:
        if not string:
            continue
        target = parse_format(string)
        if target.bad is not None:
            found.append(
                PlaceholderProblem(
                    key,
                    line,
                    f"the translation of “{ids[0]}” has a broken placeholder `{target.bad}`",
                    hint="Write a placeholder as in the msgid, e.g. `%(total)s`; a literal"
                    " percent sign is `%%`.",
                )
            )
            continue
        for name, conv in target.named.items():
            if name not in source.named:
                found.append(
                    PlaceholderProblem(
                        key,
                        line,
                        f"the translation of “{ids[0]}” uses `%({name}){conv}`, which the msgid"
                        " does not have",
                        hint=sentence(
                            did_you_mean(name, source.named),
                            "the msgid has "
                            + (", ".join(f"`%({n})s`" for n in source.named) or "no placeholders")
                            + ".",
                        ),
                    )
                )
            elif conv != source.named[name] and "s" not in (conv, source.named[name]):
                found.append(
                    PlaceholderProblem(
                        key,
                        line,
                        f"the translation of “{ids[0]}” formats `{name}` as `%{conv}`, the msgid"
                        f" as `%{source.named[name]}`",
                    )
                )
        if target.positional != source.positional:
            found.append(
                PlaceholderProblem(
                    key,
                    line,
                    f"the translation of “{ids[0]}” has {target.positional} unnamed"
                    f" placeholder(s), the msgid {source.positional}",
                )
            )
        missing = [n for n in source.named if n not in target.named]
        misspelt = any(name not in source.named for name in target.named)
        if missing and not misspelt and len(strings) == 1:
            found.append(
                PlaceholderProblem(
                    key,
                    line,
                    f"the translation of “{ids[0]}” leaves out "
                    + ", ".join(f"`%({n})s`" for n in missing),
                    hint="Readers of this locale will not see that value; keep the placeholder"
                    " unless leaving it out is meant.",
                    severity="warning",
                )
            )
    return found


def msgstr_line(lines: list[bytes], msgid_line: int) -> int:
    """The line of the msgstr that follows the msgid at `msgid_line` (1-based)."""
    for index in range(max(msgid_line - 1, 0), len(lines)):
        if lines[index].lstrip().startswith(b"msgstr"):
            return index + 1
    return msgid_line


def catalog_problems(catalog: Any, raw: bytes) -> tuple[PlaceholderProblem, ...]:
    """Every entry's problems in a Babel catalog read from `raw`."""
    lines = raw.splitlines()
    found: list[PlaceholderProblem] = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        plural = isinstance(message.id, (tuple, list))
        ids = [str(x) for x in message.id] if plural else [str(message.id)]
        raw_string = message.string or ""
        strings = [str(x) for x in raw_string] if plural else [str(raw_string)]
        key: MessageKey = (message.context, ids[0])
        line = msgstr_line(lines, int(message.lineno or 1))
        found += check_entry(key, ids, strings, set(message.flags), line)
    return tuple(found)
