"""An operator's story: the API refuses to start on a bearer token that could be guessed."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.daemon.http import HttpHandlers, make_server
from journey.daemon.http.auth import check_token_strength
from journey.errors import JourneyError
from journey.workspace import HttpSettings
from tests.daemon.http.live_api import TOKEN

ROOT = Path(__file__).resolve().parents[3]
HANDLERS = HttpHandlers(
    ingest_events=lambda e: [],
    change_contacts=lambda c: [],
    metrics=str,
    unsubscribe=lambda c, j: None,
    health=dict,
)
WEAK = {
    "a": "is 1 characters long",
    "password": "is 8 characters long",
    "s3cret-token": "is 12 characters long",
    "x" * 31: "is 31 characters long",
    "a" * 40: "repeats a shorter piece",
    "password" * 4: "repeats a shorter piece",
    "0123456789" * 4: "repeats a shorter piece",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab": "uses too few different characters",
    "abababababababababababababababbb": "uses too few different characters",
}


@pytest.mark.parametrize("token", list(WEAK))
def test_a_weak_token_is_refused_at_start_saying_how_to_make_one(token: str) -> None:
    with pytest.raises(JourneyError) as refused:
        make_server(HttpSettings(port=0), HANDLERS, env={"JOURNEY_TOKEN": token})
    message = str(refused.value)
    assert WEAK[token] in message and "\n" not in message
    assert "secrets.token_urlsafe(32)" in message


@settings(max_examples=200)
@given(st.sampled_from(["urlsafe", "hex", "uuid"]), st.randoms())
def test_tokens_made_the_usual_ways_are_strong(kind: str, _: object) -> None:
    token = {
        "urlsafe": lambda: secrets.token_urlsafe(32),
        "hex": lambda: secrets.token_hex(16),
        "uuid": lambda: str(uuid.uuid4()),
    }[kind]()
    check_token_strength(token, "JOURNEY_TOKEN")


def test_the_suites_own_token_is_strong() -> None:
    check_token_strength(TOKEN, "JOURNEY_TOKEN")


def test_journey_run_with_a_weak_token_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "journeys").mkdir()
    env = {**os.environ, "JOURNEY_TOKEN": "password", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "journey", "run", "--http"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == [
        "journey: error: the bearer token in JOURNEY_TOKEN is weak: it is 8 characters long "
        "(at least 32 are needed); make one: "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    ]
    assert "Traceback" not in done.stderr
