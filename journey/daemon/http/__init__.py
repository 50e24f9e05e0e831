"""The daemon's HTTP API: events and contacts in, health and metrics out, one-click unsubscribe.

server.py            the listening server, its settings and request counters
handler.py           one request: routing, body limits, JSON replies, the endpoints
auth.py              the bearer-token check
routes.py            the route table, the metrics label, HttpError
unsubscribe_page.py  the HTML pages of one-click unsubscribe

An event is acknowledged only after `ingest_events` returned, i.e. after it is
stored. Every error is a small JSON body; a traceback never leaves the process.
"""

from journey.daemon.http.routes import UNSUBSCRIBE_PREFIX, HttpError
from journey.daemon.http.server import HttpHandlers, JourneyHTTPServer, make_server, serve_in_thread
from journey.daemon.http.unsubscribe_page import unsubscribe_page

__all__ = [
    "UNSUBSCRIBE_PREFIX",
    "HttpError",
    "HttpHandlers",
    "JourneyHTTPServer",
    "make_server",
    "serve_in_thread",
    "unsubscribe_page",
]
