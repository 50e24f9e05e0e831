"""Post a Markdown file as the pull request's journey comment, or update the one posted before.

Used by action.yml. Standard library only: runs on any runner's Python. The
comment is found again by its first line, `<!-- journey-diff -->`.
Env: GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_EVENT_PATH.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

MARKER = "<!-- journey-diff -->"
MAX_BODY = 65_000  # GitHub refuses comments over 65,536 characters


def api(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def main(argv: list[str]) -> int:
    text = Path(argv[1]).read_text("utf-8")
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY] + "\n\n… cut: the full report is in the job's step summary."
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text("utf-8"))
    number = event["pull_request"]["number"]
    base = f"{os.environ.get('GITHUB_API_URL', 'https://api.github.com')}/repos/"
    comments = f"{base}{os.environ['GITHUB_REPOSITORY']}/issues/{number}/comments"
    existing = [c for c in api("GET", comments + "?per_page=100") if c["body"].startswith(MARKER)]
    if existing:
        api("PATCH", existing[0]["url"], {"body": text})
        print(f"updated {existing[0]['html_url']}")
    else:
        posted = api("POST", comments, {"body": text})
        print(f"posted {posted['html_url']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
