"""SMTP delivery against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from journey.channels import build_channel
from journey.channels.mime import message_id_for
from journey.channels.smtp import SmtpChannel
from journey.clock import VirtualClock
from journey.errors import DeliveryError, JourneyError
from journey.model import Channel, Message
from journey.unsubscribe import make_unsubscribe_token, verify_unsubscribe_token
from tests.support.smtp_server import SmtpTestServer, running_smtp_server
from tests.support.tls import make_self_signed

SECRET = "s3cret-for-tests"


def smtp_channel(
    server: SmtpTestServer,
    tmp_path: Path,
    clock: VirtualClock,
    env: dict[str, str] | None = None,
    **settings: Any,
) -> SmtpChannel:
    config = Channel(
        name="email",
        kind="smtp",
        message="email",
        settings={
            "host": server.host,
            "port": server.port,
            "from": "Acme <news@acme.example>",
            "timeout": 2,
            "unsubscribe_base_url": "https://mail.acme.example",
            **settings,
        },
    )
    channel = build_channel(config, root=tmp_path, env=env or {}, clock=clock)
    assert isinstance(channel, SmtpChannel)
    return channel


@pytest.fixture
def channel(
    smtp_server: SmtpTestServer, tmp_path: Path, clock: VirtualClock
) -> Iterator[SmtpChannel]:
    channel = smtp_channel(smtp_server, tmp_path, clock)
    yield channel
    channel.close()


def test_email_arrives_with_text_and_html_parts(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    receipt = channel.deliver(make_message())

    [mail] = smtp_server.received
    parsed = mail.message
    assert mail.mail_from == "news@acme.example"
    assert mail.rcpt_tos == ("astrid@example.com",)
    assert parsed["Subject"] == "Välkommen, Astrid!"
    assert parsed["From"] == "Acme <news@acme.example>"
    assert parsed["Date"] == "Sun, 29 Mar 2026 07:30:00 +0000"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().splitlines() == ["Hej Astrid,", "välkommen ombord."]
    assert "<b>Astrid</b>, välkommen" in html.get_content()
    assert receipt.message_id == parsed["Message-ID"]
    assert receipt.provider_id is not None and receipt.provider_id.startswith("250")


def test_message_id_is_deterministic_from_the_delivery_key(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    channel.deliver(make_message(delivery_key="enr-7:welcome:0"))
    channel.deliver(make_message(delivery_key="enr-7:welcome:0"))  # a re-send after a crash
    channel.deliver(make_message(delivery_key="enr-8:welcome:0"))

    ids = smtp_server.message_ids()
    assert ids[0] == ids[1] == message_id_for("enr-7:welcome:0", "acme.example")
    assert ids[2] != ids[0]
    assert ids[0].startswith("<") and ids[0].endswith("@acme.example>")
    assert smtp_server.received[0].message["X-Journey-Delivery-Key"] == "enr-7:welcome:0"


def test_one_click_unsubscribe_headers_carry_the_messages_signed_link_and_the_mailto(
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    clock: VirtualClock,
    make_message: Callable[..., Message],
) -> None:
    channel = smtp_channel(smtp_server, tmp_path, clock, unsubscribe_mailto="unsub@acme.example")
    token = make_unsubscribe_token(SECRET.encode(), "c-1042", "onboarding-welcome")
    link = f"https://mail.acme.example/v1/unsubscribe/{token}"
    channel.deliver(make_message(unsubscribe_url=link))
    channel.close()

    parsed = smtp_server.received[0].message
    value = str(parsed["List-Unsubscribe"])
    https_part, mailto_part = (part.strip() for part in value.split(","))
    assert https_part == f"<{link}>"
    assert verify_unsubscribe_token(SECRET.encode(), token) == ("c-1042", "onboarding-welcome")
    assert mailto_part == f"<mailto:unsub@acme.example?subject=unsubscribe%20{token}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_every_email_has_list_unsubscribe_even_without_a_configured_link(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    channel.deliver(make_message())
    given = "<https://u.example/x>, <mailto:u@example.com>"
    channel.deliver(make_message(headers={"List-Unsubscribe": given, "X-Campaign": "spring"}))

    first, second = (mail.message for mail in smtp_server.received)
    assert first["List-Unsubscribe"] == "<mailto:news@acme.example?subject=unsubscribe>"
    assert first["List-Unsubscribe-Post"] is None  # one-click needs an https URL
    assert second["List-Unsubscribe"] == given
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert second["X-Campaign"] == "spring"


def test_one_connection_is_reused_across_sends(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    for number in range(3):
        channel.deliver(make_message(delivery_key=f"k{number}"))

    assert len({mail.peer for mail in smtp_server.received}) == 1


def test_reconnects_after_the_server_dropped_the_connection(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    channel.deliver(make_message(delivery_key="before"))
    smtp_server.stop()
    smtp_server.start()

    channel.deliver(make_message(delivery_key="after"))

    assert [m.message["X-Journey-Delivery-Key"] for m in smtp_server.received] == [
        "before",
        "after",
    ]


def test_451_is_transient_and_the_connection_stays_usable(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    smtp_server.fail_next("451 4.3.0 Try again later")

    with pytest.raises(DeliveryError, match="451") as caught:
        channel.deliver(make_message())
    assert caught.value.permanent is False

    channel.deliver(make_message())
    assert len(smtp_server.received) == 1


def test_550_is_permanent(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    smtp_server.fail_next("550 5.1.1 No such user")

    with pytest.raises(DeliveryError, match="550") as caught:
        channel.deliver(make_message())

    assert caught.value.permanent is True
    assert smtp_server.received == []


def test_a_refused_recipient_is_permanent(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    smtp_server.refuse("RCPT", "550 5.1.1 User unknown")

    with pytest.raises(DeliveryError, match="recipient refused: 550") as caught:
        channel.deliver(make_message())

    assert caught.value.permanent is True


def test_a_refused_sender_is_the_channels_fault_and_transient(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    smtp_server.refuse("MAIL", "550 5.7.1 Sender domain not verified")

    with pytest.raises(DeliveryError, match="refused the sender") as caught:
        channel.deliver(make_message())
    assert caught.value.permanent is False

    smtp_server.refuse("MAIL", None)
    channel.deliver(make_message())
    assert len(smtp_server.received) == 1


def test_a_server_refusing_the_session_is_transient(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def greet_and_hang_up() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"554 5.7.1 Your IP is on our blocklist\r\n")

        threading.Thread(target=greet_and_hang_up, daemon=True).start()
        fake = SmtpTestServer(port=listener.getsockname()[1])
        channel = smtp_channel(fake, tmp_path, clock)

        with pytest.raises(DeliveryError, match="554") as caught:
            channel.deliver(make_message())

    assert caught.value.permanent is False


def test_server_down_is_transient_and_delivery_resumes_when_it_returns(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    smtp_server.stop()

    with pytest.raises(DeliveryError, match="unreachable") as caught:
        channel.deliver(make_message())
    assert caught.value.permanent is False

    smtp_server.start()
    channel.deliver(make_message())
    assert len(smtp_server.received) == 1


def test_a_server_that_never_greets_times_out_as_transient(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the TCP connection in the backlog, never speaks
        fake = SmtpTestServer(port=silent.getsockname()[1])
        channel = smtp_channel(fake, tmp_path, clock, timeout=0.3)
        started = time.monotonic()

        with pytest.raises(DeliveryError, match="timed out") as caught:
            channel.deliver(make_message())

    assert caught.value.permanent is False
    assert time.monotonic() - started < 2


def test_starttls_with_auth_delivers_over_an_encrypted_connection(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    cert = make_self_signed(tmp_path / "tls")
    with running_smtp_server(
        starttls_context=cert.server_context(), credentials=("mailer", "pw-123")
    ) as server:
        channel = smtp_channel(
            server,
            tmp_path,
            clock,
            env={"SMTP_PASSWORD": "pw-123"},
            starttls=True,
            ca_file=str(cert.cert_file),
            username="mailer",
            password="${SMTP_PASSWORD}",
        )
        channel.deliver(make_message())
        channel.close()

        assert server.logins == ["mailer"]
        assert len(server.received) == 1


def test_implicit_tls_delivers(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    cert = make_self_signed(tmp_path / "tls")
    with running_smtp_server(implicit_tls_context=cert.server_context()) as server:
        channel = smtp_channel(server, tmp_path, clock, ssl=True, ca_file=str(cert.cert_file))
        channel.deliver(make_message())
        channel.close()

        assert len(server.received) == 1


def test_an_untrusted_certificate_is_refused_not_bypassed(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    cert = make_self_signed(tmp_path / "tls")
    with running_smtp_server(starttls_context=cert.server_context()) as server:
        channel = smtp_channel(server, tmp_path, clock, starttls=True)  # no ca_file

        with pytest.raises(DeliveryError, match="TLS") as caught:
            channel.deliver(make_message())

        assert caught.value.permanent is False
        assert server.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_is_transient_so_fixing_the_config_delivers_the_backlog(
    tmp_path: Path, clock: VirtualClock, make_message: Callable[..., Message]
) -> None:
    with running_smtp_server(credentials=("mailer", "right"), auth_require_tls=False) as server:
        channel = smtp_channel(server, tmp_path, clock, username="mailer", password="wrong")

        with pytest.raises(DeliveryError, match="authentication") as caught:
            channel.deliver(make_message())

        assert caught.value.permanent is False
        assert server.received == []


def test_starttls_missing_on_the_server_never_falls_back_to_plain_text(
    channel: SmtpChannel,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    clock: VirtualClock,
    make_message: Callable[..., Message],
) -> None:
    tls_channel = smtp_channel(smtp_server, tmp_path, clock, starttls=True)

    with pytest.raises(DeliveryError, match="STARTTLS") as caught:
        tls_channel.deliver(make_message())

    assert caught.value.permanent is False
    assert smtp_server.received == []


def test_sms_over_an_smtp_channel_is_refused(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    with pytest.raises(DeliveryError, match="carries email") as caught:
        channel.deliver(make_message(message="sms", subject=None, html=None))

    assert caught.value.permanent is True
    with pytest.raises(JourneyError, match="carries email, not sms"):
        build_channel(
            Channel(name="sms", kind="smtp", message="sms", settings={"from": "a@b.example"}),
            root=Path("."),
            env={},
        )


def test_header_injection_in_a_subject_is_a_permanent_failure(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel.deliver(make_message(subject="Hi\r\nBcc: victim@example.com"))

    assert caught.value.permanent is True
    assert smtp_server.received == []


def test_chinese_subject_and_body_survive_the_wire(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    channel.deliver(make_message(subject="欢迎加入", text="你好，欢迎！", html="<p>你好</p>"))

    parsed = smtp_server.received[0].message
    assert parsed["Subject"] == "欢迎加入"
    body = parsed.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "你好，欢迎！"
    assert smtp_server.received[0].data.isascii()  # 7-bit safe for any relay


def test_an_international_address_goes_out_with_smtputf8(
    channel: SmtpChannel, smtp_server: SmtpTestServer, make_message: Callable[..., Message]
) -> None:
    channel.deliver(make_message(to="åsa@exempel.se"))

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ("åsa@exempel.se",)
    assert mail.message["To"] == "åsa@exempel.se"
    assert mail.message["Subject"] == "Välkommen, Astrid!"
