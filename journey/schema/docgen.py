"""Render the DSL reference (``docs/dsl-reference.md``) from the schemas' own words.

The titles and descriptions marketers see as editor tooltips are the reference
text too, so the page cannot drift from the schema: a test re-renders it and
compares. Regenerate with ``python -m journey.schema.docgen``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from journey.generated_files import generator_main
from journey.schema import load_schema, schema_file_name
from journey.schema.tooltips import authored_description
from journey.schema.walk import Schema

DOCUMENTS = (
    ("journey", "Journey files", "journeys/**/*.yaml"),
    ("workspace", "The workspace", "workspace.yaml"),
    ("journey-test", "Journey tests", "journeys/**/*.test.yaml"),
)
DEFAULT_OUTPUT = Path("docs/dsl-reference.md")


def render_reference() -> str:
    parts = [
        "# DSL reference",
        "",
        "<!-- Generated from schema/*.schema.json by `python -m journey.schema.docgen`;"
        " do not edit by hand. -->",
        "",
        "Every key of the three kinds of file, with what it means, its type and default."
        " The same text appears as tooltips in editors that read the"
        " `# yaml-language-server: $schema=` line at the top of each file.",
        "",
    ]
    for name, heading, files in DOCUMENTS:
        parts += _render_schema(name, heading, files)
    return "\n".join(parts).rstrip() + "\n"


def _render_schema(name: str, heading: str, files: str) -> list[str]:
    schema = load_schema(name)
    lines = [
        f"## {heading}",
        "",
        f"Files: `{files}`; schema: `schema/{schema_file_name(name)}`.",
        "",
        _text(schema),
        "",
    ]
    lines += _property_table(name, schema, schema)
    lines += [f"### Definitions ({heading.lower()})", ""]
    for def_name, definition in schema.get("$defs", {}).items():
        lines += _render_definition(name, schema, def_name, definition)
    return lines


def _render_definition(name: str, root: Schema, def_name: str, definition: Schema) -> list[str]:
    title = definition.get("title", def_name)
    lines = [f'<a id="{_anchor(name, def_name)}"></a>', "", f"#### {title}", ""]
    if _text(definition):
        lines += [_text(definition), ""]
    if "pattern" in definition:
        lines += [
            f"Format: {definition.get('patternErrorMessage', '`' + definition['pattern'] + '`')}",
            "",
        ]
    if "enum" in definition:
        lines += [*_enum_list(definition), ""]
    if "properties" in definition:
        lines += _property_table(name, root, definition)
    elif definition.get("oneOf") or definition.get("anyOf"):
        forms = [
            _type_summary(name, root, b) for b in definition.get("oneOf") or definition["anyOf"]
        ]
        lines += ["One of: " + "; ".join(forms) + ".", ""]
    examples = definition.get("examples")
    if examples:
        shown = ", ".join(f"`{_compact(e)}`" for e in examples[:3])
        lines += [f"Examples: {shown}", ""]
    return lines


def _property_table(name: str, root: Schema, schema: Schema) -> list[str]:
    required = set(schema.get("required", ()))
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for key, sub in schema.get("properties", {}).items():
        resolved = _merged(root, sub)
        default = f"`{_compact(resolved['default'])}`" if "default" in resolved else ""
        if key in required:
            default = "**required**"
        lines.append(
            f"| `{key}` | {_type_summary(name, root, sub)} | {default} "
            f"| {_cell(authored_description(sub if 'description' in sub else resolved))} |"
        )
    return [*lines, ""]


def _enum_list(schema: Schema) -> list[str]:
    notes = schema.get("enumDescriptions", [])
    lines = []
    for index, option in enumerate(schema["enum"]):
        note = f": {notes[index]}" if index < len(notes) else ""
        lines.append(f"- `{_compact(option)}`{note}")
    return lines


def _type_summary(name: str, root: Schema, schema: Any) -> str:
    """``[Duration](#journey-duration)``, ``one of `a`, `b` ``, ``list of [Step](...)``."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        def_name = schema["$ref"].rsplit("/", 1)[-1]
        target = root["$defs"][def_name]
        return f"[{target.get('title', def_name)}](#{_anchor(name, def_name)})"
    if "const" in schema:
        return f"`{_compact(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{_compact(o)}`" for o in schema["enum"])
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches and "type" not in schema:
        return " or ".join(_type_summary(name, root, b) for b in branches)
    declared = schema.get("type")
    if declared == "array":
        return "list of " + _type_summary(name, root, schema.get("items", {}))
    if declared == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "mapping of name to " + _type_summary(name, root, schema["additionalProperties"])
    if declared is None:
        return "any"
    return " or ".join([declared] if isinstance(declared, str) else declared)


def _merged(root: Schema, schema: Any) -> Schema:
    """A property with its reference's title/description/default filled in."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        target = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        return {**target, **schema}
    return schema


def _text(schema: Schema) -> str:
    return str(schema.get("markdownDescription") or schema.get("description") or "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n\n", " ").replace("\n", " ")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _anchor(name: str, def_name: str) -> str:
    return f"{name}-{def_name}".replace("_", "-")


def main(argv: list[str] | None = None) -> int:
    """Write the reference; ``--check`` exits 1 when the file on disk is stale."""
    return generator_main(
        argv,
        prog="journey.schema.docgen",
        description="Write the DSL reference from the JSON Schemas.",
        render=lambda output: {output or DEFAULT_OUTPUT: render_reference()},
    )


if __name__ == "__main__":
    raise SystemExit(main())
