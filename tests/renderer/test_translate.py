"""Our gettext callables behave exactly like Jinja's newstyle ones: same output,
same escaping, for every form a template can use."""

from __future__ import annotations

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from journey.renderer.environment import build_environment

TEMPLATES = [
    "{% trans %}Hello{% endtrans %}",
    "{% trans name=who %}Hello {{ name }}{% endtrans %}",
    "{% trans %}100%% sure{% endtrans %}",
    "{% trans count=n %}{{ count }} apple{% pluralize %}{{ count }} apples{% endtrans %}",
    "{% trans count=n, name=who %}{{ name }}: {{ count }}{% pluralize %}{{ name }}: {{ count }}s"
    "{% endtrans %}",
    '{{ gettext("Hi %(name)s", name=who) }}',
    '{{ _("Hi %(name)s", name=who) }}',
    '{{ ngettext("%(num)s dog", "%(num)s dogs", n) }}',
    '{{ pgettext("menu", "Open %(x)s", x=who) }}',
    '{{ npgettext("cart", "%(num)s item", "%(num)s items", n) }}',
    '{% trans "button" %}Go{% endtrans %}',
    '{% trans "cart" count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}',
    "{% for i in [1, 2] %}{% trans i=i %}row {{ i }}{% endtrans %}{% endfor %}",
    "{% set who = 'inner <b>' %}{% trans name=who %}Hi {{ name }}{% endtrans %}",
    # `gettext` and `_` call whatever the name means where they are called
    '{% macro gettext(m) %}[{{ m }}]{% endmacro %}{{ gettext("Hi") }} {{ _("Hi") }}',
    '{% macro m(x) %}<{{ x }}>{% endmacro %}{% block b %}{% set gettext = m %}{{ _("Hi") }}'
    "{% endblock %}",
    '{% macro m(x) %}<{{ x }}>{% endmacro %}{% for gettext in [m] %}{{ _("Hi") }}{% endfor %}',
    '{% for i in [1, 2] %}{{ _("Hi") }}{{ gettext("Hi %(name)s", name=who) }}{% endfor %}',
    '{% block b %}{% set x = 1 %}{{ _("Hi") }}{% trans %}Yo{% endtrans %}{% endblock %}',
]


def _jinja(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        extensions=["jinja2.ext.i18n"], undefined=StrictUndefined, autoescape=autoescape
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("n", [1, 3])
def test_same_output_as_jinjas_newstyle_gettext(source: str, autoescape: bool, n: int) -> None:
    ours = build_environment(None)
    ours.autoescape = autoescape
    variables = {"who": "<Ann & Bo>", "n": n}
    expected = _jinja(autoescape).from_string(source).render(variables)
    assert ours.from_string(source).render(variables) == expected


def test_html_escapes_the_variables_not_the_copy() -> None:
    env = build_environment(None)
    env.autoescape = True
    html = env.from_string("{% trans name=who %}<b>Hi</b> {{ name }}{% endtrans %}").render(
        who="<script>"
    )
    assert html == "<b>Hi</b> &lt;script&gt;"
