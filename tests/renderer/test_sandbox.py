"""Templates and contact data are untrusted: every escape attempt fails safely,
quickly and without eating memory."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from journey.errors import RenderError
from journey.renderer import Renderer
from tests.renderer.conftest import make_contact

ESCAPES = [
    # attribute walks to Python internals
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ x.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ gettext.__globals__ }}",
    "{{ _.__globals__['__builtins__'] }}",
    "{{ contact.__class__ }}",
    "{{ contact._values }}",
    "{{ contact.first_name.__class__ }}",
    "{{ contact['__class__'] }}",
    "{{ now.__class__ }}",
    "{{ dict.mro() }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__dict__ }}",
    "{{ x|attr('__class__') }}",
    "{{ [x]|map(attribute='__class__')|first }}",
    "{{ [1, 2]|sort(attribute='__class__') }}",
    "{{ range.__self__ }}",
    # str.format / format_map tricks
    "{{ '{0.__class__}'.format(x) }}",
    "{{ '{0.__class__.__mro__}'.format(contact) }}",
    "{{ '{a.__class__}'.format_map({'a': x}) }}",
    "{{ x.format_map }}",
    "{% set f = ''.format %}{{ f('{0.__class__}', x) }}",
    "{{ ''['format']('{0.__class__}', x) }}",
    "{{ 'x'.translate({120: 'y' * 100000}) }}",
    # range, repetition and width bombs
    "{{ range(10**9)|list }}",
    "{{ 'a' * 10**9 }}",
    "{{ [0] * 10**9 }}",
    "{{ 10 ** (10 ** 6) }}",
    "{{ 2 ** 100000 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d' % (10**9, 1) }}",
    "{{ '%0999999999d'|format(1) }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'.zfill(10**9) }}",
    "{{ (1).to_bytes(10**9, 'big') }}",
    "{{ [1]|batch(10**9, 0)|list }}",
    "{{ range(10)|slice(10**9)|list }}",
    "{{ [[0] * 99999] * 99999|sum(start=[]) }}",
    "{% set a = 'x' * 400000 %}{{ a ~ a }}",
    "{% set a = 'x' * 400000 %}{{ a + a }}",
    "{% set a = 'x' * 100000 %}{{ a|replace('x', a) }}",
    "{% set a = 'x' * 100000 %}{{ a.replace('x', a) }}",
    "{% set a = 'x' * 100000 %}{{ [a] * 99999|join }}",
    "{% set a = 'x' * 100000 %}{{ ([a] * 99999)|join }}",
    "{% set a = 'x' * 100000 %}{{ ''.join([a] * 99999) }}",
    "{% set a = 'a\t' * 1000 %}{{ a.expandtabs(1000) }}",
    # CPU bombs
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in 'x' * 400000 %}{% for j in 'x' * 400000 %}{% endfor %}{% endfor %}",
    "{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% for x in [1] recursive %}{{ loop([1, 2]) }}{% endfor %}",
    "{% for i in range(99999) %}{{ 'x' * 99 }}{% endfor %}",
    "{{ lipsum(10**6) }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_attempt_fails_safely(renderer: Renderer, source: str) -> None:
    variables = {"x": "abc", "contact": make_contact("en_US")}
    started = time.perf_counter()
    with pytest.raises(RenderError):
        renderer.render_string(source, variables)
    assert time.perf_counter() - started < 1.5
    tracemalloc.start()
    try:
        with pytest.raises(RenderError):
            renderer.render_string(source, variables)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_escape_attempt_in_a_template_file_names_the_file(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "templates" / "evil").mkdir(parents=True)
    (root / "templates" / "evil" / "sms.txt").write_text("ok\n{{ ''.__class__.__mro__ }}\n")
    renderer = Renderer(root / "templates", root / "locales")
    with pytest.raises(RenderError, match=r"evil/sms\.txt:2: not allowed in templates"):
        renderer.render(
            template="evil",
            message="sms",
            contact=make_contact("en_US"),
            locales=["en"],
            context={},
            now=__import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC),
        )


def test_ordinary_template_features_still_work(renderer: Renderer) -> None:
    source = (
        "{% for item in items|sort %}{{ loop.index }}.{{ item|upper }} {% endfor %}"
        "{{ 'x' * 3 }} {{ 2 ** 10 }} {{ '%05.1f' % 3.14159 }} {{ '%s!'|format('hi') }}"
        "{{ ['a', 'b']|join(', ') }} {{ 'a-b'.replace('-', '+') }} {{ 'x'|center(5) }}|"
        "{{ {'k': 1}.k }} {{ (items|length) + 1 }}"
    )
    out = renderer.render_string(source, {"items": ["b", "a"]})
    assert out == "1.A 2.B xxx 1024 003.1 hi!a, b a+b   x  |1 3"
