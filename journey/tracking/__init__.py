"""Tracked links and opens: signed redirects and an open pixel served by the daemon.

settings.py  workspace.yaml's `tracking:` and whether a message is tracked
tokens.py    the signed token in a tracked URL: a delivery key and a link index, nothing else
links.py     rewriting a rendered message's links (and adding the pixel) at send time
machine.py   telling privacy proxies, link scanners and HEAD requests from people
hits.py      a fetched tracked URL -> the target and the `journey.opened/clicked` event
"""
