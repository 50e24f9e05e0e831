"""A bound on how deeply a request's JSON records nest, checked before anything recurses into them.

Python's decoder, the store's encoder and SQLite's JSON functions each give up
at a different depth (around 1000), some with RecursionError: a record that
passed one could fail in the next with a 500, or later in the worker. So the
API refuses, per record, anything nested deeper than `MAX_JSON_DEPTH`.
"""

from __future__ import annotations

from typing import Any

from journey.daemon.http.limits import MAX_JSON_DEPTH


def nesting(value: Any) -> int:
    """How many arrays and objects deep `value` goes (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
