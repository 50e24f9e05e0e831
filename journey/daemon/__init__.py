"""The daemon stage: `journey run` drives the engine on the real clock and delivers.

service.py    the daemon around the shell (journey.engine.shell): open, tick, reload, close
scheduler.py  APScheduler jobs, signals, the main loop
delivery.py   the delivery worker: consent at send time, retries, dead letters;
              delivery_gate.py what a delivery becomes before a channel sees it,
              delivery_recording.py its outcome in the store
catalog.py    last-good plans and hot reload; migrate.py: in-flight contacts on reload
hooks.py      the HTTP API's callbacks (http/ is the server); inbox.py the hand-off
lock.py       one daemon per database (pg_lock.py on PostgreSQL); logs.py state-change logs
secret.py     the unsubscribe key ring; upkeep.py start-up recovery, erasure, aborts
metrics.py    /metrics: every series from 0, the event-to-send histogram
"""
