"""A journey whose template cannot compile is left out, alone; the daemon logs why as JSON."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace, write_journey


def _journey_with_own_template(root: Path, journey_id: str, folder: str) -> Path:
    path = write_journey(root, journey_id=journey_id, wait="1h")
    path.write_text(path.read_text().replace("template: test/welcome", f"template: {folder}"))
    shutil.copytree(root / "templates" / "test" / "welcome", root / "templates" / folder)
    return root / "templates" / folder


def _diagnostics(harness: DaemonHarness) -> list[dict[str, object]]:
    return [json.loads(line) for line in harness.logs("diagnostic")]


def test_a_journey_with_an_unknown_filter_is_not_loaded_and_the_others_run(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    folder = _journey_with_own_template(root, "money", "money/welcome")
    (folder / "body.txt").write_text("Hello.\nYou saved {{ 3 | format_money }}.\n")
    harness = harness_factory(root)
    assert set(harness.daemon.runner.plans) == {"welcome-test"}
    (found,) = _diagnostics(harness)
    assert found["code"] == "unknown-template-filter"
    assert str(found["path"]).endswith("templates/money/welcome/body.txt")
    assert found["line"] == 2
    assert "format_" in str(found["hint"])
    harness.signup(2)
    harness.run_for(0)
    assert harness.store.journey_counts("welcome-test").entered == 2


def test_a_template_broken_on_hot_reload_keeps_the_last_good_plan(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    folder = _journey_with_own_template(root, "money", "money/welcome")
    harness = harness_factory(root)
    assert set(harness.daemon.runner.plans) == {"welcome-test", "money"}
    (folder / "subject.txt").write_text("{% if contact is vip %}Hi{% endif %}\n")
    report = harness.daemon.reload("test")
    assert report.kept == ["money"]
    assert set(harness.daemon.runner.plans) == {"welcome-test", "money"}
    (found,) = _diagnostics(harness)
    assert (found["code"], found["line"]) == ("unknown-template-test", 1)
    assert str(found["path"]).endswith("money/welcome/subject.txt")
