"""The schema files: one copy for editors, one packaged, both sound and documented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from journey.plaintext import has_markdown, plain_text
from journey.schema import SCHEMA_NAMES, load_schema, schema_file_name
from journey.schema.tooltips import split_markdown
from journey.schema.walk import subschemas_at

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "journey" / "schema"
TOP_LEVEL = ROOT / "schema"
SHARED_DEFS = ("duration", "time_of_day", "locale", "timezone", "event_name", "channel_name")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_top_level_and_packaged_copies_are_byte_identical(name: str) -> None:
    file_name = schema_file_name(name)
    assert (TOP_LEVEL / file_name).read_bytes() == (PACKAGED / file_name).read_bytes()


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12_with_an_id(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(schema_file_name(name))


def test_load_schema_is_cached_and_accepts_both_spellings() -> None:
    assert load_schema("journey") is load_schema("journey")
    assert load_schema("journey.schema.json") == load_schema("journey")
    with pytest.raises(ValueError, match="unknown schema"):
        load_schema("jouney")


def _objects(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema with `properties`, with a readable place."""
    if isinstance(node, dict):
        if "properties" in node and "type" in node:
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{where}/{index}")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_property_has_a_description_for_editor_tooltips(name: str) -> None:
    schema = load_schema(name)
    for where, obj in _objects(schema):
        for key, sub in obj["properties"].items():
            has_own = "description" in sub
            via_ref = "$ref" in sub and "description" in _target(schema, sub["$ref"])
            assert has_own or via_ref, f"{name}: {where}/properties/{key} has no description"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_objects_reject_unknown_keys_unless_free_form_by_design(name: str) -> None:
    free_form = {"contact", "contact_update", "properties"}  # contacts carry any attribute
    # an event declaration names any property (its type), besides `example:`
    free_places = {"/properties/events/additionalProperties"}
    schema = load_schema(name)
    for where, obj in _objects(schema):
        if where.rsplit("/", 1)[-1] in free_form or where in free_places:
            continue
        assert obj.get("additionalProperties") is False, f"{name}: {where} accepts any key"


def _target(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def test_shared_definitions_are_the_same_in_every_schema() -> None:
    """The copies exist so each file stands alone in an editor; they must not drift."""
    journey_defs = load_schema("journey")["$defs"]
    workspace_defs = load_schema("workspace")["$defs"]
    for name in ("workspace", "journey-test"):
        defs = load_schema(name)["$defs"]
        for def_name in set(defs) & (set(journey_defs) | set(workspace_defs)):
            reference = journey_defs.get(def_name, workspace_defs.get(def_name))
            assert defs[def_name] == reference, f"{name}: $defs/{def_name} differs"
    assert set(SHARED_DEFS) <= set(journey_defs) & set(workspace_defs)


def _examples(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for def_name, definition in schema.get("$defs", {}).items():
        for example in definition.get("examples", []):
            yield def_name, example


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_examples_in_the_schema_are_valid_themselves(name: str) -> None:
    schema = load_schema(name)
    for def_name, example in _examples(schema):
        validator = Draft202012Validator(
            {"$defs": schema["$defs"], "$ref": f"#/$defs/{def_name}"},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        assert validator.is_valid(example), f"{name}: example of {def_name}: {example!r}"


def test_duration_pattern_needs_a_unit_and_keeps_units_in_order() -> None:
    pattern = Draft202012Validator({"$ref": "#/$defs/duration", **_defs("journey")})
    for good in ("2d", "1d12h", "1w", "90m", "1w2d3h4m5s", "0s"):
        assert pattern.is_valid(good), good
    for bad in ("", "5", "d", "2 days", "12h1d", "-1d", "1.5h", "1D"):
        assert not pattern.is_valid(bad), bad
    signed = Draft202012Validator({"$ref": "#/$defs/signed_duration", **_defs("journey")})
    assert signed.is_valid("-7d") and not signed.is_valid("-")


def test_time_of_day_accepts_unquoted_yaml_times() -> None:
    checker = Draft202012Validator({"$ref": "#/$defs/time_of_day", **_defs("journey")})
    for good in ("9:30", "09:30", "00:00", "23:59"):
        assert checker.is_valid(good), good
    for bad in ("24:00", "9:60", "930", "9.30", "9pm"):
        assert not checker.is_valid(bad), bad


def _defs(name: str) -> dict[str, Any]:
    return {"$defs": load_schema(name)["$defs"]}


def test_subschemas_at_follows_references_and_combinators() -> None:
    at_cap = subschemas_at("journey", ("frequency_cap",))
    assert any(s.get("const") is False for s in at_cap)
    assert any(s.get("type") == "object" for s in at_cap)
    assert [s.get("type") for s in subschemas_at("journey", ("goal", "exit"))] == ["boolean"]
    assert subschemas_at("journey", ("no_such_key",)) == []
    free = subschemas_at("journey-test", ("cases", 3, "contact", "anything"))
    assert free == [{}]


def test_packaged_files_are_pretty_printed_json() -> None:
    for name in SCHEMA_NAMES:
        text = (PACKAGED / schema_file_name(name)).read_text("utf-8")
        assert json.loads(text) == load_schema(name)
        assert text.endswith("\n")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_tooltips_are_plain_text_with_markdown_beside_them(name: str) -> None:
    """yaml-language-server shows `description` verbatim and renders `markdownDescription`."""
    text = (PACKAGED / schema_file_name(name)).read_text("utf-8")
    assert split_markdown(text) == text, "run `python -m journey.schema.tooltips`"
    pairs = 0
    for where, node in _described(load_schema(name)):
        assert not has_markdown(node["description"]), f"{where}: Markdown in description"
        if "markdownDescription" in node:
            pairs += 1
            assert plain_text(node["markdownDescription"]).strip(), where
    assert pairs > 0


def _described(node: object, where: str = "$") -> list[tuple[str, dict[str, str]]]:
    found: list[tuple[str, dict[str, str]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            found.append((where, node))
        for key, value in node.items():
            found += _described(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _described(value, f"{where}[{i}]")
    return found
