"""A real daemon's tracked email, as a receiver and its mail provider's machines use it.

`journey run --http` (a subprocess) sends to a real SMTP server; the links in the
received email are fetched on the daemon's own HTTP API (as the https proxy in
front of it would pass them). First with a long `machine_window`: a privacy
proxy's prefetch, a HEAD and a scanner's click are machine traffic and move
nobody. Then with none: the person's click redirects to the link's target, is
recorded once however often it is fetched, drives `wait_for: journey.clicked`,
and shows per step and per arm in `journey report --format json`.
"""

from __future__ import annotations

import http.client
import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from journey.cli.main import main
from journey.daemon import inbox
from journey.ingest import parse_event
from journey.model import Event
from journey.store.sqlite import SQLiteStore
from journey.unsubscribe import make_unsubscribe_token
from tests.daemon.live_daemon import LiveDaemon, live_daemon, wait_until
from tests.daemon.workspace_factory import make_workspace
from tests.support.smtp_server import ReceivedMail, free_port, running_smtp_server
from tests.support.sqlite_file import sqlite_file

BASE = "https://t.test.example"
OFFER = "https://shop.test.example/offer?id=7&src=mail"
HELP = "https://shop.test.example/help"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLE_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
JOURNEY = """\
id: promo
name: Promo
kind: engagement
trigger: { event: signed_up }
quiet_hours: false
frequency_cap: false
steps:
  - id: pick
    split:
      - { weight: 50, goto: offer, name: a }
      - { weight: 50, goto: offer, name: b }
  - id: offer
    send: { channel: email, template: test/offer }
  - id: await_click
    wait_for:
      event: journey.clicked
      where: "event.properties.label == 'cta'"
      timeout: 2d
      on_timeout: nudge
  - id: clicked
    update: { clicked_offer: true }
    next: end
  - id: nudge
    update: { nudged: true }
"""
HTML = (
    '<p>Hello {{ contact.first_name }}. <a href="https://shop.test.example/offer?id=7&amp;src=mail"'
    ' data-journey-label="cta">See the offer</a> or <a href="' + HELP + '">get help</a>.</p>\n'
)
TEXT = "Hello {{ contact.first_name }}. The offer: " + OFFER + "\n"


def _workspace(root: Path, smtp_port: int, http_port: int, window: str) -> Path:
    make_workspace(root, smtp_port=smtp_port)
    (root / "journeys" / "welcome-test.yaml").unlink()
    (root / "journeys" / "promo.yaml").write_text(JOURNEY)
    folder = root / "templates" / "test" / "offer"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("An offer\n")
    (folder / "body.html").write_text(HTML)
    (folder / "body.txt").write_text(TEXT)
    _configure(root, http_port, window)
    now = datetime.now(UTC)
    store = SQLiteStore(root / "state.db")
    people = [
        {"id": "c1", "email": "astrid@test.example", "first_name": "Astrid",
         "consent": {"email": True, "tracking": True}},
        {"id": "c2", "email": "bo@test.example", "first_name": "Bo", "consent": {"email": True}},
    ]  # fmt: skip
    inbox.enqueue_contacts(store, people, now)
    events = [
        parse_event(
            {"id": f"s-{p['id']}", "name": "signed_up", "contact_id": p["id"],
             "timestamp": now.isoformat()},
            received_at=now,
        )
        for p in people
    ]  # fmt: skip
    inbox.enqueue_events(store, events, now)
    store.close()
    return root


def _configure(root: Path, http_port: int, window: str) -> None:
    config = root / "workspace.yaml"
    kept = config.read_text().split("http:", 1)[0]
    config.write_text(
        kept + f"http: {{ port: {http_port} }}\n"
        f"tracking: {{ base_url: {BASE}, opens: true, machine_window: {window} }}\n"
    )


def _html(mail: ReceivedMail) -> str:
    message = mail.message
    assert isinstance(message, EmailMessage)
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def _tracked(mail: ReceivedMail) -> tuple[str, str, str]:
    """(the offer link, the help link, the pixel), as paths on the daemon."""
    html = _html(mail)
    links = re.findall(r'<a href="([^"]+)"', html)
    pixel = re.findall(r'<img src="([^"]+)"', html)
    assert len(links) == 2 and len(pixel) == 1, html
    assert all(u.startswith(f"{BASE}/v1/t/") for u in [*links, *pixel])
    assert "data-journey-label" not in html and "shop.test.example" not in html
    offer, help_link = (u.removeprefix(BASE) for u in links)
    return offer, help_link, pixel[0].removeprefix(BASE)


