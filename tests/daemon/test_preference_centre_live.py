"""The preference centre on a real daemon sending to a real SMTP server.

`journey run --http` mails two topics' news; a German reader leaves one topic
with the one-click link of its mail, an English reader leaves everything on
the page. The next round proves it: the German reader gets the other topic
only, the English reader nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from journey.daemon import inbox
from journey.ingest import parse_event
from journey.store.sqlite import SQLiteStore
from tests.daemon.live_daemon import LiveDaemon, live_daemon, wait_until
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import ReceivedMail, free_port, running_smtp_server
from tests.support.sqlite_file import sqlite_file

BASE = "https://mail.test.example"
TOPICS = """\
topics:
  product_news: { title: { en: Product news, de: Produktneuigkeiten } }
  tips: { title: { en: Tips and tricks, de: Tipps und Tricks } }
"""
JOURNEY = """\
id: newsletter
name: Newsletter
kind: engagement
locales: [en, de]
trigger: { event: news_day }
reentry: always
quiet_hours: false
frequency_cap: false
steps:
  - id: news
    send: { channel: email, template: test/news, topic: product_news }
  - id: tips
    send: { channel: email, template: test/tips, topic: tips }
"""
GERMAN = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Your email preferences"
msgstr "Ihre E-Mail-Einstellungen"

msgid "You are unsubscribed from this topic."
msgstr "Sie haben dieses Thema abbestellt."
"""
PEOPLE = [
    {"id": "c1", "email": "greta@test.example", "locale": "de", "consent": {"email": True}},
    {"id": "c2", "email": "emma@test.example", "locale": "en", "consent": {"email": True}},
]


def _workspace(root: Path, smtp_port: int, http_port: int) -> Path:
    make_workspace(root, smtp_port=smtp_port)
    config = root / "workspace.yaml"
    config.write_text(config.read_text() + TOPICS + f"http: {{ port: {http_port} }}\n")
    (root / "journeys" / "newsletter.yaml").write_text(JOURNEY)
    for name in ("news", "tips"):
        folder = root / "templates" / "test" / name
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text(name.capitalize())
        (folder / "body.txt").write_text(f"{name}\nUnsubscribe: {{{{ unsubscribe_url }}}}\n")
        (folder / "body.html").write_text(f"<p>{name}</p>")
    catalog = root / "locales" / "de" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(GERMAN)
    store = SQLiteStore(root / "state.db")
    inbox.enqueue_contacts(store, PEOPLE, datetime.now(UTC))
    store.close()
    _news_day(root, "round-1")
    return root


def _news_day(root: Path, round_id: str) -> None:
    now = datetime.now(UTC)
    store = SQLiteStore(root / "state.db")
    events = [
        parse_event(
            {"id": f"{round_id}-{p['id']}", "name": "news_day", "contact_id": p["id"],
             "timestamp": now.isoformat()},
            received_at=now,
        )
        for p in PEOPLE
    ]  # fmt: skip
    inbox.enqueue_events(store, events, now)
    store.close()


def _link(mail: ReceivedMail) -> str:
    message = mail.message
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"Unsubscribe: (\S+)", body.get_content())
    assert found
    return found.group(1).removeprefix(BASE)


def _mail(smtp_received: list[ReceivedMail], to: str, subject: str) -> ReceivedMail:
    return next(m for m in smtp_received if m.rcpt_tos[0] == to and m.message["Subject"] == subject)


def _row(root: Path, sql: str, *args: object) -> object:
    with sqlite_file(root / "state.db") as conn:
        row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def _topics(root: Path, contact_id: str) -> dict[str, dict[str, bool]]:
    text = _row(root, "SELECT topics FROM contacts WHERE id = ?", contact_id)
    return json.loads(str(text)) if text else {}


def _post(daemon: LiveDaemon, path: str, body: bytes) -> str:
    status, _, page = daemon.call(
        "POST", path, body, Content_Type="application/x-www-form-urlencoded"
    )
    assert status == 200, page
    return page.decode()


def test_leaving_one_topic_stops_only_its_sends_and_everything_stops_all(tmp_path: Path) -> None:
    http_port = free_port()
    with running_smtp_server() as smtp:
        root = _workspace(tmp_path / "ws", smtp.port, http_port)
        with live_daemon(root, http_port) as daemon:
            wait_until(lambda: len(smtp.received) == 4, 30, "each reader's two topics")
            news_link = _link(_mail(smtp.received, "greta@test.example", "News"))
            status, _, page = daemon.call("GET", news_link, Accept_Language="en")
            text = page.decode()
            assert status == 200 and 'lang="de"' in text  # her locale, not the browser's
            assert "Ihre E-Mail-Einstellungen" in text
            assert "Produktneuigkeiten" in text and "Tipps und Tricks" in text
            assert text.count(" checked") == 2  # both topics, by default
            assert _topics(root, "c1") == {}  # a GET (a link scanner) changes nothing

            done = _post(daemon, news_link, b"List-Unsubscribe=One-Click")  # RFC 8058
            assert "Sie haben dieses Thema abbestellt." in done
            wait_until(
                lambda: not _topics(root, "c1").get("product_news", {}).get("email", True),
                15,
                "greta left product news",
            )
            assert _topics(root, "c1")["product_news"] == {
                "email": False, "sms": False, "push": False,
            }  # fmt: skip
            assert "tips" not in _topics(root, "c1")

            tips_link = _link(_mail(smtp.received, "emma@test.example", "Tips"))
            page_text = daemon.call("GET", tips_link)[2].decode()
            assert "Tips and tricks" in page_text and 'lang="en"' in page_text
            left = _post(daemon, tips_link, b"action=everything")
            assert "unsubscribed from everything" in left
            wait_until(
                lambda: _row(root, "SELECT json_extract(consent, '$.email') FROM contacts"
                         " WHERE id = 'c2'") == 0,
                15,
                "emma left everything",
            )  # fmt: skip

            _news_day(root, "round-2")
            wait_until(
                lambda: (
                    _row(root, "SELECT count(*) FROM enrollments WHERE status != 'active'") == 4
                ),
                30,
                "the second round completed",
            )
            wait_until(lambda: len(smtp.received) >= 5, 30, "the second round's mail")
        second = smtp.received[4:]
        assert [(m.rcpt_tos[0], m.message["Subject"]) for m in second] == [
            ("greta@test.example", "Tips")
        ]
        with sqlite_file(root / "state.db") as conn:
            skipped = conn.execute(
                "SELECT contact_id, step_id, detail FROM step_history"
                " WHERE outcome = 'suppressed' ORDER BY contact_id, step_id"
            ).fetchall()
        assert skipped == [
            ("c1", "news", "unsubscribed from product_news"),
            ("c2", "news", "no email consent"),
            ("c2", "tips", "no email consent"),
        ]
