"""workspace.yaml's `tracking:`: the base of every tracked link must be public https."""

from __future__ import annotations

from journey.loader import JsonPath
from journey.tracking.settings import url_problem
from journey.validator.semantic_context import Checker

TRACKING_URL_NOT_HTTPS = "tracking-url-not-https"


def check_tracking(checker: Checker) -> None:
    value = checker.data.get("tracking")
    if not isinstance(value, dict):
        return  # absent, false, or the schema pass's wrong-type
    problem = url_problem(value.get("base_url"))
    if problem is None:
        return
    path: JsonPath = ("tracking", "base_url") if "base_url" in value else ("tracking",)
    checker.add(
        TRACKING_URL_NOT_HTTPS,
        problem,
        path,
        hint="Set it to the public https address in front of the daemon's HTTP API "
        "(passing /v1/t/ through); until then links are sent untracked.",
    )
