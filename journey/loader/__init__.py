"""Load stage: YAML text -> plain data with a source map (safe, bounded, duplicate-key aware)."""

from journey.loader.yaml_loader import (
    BoolWord,
    Document,
    JsonPath,
    format_json_path,
    load_yaml,
    load_yaml_bytes,
    load_yaml_text,
)

__all__ = [
    "BoolWord",
    "Document",
    "JsonPath",
    "format_json_path",
    "load_yaml",
    "load_yaml_bytes",
    "load_yaml_text",
]
