"""The daemon stage: `journey run` drives the engine on the real clock and delivers.

service.py    the work (inbox, runner, delivery worker, reload), clock-agnostic
scheduler.py  APScheduler jobs, signals, the main loop
delivery.py   the delivery worker: consent at send time, retries, dead letters
catalog.py    last-good plans and hot reload; migrate.py: in-flight contacts on reload
hooks.py      the HTTP API's callbacks (http/ is the server); inbox.py the hand-off
lock.py       one daemon per database; logs.py structured state-change logs
metrics.py    /metrics: every series from 0, the event-to-send histogram
"""
