"""One source of truth for channel settings: what `journey validate` accepts, `journey run`
builds, and what run would refuse is a validate error located at that channel."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from journey.channels import build_workspace_channels
from journey.cli.main import main
from journey.daemon.ratelimit import TokenBucket
from journey.errors import JourneyError
from journey.validator import check_workspace
from tests.daemon.workspace_factory import make_workspace

# Every `${VAR}` the generated settings use, set to a good value where the daemon runs.
ENV = {
    "SMTP_PORT": "2525",
    "FROM": "news@shop.example",
    "TLS": "false",
    "T": "5",
    "PW": "secret",
    "USER": "news",
    "URL": "https://hooks.example",
    "HOST": "hooks.example",
    "F": "true",
    "JOURNEY_SECRET": "s" * 40,
}
ABSENT = object()

RATES = st.sampled_from(
    [ABSENT, "50/s", "1/m", "1000/h", "0/s", "00/h", "10/d", "5/ s", " 3/s", "9" * 30 + "/s"]
)
TIMEOUTS = st.sampled_from([ABSENT, 10, 0.5, 0, -1, "${T}", "x", True, 1e308])
FLAGS = st.sampled_from([ABSENT, True, False, "${TLS}", "yes", 1])


def _options(**pools: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({key: pool for key, pool in pools.items()}).map(
        lambda chosen: {k: v for k, v in chosen.items() if v is not ABSENT}
    )


SMTP = _options(
    kind=st.just("smtp"),
    host=st.sampled_from(["smtp.example.com", "127.0.0.1", "", ABSENT]),
    port=st.sampled_from([ABSENT, 25, 2525, 0, 70000, "${SMTP_PORT}", "abc", 25.5, True]),
    **{"from": st.sampled_from(["news@shop.example", "nobody", "${FROM}", "", ABSENT])},
    ssl=FLAGS,
    starttls=FLAGS,
    username=st.sampled_from([ABSENT, "${USER}", "news"]),
    password=st.sampled_from([ABSENT, "${PW}"]),
    timeout=TIMEOUTS,
    rate_limit=RATES,
)
WEBHOOK = _options(
    kind=st.just("webhook"),
    message=st.just("webhook"),
    url=st.sampled_from(
        [
            ABSENT,
            "https://h.example/x",
            "http:///x",
            "ftp://h.example",
            "${URL}",
            "https://${HOST}/x",
        ]
    ),
    timeout=TIMEOUTS,
    max_response_bytes=st.sampled_from([ABSENT, 1, 65536, 0, "big"]),
    rate_limit=RATES,
)
OUTBOX = _options(
    kind=st.just("outbox"),
    path=st.sampled_from([ABSENT, "out.jsonl", ""]),
    fsync=FLAGS,
    rate_limit=RATES,
)


def _runtime_refusal(root: Path) -> str | None:
    """What the daemon does at start with these settings: build every channel and bucket."""
    workspace, _, _ = check_workspace(root)
    try:
        build_workspace_channels(workspace, env=ENV)
        for config in workspace.channels.values():
            if config.rate_limit:
                TokenBucket.from_text(config.rate_limit)
    except (JourneyError, ValueError) as exc:
        return str(exc)
    return None


@settings(max_examples=250, deadline=None)
@given(channel=st.one_of(SMTP, WEBHOOK, OUTBOX))
def test_whatever_validate_accepts_the_daemon_builds(channel: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "workspace.yaml").write_text(yaml.safe_dump({"channels": {"main": channel}}))
        _, problems, _ = check_workspace(root)
        errors = [d for d in problems if d.is_error]
        refusal = _runtime_refusal(root)
    if refusal is not None:
        assert errors, f"validate passed, run refuses: {refusal}"
        assert any(d.location.json_path.startswith("channels.main") for d in errors)
        assert all(d.location.line > 1 for d in errors)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("rate_limit", "0/s"), ("rate_limit", "000/m"), ("path", "")],
)
def test_a_setting_run_refuses_is_a_located_validate_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, value: str
) -> None:
    root = make_workspace(tmp_path / "ws")
    config = (root / "workspace.yaml").read_text()
    (root / "workspace.yaml").write_text(
        config.replace("message: email,", f"message: email, {setting}: {value!r},")
    )
    with pytest.raises(SystemExit) as validated:
        main(["--workspace", str(root), "validate"])
    out = capsys.readouterr().out
    assert validated.value.code == 1
    assert "workspace.yaml:2:" in out and (
        "invalid-channel-setting" in out or "invalid-value" in out
    )
    with pytest.raises(SystemExit) as ran:
        main(["--workspace", str(root), "run", "--once"])
    assert ran.value.code == 2
    assert "workspace.yaml has errors" in capsys.readouterr().err
