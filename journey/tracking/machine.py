"""Telling machines from people: privacy proxies, link scanners and HEAD requests.

Rules, in order (docs/results.md, "Tracking"):

1. A HEAD request is a machine: browsers fetch links and images with GET.
2. A user agent that names itself a scanner or a bot (`bot`, `spider`,
   `crawler`, `scanner`, link-protection products, HTTP libraries) is a machine.
3. Within `machine_window` of the delivery (10 s by default):
   - an open fetched by a privacy or image proxy (Apple Mail Privacy Protection,
     Google's and Yahoo's image proxies) is a machine: the proxy prefetched it on
     arrival. The same proxies fetch later when a person opens the email, so
     later fetches through them count as opens;
   - any click is a machine: link scanners follow links on arrival.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_PROXIES = re.compile(
    r"GoogleImageProxy|ggpht\.com|YahooMailProxy|Apple\s*Mail\s*Privacy|"
    r"^Mozilla/5\.0$|Mozilla/5\.0 \(Macintosh; Intel Mac OS X 10_15_7\) AppleWebKit/605\.1\.15 "
    r"\(KHTML, like Gecko\)$",
    re.IGNORECASE,
)
_SCANNERS = re.compile(
    r"bot\b|spider|crawler|scanner|preview|Barracuda|Proofpoint|Mimecast|SafeLinks|"
    r"python-requests|python-urllib|curl/|wget/|Go-http-client|okhttp|Java/",
    re.IGNORECASE,
)


def machine_reason(
    *,
    method: str,
    user_agent: str,
    is_open: bool,
    sent_at: datetime | None,
    now: datetime,
    window: timedelta,
) -> str | None:
    """Why this fetch is a machine's (`head`, `scanner`, `proxy`, `too-soon`); None for a person."""
    if method == "HEAD":
        return "head"
    if _SCANNERS.search(user_agent):
        return "scanner"
    soon = sent_at is None or now - sent_at < window  # not yet marked sent: at once
    if not soon:
        return None
    if not is_open:
        return "too-soon"
    return "proxy" if _PROXIES.search(user_agent) else None
