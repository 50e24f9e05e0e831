"""Copy a Renderer keeps between renders (journey.renderer.translate `printed`):
every contact still gets the text of its own locale, name and catalog version,
and the work budget still counts every call."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from journey.errors import RenderError
from journey.renderer import Renderer
from tests.renderer.conftest import JOURNEY_LOCALES, LOCALES, NOW, TEMPLATES, context, make_contact


def _render(renderer: Renderer, locale: str, **attributes: object):  # type: ignore[no-untyped-def]
    return renderer.render(
        template="welcome",
        message="email",
        contact=make_contact(locale, **attributes),
        locales=JOURNEY_LOCALES,
        context=context(),
        now=NOW,
    )


def test_each_locale_prints_its_own_copy() -> None:
    shared = Renderer(TEMPLATES, LOCALES)
    for locale in ("en_US", "sv_SE", "zh_CN", "en_US", "sv_SE", "zh_CN"):
        fresh = _render(Renderer(TEMPLATES, LOCALES), locale)
        assert _render(shared, locale) == fresh
    assert _render(shared, "sv_SE").preheader == "Din provperiod har börjat"
    assert _render(shared, "en_US").preheader == "Your trial has started"


def test_each_contact_prints_its_own_name() -> None:
    shared = Renderer(TEMPLATES, LOCALES)
    for name in ("Astrid", "Bo", "<b>Cy</b>", "Astrid"):
        message = _render(shared, "sv_SE", first_name=name)
        assert message.subject == f"Välkommen, {name}!"
        assert message == _render(Renderer(TEMPLATES, LOCALES), "sv_SE", first_name=name)
    html = _render(shared, "sv_SE", first_name="<b>Cy</b>").html
    assert html is not None
    assert "Välkommen, &lt;b&gt;Cy&lt;/b&gt;!" in html


def test_reload_prints_the_changed_catalog(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    shutil.copytree(LOCALES, tmp_path / "locales")
    renderer = Renderer(tmp_path / "templates", tmp_path / "locales")
    assert _render(renderer, "sv_SE").preheader == "Din provperiod har börjat"
    catalog = tmp_path / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    catalog.write_text(
        catalog.read_text().replace("Din provperiod har börjat", "Provperioden har börjat")
    )
    renderer.reload()
    assert _render(renderer, "sv_SE").preheader == "Provperioden har börjat"


def test_every_trans_is_charged_as_a_call(tmp_path: Path) -> None:
    """`{% trans %}` and `_()` print through the code generator's own call
    (JourneySandbox.call_copy): kept copy or not, each still costs a call."""
    renderer = Renderer(tmp_path, LOCALES)
    for source in (
        "{% for i in range(30000) %}{% trans %}Hi{% endtrans %}{% endfor %}",
        '{% for i in range(30000) %}{{ _("Hi") }}{% endfor %}',
        "{% for i in range(30000) %}{% trans n='x' %}Hi {{ n }}{% endtrans %}{% endfor %}",
    ):
        with pytest.raises(RenderError, match="too much work"):
            renderer.render_string(source, {})
        assert renderer.render_string(source.replace("30000", "3"), {}).startswith("Hi")
