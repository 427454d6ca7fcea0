"""Engines and transactions: SQLite pragmas, write locks, and driver errors made domain errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from attest.errors import Conflict, StorageUnavailable

SQLITE_BUSY_TIMEOUT_MS = 30_000


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


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back on any error."""
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
