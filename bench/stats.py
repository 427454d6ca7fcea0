"""Summaries of repeated measurements and the timers that take them."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Median, extremes and 99th percentile (nearest rank) of ``count`` samples."""

    count: int
    median: float
    low: float
    high: float
    p99: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("a summary needs at least one sample")
        ordered = sorted(samples)
        rank = max(1, math.ceil(0.99 * len(ordered)))
        return cls(
            count=len(ordered),
            median=statistics.median(ordered),
            low=ordered[0],
            high=ordered[-1],
            p99=ordered[rank - 1],
        )


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes, by the monotonic high-resolution clock."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def rate_until(step: Callable[[], int], min_seconds: float) -> float:
    """Items per second: call ``step`` (which returns how many items it did) for ``min_seconds``."""
    done = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < min_seconds:
        done += step()
        elapsed = time.perf_counter() - start
    return done / elapsed


def progress(message: str) -> None:
    """One line on stderr, so a long run shows where it is."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
