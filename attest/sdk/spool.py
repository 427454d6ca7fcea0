"""The durable spool: every record waits here, on disk, until the server has confirmed it.

A SQLite file (``spool.sqlite3`` in the spool directory) in WAL mode with ``synchronous=FULL``,
so each commit is fsync'd before it returns. Rows are numbered by an AUTOINCREMENT key that never
goes back, which is the order records are sent and replayed in. A row is deleted only after the
server's 2xx answer for the batch that carried it, or after it was written to the dead-letter file.

One client at a time owns a spool directory (an exclusive ``flock`` on ``lock``, which the
kernel releases when the process dies, even by SIGKILL): a second client would send the same rows
concurrently and break the replay order. The files hold decisions as logged, personal data
included, so the directory is created 0700 and the files 0600.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NamedTuple

from attest.sdk.errors import SpoolBusy

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, one client per directory
    fcntl = None  # type: ignore[assignment]

FILE_NAME = "spool.sqlite3"
LOCK_NAME = "lock"
SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    tenant TEXT,
    record TEXT NOT NULL,
    spooled_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
)
"""


class Row(NamedTuple):
    """One spooled record: its place in the order, where it goes, and its JSON text."""

    seq: int
    kind: str
    tenant: str | None
    record: str


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing; SQLite gives its -wal and -shm files the same mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _take_lock(path: Path) -> IO[str]:
    _private_file(path)
    handle = open(path, "r+")  # noqa: SIM115 - held open for the spool's lifetime
    if fcntl is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise SpoolBusy(
                f"spool {path.parent} is in use by another client (process {holder}); "
                "give each client its own spool_dir"
            ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class Spool:
    """Append, read the oldest, delete confirmed: the only operations delivery needs.

    One connection shared by the spooler and sender threads, serialised by a lock; SQLite
    releases the GIL while it works, so the caller's thread is not held up by the fsync.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        _private_dir(self.directory)
        self._lock_handle = _take_lock(self.directory / LOCK_NAME)
        path = self.directory / FILE_NAME
        _private_file(path)
        self._mutex = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(SCHEMA)

    def append(self, rows: Sequence[tuple[str, str | None, str]]) -> int:
        """Store ``(kind, tenant, json)`` rows in one fsync'd transaction; the last seq given."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO pending (kind, tenant, record) VALUES (?, ?, ?)", rows
                )
                (last,) = self._db.execute("SELECT last_insert_rowid()").fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return int(last)

    def head(self, limit: int) -> list[Row]:
        """The oldest rows, as many as can go in one request: same kind and tenant, in order."""
        with self._mutex:
            found = self._db.execute(
                "SELECT seq, kind, tenant, record FROM pending ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        rows = [Row(*r) for r in found]
        if not rows:
            return rows
        first = rows[0]
        for position, row in enumerate(rows):
            if (row.kind, row.tenant) != (first.kind, first.tenant):
                return rows[:position]
        return rows

    def remove(self, first_seq: int, last_seq: int) -> None:
        """Forget rows ``first_seq..last_seq``: the server (or the dead-letter file) has them.

        Not fsync'd (``synchronous=NORMAL`` in WAL mode still survives a process crash): a delete
        lost to a power cut only means the rows are sent again, which the server answers with
        ``created: false``. The next append's fsync makes it durable anyway."""
        with self._mutex:
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute(
                    "DELETE FROM pending WHERE seq BETWEEN ? AND ?", (first_seq, last_seq)
                )
            finally:
                self._db.execute("PRAGMA synchronous=FULL")

    def last_seq(self) -> int:
        """The highest seq ever given (0 for a new spool): later rows get higher ones."""
        with self._mutex:
            found = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'pending'"
            ).fetchone()
        return int(found[0]) if found else 0

    def count(self) -> int:
        with self._mutex:
            (count,) = self._db.execute("SELECT count(*) FROM pending").fetchone()
        return int(count)

    def rows(self) -> list[Row]:
        """Every pending row, oldest first (for inspection and tests)."""
        with self._mutex:
            found = self._db.execute(
                "SELECT seq, kind, tenant, record FROM pending ORDER BY seq"
            ).fetchall()
        return [Row(*r) for r in found]

    def close(self) -> None:
        with self._mutex:
            self._db.close()
        self._lock_handle.close()  # releases the flock
