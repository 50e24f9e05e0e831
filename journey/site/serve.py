"""`journey site --serve`: the built site on 127.0.0.1, rebuilt when a source changes.

A plain http.server in a thread serves the output folder; the caller's thread
polls the modification times of journeys/, templates/, locales/ and
workspace.yaml once a second and rebuilds when one changed. A rebuild that fails
is reported and the last good site stays up.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Snapshot = dict[str, int]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload shows the rebuilt page
        super().end_headers()


class SiteServer:
    """Serves `directory` on host:port (port 0 picks a free one) in a daemon thread."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def watched_paths(root: Path, extra: Iterable[Path] = ()) -> list[Path]:
    return [
        root / "journeys",
        root / "templates",
        root / "locales",
        root / "workspace.yaml",
        *extra,
    ]


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """Path -> mtime (ns) of every file under `paths`; a deleted file drops out."""
    found: Snapshot = {}
    for path in paths:
        candidates = path.rglob("*") if path.is_dir() else [path]
        for file in candidates:
            try:
                if file.is_file():
                    found[str(file)] = file.stat().st_mtime_ns
            except OSError:
                continue  # vanished between listing and stat: the next poll sees it
    return found


class Watcher:
    """Rebuilds when the snapshot changes; `poll()` is one check (the loop sleeps between)."""

    def __init__(self, paths: list[Path], rebuild: Callable[[], None]) -> None:
        self.paths = paths
        self.rebuild = rebuild
        self.last = snapshot(paths)

    def poll(self) -> bool:
        current = snapshot(self.paths)
        if current == self.last:
            return False
        self.last = current
        self.rebuild()
        return True

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.wait(interval):
            self.poll()
