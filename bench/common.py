"""Shared helpers of the benchmarks: cached generated networks, timing, peak memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def sample_dir(pipes: int, seed: int = 7) -> Path:
    """A generated network of about ``pipes`` pipes, written once and cached in bench/out."""
    import hashlib

    import gasnet.sample
    from gasnet.sample import write_sample

    # The generator's source is part of the key: a changed generator makes new files.
    tag = hashlib.sha256(Path(gasnet.sample.__file__).read_bytes()).hexdigest()[:8]
    d = OUT / f"p{pipes}-s{seed}-{tag}"
    if not (d / "gasnet.toml").exists():
        write_sample(d, pipes, seed)
    return d


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __init__(self):
        self.t = {}

    def __call__(self, name):
        timer = self

        class _T:
            def __enter__(self):
                self.s = time.perf_counter()

            def __exit__(self, *a):
                timer.t[name] = time.perf_counter() - self.s

        return _T()


def in_subprocess(script: Path, *args, timeout: float | None = None) -> dict:
    """Run one measurement in a fresh interpreter (so peak memory is its own); JSON back.

    With ``timeout`` (seconds) the interpreter is killed when it runs longer, and
    :class:`subprocess.TimeoutExpired` raised.
    """
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
