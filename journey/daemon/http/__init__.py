"""The daemon's HTTP API: events and contacts in, health and metrics out, one-click unsubscribe.

server.py            the listening server: who gets a worker, lifecycle, request counters
loop.py              accepts connections, reads request heads with h11, deadlines, eviction
wire.py              the RFC 9112 framing rules h11 leaves to us (obs-fold, bare LF, CL+TE)
exchange.py          one request on a worker: the body through h11, the reply
handler.py           one request: routing, body limits, JSON replies, the endpoints
limits.py            worker pools, replies over a budget, lingering close, the numbers
auth.py              the bearer-token check and the token's strength at start
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
