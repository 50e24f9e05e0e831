"""Every render and every expression evaluation runs under one budget: a bomb fails
that one message or evaluation fast, in bounded memory, saying it is over budget,
and the next contact is rendered as if nothing happened."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.errors import ExpressionError, RenderError
from journey.expressions import compile_expression
from journey.model import Contact
from journey.renderer import Renderer

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MEMORY_BOUND = 100_000_000  # bytes a failing bomb may allocate at its peak

TEMPLATE_BOMBS = {
    "nested list product": "{{ [[0] * 99999] * 99999 }}",
    "nested literals": (
        "{% set a = 'x' * 10000 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c] %}{{ d }}"
    ),
    "pprint of a big value": "{% set a = [[0] * 999] * 99 %}{{ a|pprint }}",
    "tojson indent": "{{ range(99999)|list|tojson(indent=999) }}",
    "repeated forceescape": "{{ ('&' * 400000)|forceescape|forceescape|forceescape }}",
    "repeated escape through string": "{{ ('<' * 100000)|e|string|forceescape|forceescape }}",
    "big integer squaring": "{% set n = 7 ** 1400 %}{% set n = n * n %}{{ n * n }}",
    "squaring in a loop": (
        "{% set ns = namespace(n=3) %}{% for i in range(40) %}"
        "{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n > 1 }}"
    ),
    "block set in a loop": (
        "{% set a = 'x' * 400000 %}{% set b %}{% for i in range(99999) %}{{ a }}"
        "{% endfor %}{% endset %}{{ b|length }}"
    ),
    "macro doubling": (
        "{% macro m(s) %}{{ s }}{{ s }}{% endmacro %}{% set a = 'x' * 300000 %}{{ m(m(a)) }}"
    ),
    "printf with a mapping": "{% set a = 'x' * 400000 %}{{ ('%(a)s' * 1000) % {'a': a} }}",
    "printf width": "{{ '%0300000000d' % 1 }}",
    "printf star width": "{{ '%*d' % (300000000, 1) }}",
    "trans variables": (
        "{% set a = 'x' * 400000 %}{% trans a=a %}{{ a }}{{ a }}{{ a }}{% endtrans %}"
    ),
    "indent per line": "{{ ('x\n' * 200000)|indent(1000) }}",
    "wordwrap string": "{{ ('x ' * 200000)|wordwrap(1, wrapstring='y' * 1000) }}",
    "urlize target": "{{ ('http://a.bc ' * 40000)|urlize(target='t' * 1000) }}",
    "int of a long string": "{{ ('9' * 400000)|int }}",
    "hex int of a long string": "{{ ('f' * 400000)|int(base=16) * 2 }}",
    "concatenation": "{% set a = 'x' * 400000 %}{{ a ~ a ~ a ~ a }}",
    "bytes repetition": "{{ ('x' * 400000).encode() * 1000 }}",
    "bytes addition": "{% set b = ('x' * 400000).encode() %}{{ b + b }}",
    "list addition": "{% set a = ['x' * 400000] %}{{ a + a + a }}",
    "join": "{{ (['x' * 1000] * 1000)|join(',') }}",
    "join separator": "{{ ([''] * 99999)|join('x' * 1000) }}",
    "replace": "{% set a = 'x' * 100000 %}{{ a|replace('x', a) }}",
    "batch": "{{ [1]|batch(10**9, 0)|list }}",
    "range": "{{ range(10**30)|list }}",
    "nested loops": (
        "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}"
    ),
    "output": "{% set a = 'x' * 400000 %}{% for i in range(99) %}{{ a }}{% endfor %}",
}

EXPRESSION_BOMBS = {
    "printf width": "('%0300000000d' % 1) | length > 0",
    "printf with a mapping": "(('%(a)s' * 1000) % {'a': 'x' * 400000}) | length > 0",
    "nested list product": "([[0] * 99999] * 99999) | length > 0",
    "big integer product": "(7 ** 1400) * (7 ** 1400) > 0",
    "center": "'x'|center(10**9)|length > 0",
    "repeated forceescape": "('&' * 400000)|forceescape|forceescape|length > 0",
    "tojson indent": "range(99999)|list|tojson(indent=999)|length > 0",
    "pprint": "([[0] * 999] * 99)|pprint|length > 0",
    "int of a long string": "('9' * 400000)|int > 0",
    "concatenation": "('x' * 400000 ~ 'x' * 400000)|length > 0",
    "range": "range(10**9)|list|length > 0",
}


def _peak_while(action: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        action()
    except (RenderError, ExpressionError):
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    root = tmp_path_factory.mktemp("workspace")
    (root / "templates" / "offer").mkdir(parents=True)
    (root / "templates" / "offer" / "sms.txt").write_text(
        "Hi {{ contact.first_name }}, {{ '%0' ~ contact.width ~ 'd' }}{{ ('%0' ~ contact.width"
        " ~ 'd') % 7 }}\n",
        encoding="utf-8",
    )
    return Renderer(root / "templates", root / "locales", declared_attributes=["width"])


def _contact(contact_id: str, width: int) -> Contact:
    return Contact(
        id=contact_id,
        phone="+46701234567",
        consent={"sms": True},
        attributes={"first_name": contact_id, "width": width},
    )


@pytest.mark.parametrize("source", TEMPLATE_BOMBS.values(), ids=TEMPLATE_BOMBS.keys())
def test_template_bomb_fails_with_the_budget_reason_in_bounded_memory(
    renderer: Renderer, source: str
) -> None:
    with pytest.raises(RenderError, match=r"<string>(:\d+)?: over budget: "):
        renderer.render_string(source, {})
    assert _peak_while(lambda: renderer.render_string(source, {})) < MEMORY_BOUND


@pytest.mark.parametrize("source", EXPRESSION_BOMBS.values(), ids=EXPRESSION_BOMBS.keys())
def test_expression_bomb_fails_with_the_budget_reason_in_bounded_memory(source: str) -> None:
    expression = compile_expression(source)
    with pytest.raises(ExpressionError, match="over budget: "):
        expression.evaluate({"contact": {}})
    assert _peak_while(lambda: expression.evaluate({"contact": {}})) < MEMORY_BOUND


def test_a_slow_template_stops_at_the_deadline(renderer: Renderer) -> None:
    # Each iteration is cheap in work units but sorts 100,000 items: only the clock stops it.
    source = (
        "{% set a = range(100000)|reverse|list %}"
        "{% for i in range(5000) %}{{ (a|sort)[0] }}{% endfor %}"
    )
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"over budget: still running after 1 s"):
        renderer.render_string(source, {})
    assert time.monotonic() - started < 10


def test_the_next_contact_renders_after_a_bomb(renderer: Renderer) -> None:
    def render(contact: Contact) -> str:
        return renderer.render(
            template="offer", message="sms", contact=contact, locales=["en"], context={}, now=NOW
        ).text

    assert render(_contact("ann", 3)) == "Hi ann, %03d007"
    with pytest.raises(RenderError, match=r"offer/sms\.txt:1: over budget: the format width"):
        render(_contact("bob", 300000000))
    assert render(_contact("cid", 4)) == "Hi cid, %04d0007"


def test_ordinary_values_within_the_limits_still_work(renderer: Renderer) -> None:
    source = (
        "{{ (range(100000)|list)|length }} {{ ('x' * 400000)|length }} {{ (2 ** 4000) > 1 }}"
        " {{ [1, [2, 3]]|pprint }} {{ {'a': [1]}|tojson(indent=2)|length }}"
        " {{ '%5.1f|%-4s|%(x)s'|length }} {{ ('a,b' ~ ',c')|replace(',', '; ') }}"
        " {{ 'x'|center(7) }}|{{ ('9' * 1000)|int > 0 }}"
    )
    out = renderer.render_string(source, {})
    assert out == "100000 400000 True [1, [2, 3]] 22 16 a; b; c    x   |True"


# ------------------------------------------------------------ generated bombs


def _sizes() -> st.SearchStrategy[int]:
    return st.sampled_from([1, 2, 3, 10, 99, 1000, 9999, 99999, 400000, 10**6, 10**9])


def _strings(lists: st.SearchStrategy[str], ints: st.SearchStrategy[str]) -> Any:
    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        n = _sizes()
        return st.one_of(
            st.builds("({} * {})".format, inner, n),
            st.builds("({} ~ {})".format, inner, inner),
            st.builds("({}|center({}))".format, inner, n),
            st.builds("({}|indent({}))".format, inner, n),
            st.builds("({}|forceescape)".format, inner),
            st.builds("({}|replace('x', {}))".format, inner, inner),
            st.builds("({}|wordwrap({}, wrapstring={}))".format, inner, n, inner),
            st.builds("(('%(a)s' * {}) % {{'a': {}}})".format, n, inner),
            st.builds("('%0{}d' % 1)".format, n),
            st.builds("({}|join({}))".format, lists, inner),
            st.builds("({}|pprint)".format, lists),
            st.builds("({}|tojson(indent={}))".format, lists, st.sampled_from([1, 4, 99, 999])),
            st.builds("({}|string)".format, st.one_of(lists, ints)),
        )

    return st.recursive(st.sampled_from(["'x'", "'x<&'", "'a b-c\\n'"]), grow, max_leaves=4)


def _lists(strings: Any, ints: st.SearchStrategy[str]) -> Any:
    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        n = _sizes()
        return st.one_of(
            st.builds("({} * {})".format, inner, n),
            st.builds("({} + {})".format, inner, inner),
            st.builds("[{0}, {0}, {0}, {0}]".format, inner),
            st.builds("({}|batch({})|list)".format, inner, n),
            st.builds("({}|slice({})|list)".format, inner, n),
            st.builds("[{}, {}]".format, strings, ints),
        )

    leaves = st.one_of(st.just("[0]"), st.builds("(range({})|list)".format, _sizes()))
    return st.recursive(leaves, grow, max_leaves=4)


def _ints() -> Any:
    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds("({} * {})".format, inner, inner),
            st.builds("({} + {})".format, inner, inner),
            st.builds("({} ** {})".format, inner, st.sampled_from([2, 3, 64, 1400, 10**6])),
        )

    return st.recursive(st.sampled_from(["7", "(7 ** 1400)", "(('9' * 1200)|int)"]), grow)


def _values() -> st.SearchStrategy[str]:
    ints = _ints()
    strings = st.deferred(lambda: _strings(lists, ints))
    lists = st.deferred(lambda: _lists(strings, ints))
    return st.one_of(strings, lists, ints)


VALUES = _values()


def _shapes(value: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            f"{{{{ {value} }}}}",
            f"{{{{ ({value})|string|length }}}}",
            f"{{% for i in range(999) %}}{{{{ {value} }}}}{{% endfor %}}",
            f"{{% set b %}}{{% for i in range(999) %}}{{{{ {value} }}}}{{% endfor %}}"
            "{% endset %}{{ b|length }}",
            f"{{% macro m() %}}{{{{ {value} }}}}{{{{ {value} }}}}{{% endmacro %}}"
            "{{ m() ~ m() }}",
        ]
    )


GENERATED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@GENERATED
@given(VALUES.flatmap(_shapes))
def test_generated_template_renders_within_budget_or_fails_with_its_reason(
    renderer: Renderer, source: str
) -> None:
    started = time.monotonic()
    tracemalloc.start()
    try:
        out = renderer.render_string(source, {})
        assert len(out) <= 1_000_000
    except RenderError as exc:
        assert "over budget: " in str(exc)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_BOUND
    assert time.monotonic() - started < 5


@GENERATED
@given(VALUES)
def test_generated_expression_evaluates_within_budget_or_fails_with_its_reason(
    value: str,
) -> None:
    started = time.monotonic()
    tracemalloc.start()
    try:
        result = compile_expression(f"({value})|string|length > 0").evaluate({})
        assert result is True
    except ExpressionError as exc:
        assert "over budget: " in str(exc)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_BOUND
    assert time.monotonic() - started < 5


def test_validation_does_not_evaluate_an_expression_bomb() -> None:
    started = time.monotonic()
    compile_expression("('%0300000000d' % 1) | length > 0 and 'x'|center(1000000000)")
    assert time.monotonic() - started < 5
