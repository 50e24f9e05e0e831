"""`text_clean` answers what `text_problem` answers, for every character, short and long."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.text import text_clean, text_problem

# Every character of the BMP (the controls, separators, surrogates and the C1 block are all
# there) and every 97th beyond it: UTF-8 writes those as bytes 0x80 and above only.
CHARACTERS = [chr(code) for code in (*range(0x10000), *range(0x10000, 0x110000, 97))]
LONG = "<p>Hej Åsa, a body long enough for the byte path</p>\n\t" * 2


@pytest.mark.parametrize("one_line", [True, False])
@pytest.mark.parametrize("around", ["", LONG, LONG + "\u00a0"], ids=["short", "long", "long-c2"])
def test_each_character_is_judged_as_text_problem_judges_it(one_line: bool, around: str) -> None:
    wrong = [
        f"U+{ord(char):04X}"
        for char in CHARACTERS
        if text_clean(around + char, one_line=one_line)
        != (text_problem(around + char, one_line=one_line) is None)
    ]
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(
        alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
        max_size=200,
    ),
    one_line=st.booleans(),
)
def test_any_text_is_judged_as_text_problem_judges_it(value: str, one_line: bool) -> None:
    assert text_clean(value, one_line=one_line) == (text_problem(value, one_line=one_line) is None)
