"""Hand-written SMTP and HTTP peers on 127.0.0.1 that misbehave on purpose.

`HostileSmtp` speaks just enough SMTP for smtplib and can trickle (one byte
every `interval` seconds, forever), or take the whole message and then drop
the connection (or trickle) instead of answering the final ``.``. `HostileHttp`
reads a whole request and then trickles its answer or hangs up. Both record
what they received, so tests count copies and read Message-IDs.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import threading
import time
from typing import BinaryIO, Literal

SmtpMode = Literal["trickle", "drop_after_dot", "trickle_after_dot", "ok"]
HttpMode = Literal["trickle", "drop_after_request"]


class _Listener:
    """Accepts connections on a thread; each connection gets its own thread."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.connections = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5)
        self._sock.close()
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            with contextlib.suppress(OSError):
                client.close()

    def __enter__(self) -> _Listener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._clients.append(client)
            threading.Thread(target=self._serve_safely, args=(client,), daemon=True).start()

    def _serve_safely(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError), client:
            client.settimeout(30)
            self.serve(client)

    def serve(self, client: socket.socket) -> None:
        raise NotImplementedError

    def trickle(self, client: socket.socket, data: bytes) -> None:
        """One byte every `interval` seconds, repeating `data` until the peer hangs up."""
        while not self._stopped.is_set():
            for byte in data:
                client.sendall(bytes([byte]))
                time.sleep(self.interval)


class HostileSmtp(_Listener):
    def __init__(self, mode: SmtpMode, *, interval: float = 0.2) -> None:
        super().__init__(interval)
        self.mode = mode
        self.messages: list[bytes] = []  # every complete DATA received, in order

    def message_ids(self) -> list[str]:
        with self._lock:
            raw = list(self.messages)
        parsed = [email.message_from_bytes(m, policy=email.policy.default) for m in raw]
        return [str(m["Message-ID"]) for m in parsed]

    def serve(self, client: socket.socket) -> None:
        if self.mode == "trickle":
            self.trickle(client, b"220-slow\r\n")  # a greeting that never ends
            return
        reader = client.makefile("rb")
        client.sendall(b"220 hostile.test ESMTP\r\n")
        for line in iter(reader.readline, b""):
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                client.sendall(b"250-hostile.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                client.sendall(b"354 go ahead\r\n")
                self._take_message(reader)
                if self.mode == "drop_after_dot":
                    return  # the whole message is here; the answer never goes out
                if self.mode == "trickle_after_dot":
                    self.trickle(client, b"250-queued\r\n")
                    return
                client.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                client.sendall(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                client.sendall(b"250 ok\r\n")

    def _take_message(self, reader: BinaryIO) -> None:
        lines = []
        for line in iter(reader.readline, b""):
            if line == b".\r\n":
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        with self._lock:
            self.messages.append(b"".join(lines))


class HostileHttp(_Listener):
    def __init__(self, mode: HttpMode, *, interval: float = 0.2) -> None:
        super().__init__(interval)
        self.mode = mode
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body) of each whole request

    def idempotency_keys(self) -> list[str]:
        keys = []
        with self._lock:
            heads = [head for head, _ in self.requests]
        for head in heads:
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "idempotency-key":
                    keys.append(value.strip())
        return keys

    def serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                return
            head += line
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = reader.read(length)
        with self._lock:
            self.requests.append((head, body))
        if self.mode == "trickle":
            self.trickle(client, b"HTTP/1.1 200 OK\r\nX-Slow: yes\r\n")
