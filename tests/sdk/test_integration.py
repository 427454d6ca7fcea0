"""The SDK against the real server (``attest serve`` on SQLite), with crashes at both ends.

1. 10,000 decisions stream through one client while the server is SIGKILLed and restarted, and
   one answer is lost on the way back: every decision is stored exactly once.
2. A client process is SIGKILLed after it logged N decisions and said so; a new client on the
   same spool directory sends what it left, and all N are stored exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from attest.sdk import Client
from tests.sdk.faults import LoseAnswers
from tests.sdk.server import (
    INVENTORY_ENTRIES,
    ROOT,
    Server,
    checkpoint_size,
    clean_env,
    decision,
    free_port,
    prepare_home,
    stored_decisions,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sdk-integration")]
STREAM = 10_000


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    home = tmp_path / "home"
    key = prepare_home(home)
    server = Server(home, free_port()).start()
    yield server, key
    server.kill()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _assert_exactly_once(server: Server, key: str, expected: set[str]) -> list[str]:
    ids, entries, size = stored_decisions(server.home)
    twice = [i for i, n in Counter(ids).items() if n > 1]
    assert not twice, f"stored more than once: {twice[:5]}"
    assert expected <= set(ids), f"missing: {sorted(expected - set(ids))[:5]}"
    assert entries == size == INVENTORY_ENTRIES + len(ids)
    assert checkpoint_size(server.url, key) == size
    return ids


def test_server_killed_mid_stream_loses_and_repeats_nothing(
    deployment: tuple[Server, str], tmp_path: Path
) -> None:
    server, key = deployment
    lossy = LoseAnswers(httpx.HTTPTransport(), lose=lambda n: n == 3)
    client = Client(
        server.url,
        key,
        spool_dir=tmp_path / "spool",
        transport=lossy,
        batch_size=500,
        flush_interval=0.05,
        max_backoff=0.2,
        timeout=10.0,
    )
    logged = [client.log_decision(**decision(n)) for n in range(STREAM // 2)]
    _wait(lambda: client.stats().delivered >= 1500, 60, "the first batches")
    server.kill()  # SIGKILL while the sender is busy with the backlog
    logged += [client.log_decision(**decision(n)) for n in range(STREAM // 2, STREAM)]
    _wait(lambda: client.stats().retries > 0, 10, "the client to notice the outage")
    assert not client.flush(timeout=30)  # the server is down: spooled, not confirmed
    down = client.stats()
    assert down.pending > 0 and down.queued == 0 and down.last_error

    server.start()
    assert client.flush(timeout=60)
    stats = client.stats()
    assert client.close()

    assert len(set(logged)) == STREAM
    ids = _assert_exactly_once(server, key, set(logged))
    assert len(ids) == STREAM
    assert lossy.lost == 1
    # Each record is confirmed once; the batch whose answer was lost (and any batch the kill cut
    # off after its commit) is confirmed by its resend, as already stored.
    assert stats.delivered == stats.created + stats.repeated == STREAM
    assert stats.repeated >= 500
    assert stats.dead_lettered == 0 and stats.pending == 0 and client.errors() == []


def test_client_killed_after_logging_is_replayed_by_the_next_client(
    deployment: tuple[Server, str], tmp_path: Path
) -> None:
    server, key = deployment
    spool_dir = tmp_path / "spool"
    count = 2000
    command = [sys.executable, "-m", "tests.sdk.child_logger"]
    with subprocess.Popen(
        [*command, server.url, key, str(spool_dir), str(count)],
        env=clean_env(server.home),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stderr is not None
            line = child.stdout.readline()
            assert line.startswith(f"logged {count} settled=False"), line + child.stderr.read()
            time.sleep(0.05)  # let it log some more, then kill it in the middle of that
        finally:
            child.kill()  # SIGKILL
            child.wait(10)
    before, _, _ = stored_decisions(server.home)
    assert 0 < len(before) < count  # the server had some; the rest only the spool had

    client = Client(server.url, key, spool_dir=spool_dir, flush_interval=0.05)
    replayed = client.stats().replayed
    assert replayed >= count - len(before)
    assert client.flush(timeout=60)
    stats = client.stats()
    assert client.close()

    expected = {f"child-{n:05d}" for n in range(count)}
    ids = _assert_exactly_once(server, key, expected)
    assert all(i.startswith("child-") for i in ids)
    assert stats.delivered == replayed and stats.repeated > 0  # answers the child never read
    assert stats.dead_lettered == 0
