"""The render stage end to end: parts per channel, translations, escaping, errors."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from journey.errors import RenderError
from journey.model import Contact
from journey.renderer import Renderer
from tests.renderer.conftest import JOURNEY_LOCALES, LOCALES, NOW, TEMPLATES, context, make_contact


def render(
    renderer: Renderer, template: str, contact: Contact, message: str = "email", **kw: object
):  # type: ignore[no-untyped-def]
    return renderer.render(
        template=template,
        message=message,  # type: ignore[arg-type]
        contact=contact,
        locales=kw.pop("locales", JOURNEY_LOCALES),  # type: ignore[arg-type]
        context=context(),
        now=kw.pop("now", NOW),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_email_has_all_parts_in_the_negotiated_locale(renderer: Renderer) -> None:
    message = render(renderer, "welcome", make_contact("sv-SE"))
    assert message.locale == "sv"
    assert message.subject == "Välkommen, Astrid!"
    assert message.preheader == "Din provperiod har börjat"
    assert "Din provperiod slutar om 14 dagar." in message.text
    assert message.html is not None
    assert '<html lang="sv">' in message.html
    assert "Avsluta prenumerationen" in message.html  # from the layout it extends
    assert message.title is None


@pytest.mark.parametrize(
    ("locale", "points", "expected"),
    [
        ("en_US", 1, "You have 1 point."),
        ("en_US", 0, "You have 0 points."),
        ("en_US", 5, "You have 5 points."),
        ("sv_SE", 1, "Du har 1 poäng."),
        ("sv_SE", 2, "Du har 2 poäng totalt."),
        ("zh_CN", 1, "您有 1 积分。"),
        ("zh_CN", 7, "您有 7 积分。"),
    ],
)
def test_plural_forms_follow_each_locales_rules(
    renderer: Renderer, locale: str, points: int, expected: str
) -> None:
    message = render(renderer, "points", make_contact(locale, points=points), message="push")
    assert message.text == expected


def test_contact_html_is_escaped_in_html_but_not_in_text(renderer: Renderer) -> None:
    bio = '<script>alert("x")</script> & <b>bold</b>'
    message = render(renderer, "profile", make_contact("en_US", bio=bio))
    assert (
        message.html
        == "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    )
    assert message.text == bio


def test_translated_html_escapes_its_variables(renderer: Renderer) -> None:
    message = render(renderer, "welcome", make_contact("zh_CN", first_name="<i>A</i>"))
    assert message.html is not None
    assert "<h1>欢迎，&lt;i&gt;A&lt;/i&gt;！</h1>" in message.html
    assert message.subject == "欢迎，<i>A</i>！"  # plain text: not escaped


def test_subject_cannot_carry_a_header_line_from_contact_data(renderer: Renderer) -> None:
    message = render(
        renderer, "profile", make_contact("en_US", first_name="Eve\r\nBcc: all@x", bio="")
    )
    assert message.subject == "News for Eve Bcc: all@x"


def test_undefined_variable_names_the_template_file_and_line(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as caught:
        render(renderer, "broken", make_contact("en_US"))
    assert "broken/body.txt:3:" in str(caught.value)
    said = str(caught.value)  # Jinja's wording, with our name for the contact
    assert "'frist_name'" in said and "'contact'" in said
    assert "ContactView" not in said


def test_declared_but_missing_attribute_reads_as_none() -> None:
    renderer = Renderer(TEMPLATES, LOCALES, declared_attributes=["frist_name"])
    message = render(renderer, "broken", make_contact("en_US"))
    assert message.text == "Hello\n\n"  # none prints as nothing


def test_syntax_error_names_the_file_and_line(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match=r"syntax/body\.txt:\d+: template syntax error"):
        render(renderer, "syntax", make_contact("en_US"))


def test_missing_template_folder_is_a_render_error(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="does not exist"):
        render(renderer, "no/such/template", make_contact("en_US"))


def test_missing_catalog_is_an_error_not_a_silent_fallback(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="no catalog for locale 'de'"):
        render(renderer, "welcome", make_contact("de_DE"), locales=["en", "de"])


def test_fallback_locale_needs_no_catalog(renderer: Renderer) -> None:
    message = render(renderer, "welcome", make_contact("fr_FR"), locales=["fr", "sv"])
    assert message.locale == "fr"
    assert message.subject == "Welcome, Astrid!"  # source text
    assert message.format_locale == "fr_FR"


def test_broken_catalog_is_an_error(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    (locales / "sv" / "LC_MESSAGES" / "messages.po").write_text('msgid "a"\nmsgstr "b"\ngarbage\n')
    with pytest.raises(RenderError, match="malformed"):
        render(Renderer(TEMPLATES, locales), "welcome", make_contact("sv_SE"))


def test_fuzzy_entries_and_empty_plural_forms_render_the_source_text(renderer: Renderer) -> None:
    message = render(renderer, "fuzzy", make_contact("sv_SE"), message="sms")
    assert message.text == "Draft line|3 apples"


def test_locale_argument_overrides_the_contact(renderer: Renderer) -> None:
    message = render(renderer, "welcome", make_contact("en_US"), locale="zh_CN")
    assert message.locale == "zh_Hans"
    assert message.subject == "欢迎，Astrid！"


def test_naive_render_time_is_refused(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="timezone-aware"):
        render(renderer, "welcome", make_contact("en_US"), now=datetime(2026, 1, 1))


def test_render_string_does_not_escape_and_sees_the_contact(renderer: Renderer) -> None:
    contact = make_contact("en_US", first_name="<A&B>")
    out = renderer.render_string('{"name": "{{ contact.first_name }}"}', {"contact": contact})
    assert out == '{"name": "<A&B>"}'
    escaped = renderer.render_string(
        "{{ contact.first_name }}", {"contact": contact}, autoescape=True
    )
    assert escaped == "&lt;A&amp;B&gt;"


def test_render_string_undefined_is_an_error(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match=r"^<string>:1: .*'nope'"):
        renderer.render_string("{{ nope }}", {})


def test_templates_are_compiled_once(renderer: Renderer) -> None:
    render(renderer, "welcome", make_contact("en_US"))
    first = renderer.environment.get_template("welcome/body.html")
    render(renderer, "welcome", make_contact("sv_SE"))
    assert renderer.environment.get_template("welcome/body.html") is first


def test_a_declared_attribute_the_contact_lacks_prints_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "hello"
    folder.mkdir(parents=True)
    (folder / "sms.txt").write_text("Hi {{ contact.first_name }}!")
    renderer = Renderer(tmp_path / "templates", LOCALES)
    contact = Contact(id="c1", attributes={"first_name": None})
    message = renderer.render(
        template="hello", message="sms", contact=contact, locales=["en"], context={}, now=NOW
    )
    assert message.text == "Hi !"
