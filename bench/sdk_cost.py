"""``python -m bench.sdk_cost``: what ``Client.log_decision`` costs the thread that calls it.

Target: p99 <= 50 µs per call in the caller's thread. Each call is timed on its own
(``perf_counter_ns`` around it; the timer's own cost is printed too and is included in the numbers)
over ``--calls`` calls (default 200,000) in a tight loop, after a warm-up, with the whole SDK
running: the spooler thread writes every record to a SQLite spool on disk (fsync'd) and the sender
thread sends batches of 500. Without ``--url`` the batches go to an in-process answering transport
(httpx.MockTransport) that confirms them without parsing, so the numbers include the competition
for the GIL from the SDK's own threads but not a server's; with ``--url`` and ``--key`` they go to
a real server (which must know the system ``--system`` and model version ``--model-version``).
The decisions are the benchmark's ~1 KB credit decisions (25 input features).

Two runs: a tight loop (the worst case: the worker threads always have a backlog, so the caller
waits for the GIL, for up to the interpreter's 5 ms switch interval, far more often than a service
logging at a steady rate would; and when the caller outruns the spool's disk, the queue fills to
``max_queue`` and ``log_decision`` waits: back-pressure, the max), then ``--rate`` calls per
second (default 10,000), paced with sleeps, as a busy model service would log.
"""

from __future__ import annotations

import argparse
import math
import platform
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from attest.sdk import Client
from bench.workload import decision_bodies

WARMUP = 10_000
DISTINCT = 1_000


@dataclass(frozen=True)
class SdkCost:
    calls: int
    rate: float | None  # calls per second asked for; None: a tight loop
    p50_us: float
    p90_us: float
    p99_us: float
    p999_us: float
    max_us: float
    mean_us: float
    drain_s: float  # after the last call: until flush() confirmed everything
    delivered: int


def _percentile(ordered: Sequence[int], fraction: float) -> float:
    """Nearest rank, in microseconds."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] / 1000


def _confirm(request: httpx.Request) -> httpx.Response:
    """Answer like the API, counting the records without parsing them (cheap, like a socket)."""
    if request.url.path.endswith("/outcomes"):
        key, count = "outcomes", request.content.count(b'"outcome_id":')
    else:
        key, count = "decisions", request.content.count(b'"decision_id":')
    answers = [{"id": "-", "index": 0, "created": True, "flags": []}] * count
    return httpx.Response(201, json={key: answers, "tree_size": 0, "checkpoint": "-"})


def _timer_cost(rounds: int = 100_000) -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(rounds):
        start = clock()
        samples.append(clock() - start)
    samples.sort()
    return samples[len(samples) // 2] / 1000


def measure(
    calls: int,
    *,
    rate: float | None = None,
    url: str | None = None,
    key: str | None = None,
    system: str = "credit-underwriting",
    model_version: str = "v1",
) -> SdkCost:
    bodies = decision_bodies(DISTINCT)
    transport = None if url else httpx.MockTransport(_confirm)
    with tempfile.TemporaryDirectory(prefix="attest-sdk-bench-") as spool_dir:
        client = Client(
            url or "http://bench.invalid",
            key or "atk_bench",
            transport=transport,
            spool_dir=spool_dir,
            close_timeout=600,
        )
        log = client.log_decision
        clock = time.perf_counter_ns
        for number in range(WARMUP):
            body = bodies[number % DISTINCT]
            inputs, output = body["inputs"], body["output"]
            log(system=system, model_version=model_version, inputs=inputs, output=output)
        client.flush(timeout=600)
        samples = [0] * calls
        interval = round(1e9 / rate) if rate else 0
        next_call = clock()
        for number in range(calls):
            body = bodies[number % DISTINCT]
            inputs, output = body["inputs"], body["output"]
            if interval:
                next_call += interval
                wait = next_call - clock()
                if wait > 0:
                    time.sleep(wait / 1e9)
            start = clock()
            log(system=system, model_version=model_version, inputs=inputs, output=output)
            samples[number] = clock() - start
        logged_at = time.perf_counter()
        client.flush(timeout=600)
        drain = time.perf_counter() - logged_at
        delivered = client.stats().delivered
        client.close()
    ordered = sorted(samples)
    return SdkCost(
        calls=calls,
        rate=rate,
        p50_us=_percentile(ordered, 0.50),
        p90_us=_percentile(ordered, 0.90),
        p99_us=_percentile(ordered, 0.99),
        p999_us=_percentile(ordered, 0.999),
        max_us=ordered[-1] / 1000,
        mean_us=sum(ordered) / len(ordered) / 1000,
        drain_s=drain,
        delivered=delivered,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sdk_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--calls", type=int, default=200_000, help="timed calls (default 200,000)")
    parser.add_argument(
        "--rate", type=float, default=10_000, help="calls per second of the paced run (10,000)"
    )
    parser.add_argument("--url", help="a running Attest server (default: in-process answers)")
    parser.add_argument("--key", help="a developer API key for --url")
    parser.add_argument("--system", default="credit-underwriting")
    parser.add_argument("--model-version", default="v1")
    args = parser.parse_args(argv)
    if args.calls < 100_000:
        parser.error("--calls: at least 100,000 calls, for a meaningful p99")
    if bool(args.url) != bool(args.key):
        parser.error("--url and --key go together")
    where = args.url or "in-process answering transport"
    print(f"attest SDK: log_decision cost in the caller's thread ({where})")
    print(f"  Python {platform.python_version()} on {platform.machine()}")
    met = True
    for rate in (None, args.rate):
        cost = measure(
            args.calls,
            rate=rate,
            url=args.url,
            key=args.key,
            system=args.system,
            model_version=args.model_version,
        )
        met = met and cost.p99_us <= 50
        pace = f"paced at {rate:,.0f}/s" if rate else "tight loop"
        print(f"{pace}, {cost.calls:,} calls:")
        print(f"  p50 {cost.p50_us:.2f} µs   p90 {cost.p90_us:.2f} µs   p99 {cost.p99_us:.2f} µs")
        print(
            f"  p99.9 {cost.p999_us:.1f} µs   max {cost.max_us:.1f} µs   mean {cost.mean_us:.2f} µs"
        )
        print(f"  p99 target <= 50 µs: {'met' if cost.p99_us <= 50 else 'NOT met'}")
        print(
            f"  after the last call, {cost.delivered:,} decisions confirmed in {cost.drain_s:.2f} s"
        )
    print(f"(each sample includes one perf_counter_ns pair: {_timer_cost():.2f} µs)")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
