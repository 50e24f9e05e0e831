"""The API is what docs/api/openapi.yaml says: every route, and every answer's status and body.

Real requests to a live server; each answer is looked up in the document
(status, content type) and its JSON body validated against the schema there
(OpenAPI 3.1 schemas are JSON Schema 2020-12).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from journey.daemon.http.routes import ALLOWED
from journey.unsubscribe import make_unsubscribe_token
from tests.daemon.http.live_api import SECRET, Api, signed_up

SPEC_PATH = Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.yaml"
TOKEN_LINK = make_unsubscribe_token(SECRET.encode(), "c1", "welcome")
NDJSON = "application/x-ndjson"
FORM = "application/x-www-form-urlencoded"

# (method, path, body, keyword arguments for Api.call): every route, most answers.
CALLS: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("GET", "/healthz", None, {"token": None}),
    ("POST", "/healthz", None, {"raw": b"{}"}),
    ("GET", "/metrics", None, {}),
    ("GET", "/metrics", None, {"token": "wrong"}),
    ("POST", "/v1/events", signed_up(), {}),
    ("POST", "/v1/events", {"events": [signed_up("a"), signed_up("b")]}, {}),
    ("POST", "/v1/events", [signed_up("c")], {}),
    ("POST", "/v1/events", None, {"raw": json.dumps(signed_up("d")).encode(), "ctype": NDJSON}),
    ("POST", "/v1/events", {"name": "x"}, {}),
    ("POST", "/v1/events", signed_up(), {"token": None}),
    ("POST", "/v1/events", None, {"raw": b"x" * 5000}),
    ("POST", "/v1/events", None, {"raw": b"name=x", "ctype": "text/plain"}),
    ("GET", "/v1/events", None, {}),
    ("POST", "/v1/contacts", {"id": "c1", "email": "a@example.com", "plan": "trial"}, {}),
    ("POST", "/v1/contacts", {"contacts": [{"id": "c2"}, {"id": "c2", "delete": True}]}, {}),
    ("POST", "/v1/contacts", {"id": 42}, {}),
    ("GET", "/v1/contacts", None, {}),
    ("GET", f"/v1/unsubscribe/{TOKEN_LINK}", None, {"token": None}),
    ("GET", "/v1/unsubscribe/forged", None, {"token": None}),
    ("POST", f"/v1/unsubscribe/{TOKEN_LINK}", None, {"raw": b"List-Unsubscribe=One-Click"}),
    ("POST", "/v1/unsubscribe/forged", None, {"raw": b"List-Unsubscribe=One-Click"}),
    ("GET", "/v1/t/forged.token", None, {"token": None}),
    ("HEAD", "/v1/t/forged.token", None, {"token": None}),
    ("POST", "/v1/t/forged.token", None, {"token": None, "raw": b"{}"}),
]


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def spec_path(path: str) -> str:
    for prefix in ("/v1/unsubscribe/", "/v1/t/"):
        if path.startswith(prefix):
            return prefix + "{token}"
    return path


def validate(schema: dict[str, Any], instance: Any) -> None:
    """Against a schema of the document, its `$ref`s resolved in the document."""
    root = {**schema, "components": spec()["components"]}
    jsonschema.Draft202012Validator(root).validate(instance)


def test_the_document_is_valid_openapi_3_1() -> None:
    assert spec()["openapi"].startswith("3.1")
    validate_openapi(spec())


def test_every_route_served_is_documented_and_every_documented_route_is_served() -> None:
    documented = {
        (path.removesuffix("/{token}"), method.upper())
        for path, item in spec()["paths"].items()
        for method in item
        if method in ("get", "head", "post", "put", "delete", "patch")
    }
    served = {(path, method) for path, methods in ALLOWED.items() for method in methods}
    assert documented == served
    assert {(spec_path(p).removesuffix("/{token}"), m) for m, p, _, _ in CALLS} >= served


@pytest.mark.parametrize(("method", "path", "body", "options"), CALLS)
def test_each_answer_is_the_one_documented(
    api: Api, method: str, path: str, body: Any, options: dict[str, Any]
) -> None:
    api.json("POST", "/v1/contacts", {"id": "c1", "consent": {"email": True}})
    ctype = options.pop("ctype", FORM if "unsubscribe" in path else "application/json")
    status, headers, data = api.call(method, path, body, content_type=ctype, **options)
    item = spec()["paths"][spec_path(path)]
    operation = item.get(method.lower())
    if operation is None:  # a method the route does not have: the 405 every route documents
        operation = next(iter(op for key, op in item.items() if key in ("get", "post")))
    documented = operation["responses"].get(str(status))
    assert documented is not None, f"{method} {path} answered {status}, not in the document"
    documented = resolve(documented)
    content_type = headers["Content-Type"]
    schema = documented["content"][documented_media(content_type, documented["content"])]["schema"]
    validate(
        schema, json.loads(data) if content_type.startswith("application/json") else data.decode()
    )
    for name in documented.get("headers", {}):
        assert name in headers, f"{status} without its {name} header"
    request_body = operation.get("requestBody", {}).get("content", {}).get(ctype)
    if body is not None and request_body is not None and 200 <= status < 300:
        validate(request_body["schema"], body)  # what was accepted is what is documented


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def documented_media(content_type: str, content: dict[str, Any]) -> str:
    """The document's key for this Content-Type: same media type, and same parameters if given."""
    media = content_type.split(";")[0].strip()
    for key in content:
        if key == content_type or (key == media and content_type.endswith("charset=utf-8")):
            return key
    raise AssertionError(f"{content_type} is not documented here: {list(content)}")
