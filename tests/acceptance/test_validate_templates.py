"""`journey validate` on broken templates and catalogs: located diagnostics, never exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli.main import cli

WORKSPACE = """\
default_locale: en
channels:
  email: { kind: outbox, message: email }
"""
JOURNEY = """\
id: {id}
name: Story
kind: onboarding
locales: [en, sv]
trigger: {{ event: signed_up }}
steps:
  - id: hello
    send: {{ channel: email, template: {template} }}
"""
PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: {plural_forms}\\n"

msgid "Hello"
msgstr "Hej"
"""


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    (tmp_path / "workspace.yaml").write_text(WORKSPACE)
    for journey_id, template in (("money", "t/money"), ("fine", "t/fine")):
        path = tmp_path / "journeys" / f"{journey_id}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(JOURNEY.format(id=journey_id, template=template))
        folder = tmp_path / "templates" / template
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("{{ _('Hello') }}\n")
        (folder / "body.txt").write_text("{{ _('Hello') }}\n")
        (folder / "body.html").write_text("<p>{{ _('Hello') }}</p>\n")
    (tmp_path / "templates" / "layouts").mkdir()
    write_po(tmp_path, "nplurals=2; plural=(n != 1);")
    return tmp_path


def write_po(root: Path, plural_forms: str) -> Path:
    path = root / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PO.format(plural_forms=plural_forms))
    return path


