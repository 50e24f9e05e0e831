"""A small workspace on disk for daemon tests: one event-triggered journey, email templates.

`journey: signed_up -> send welcome -> wait -> send followup`, the email channel
either the outbox or a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

JOURNEY = """\
id: {journey_id}
name: Welcome test
kind: onboarding
trigger: {{ event: signed_up }}
on_change: {on_change}
quiet_hours: false
frequency_cap: false
steps:
  - id: welcome
    send: {{ channel: email, template: test/welcome }}
  - id: pause
    wait: {wait}
  - id: followup
    send: {{ channel: email, template: test/followup }}
"""

OUTBOX_WORKSPACE = """\
channels:
  email: {{ kind: outbox, message: email, path: {path} }}
"""

SMTP_WORKSPACE = """\
channels:
  email:
    kind: smtp
    message: email
    host: 127.0.0.1
    port: {port}
    from: "Test <news@test.example>"
    timeout: 2
unsubscribe_base_url: "https://mail.test.example"
"""


def write_templates(root: Path) -> None:
    for name, subject in (("welcome", "Welcome, {{ contact.first_name }}"), ("followup", "Next")):
        folder = root / "templates" / "test" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "subject.txt").write_text(subject + "\n")
        (folder / "body.txt").write_text("Hello {{ contact.first_name }}.\n")
        (folder / "body.html").write_text("<p>Hello {{ contact.first_name }}.</p>\n")


def write_journey(
    root: Path, *, journey_id: str = "welcome-test", wait: str = "1s", on_change: str = "keep"
) -> Path:
    path = root / "journeys" / f"{journey_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(JOURNEY.format(journey_id=journey_id, wait=wait, on_change=on_change))
    return path


def make_workspace(root: Path, *, smtp_port: int | None = None, wait: str = "1s") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if smtp_port is None:
        config = OUTBOX_WORKSPACE.format(path=json.dumps(str(root / "outbox.jsonl")))
    else:
        config = SMTP_WORKSPACE.format(port=smtp_port)
    config += 'database: "state.db"\n'
    (root / "workspace.yaml").write_text(config)
    write_templates(root)
    write_journey(root, wait=wait)
    return root


def contacts(count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"c{n:05d}",
            "email": f"c{n:05d}@test.example",
            "first_name": f"Name{n}",
            "consent": {"email": True},
        }
        for n in range(count)
    ]


def signups(ids: Iterable[str], timestamp: str) -> list[dict[str, object]]:
    return [
        {"id": f"signup-{cid}", "name": "signed_up", "contact_id": cid, "timestamp": timestamp}
        for cid in ids
    ]
