"""Progress lines on a terminal; silence when stderr is not a terminal (pipes, CI, cron)."""

from __future__ import annotations

import sys
import time

_start = time.perf_counter()


def enabled() -> bool:
    return sys.stderr.isatty()


def step(message: str) -> None:
    """Print ``[  1.2s] message`` to stderr when it is a terminal."""
    if enabled():
        print(f"[{time.perf_counter() - _start:6.1f}s] {message}", file=sys.stderr, flush=True)
