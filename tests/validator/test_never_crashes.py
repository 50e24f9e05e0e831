"""No input crashes validation: random YAML, journey-shaped nonsense and raw bytes all come
back as diagnostics, and `journey validate FILE` exits 0 or 1, never with a traceback."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.cli.main import cli
from journey.loader import load_yaml
from journey.validator import validate_paths
from journey.validator.semantic import INTERNAL_ERROR
from journey.validator.semantic_context import walk
from tests.validator.semantic_support import DATA, WORKSPACE_DIR, corpus_workspace

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCRATCH = Path(tempfile.mkdtemp(prefix="journey-never-crashes-"))

TOP_KEYS = [
    "id", "name", "kind", "category", "description", "owner", "status", "locales", "timezone",
    "trigger", "audience", "reentry", "exit_when", "goal", "quiet_hours", "frequency_cap",
    "steps", "on_change", "max_trigger_age",
]  # fmt: skip
INNER_KEYS = [
    "event", "where", "segment", "include_existing", "date", "attribute", "offset", "at",
    "repeat", "schedule", "cron", "timezone", "inactivity", "for", "within", "exit", "start",
    "end", "max", "per", "on_cap", "time", "days", "timeout", "on_timeout", "if", "goto", "else",
    "weight", "name", "channel", "template", "path", "url", "body", "expr", "on_failure",
]  # fmt: skip
STEP_KEYS = [
    "id", "next", "send", "wait", "wait_until", "wait_for", "branch", "split", "update",
    "webhook", "exit",
]  # fmt: skip
WORDS = [
    "a", "b", "end", "welcome", "2d", "3m", "-1d", "1d12h", "0s", "x", "09:30", "25:00", "9:3O",
    "0 9 * * MON", "* * *", "61 * * * *", "Europe/Stockholm", "Europe/Stokholm", "contact",
    "contact.first_name == 'A'", "contact.frist_name", "event.properties.x > 1",
    "has_event('signed_up')", "has_event(", "now.hour", "{{ contact.id }}", "email", "crm", "sms",
    "emial", "never", "always", "yearly", "skip", "defer", "signed_up", "journey.opened",
    "mon", "no", "yes", "off", "onboarding", "completed", "goal", "Bad-Reason", "",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(WORDS)
    | st.text(max_size=20)
)
any_yaml = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
dsl_value = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(INNER_KEYS), inner, max_size=4)
    ),
    max_leaves=8,
)
step = st.dictionaries(st.sampled_from(STEP_KEYS), dsl_value, max_size=4)
journey_like = st.builds(
    lambda top, steps: {**top, "steps": steps},
    st.dictionaries(st.sampled_from(TOP_KEYS), dsl_value, max_size=6),
    st.lists(step | dsl_value, max_size=5),
)
VALID_JOURNEYS = [load_yaml(path).data for path in sorted((DATA / "valid").glob("*.yaml"))]


@st.composite
def mutated_valid_journey(draw: st.DrawFn) -> Any:
    """A valid journey with one to three values replaced: reaches the deeper checks."""
    data = copy.deepcopy(draw(st.sampled_from(VALID_JOURNEYS)))
    for _ in range(draw(st.integers(1, 3))):
        path, _ = draw(st.sampled_from(list(walk(data))))
        if not path:
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(dsl_value)
    return data


def write(raw: bytes) -> Path:
    path = SCRATCH / "journey.yaml"
    path.write_bytes(raw)
    return path


def validate_without_crashing(raw: bytes) -> None:
    found = validate_paths([write(raw)], corpus_workspace())
    assert INTERNAL_ERROR not in [d.code for d in found]


def cli_validate_without_crashing(raw: bytes) -> None:
    path = write(raw)
    result = CliRunner().invoke(cli, ["--workspace", str(WORKSPACE_DIR), "validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output


def dump(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


@FAST
@given(any_yaml)
def test_random_yaml_documents_never_crash_validation(data: Any) -> None:
    validate_without_crashing(dump(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_like)
def test_journey_shaped_nonsense_never_crashes_validation(data: dict[str, Any]) -> None:
    validate_without_crashing(dump(data))


@FAST
@given(mutated_valid_journey())
def test_valid_journeys_with_wrong_values_never_crash_validation(data: Any) -> None:
    validate_without_crashing(dump(data))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_validation(raw: bytes) -> None:
    validate_without_crashing(raw)


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab:-{}[]&*!|>'\"#\n\t ,?%@`0123456789")), max_size=200)
)
def test_random_yaml_punctuation_never_crashes_validation(text: str) -> None:
    validate_without_crashing(text.encode())


any_input = (
    any_yaml.map(dump)
    | journey_like.map(dump)
    | mutated_valid_journey().map(dump)
    | st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_input)
def test_journey_validate_exits_0_or_1_on_any_file(raw: bytes) -> None:
    cli_validate_without_crashing(raw)


def test_journey_validate_exits_2_for_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["--workspace", str(WORKSPACE_DIR), "validate", str(SCRATCH / "missing.yaml")]
    )
    assert result.exit_code == 2, result.output
