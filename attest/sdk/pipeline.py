"""The worker behind a client: an in-memory queue, a spooler thread and a sender thread.

The caller's thread only appends to a ``deque`` and sets an event. The *spooler* thread wakes
on that event, drains the queue, encodes each record and writes them all to the spool in one
fsync'd transaction (group commit: the busier the caller, the bigger the transaction). The
*sender* thread sends the spool's oldest rows when a batch is full, when the oldest row has waited
``flush_interval``, or at once when a ``flush()`` is waiting; it backs off (doubling, with jitter,
up to ``max_backoff``, or as long as ``Retry-After`` says) while the server is unreachable.

They are two threads so that a slow or hung request never delays spooling: a record is on disk
one group commit after ``log_decision`` returned, whatever the network is doing.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from attest.sdk.deadletter import DeadLetter, DeadLetterFile, dead_letter
from attest.sdk.delivery import Delivery, Tally
from attest.sdk.records import DECISION, encode, ns_time_text
from attest.sdk.sink import Retry
from attest.sdk.spool import Spool

log = logging.getLogger("attest.sdk")

FIRST_BACKOFF = 0.05  # seconds after the first failed attempt; doubles per failure
MAX_RETRY_AFTER = 60.0  # a server's Retry-After is honoured up to this
SPOOL_CHUNK = 5000  # most records per spool transaction
IDLE_TICK = 1.0  # the spooler re-checks its queue at least this often


class Marker:
    """A ``flush()`` waiting for everything queued before it."""

    __slots__ = ("delivered", "event", "seq")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.seq = 0
        self.delivered = False

    def settle(self, delivered: bool) -> None:
        self.delivered = delivered
        self.event.set()


# What the caller's thread puts on the queue: (kind, record, time.time_ns()) or a Marker.
Item = tuple[str, dict[str, Any], int] | Marker


@dataclass(frozen=True)
class Stats:
    """A snapshot of the client's delivery, for dashboards, health checks and tests."""

    queued: int  # in memory, not yet in the spool (a waiting flush() counts as one)
    pending: int  # in the spool, not yet confirmed by the server
    spooled: int  # records this client wrote to the spool
    delivered: int  # records the server confirmed (created + repeated)
    created: int  # ... that the server stored for the first time
    repeated: int  # ... that it already had (a retry after an answer was lost)
    dead_lettered: int  # records refused for good (see Client.errors())
    retries: int  # failed attempts: unreachable, timeout, 5xx, 408, 429
    replayed: int  # records an earlier client left in the spool, found at start
    last_error: str | None  # why the latest attempt failed; None once one succeeds


