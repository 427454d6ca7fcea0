"""Engines and transactions: SQLite pragmas, write locks, and driver errors made domain errors."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from attest.errors import Conflict, StorageUnavailable

SQLITE_BUSY_TIMEOUT_MS = 30_000


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC time: SQLite keeps no offset, so a naive value is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or leaves out)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url`` with the settings the ledger relies on."""
    url = normalise_url(url)
    # Statement parameters hold entry data: never let them into error messages or logs.
    options.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() != "sqlite":
        # No pool_pre_ping: it costs a round trip per checkout, and a connection found dead is
        # reported once as StorageUnavailable and replaced.
        return create_engine(url, **options)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a batch acknowledged to a client survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A writer takes SQLite's write lock up front, so two writers queue instead of deadlocking
        # when both try to upgrade a read lock.
        if connection.get_execution_options().get("attest_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


class _SqliteWriteLock:
    """Writers queue for SQLite's single write lock on an OS lock, not in SQLite's busy handler.

    SQLite's busy handler makes a waiting writer sleep in steps of up to 100 ms, so with several
    writers (threads, or uvicorn worker processes) most of the time went to sleeping after the
    lock was already free. Here threads wait on a Python lock and processes on ``flock`` of a
    file beside the database; both wake the next writer at once.
    """

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}.write-lock" if database and database != ":memory:" else None
        self._descriptor: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._path is not None:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        if self._descriptor is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        self._threads.release()


# One per database file in this process: every engine on the file shares it.
_WRITE_LOCKS: dict[str | None, _SqliteWriteLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine) -> _SqliteWriteLock | contextlib.nullcontext[None]:
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    database = engine.url.database
    path = os.path.realpath(database) if database and database != ":memory:" else None
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(path)
        if lock is None:
            lock = _WRITE_LOCKS[path] = _SqliteWriteLock(path)
        return lock


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back on any error."""
    if write:
        with _write_lock(engine), _transaction(engine, write=True) as connection:
            yield connection
    else:
        with _transaction(engine, write=False) as connection:
            yield connection


@contextmanager
def _transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    try:
        with engine.connect() as connection:
            if write:
                connection = connection.execution_options(attest_write=True)
            elif engine.dialect.name == "postgresql":
                # The ledger is append-only: a reader needs no snapshot across statements, and
                # autocommit saves the BEGIN and COMMIT round trips.
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            with connection.begin():
                yield connection
    except OperationalError as error:
        raise StorageUnavailable(f"database unavailable: {type(error.orig).__name__}") from error
    except IntegrityError as error:
        # The sequencer's checks come first, so this means a concurrent writer outside Attest's
        # lock or a damaged database; the message names no values (parameters are hidden).
        raise Conflict(f"the database refused the write: {type(error.orig).__name__}") from error
    except DBAPIError as error:
        if error.connection_invalidated:
            raise StorageUnavailable("database connection lost") from error
        raise
