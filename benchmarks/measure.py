"""Timing and memory of benchmark phases: wall time, resident memory, optional Python peak."""

from __future__ import annotations

import resource
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def max_rss_mib() -> float:
    """Peak resident set size of this process (getrusage: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """Current resident set size (psutil), or the peak when psutil is missing."""
    try:
        import psutil
    except ImportError:  # psutil is a test dependency
        return max_rss_mib()
    return psutil.Process().memory_info().rss / 2**20


class Meter:
    """Runs phases, prints one line each, keeps rows (name, seconds, python peak MiB or None, note).

    With `trace`, tracemalloc's peak per phase is measured too (it slows every phase down)."""

    def __init__(self, trace: bool = False):
        self.trace = trace
        self.rows: list[tuple[str, float, float | None, str]] = []

    def run(self, name: str, func: Callable[[], Any], describe: Callable[[Any], str] = lambda r: "") -> Any:
        if self.trace:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if self.trace else None
        note = describe(result)
        self.rows.append((name, elapsed, peak, note))
        peak_text = f"py peak {peak:6.1f} MiB  " if peak is not None else ""
        print(f"{name:<36} {elapsed:8.2f} s  RSS {rss_mib():6.0f} MiB  {peak_text}{note}", flush=True)
        return result
