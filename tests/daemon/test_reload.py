"""Hot reload: broken journeys keep their last good plan; in-flight contacts follow on_change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.daemon.conftest import DaemonHarness
from tests.daemon.workspace_factory import make_workspace, write_journey

JOURNEY_FILE = "journeys/welcome-test.yaml"


def _in_flight(harness: DaemonHarness) -> None:
    harness.signup(3)
    harness.run_for(0)  # welcome sent; everyone waits in `pause`


def test_a_broken_journey_is_reported_and_its_last_good_plan_keeps_running(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    write_journey(root, journey_id="other", wait="1h")
    harness = harness_factory(root)
    _in_flight(harness)
    (root / JOURNEY_FILE).write_text("id: welcome-test\nsteps: [oops\n")
    report = harness.daemon.reload("test")
    assert report.kept == ["welcome-test"]
    assert str(root / JOURNEY_FILE) in report.broken
    assert harness.logs("invalid")
    assert set(harness.daemon.runner.plans) == {"welcome-test", "other"}
    harness.run_for(3600, step=600)
    counts = harness.store.journey_counts("welcome-test")
    assert counts.exited == {"completed": 3}


def test_in_flight_contacts_keep_their_plan_version_by_default(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    harness = harness_factory(root)
    _in_flight(harness)
    old_hash = harness.daemon.runner.plans["welcome-test"].plan_hash
    write_journey(root, wait="2h")  # a new version
    report = harness.daemon.reload("test")
    assert report.changed == ["welcome-test"]
    assert harness.daemon.runner.plans["welcome-test"].plan_hash != old_hash
    harness.run_for(3600, step=600)
    # Still on the 1h version: they completed after one hour.
    assert harness.store.journey_counts("welcome-test").exited == {"completed": 3}


def test_on_change_migrate_moves_contacts_to_the_same_step_of_the_new_version(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    harness = harness_factory(root)
    _in_flight(harness)
    write_journey(root, wait="1h", on_change="migrate")
    (root / JOURNEY_FILE).write_text(
        (root / JOURNEY_FILE)
        .read_text()
        .replace("template: test/followup", "template: test/welcome")
    )
    harness.daemon.reload("test")
    new_hash = harness.daemon.runner.plans["welcome-test"].plan_hash
    active = harness.store.active_enrollments_in("welcome-test", 10)
    assert {e.plan_hash for e in active} == {new_hash}
    assert {e.step_id for e in active} == {"pause"}
    assert harness.logs("migrated")


def test_on_change_migrate_exits_contacts_whose_step_is_gone(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    harness = harness_factory(root)
    _in_flight(harness)
    text = write_journey(root, on_change="migrate").read_text()
    (root / JOURNEY_FILE).write_text(text.replace("id: pause", "id: breather"))
    harness.daemon.reload("test")
    assert harness.store.journey_counts("welcome-test").exited == {"step_removed": 3}


def test_a_journey_removed_from_disk_exits_its_contacts(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    harness = harness_factory(root)
    _in_flight(harness)
    (root / JOURNEY_FILE).unlink()
    assert harness.daemon.catalog.changed_on_disk()
    harness.daemon.poll_reload()
    assert harness.store.journey_counts("welcome-test").exited == {"journey_removed": 3}
    assert len(harness.logs("exited")) == 3


def test_archiving_a_journey_exits_its_contacts(
    tmp_path: Path, harness_factory: Callable[[Path], DaemonHarness]
) -> None:
    root = make_workspace(tmp_path / "ws", wait="1h")
    harness = harness_factory(root)
    _in_flight(harness)
    path = root / JOURNEY_FILE
    path.write_text(
        path.read_text().replace("kind: onboarding", "kind: onboarding\nstatus: archived")
    )
    harness.daemon.reload("test")
    assert harness.store.journey_counts("welcome-test").exited == {"archived": 3}
