"""`journey site --serve`: a real http.server on 127.0.0.1 and a polling rebuild."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

from journey.site.serve import SiteServer, Watcher, snapshot, watched_paths


def test_serves_the_folder_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hello</p>", encoding="utf-8")
    server = SiteServer(tmp_path, port=0).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url + "index.html", timeout=5) as response:
            assert response.read() == b"<p>hello</p>"
            assert response.headers["Cache-Control"] == "no-store"
    finally:
        server.stop()


def test_a_changed_journey_triggers_one_rebuild(tmp_path: Path) -> None:
    journey = tmp_path / "journeys" / "a.yaml"
    journey.parent.mkdir()
    journey.write_text("id: a\n", encoding="utf-8")
    (tmp_path / "workspace.yaml").write_text("default_locale: en\n", encoding="utf-8")
    builds: list[int] = []
    watcher = Watcher(watched_paths(tmp_path), lambda: builds.append(1))
    assert watcher.poll() is False and builds == []
    stat = journey.stat()
    os.utime(journey, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert watcher.poll() is True and builds == [1]
    assert watcher.poll() is False  # nothing new since
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "new.txt").write_text("x", encoding="utf-8")
    assert watcher.poll() is True and builds == [1, 1]
    journey.unlink()
    assert str(journey) not in snapshot(watched_paths(tmp_path))
    assert watcher.poll() is True
