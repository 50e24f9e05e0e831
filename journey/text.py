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
