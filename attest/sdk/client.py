"""``attest.Client``: log decisions and outcomes from a model's process without slowing it down.

Delivery guarantee
------------------
``log_decision`` / ``log_outcome`` do no I/O: they choose the record's id (a UUIDv7, unless
given), put the record on an in-memory queue and return the id. A spooler thread then writes the
queued records to a SQLite spool in ``spool_dir``, fsync'd, in one transaction per drain; a
sender thread sends the oldest spooled rows in order and deletes them only after the server's
2xx answer (or after writing them, fsync'd, to the dead-letter file). Hence:

1. A record is durable once the spooler has committed it, normally one fsync after the call
   returned (measured: 0.6 ms median, 6 ms p99, on a rotational disk). A SIGKILL of the client
   process, a crash or a power cut loses only the records still in the in-memory queue: those
   logged since the spooler's last commit began, never more than ``max_queue`` (only a caller
   outrunning the disk gets near that; ``log_decision`` then blocks: back-pressure, not loss).
   ``flush()`` closes the window: when it returns (``True`` or ``False``, not by timeout)
   every record logged before the call is in the spool, confirmed, or dead-lettered.
2. Nothing leaves the spool unconfirmed. A new client on the same ``spool_dir`` (after a crash,
   or at the next start) sends what was left, first and in the original order.
3. The server stores each decision exactly once: ids are chosen here and spooled with the record,
   so a resent batch carries the same bytes and is answered ``created: false``. Delivery to the
   server is at-least-once; the ledger is exactly-once.
4. A record the server refuses for good (4xx other than 408/429) is never retried forever and
   never dropped silently: it goes to ``dead-letter.jsonl`` with the server's message, to
   ``client.errors()`` and to the ``on_error`` callback. A batch refused because of one record
   (or its size) is split so that only the refused records are dead-lettered.

Without ``spool_dir`` the spool lives in a new temporary directory: records survive a server
outage, but after a crash no later client would look there (give each process its own
persistent ``spool_dir`` for that). At interpreter exit the client is closed: it flushes for
up to ``close_timeout`` seconds and leaves anything undelivered in the spool.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from os import urandom
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from attest.core.records import uuid7
from attest.sdk.deadletter import DeadLetter, DeadLetterFile
from attest.sdk.delivery import Delivery
from attest.sdk.errors import ClientClosed
from attest.sdk.http import HttpSink
from attest.sdk.pipeline import Pipeline, Stats
from attest.sdk.records import DECISION, OUTCOME, time_text
from attest.sdk.sink import Sink
from attest.sdk.spool import Spool

if TYPE_CHECKING:
    from attest.sdk.tracking import Explainer, TrackedModel

log = logging.getLogger("attest.sdk")
time_ns = time.time_ns
MAX_ERRORS_KEPT = 10_000


class Client:
    """A connection to one tenant's ledger, through the API (or an embedded store: :meth:`local`).

    Thread-safe: any number of threads may log through one client. One client per process and
    spool directory; see the module docstring for what is guaranteed when.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
        spool_dir: str | Path | None = None,
        batch_size: int = 500,
        flush_interval: float = 0.5,
        timeout: float = 10.0,
        max_backoff: float = 5.0,
        max_queue: int = 100_000,
        close_timeout: float = 10.0,
        on_error: Callable[[DeadLetter], None] | None = None,
    ) -> None:
        """``tenant`` is needed only when the API key reaches more than one tenant."""
        sink = HttpSink(url, api_key, transport=transport, timeout=timeout)
        self._start(
            sink,
            tenant=tenant,
            spool_dir=spool_dir,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_backoff=max_backoff,
            max_queue=max_queue,
            close_timeout=close_timeout,
            on_error=on_error,
        )

    @classmethod
    def local(
        cls,
        path_or_home: str | Path,
        *,
        tenant: str,
        spool_dir: str | Path | None = None,
        batch_size: int = 500,
        flush_interval: float = 0.5,
        max_backoff: float = 5.0,
        max_queue: int = 100_000,
        close_timeout: float = 10.0,
        on_error: Callable[[DeadLetter], None] | None = None,
    ) -> Client:
        """Write to an embedded store with no server: an ``ATTEST_HOME`` made by ``attest init``
        (or its SQLite file). The spool defaults to ``<home>/spool/<tenant>``.

        Configuration errors (no keys, old schema, unknown tenant) are raised here, at once.
        """
        from attest.config import Settings
        from attest.runtime import Runtime
        from attest.sdk.local import LocalSink

        path = Path(path_or_home)
        if path.is_file():
            settings = Settings(home=path.parent, database_url=f"sqlite:///{path.resolve()}")
        else:
            settings = Settings(home=path)
        runtime = Runtime(settings)
        try:
            runtime.keyring  # noqa: B018 - load now: a missing key is the caller's to fix
            runtime.inventory.tenant(tenant)
        except BaseException:
            runtime.close()
            raise
        client = cls.__new__(cls)
        client._start(
            LocalSink(runtime, tenant),
            tenant=tenant,
            spool_dir=spool_dir or settings.home / "spool" / tenant,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_backoff=max_backoff,
            max_queue=max_queue,
            close_timeout=close_timeout,
            on_error=on_error,
        )
        return client

    def _start(
        self,
        sink: Sink,
        *,
        tenant: str | None,
        spool_dir: str | Path | None,
        batch_size: int,
        flush_interval: float,
        max_backoff: float,
        max_queue: int,
        close_timeout: float,
        on_error: Callable[[DeadLetter], None] | None,
    ) -> None:
        if batch_size < 1 or max_queue < 1 or flush_interval < 0 or max_backoff <= 0:
            sink.close()
            raise ValueError("batch_size and max_queue must be positive, intervals not negative")
        self._temporary = spool_dir is None
        directory = Path(spool_dir or tempfile.mkdtemp(prefix="attest-spool-"))
        try:
            self._spool = Spool(directory)
        except BaseException:
            sink.close()
            raise
        self._sink = sink
        self._dead_letters = DeadLetterFile(directory)
        self._errors: deque[DeadLetter] = deque(maxlen=MAX_ERRORS_KEPT)
        self._errors_lock = threading.Lock()
        self._on_error = on_error
        self._close_timeout = close_timeout
        self._max_queue = max_queue
        self._closed = False
        self._close_result = False
        self._pipeline = Pipeline(
            self._spool,
            Delivery(sink, self._spool, self._dead_letters, self._dead),
            self._dead_letters,
            self._dead,
            tenant=tenant,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_backoff=max_backoff,
        )
        self._queue = self._pipeline.queue  # the hot path touches only these two
        self._wake = self._pipeline.wake
        atexit.register(self._at_exit)

    # -- logging (the caller's thread: no I/O, no locks beyond the GIL) ---------------------

    def log_decision(
        self,
        *,
        system: str,
        model_version: str,
        inputs: Mapping[str, Any],
        output: Mapping[str, Any],
        decision_id: str | None = None,
        subject: str | None = None,
        identifiers: Mapping[str, Any] | None = None,
        protected: Mapping[str, Any] | None = None,
        explanation: Mapping[str, Any] | None = None,
        adverse: bool | None = None,
        context: Mapping[str, Any] | None = None,
        human: Mapping[str, Any] | None = None,
        decided_at: datetime | str | None = None,
        policy_version: str | None = None,
    ) -> str:
        """Queue one decision and return its id; ``decided_at`` defaults to now.

        ``inputs`` and ``output`` are copied (one level), so reusing a dict for the next row is
        safe; the other members are read later, on the worker thread: do not change them.
        """
        if self._closed:
            raise ClientClosed("this client is closed")
        now = time_ns()
        if decision_id is None:
            decision_id = uuid7(now // 1_000_000, urandom(10))
        record: dict[str, Any] = {
            "decision_id": decision_id,
            "system": system,
            "model_version": model_version,
            "inputs": dict(inputs),
            "output": dict(output),
        }
        if policy_version is not None:
            record["policy_version"] = policy_version
        if subject is not None:
            record["subject"] = subject
        if identifiers is not None:
            record["identifiers"] = identifiers
        if protected is not None:
            record["protected"] = protected
        if adverse is not None:
            record["adverse"] = adverse
        if explanation is not None:
            record["explanation"] = explanation
        if context is not None:
            record["context"] = context
        if human is not None:
            record["human"] = human
        if decided_at is not None:
            record["decided_at"] = time_text(decided_at)
        self._enqueue((DECISION, record, now))
        return decision_id

    def log_outcome(
        self,
        decision_id: str,
        outcome: str | float | bool,
        observed_at: datetime | str | None = None,
        *,
        outcome_id: str | None = None,
    ) -> str:
        """Queue the observed outcome of a decision; returns the outcome's id (chosen here, so a
        resent batch is not stored twice). Outcomes are sent after the decisions logged before
        them, so an outcome may follow its decision at once."""
        if self._closed:
            raise ClientClosed("this client is closed")
        now = time_ns()
        if outcome_id is None:
            outcome_id = uuid7(now // 1_000_000, urandom(10))
        record: dict[str, Any] = {
            "decision_id": decision_id,
            "outcome": outcome,
            "outcome_id": outcome_id,
        }
        if observed_at is not None:
            record["observed_at"] = time_text(observed_at)
        self._enqueue((OUTCOME, record, now))
        return outcome_id

    def _enqueue(self, item: tuple[str, dict[str, Any], int]) -> None:
        queue = self._queue
        queue.append(item)
        if not self._wake.is_set():
            self._wake.set()
        if len(queue) >= self._max_queue:
            self._wait_for_room()

    def _wait_for_room(self) -> None:
        """Back-pressure: the spool (the disk) is behind; wait rather than drop or grow forever."""
        while len(self._queue) >= self._max_queue and not self._closed:
            self._wake.set()
            time.sleep(0.001)

    # -- delivery control --------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every record logged so far is confirmed or dead-lettered (True), or the
        server is unreachable and they are safely spooled (False), or ``timeout`` passes
        (False)."""
        if self._closed:
            raise ClientClosed("this client is closed")
        return self._pipeline.flush(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Flush (up to ``timeout``, default ``close_timeout``), stop the worker, release the
        spool. True when everything logged was delivered; undelivered records stay spooled."""
        if self._closed:
            return self._close_result
        self._closed = True
        atexit.unregister(self._at_exit)
        budget = self._close_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        delivered = self._pipeline.flush(budget)
        stopped = self._pipeline.stop(max(1.0, deadline - time.monotonic()))
        left = self._pipeline.stats().pending
        directory = self._spool.directory
        if not stopped:
            log.warning("attest SDK: a request outlived close(); the spool stays in %s", directory)
        else:
            self._sink.close()
            self._spool.close()
        if left:
            log.warning(
                "attest SDK: %d records are not confirmed yet; they stay in the spool %s "
                "and are sent by the next client opened on it",
                left,
                directory,
            )
        elif self._temporary and stopped and not self._dead_letters.path.exists():
            shutil.rmtree(directory, ignore_errors=True)
        self._close_result = delivered and left == 0
        return self._close_result

    def _at_exit(self) -> None:
        try:
            self.close()
        except Exception:  # at exit there is no one left to raise to
            log.exception("attest SDK: closing at exit failed")

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- what happened -----------------------------------------------------------------------

    def _dead(self, letters: list[DeadLetter]) -> None:
        """Called on a worker thread for records refused for good (already in the file)."""
        with self._errors_lock:
            self._errors.extend(letters)
        log.warning(
            "attest SDK: %d %s records refused (HTTP %s: %s); kept in %s",
            len(letters),
            letters[0].kind,
            letters[0].status,
            letters[0].message,
            self._dead_letters.path,
        )
        if self._on_error is not None:
            for letter in letters:
                try:
                    self._on_error(letter)
                except Exception:
                    log.exception("attest SDK: the on_error callback failed")

    def errors(self) -> list[DeadLetter]:
        """Records refused since this client started (the newest 10,000); the dead-letter file
        in ``spool_dir`` keeps all of them, across clients."""
        with self._errors_lock:
            return list(self._errors)

    def stats(self) -> Stats:
        return self._pipeline.stats()

    @property
    def spool_dir(self) -> Path:
        return self._spool.directory

    # -- models --------------------------------------------------------------------------------

    def track(
        self,
        model: Any,
        *,
        system: str,
        model_version: str,
        feature_names: Sequence[str] | None = None,
        explainer: Explainer | None = None,
        subject_of: Callable[[dict[str, Any]], str | None] | None = None,
        threshold: float | None = None,
        adverse_labels: Sequence[Any] | None = None,
    ) -> TrackedModel:
        """Wrap a scikit-learn-style model: each row of ``predict``/``predict_proba`` is logged."""
        from attest.sdk.tracking import TrackedModel

        return TrackedModel(
            self,
            model,
            system=system,
            model_version=model_version,
            feature_names=feature_names,
            explainer=explainer,
            subject_of=subject_of,
            threshold=threshold,
            adverse_labels=adverse_labels,
        )