def validate(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "internal error" not in result.output
    return result.exit_code, result.output


def as_json(root: Path) -> list[dict[str, object]]:
    code, output = validate(root, "--format", "json")
    assert code == 1, output
    found: list[dict[str, object]] = json.loads(output)
    return found


def test_unknown_filter_is_located_with_a_suggestion_and_exits_1(root: Path) -> None:
    body = root / "templates" / "t" / "money" / "body.txt"
    body.write_text("Hello.\nYou saved {{ 12 | format_money }}.\n")
    (found,) = as_json(root)
    assert (found["code"], found["line"]) == ("unknown-template-filter", 2)
    assert str(found["path"]).endswith("templates/t/money/body.txt")
    assert "`format_money`" in str(found["message"])
    assert str(found["hint"]).startswith("did you mean `format_")


def test_an_unknown_filter_inside_an_if_is_found_too(root: Path) -> None:
    # Jinja itself only finds this one when the branch runs.
    body = root / "templates" / "t" / "money" / "body.txt"
    body.write_text("{% if contact.id %}\n{{ 1 | shout }}\n{% endif %}\n")
    (found,) = as_json(root)
    assert (found["code"], found["line"]) == ("unknown-template-filter", 2)


def test_unknown_filter_becomes_a_github_annotation(root: Path) -> None:
    (root / "templates" / "t" / "money" / "body.txt").write_text("{{ 12 | format_money }}\n")
    code, output = validate(root, "--format", "github")
    assert code == 1
    (line,) = output.splitlines()
    assert line.startswith("::error file=")
    assert "templates/t/money/body.txt,line=1,col=1,title=unknown-template-filter::" in line


def test_unknown_test_in_an_extended_layout_says_which_template_extends_it(root: Path) -> None:
    layout = root / "templates" / "layouts" / "base.html"
    layout.write_text(
        "<html>\n{% if contact is vip %}VIP{% endif %}{% block content %}{% endblock %}\n"
    )
    html = root / "templates" / "t" / "money" / "body.html"
    html.write_text('{% extends "layouts/base.html" %}\n{% block content %}Hi{% endblock %}\n')
    (found,) = as_json(root)
    assert (found["code"], found["line"]) == ("unknown-template-test", 2)
    assert str(found["path"]).endswith("templates/layouts/base.html")
    assert "extended by" in str(found["message"])
    assert "templates/t/money/body.html:1" in str(found["message"])


def test_syntax_error_in_an_included_template_says_which_template_includes_it(
    root: Path,
) -> None:
    (root / "templates" / "layouts" / "footer.txt").write_text("Bye\n{{ contact.id \n")
    body = root / "templates" / "t" / "money" / "body.txt"
    body.write_text('Hello\n\n{% include "layouts/footer.txt" %}\n')
    (found,) = as_json(root)
    assert (found["code"], found["line"]) == ("template-syntax", 2)
    assert str(found["path"]).endswith("templates/layouts/footer.txt")
    assert "included by" in str(found["message"])
    assert "templates/t/money/body.txt:3" in str(found["message"])


def test_a_binary_template_is_a_located_diagnostic(root: Path) -> None:
    (root / "templates" / "t" / "money" / "body.html").write_bytes(b"\x89PNG\r\n\x1a\n\xff\x00")
    (found,) = as_json(root)
    assert found["code"] == "template-syntax"
    assert str(found["path"]).endswith("templates/t/money/body.html")


def test_block_defined_twice_is_found_before_render(root: Path) -> None:
    html = root / "templates" / "t" / "money" / "body.html"
    html.write_text("{% block a %}{% endblock %}\n{% block a %}{% endblock %}\n")
    (found,) = as_json(root)
    assert (found["code"], found["line"]) == ("template-syntax", 2)


@pytest.mark.parametrize(
    ("plural_forms", "says"),
    [
        ("nplurals=x; plural=(n != 1);", "invalid literal"),
        ("nplurals=2; plural=n/0;", "fails for n=0"),
        ("nplurals=2; plural=n%0;", "fails for n=0"),
        ("nplurals=2; plural=n;", "gives form 2, but nplurals=2"),
        ("nplurals=2; plural=(n != 1", "bad Plural-Forms"),
    ],
)
def test_bad_plural_forms_header_is_a_catalog_error_at_its_line(
    root: Path, plural_forms: str, says: str
) -> None:
    write_po(root, plural_forms)
    found = as_json(root)
    assert {d["code"] for d in found} == {"catalog-error"}
    assert {d["line"] for d in found} == {4}
    assert all(says in str(d["message"]) for d in found), found


def test_python_in_a_plural_expression_is_refused_and_never_run(root: Path) -> None:
    marker = root / "pwned"
    write_po(root, f"nplurals=2; plural=__import__('os').system('touch {marker}');")
    found = as_json(root)
    assert {(d["code"], d["line"]) for d in found} == {("catalog-error", 4)}
    assert not marker.exists()


def test_catalog_in_an_unknown_charset_or_with_invalid_utf8_is_located(root: Path) -> None:
    path = write_po(root, "nplurals=2; plural=(n != 1);")
    path.write_bytes(path.read_bytes().replace(b"charset=utf-8", b"charset=klingon"))
    found = as_json(root)
    assert {(d["code"], d["line"]) for d in found} == {("catalog-error", 3)}
    path.write_bytes(
        path.read_bytes().replace(b"klingon", b"utf-8") + b'msgid "x"\nmsgstr "\xff"\n'
    )
    found = as_json(root)
    assert {(d["code"], d["line"]) for d in found} == {("catalog-error", 9)}


def test_no_locales_folder_is_a_missing_catalog_for_each_journey(root: Path) -> None:
    import shutil

    shutil.rmtree(root / "locales")
    found = as_json(root)
    assert {d["code"] for d in found} == {"missing-catalog"}
    assert {Path(str(d["path"])).name for d in found} == {"money.yaml", "fine.yaml"}


def test_undecodable_journey_yaml_is_located_and_the_other_file_still_checked(
    root: Path,
) -> None:
    (root / "journeys" / "money.yaml").write_bytes(b"id: money\nname: \xff\xfe\n")
    (root / "templates" / "t" / "fine" / "body.txt").write_text("{{ 1 | nope }}\n")
    codes = {(Path(str(d["path"])).name, d["code"]) for d in as_json(root)}
    assert ("money.yaml", "not-utf8") in codes
    assert ("body.txt", "unknown-template-filter") in codes
