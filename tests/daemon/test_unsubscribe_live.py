"""A real daemon's email as a receiver gets it: one unsubscribe link, footer and header, working.

`journey run --http` (a subprocess, no JOURNEY_SECRET, the default) sends to a
real SMTP server; the received bytes are parsed, and the link is fetched and
posted on the daemon's own HTTP API, as the https proxy in front of it would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from journey.daemon import inbox
from journey.ingest import parse_event
from journey.store.sqlite import SQLiteStore
from tests.daemon.crash_harness import ROOT
from tests.daemon.live_daemon import LiveDaemon, live_daemon, wait_until
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import ReceivedMail, free_port, running_smtp_server
from tests.support.sqlite_file import sqlite_file

CHANNEL_BASE = "https://unsubscribe.test.example/mail"
JOURNEY = """\
id: welcome-test
name: Welcome test
kind: onboarding
locales: [en, sv]
trigger: { event: signed_up }
quiet_hours: false
frequency_cap: false
steps:
  - id: welcome
    send: { channel: email, template: test/welcome }
"""
# The body: mostly ASCII with one non-ASCII letter, so quoted-printable is chosen, and a
# line far longer than 76 characters, so it must be broken.
BODY = (
    "Hej {{ contact.first_name }}, välkommen. " + "Here is a long line of news. " * 4 + "\n"
    "Unsubscribe: {{ unsubscribe_url }}\n"
)
SWEDISH = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Unsubscribe?"
msgstr "Avsluta prenumerationen?"

msgid "You are unsubscribed"
msgstr "Du prenumererar inte längre"
"""
PEOPLE = [
    {"id": "c1", "email": "astrid@test.example", "first_name": "Astrid", "locale": "sv"},
    {"id": "c2", "email": "jörg@test.example", "first_name": "Jörg", "locale": "en"},
]


def _workspace(root: Path, smtp_port: int, http_port: int) -> Path:
    make_workspace(root, smtp_port=smtp_port)
    config = root / "workspace.yaml"
    text = config.read_text().replace(
        'from: "Test <news@test.example>"',
        'from: "Test, Inc. <news@test.example>"\n'
        f"    unsubscribe_base_url: {CHANNEL_BASE}\n"
        "    unsubscribe_mailto: leave@test.example",
    )
    config.write_text(text + f"http: {{ port: {http_port} }}\n")
    (root / "journeys" / "welcome-test.yaml").write_text(JOURNEY)
    (root / "templates" / "test" / "welcome" / "body.txt").write_text(BODY)
    catalog = root / "locales" / "sv" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(SWEDISH)
    now = datetime.now(UTC)
    store = SQLiteStore(root / "state.db")
    people = [{**p, "consent": {"email": True}} for p in PEOPLE]
    inbox.enqueue_contacts(store, people, now)
    signups = [
        {"id": f"s-{p['id']}", "name": "signed_up", "contact_id": p["id"], "timestamp": now}
        for p in PEOPLE
    ]
    events = [parse_event({**s, "timestamp": now.isoformat()}, received_at=now) for s in signups]
    inbox.enqueue_events(store, events, now)
    store.close()
    return root


def _raw_header(data: bytes, name: bytes) -> bytes:
    """A header's value exactly as it went over the wire, unfolded."""
    head = data.split(b"\r\n\r\n", 1)[0]
    match = re.search(rb"^" + name + rb": ?([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.MULTILINE)
    assert match, head
    return re.sub(rb"\r\n[ \t]", b" ", match.group(1)).strip()


def _links(mail: ReceivedMail) -> tuple[str, str, str]:
    """(the header's https link, its mailto, the footer's link)."""
    header = _raw_header(mail.data, b"List-Unsubscribe")
    assert b"=?" not in header  # never RFC 2047: receivers look for <https://...>
    https, mailto = re.findall(rb"<([^>]*)>", header)
    message = mail.message
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    footer = re.search(r"Unsubscribe: (\S+)", body.get_content())
    assert footer
    return https.decode("ascii"), mailto.decode("ascii"), footer.group(1)


def _consent(root: Path, contact_id: str) -> object:
    with sqlite_file(root / "state.db") as conn:
        row = conn.execute(
            "SELECT json_extract(consent, '$.email') FROM contacts WHERE id = ?", (contact_id,)
        ).fetchone()
    return row[0] if row else None


def _unsubscribe(daemon: LiveDaemon, root: Path, link: str, contact_id: str) -> str:
    """GET asks (a scanner changes nothing), POST (RFC 8058 one-click) unsubscribes."""
    path = link.removeprefix(CHANNEL_BASE)
    status, _, page = daemon.call("GET", path, Accept_Language="en")
    assert status == 200, page
    assert _consent(root, contact_id) == 1
    status, _, done = daemon.call(
        "POST",
        path,
        b"List-Unsubscribe=One-Click",
        Content_Type="application/x-www-form-urlencoded",
    )
    assert status == 200, done
    wait_until(lambda: _consent(root, contact_id) == 0, 15, f"{contact_id} unsubscribed")
    return page.decode()


def test_the_footer_link_is_the_header_link_and_unsubscribes_on_a_real_daemon(
    tmp_path: Path,
) -> None:
    http_port = free_port()
    with running_smtp_server() as smtp:
        root = _workspace(tmp_path / "ws", smtp.port, http_port)
        with live_daemon(root, http_port) as daemon:
            wait_until(lambda: len(smtp.received) == 2, 30, "two welcomes")
            mails = {mail.rcpt_tos[0]: mail for mail in smtp.received}
            astrid, jorg = mails["astrid@test.example"], mails["jörg@test.example"]
            for mail in (astrid, jorg):
                https, mailto, footer = _links(mail)
                assert https == footer  # the same link, the same token
                assert https.startswith(f"{CHANNEL_BASE}/v1/unsubscribe/")  # the channel's base
                token = https.rsplit("/", 1)[1]
                assert mailto == f"mailto:leave@test.example?subject=unsubscribe%20{token}"
                assert _raw_header(mail.data, b"List-Unsubscribe-Post") == (
                    b"List-Unsubscribe=One-Click"
                )
                assert _raw_header(mail.data, b"From") == b'"Test, Inc." <news@test.example>'
                body = mail.data.split(b"\r\n\r\n", 1)[1]
                assert b"=\r\n" in body  # quoted-printable soft breaks were needed
                assert max(len(line) for line in body.split(b"\r\n")) <= 76  # RFC 2045 6.7
            assert "SMTPUTF8" in jorg.mail_options  # the modern builder took this one
            page = _unsubscribe(daemon, root, _links(astrid)[0], "c1")
            assert 'lang="sv"' in page and "Avsluta prenumerationen?" in page  # her locale
        old_link = _links(jorg)[0]

        # A secret set later, and a rotation, change nothing under the links already sent.
        rotate = [sys.executable, "-m", "journey", "--workspace", str(root), "secret", "rotate"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        answer = subprocess.run(rotate, capture_output=True, text=True, timeout=60, env=env)
        assert answer.returncode == 0, answer.stderr
        assert "links signed before work until" in answer.stdout
        with live_daemon(root, http_port, env={"JOURNEY_SECRET": "set-after-the-fact"}) as daemon:
            page = _unsubscribe(daemon, root, old_link, "c2")
            assert 'lang="en"' in page
            forged = old_link[:-3] + ("AAA" if not old_link.endswith("AAA") else "BBB")
            status, _, _ = daemon.call("GET", forged.removeprefix(CHANNEL_BASE))
            assert status == 404