def fetch(
    daemon: LiveDaemon, path: str, method: str = "GET", agent: str = BROWSER
) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed: what the daemon itself answered."""
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        conn.request(method, path, headers={"User-Agent": agent})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def _events(root: Path, *names: str) -> list[Event]:
    store = SQLiteStore(root / "state.db")
    try:
        return store.events_named(names)
    finally:
        store.close()


def _all_kinds(events: list[Event], kinds: int) -> list[Event]:
    """The events once `kinds` different names are among them (each fetch is its own item)."""
    return events if len({e.name for e in events}) == kinds else []


def _sent(root: Path) -> int:
    with sqlite_file(root / "state.db") as conn:
        (count,) = conn.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()
    return int(count)


def _stored(root: Path) -> str:
    """The rows a failure message needs: contacts, step history, the inbox, events."""
    with sqlite_file(root / "state.db") as conn:
        queries = (
            "SELECT id, attributes FROM contacts",
            "SELECT contact_id, step_id, outcome, detail FROM step_history",
            "SELECT seq, kind, claimed_by, substr(body, 1, 80) FROM inbox",
            "SELECT id FROM events",
        )
        return "\n".join(f"{q}: {conn.execute(q).fetchall()}" for q in queries)


def _attribute(root: Path, contact_id: str, name: str) -> object:
    store = SQLiteStore(root / "state.db")
    try:
        contact = store.get_contact(contact_id)
        return contact.attributes.get(name) if contact else None
    finally:
        store.close()


def _report(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["--workspace", str(root), "report", "--format", "json"])
    assert exit_info.value.code in (0, None)
    journeys = json.loads(capsys.readouterr().out)["journeys"]
    found: dict[str, object] = next(j for j in journeys if j["id"] == "promo")
    return found


def test_a_tracked_email_counts_the_person_apart_from_the_machines_on_a_real_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http_port = free_port()
    with running_smtp_server() as smtp:
        root = _workspace(tmp_path / "ws", smtp.port, http_port, window="1h")
        with live_daemon(root, http_port) as daemon:
            wait_until(lambda: len(smtp.received) == 2, 30, "two offers")
            wait_until(lambda: _sent(root) == 2, 30, "both marked sent")
            mails = {mail.rcpt_tos[0]: mail for mail in smtp.received}
            offer, help_link, pixel = _tracked(mails["astrid@test.example"])
            untracked = _html(mails["bo@test.example"])  # no tracking consent: as written
            assert "/v1/t/" not in untracked and HELP in untracked and "<img" not in untracked
            text = mails["astrid@test.example"].message.get_body(("plain",))
            assert text is not None and OFFER not in text.get_content()  # tracked there too

            # Seconds after delivery: Gmail's proxy prefetches, a scanner HEADs and clicks.
            status, headers, gif = fetch(daemon, pixel, agent=GOOGLE_PROXY)
            assert status == 200 and headers["Content-Type"] == "image/gif"
            assert gif.startswith(b"GIF89a")
            status, headers, body = fetch(daemon, offer, method="HEAD")
            assert status == 302, (status, headers, body)
            assert (headers["Location"], body) == (OFFER, b"")
            status, headers, _ = fetch(daemon, offer)
            assert (status, headers["Location"]) == (302, OFFER)
            machine = wait_until(
                lambda: _all_kinds(
                    _events(root, "journey.machine_opened", "journey.machine_clicked"), 2
                ),
                15,
                "machine opens and clicks recorded",
            )
            assert {e.name for e in machine} == {
                "journey.machine_opened",
                "journey.machine_clicked",
            }
            assert {e.properties["reason"] for e in machine} <= {"proxy", "head", "too-soon"}
            assert _events(root, "journey.opened", "journey.clicked") == []
            assert _attribute(root, "c1", "clicked_offer") is None  # machines moved nobody

        _configure(root, http_port, window="0s")
        with live_daemon(root, http_port) as daemon:
            # The person: reads the email, clicks the offer twice, and the help link.
            assert fetch(daemon, pixel)[0] == 200
            for _ in range(2):
                status, headers, _ = fetch(daemon, offer)
                assert (status, headers["Location"]) == (302, OFFER)
            assert fetch(daemon, help_link)[1]["Location"] == HELP
            try:  # the three fetches are three inbox items: wait for the last of them too
                wait_until(lambda: _attribute(root, "c1", "clicked_offer") is True, 15, "clicked")
                wait_until(lambda: len(_events(root, "journey.clicked")) == 2, 15, "both clicks")
            except AssertionError as exc:  # what the daemon did instead, and what it stored
                raise AssertionError(f"{exc}\n{daemon.tail()}\n{_stored(root)}") from None
            assert _attribute(root, "c1", "nudged") is None
            clicks = _events(root, "journey.clicked")
            assert sorted((e.properties["label"], e.properties["url"]) for e in clicks) == [
                ("", HELP),
                ("cta", OFFER),
            ]  # the offer's second click is the same click, counted once
            assert {(e.contact_id, e.properties["step_id"]) for e in clicks} == {("c1", "offer")}
            assert len(_events(root, "journey.opened")) == 1
            assert "Traceback" not in daemon.tail()

    promo = _report(root, capsys)
    steps = {s["step"]: s for s in promo["steps"]}  # type: ignore[attr-defined]
    assert (steps["offer"]["sent"], steps["offer"]["opened"], steps["offer"]["clicked"]) == (
        2,
        1,
        1,
    )
    assert (promo["machine_opens"], promo["machine_clicks"]) == (1, 2)
    (split,) = promo["splits"]  # type: ignore[misc]
    arms = {arm["name"]: arm for arm in split["arms"]}
    clicked_arm = [name for name, arm in arms.items() if arm["clicked"] == 1]
    assert len(clicked_arm) == 1 and sum(arm["sent"] for arm in arms.values()) == 2


def test_forged_truncated_oversized_and_foreign_tokens_are_refused_on_a_real_daemon(
    tmp_path: Path,
) -> None:
    http_port = free_port()
    with running_smtp_server() as smtp:
        root = _workspace(tmp_path / "ws", smtp.port, http_port, window="0s")
        with live_daemon(root, http_port) as daemon:
            wait_until(lambda: len(smtp.received) == 2, 30, "two offers")
            mails = {mail.rcpt_tos[0]: mail for mail in smtp.received}
            offer, _, _ = _tracked(mails["astrid@test.example"])
            before = len(_events(root, "journey.clicked", "journey.machine_clicked"))
            payload, mac = offer.removeprefix("/v1/t/").split(".")
            flipped = mac[:-2] + ("AA" if not mac.endswith("AA") else "BB")
            unsubscribe = make_unsubscribe_token(b"x" * 32, "c1", "promo")
            hostile = [
                f"/v1/t/{payload}.{flipped}",  # forged signature
                f"/v1/t/{payload}.{mac[:-4]}",  # truncated
                f"/v1/t/{payload}",  # no signature at all
                f"/v1/t/{payload}.{mac}{'A' * 600}",  # oversized
                "/v1/t/" + "A" * 5000,  # oversized, no dot
                f"/v1/t/{unsubscribe}",  # another purpose's token
                "/v1/t/%2e%2e%2fmetrics",  # not a token
                f"/v1/t/{payload}.{mac}?url=https://evil.example",  # the target is not asked
            ]
            for path in hostile[:-1]:
                status, headers, body = fetch(daemon, path)
                assert status == 404, (path, status, body)
                assert "Location" not in headers and b"Traceback" not in body
            status, headers, _ = fetch(daemon, hostile[-1])
            assert (status, headers["Location"]) == (302, OFFER)  # never evil.example
            status, headers, _ = fetch(daemon, offer, method="POST")
            assert status == 405 and headers["Allow"] == "GET, HEAD"
            wait_until(
                lambda: (
                    len(_events(root, "journey.clicked", "journey.machine_clicked")) == before + 1
                ),
                15,
                "the one genuine click",
            )
            assert "Traceback" not in daemon.tail()
