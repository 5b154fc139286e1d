"""JSON from strangers: parsed without ``RecursionError`` and with a nesting limit.

Why: ``json.loads`` of ``[[[[…`` a few thousand levels deep raises ``RecursionError`` (not a
``ValueError``), and a document just under the interpreter's limit parses but breaks the next
recursive walk over it (NUL replacement, python-telegram-bot's ``de_json``, ``json.dumps``
when it is stored). Every body we accept is shallow (a Telegram update nests about ten levels),
so anything deeper than :data:`MAX_DEPTH` is refused as malformed — found by the attacker of
issue 21 (a webhook update nested deeply was a 500).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (iterative: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises only ``ValueError`` (malformed, not UTF-8, or too deep)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(str(exc)) from None
    if depth(value) > max_depth:
        raise ValueError("JSON nested too deeply")
    return value
