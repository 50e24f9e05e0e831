"""What comes in is held against workspace.yaml's declarations, at every door, one item at a time.

A marketer declares `events:` and `contact_attributes:`; a producer that sends
`"score": "ten"` for a number, or an event nobody declared, hears about it at
once, for that item alone, instead of a contact failing at send time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from journey.cli.main import cli
from journey.store.sqlite import SQLiteStore
from tests.daemon.live_daemon import live_daemon
from tests.daemon.test_metrics_live import scrape, value
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import free_port

DECLARATIONS = """
contact_attributes: { age: number, plan: string, first_name: string }
events:
  signed_up: { plan: string }
  survey_completed: { score: number, reason: string }
"""


def workspace(tmp_path: Path, extra: str = "") -> Path:
    root = make_workspace(tmp_path / "ws")
    config = root / "workspace.yaml"
    config.write_text(config.read_text() + DECLARATIONS + extra)
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def jsonl(path: Path, *records: dict[str, Any]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def event(event_id: str, name: str, **properties: Any) -> dict[str, Any]:
    return {"id": event_id, "name": name, "contact_id": "c1", "properties": properties}


def stored_event_ids(root: Path) -> set[str]:
    store = SQLiteStore(root / "state.db")
    try:
        return store.known_event_ids([f"e{n}" for n in range(1, 10)])
    finally:
        store.close()


def test_ingest_refuses_undeclared_events_and_wrong_types_line_by_line(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    file = jsonl(
        tmp_path / "events.jsonl",
        event("e1", "signed_up", plan="pro"),
        event("e2", "survey_complete", score=9),
        event("e3", "survey_completed", score="ten"),
        event("e4", "journey.opened", delivery_key="k"),
        event("e5", "survey_completed", score=9, reason="fast", extra="kept"),
        {"id": "e6", "name": "signed up", "contact_id": "c1"},
    )

    code, out, err = run(root, "ingest", file)

    assert code == 1
    assert "events.jsonl:2: error: event `survey_complete` is not declared" in err
    assert "Did you mean `survey_completed`" in err
    assert "events.jsonl:3: error: `properties.score` of `survey_completed` is declared" in err
    assert "number but is a string" in err
    assert 'events.jsonl:6: error: `name` "signed up" has a space' in err
    assert "3 of 6 lines accepted" in out
    assert stored_event_ids(root) == {"e1", "e4", "e5"}


def test_a_workspace_can_keep_what_is_off_its_declarations_and_is_told_so(tmp_path: Path) -> None:
    root = workspace(tmp_path, "intake: { undeclared_events: keep, wrong_types: keep }\n")
    file = jsonl(
        tmp_path / "events.jsonl",
        event("e1", "page_viewed"),
        event("e2", "survey_completed", score="ten"),
    )

    code, out, _ = run(root, "ingest", file)

    assert code == 0, out
    assert "2 kept though off the declarations (intake: keep)" in out
    assert stored_event_ids(root) == {"e1", "e2"}


def test_without_an_events_declaration_every_event_name_passes(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    code, out, err = run(root, "ingest", jsonl(tmp_path / "e.jsonl", event("e1", "anything")))
    assert (code, err) == (0, ""), out


def test_contacts_import_refuses_an_attribute_of_the_wrong_type_alone(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    file = jsonl(
        tmp_path / "contacts.jsonl",
        {"id": "c1", "age": 41, "nickname": "undeclared attributes are fine"},
        {"id": "c2", "age": "forty"},
        {"id": "c3", "plan": None},
    )

    code, out, err = run(root, "contacts", "import", file)

    assert code == 1
    assert "contacts.jsonl:2: error: `age` is declared number in contact_attributes" in err
    assert "2 created" in out
    store = SQLiteStore(root / "state.db")
    try:
        assert store.get_contact("c2") is None
        stored = store.get_contact("c1")
        assert stored is not None and stored.attributes["age"] == 41
    finally:
        store.close()


def test_the_api_refuses_per_item_and_counts_every_refusal_in_the_metrics(tmp_path: Path) -> None:
    port = free_port()
    root = workspace(tmp_path, f"http: {{ port: {port} }}\n")
    with live_daemon(root, port) as daemon:
        status, reply = daemon.post_json(
            "/v1/events",
            [
                event("e1", "signed_up", plan="pro"),
                event("e2", "sined_up"),
                event("e3", "survey_completed", score="ten"),
            ],
        )
        assert status == 207, reply
        assert [e["index"] for e in reply["errors"]] == [1, 2]
        assert "did you mean `signed_up`" in reply["errors"][0]["error"].lower()
        assert all(e["status"] == 400 for e in reply["errors"])

        status, reply = daemon.post_json("/v1/contacts", [{"id": "c9", "age": "old"}])
        assert status == 400 and "declared number" in reply["error"]

        metrics = scrape(daemon.metrics())
        family, sample = "journey_intake_off_declaration", "journey_intake_off_declaration_total"
        counted = {
            (kind, problem): value(
                metrics, family, sample, kind=kind, problem=problem, action="refused"
            )
            for kind, problem in [
                ("event", "undeclared_event"),
                ("event", "wrong_type"),
                ("contact", "wrong_type"),
            ]
        }
        assert counted == {
            ("event", "undeclared_event"): 1,
            ("event", "wrong_type"): 1,
            ("contact", "wrong_type"): 1,
        }
        assert (
            value(metrics, family, sample, kind="event", problem="wrong_type", action="kept") == 0
        )


GOOD_EVENTS = [
    event("g1", "signed_up", plan="pro"),
    event("g2", "survey_completed", score=7.5, reason=None),
    event("g3", "journey.clicked", link="cta"),
    {"name": "signed_up", "contact_id": "c2", "timestamp": "2026-03-02T10:00:00+01:00"},
]
BAD_EVENTS = [
    event("b1", "sined_up"),
    event("b2", "survey_completed", score="ten"),
    {"id": "b3", "name": "signed up", "contact_id": "c1"},
    {"id": "b4", "name": "signed_up"},
    {"id": "b5", "name": "signed_up", "contact_id": "c1", "colour": "red"},
]


@pytest.mark.parametrize("kind", ["events", "contacts"])
def test_journey_schema_prints_a_valid_json_schema(tmp_path: Path, kind: str) -> None:
    root = workspace(tmp_path)
    code, out, err = run(root, "schema", kind)
    assert (code, err) == (0, "")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_event_schema_and_the_door_agree(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    out_file = tmp_path / "event.schema.json"
    code, _, err = run(root, "schema", "events", "--out", str(out_file))
    assert (code, err) == (0, "")
    validator = jsonschema.Draft202012Validator(json.loads(out_file.read_text()))

    assert [list(validator.iter_errors(e)) for e in GOOD_EVENTS] == [[]] * len(GOOD_EVENTS)
    assert all(list(validator.iter_errors(e)) for e in BAD_EVENTS)

    code, out, _ = run(root, "ingest", jsonl(tmp_path / "all.jsonl", *GOOD_EVENTS, *BAD_EVENTS))
    assert code == 1
    assert f"{len(GOOD_EVENTS)} of {len(GOOD_EVENTS) + len(BAD_EVENTS)} lines accepted" in out


def test_the_contact_schema_types_declared_attributes_only(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    _, out, _ = run(root, "schema", "contacts")
    validator = jsonschema.Draft202012Validator(json.loads(out))
    assert not list(validator.iter_errors({"id": "c1", "age": 3, "nickname": "x"}))
    assert not list(validator.iter_errors({"id": "c1", "delete": True}))
    assert list(validator.iter_errors({"id": "c1", "age": "three"}))
    assert list(validator.iter_errors({"age": 3}))


def test_keeping_wrong_types_loosens_the_schema_as_it_loosens_the_door(tmp_path: Path) -> None:
    root = workspace(tmp_path, "intake: { wrong_types: keep, undeclared_events: keep }\n")
    _, out, _ = run(root, "schema", "events")
    validator = jsonschema.Draft202012Validator(json.loads(out))
    assert not list(validator.iter_errors(event("k1", "survey_completed", score="ten")))
    assert not list(validator.iter_errors(event("k2", "page_viewed")))
