"""A cloned workspace whose templates or catalogs link outside it: validate reports,
run, site and preview refuse, and the secret never reaches a message or a page."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.channels import read_outbox
from journey.cli.main import cli, main
from journey.errors import RenderError
from journey.model import Contact
from journey.renderer import Renderer
from tests.daemon.crash_harness import seed
from tests.workspace.outside_support import SECRET, attacked_workspace, link, welcome


def validate(root: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "validate", "--format", "json"])
    return result.exit_code, json.loads(result.output)


def outside(found: list[dict[str, object]]) -> list[dict[str, object]]:
    return [d for d in found if d["code"] == "file-outside-workspace"]


def test_template_symlinked_outside_workspace_is_reported_at_the_template_line(
    tmp_path: Path,
) -> None:
    root, secret = attacked_workspace(tmp_path)
    link(secret, welcome(root) / "body.txt")
    code, found = validate(root)
    assert code == 1
    [problem] = outside(found)
    assert str(problem["path"]).endswith("welcome-test.yaml")
    assert problem["line"] == 10 and problem["severity"] == "error"
    assert "templates/test/welcome/body.txt is a symbolic link" in str(problem["message"])


def test_symlinked_templates_folder_is_refused(tmp_path: Path) -> None:
    root, _ = attacked_workspace(tmp_path)
    real = tmp_path / "elsewhere"
    (root / "templates").rename(real)
    link(real, root / "templates")
    code, found = validate(root)
    assert code == 1
    assert {str(d["message"]).split(" ")[0] for d in outside(found)} == {"templates"}


def test_symlink_to_a_file_inside_the_workspace_is_refused_too(tmp_path: Path) -> None:
    root, _ = attacked_workspace(tmp_path)
    link(welcome(root) / "body.html", welcome(root) / "body.txt")
    code, found = validate(root)
    assert code == 1 and len(outside(found)) == 1


@pytest.mark.parametrize(
    "name", ["../../../daemon.env", "/etc/passwd", "test/../../../daemon.env", "layouts/../../x"]
)
def test_include_that_climbs_out_or_is_absolute_is_reported_at_its_line(
    tmp_path: Path, name: str
) -> None:
    root, _ = attacked_workspace(tmp_path)
    (welcome(root) / "body.txt").write_text("Hello.\n\n{% include " + repr(name) + " %}\n")
    code, found = validate(root)
    assert code == 1
    [problem] = outside(found)
    assert str(problem["path"]).endswith("templates/test/welcome/body.txt")
    assert problem["line"] == 3


def test_include_of_a_linked_layout_is_reported_at_the_include_line(tmp_path: Path) -> None:
    root, secret = attacked_workspace(tmp_path)
    link(secret, root / "templates" / "layouts" / "footer.txt")
    (welcome(root) / "body.txt").write_text("Hi\n{% include 'layouts/footer.txt' %}\n")
    _, found = validate(root)
    [problem] = outside(found)
    assert str(problem["path"]).endswith("body.txt") and problem["line"] == 2


def test_symlinked_catalog_is_reported_at_the_locale(tmp_path: Path) -> None:
    root, secret = attacked_workspace(tmp_path)
    journey = root / "journeys" / "welcome-test.yaml"
    journey.write_text(
        journey.read_text().replace("quiet_hours:", "locales: [en, sv]\nquiet_hours:")
    )
    link(secret, root / "locales" / "sv" / "LC_MESSAGES" / "messages.po")
    code, found = validate(root)
    assert code == 1
    [problem] = outside(found)
    assert problem["line"] == 6 and "messages.po is a symbolic link" in str(problem["message"])


def test_symlinked_journey_and_workspace_files_are_refused(tmp_path: Path) -> None:
    root, _ = attacked_workspace(tmp_path)
    real = tmp_path / "real.yaml"
    (root / "journeys" / "welcome-test.yaml").rename(real)
    link(real, root / "journeys" / "welcome-test.yaml")
    _, found = validate(root)
    assert [d["path"] for d in outside(found)] == [str(root / "journeys" / "welcome-test.yaml")]
    (root / "workspace.yaml").rename(tmp_path / "ws.yaml")
    link(tmp_path / "ws.yaml", root / "workspace.yaml")
    code, found = validate(root)
    assert code == 1 and str(root / "workspace.yaml") in {d["path"] for d in outside(found)}


def test_daemon_does_not_mail_a_linked_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, secret = attacked_workspace(tmp_path)
    link(secret, welcome(root) / "body.txt")
    seed(root, 3)
    with pytest.raises(SystemExit) as exited:
        main(["--workspace", str(root), "run", "--once", "--log-format", "json"])
    err = capsys.readouterr().err
    assert exited.value.code == 0
    assert "file-outside-workspace" in err
    outbox = root / "outbox.jsonl"
    assert not outbox.exists() or list(read_outbox(outbox)) == []
    assert "leaked-7f3a9c" not in err


def test_daemon_refuses_a_link_swapped_in_after_validation(tmp_path: Path) -> None:
    root, secret = attacked_workspace(tmp_path)
    renderer = Renderer(root / "templates", root / "locales")
    link(secret, welcome(root) / "body.txt")
    contact = Contact(id="c1", email="a@example.com", attributes={"first_name": "A"})
    with pytest.raises(RenderError, match="symbolic link") as refused:
        renderer.render(
            template="test/welcome",
            message="email",
            contact=contact,
            locales=["en"],
            context={},
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert SECRET not in str(refused.value)


def test_site_does_not_publish_a_linked_template(tmp_path: Path) -> None:
    root, secret = attacked_workspace(tmp_path)
    link(secret, welcome(root) / "subject.txt")
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["--workspace", str(root), "site", "--out", str(out)])
    assert result.exit_code == 0 and "1 problem(s) shown" in result.output, result.output
    pages = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    assert pages and not any("leaked-7f3a9c" in page for page in pages)
    assert any("file-outside-workspace" in page for page in pages)


def test_preview_refuses_a_linked_template(tmp_path: Path) -> None:
    root, secret = attacked_workspace(tmp_path)
    link(secret, welcome(root) / "body.html")
    contact = json.dumps({"id": "c1", "email": "a@example.com", "first_name": "A"})
    journey = str(root / "journeys" / "welcome-test.yaml")
    result = CliRunner().invoke(
        cli,
        ["--workspace", str(root), "preview", journey, "--step", "welcome", "--contact", contact],
    )
    assert result.exit_code != 0
    assert "leaked-7f3a9c" not in result.output
    assert "symbolic link" in result.output or "file-outside-workspace" in result.output


def test_the_example_workspace_has_no_link(tmp_path: Path) -> None:
    """The guarantee costs a legitimate workspace nothing: the repository's own validates."""
    root = Path(__file__).resolve().parents[2]
    assert not [p for p in (root / "templates").rglob("*") if os.path.islink(p)]
    code, found = validate(root)
    assert code == 0 and not outside(found)