class Pipeline:
    def __init__(
        self,
        spool: Spool,
        delivery: Delivery,
        dead_letters: DeadLetterFile,
        on_dead: Callable[[list[DeadLetter]], None],
        *,
        tenant: str | None,
        batch_size: int,
        flush_interval: float,
        max_backoff: float,
    ) -> None:
        self.queue: deque[Item] = deque()
        self.wake = threading.Event()
        self.spool = spool
        self.delivery = delivery
        self.dead_letters = dead_letters
        self.on_dead = on_dead
        self.tenant = tenant
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_backoff = max_backoff

        self._cond = threading.Condition()
        self._pending = spool.count()
        self._last_seq = spool.last_seq()  # a flush also waits for rows left by an earlier client
        self._markers: list[Marker] = []
        self._due_at: float | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self._stop_spooler = False
        self._stop_sender = False
        self._carry: tuple[list[tuple[str, str | None, str]], list[Marker]] = ([], [])
        self._counts = dict.fromkeys(
            ("spooled", "delivered", "created", "repeated", "dead_lettered", "retries"), 0
        )
        self._replayed = self._pending
        self._last_error: str | None = None

        self._spooler = threading.Thread(target=self._spool_loop, name="attest-sdk-spooler")
        self._sender = threading.Thread(target=self._send_loop, name="attest-sdk-sender")
        for thread in (self._spooler, self._sender):
            thread.daemon = True  # interpreter exit runs atexit (our flush) before killing them
            thread.start()

    # -- the caller's side -------------------------------------------------------------------

    def flush(self, timeout: float | None) -> bool:
        """Wait until everything queued before now is settled (True) or safely spooled (False)."""
        marker = Marker()
        self.queue.append(marker)
        self.wake.set()
        return marker.event.wait(timeout) and marker.delivered

    def stats(self) -> Stats:
        with self._cond:
            c = self._counts
            return Stats(
                queued=len(self.queue),
                pending=self._pending,
                spooled=c["spooled"],
                delivered=c["delivered"],
                created=c["created"],
                repeated=c["repeated"],
                dead_lettered=c["dead_lettered"],
                retries=c["retries"],
                replayed=self._replayed,
                last_error=self._last_error,
            )

    def stop(self, timeout: float) -> bool:
        """Stop both threads; False when one is still busy (a request outlasting ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._stop_sender = True
            self._cond.notify_all()
        self._stop_spooler = True
        self.wake.set()
        self._spooler.join(max(0.0, deadline - time.monotonic()))
        self._sender.join(max(0.0, deadline - time.monotonic()))
        if not self._spooler.is_alive() and self.queue:
            self._spool_once()  # a log call that raced with close(): still spool it
        return not (self._spooler.is_alive() or self._sender.is_alive())

    # -- spooler thread ----------------------------------------------------------------------

    def _spool_loop(self) -> None:
        while True:
            if not self.queue:
                if self._stop_spooler and not self._carry[0]:
                    return
                self.wake.wait(IDLE_TICK)
            self.wake.clear()  # before draining: a record appended after this sets it again
            try:
                self._spool_once()
            except Exception as error:  # never die: unspooled records stay queued or carried
                log.exception("attest SDK spooler failed")
                self._note_error(f"spooler: {type(error).__name__}: {error}")
                time.sleep(FIRST_BACKOFF)

    def _spool_once(self) -> None:
        rows, markers = self._carry
        self._carry = ([], [])
        dead: list[DeadLetter] = []
        queue = self.queue
        for _ in range(SPOOL_CHUNK):
            try:
                item = queue.popleft()
            except IndexError:
                break
            if isinstance(item, Marker):
                markers.append(item)
                continue
            kind, record, now_ns = item
            # The time of the call, not of the (possibly much later) delivery; stored in the
            # spool, so a retry sends the same bytes.
            stamp = "decided_at" if kind == DECISION else "observed_at"
            if record.get(stamp) is None:
                record[stamp] = ns_time_text(now_ns)
            try:
                rows.append((kind, self.tenant, encode(kind, record)))
            except Exception as error:  # anything, so that no drained record is dropped
                reason = f"not sent: {type(error).__name__}: {error}"
                dead.append(dead_letter(kind, self.tenant, 0, reason, record))
        if dead:
            try:
                self.dead_letters.append(dead)
            except Exception:  # the file failed; errors() and on_error still get them
                log.exception("attest SDK: could not write the dead-letter file")
            self.on_dead(dead)
        if rows:
            try:
                self._last_seq = self.spool.append(rows)
            except (sqlite3.Error, OSError) as error:  # disk full, I/O error: keep them, retry
                self._carry = (rows, markers)
                self._note_error(f"spool write failed: {type(error).__name__}: {error}")
                time.sleep(self.max_backoff)
                return
        with self._cond:
            self._pending += len(rows)
            self._counts["spooled"] += len(rows)
            for marker in markers:
                marker.seq = self._last_seq
                self._markers.append(marker)
            self._cond.notify_all()

    # -- sender thread -----------------------------------------------------------------------

    def _send_loop(self) -> None:
        while True:
            with self._cond:
                if not self._wait_until_due():
                    return
            try:
                tally = self.delivery.send_head(self.batch_size)
            except Exception as error:  # a bug or a broken sink: keep the rows, back off
                log.exception("attest SDK sender failed")
                tally = Tally(retry=Retry(f"{type(error).__name__}: {error}"))
            with self._cond:
                self._record(tally)

    def _wait_until_due(self) -> bool:
        """Hold the condition until a batch should go; False when the client is closing."""
        while not self._stop_sender:
            self._settle_markers()
            now = time.monotonic()
            if self._pending <= 0:
                self._due_at = None
                self._cond.wait()
                continue
            if self._due_at is None:
                self._due_at = now + self.flush_interval
            if self._markers:  # a flush is waiting: one attempt now, back-off or not
                return True
            if now < self._retry_at:
                self._cond.wait(self._retry_at - now)
                continue
            if self._pending >= self.batch_size or now >= self._due_at:
                return True
            self._cond.wait(self._due_at - now)
        return False

    def _record(self, tally: Tally) -> None:
        counts = self._counts
        counts["delivered"] += tally.delivered
        counts["created"] += tally.created
        counts["repeated"] += tally.repeated
        counts["dead_lettered"] += tally.dead
        self._pending -= tally.delivered + tally.dead
        if tally.retry is not None:
            counts["retries"] += 1
            self._last_error = tally.retry.reason
            self._backoff = min(self.max_backoff, max(FIRST_BACKOFF, self._backoff * 2))
            delay = random.uniform(self._backoff / 2, self._backoff)
            if tally.retry.after is not None:
                delay = min(tally.retry.after, MAX_RETRY_AFTER)
            self._retry_at = time.monotonic() + delay
            for marker in self._markers:  # their records are spooled; the server is not there
                marker.settle(False)
            self._markers.clear()
            return
        self._backoff = 0.0
        self._retry_at = 0.0
        if tally.delivered or tally.dead:
            self._last_error = None
        else:  # nothing to send although we counted some: trust the spool
            self._pending = self.spool.count()
        self._settle_markers()

    def _settle_markers(self) -> None:
        done_through = self.delivery.done_through
        waiting = []
        for marker in self._markers:
            if self._pending <= 0 or marker.seq <= done_through:
                marker.settle(True)
            else:
                waiting.append(marker)
        self._markers = waiting

    def _note_error(self, reason: str) -> None:
        with self._cond:
            self._last_error = reason
