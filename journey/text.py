"""What text the project accepts: one rule for the ingest door and for the send-time check.

A lone surrogate (JSON `"\\ud800"`) cannot be written as UTF-8, so it breaks
whatever file or socket it reaches; a C0/C1 control or a line separator in a
header opens header injection; NUL ends strings in C code downstream. Free
text (attribute values, bodies) may hold tab, newline and carriage return;
single-line text (ids, keys, addresses, subjects, header values) holds none.
"""

from __future__ import annotations

import re

# Surrogates, C0 controls but tab/LF/CR, DEL, C1 controls.
_FREE_TEXT_BAD = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The above plus tab, LF, CR and the Unicode line/paragraph separators.
_ONE_LINE_BAD = re.compile(r"[\ud800-\udfff\x00-\x1f\x7f-\x9f\u2028\u2029]")


# What the free-text rule refuses among the characters UTF-8 writes as one byte; the C1
# controls (U+0080-U+009F) are written 0xC2 0x80-0x9F, surrogates not at all.
_FREE_TEXT_BAD_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# Below this many characters the regex answers sooner than encoding does.
_LONG_TEXT = 64


def text_clean(value: str, *, one_line: bool) -> bool:
    """Whether `text_problem(value, one_line=...)` is None, answered sooner: a body is
    checked at every send, and encoding it and deleting the refused bytes (tight C
    loops) takes a quarter of the regex's time on a long ASCII body."""
    if one_line:
        # every character the rule refuses is one `isprintable` refuses (Cc, Cs, Zl, Zp)
        return value.isprintable() or _ONE_LINE_BAD.search(value) is None
    if len(value) < _LONG_TEXT:
        return _FREE_TEXT_BAD.search(value) is None
    return _long_free_text_clean(value)


def _long_free_text_clean(value: str) -> bool:
    try:
        data = value.encode()
    except UnicodeEncodeError:  # a lone surrogate: refused
        return False
    if b"\xc2" in data:  # U+0080-U+00BF, the C1 controls among them: the regex decides
        return _FREE_TEXT_BAD.search(value) is None
    return len(data.translate(None, _FREE_TEXT_BAD_BYTES)) == len(data)


def text_problem(value: str, *, one_line: bool) -> str | None:
    """Why `value` may not be stored or sent, or None when it may."""
    found = (_ONE_LINE_BAD if one_line else _FREE_TEXT_BAD).search(value)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return f"holds a lone surrogate ({code}), which is not valid Unicode text"
    if one_line and char in "\t\n\r\u2028\u2029":
        return f"must be one line (it holds {code})"
    return f"holds the control character {code}"


def visible(value: str, *, limit: int = 60) -> str:
    """`value` for an error message: at most `limit` characters, bad ones as `\\uXXXX`.

    A message that echoed a lone surrogate would itself fail to print.
    """
    short = value if len(value) <= limit else value[: limit - 3] + "..."
    return _ONE_LINE_BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", short)
