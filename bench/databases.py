"""Fresh, migrated databases for one measurement each, and a ledger wired to them.

SQLite: a new file in a temporary directory. PostgreSQL: a database the harness creates on the
server and drops afterwards (as the ``postgres_url`` test fixture does).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from attest.core.checkpoint import SignerKey
from attest.keyring import Keyring
from attest.service.ledger import Ledger
from attest.store.sql import SqlStore, make_engine
from attest.store.sql.engine import normalise_url
from attest.store.sql.schema import upgrade

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SIGNER = SignerKey("bench.attest.example", bytes(range(32)))
MASTER_KEY = bytes(range(100, 132))
HOST = "bench.attest.example"


def postgres_admin_url() -> str:
    """The server to create benchmark databases on: ATTEST_BENCH_DATABASE_URL, else the tests'."""
    return (
        os.environ.get("ATTEST_BENCH_DATABASE_URL")
        or os.environ.get("ATTEST_TEST_DATABASE_URL")
        or DEFAULT_POSTGRES_URL
    )


@dataclass(frozen=True)
class Backend:
    """A database kind the measurements run on; ``admin_url`` is only used for PostgreSQL."""

    name: str
    admin_url: str | None = None

    @property
    def label(self) -> str:
        return "SQLite" if self.name == "sqlite" else "PostgreSQL"


@dataclass
class BenchLedger:
    """A ledger on a fresh database, with its engine."""

    ledger: Ledger
    engine: Engine
    url: str

    @property
    def store(self) -> SqlStore:
        store = self.ledger.store
        assert isinstance(store, SqlStore)
        return store


@contextmanager
def _sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="attest-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'attest.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"attest_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(normalise_url(admin_url)).set(database=name).render_as_string(False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def fresh_ledger(backend: Backend) -> Iterator[BenchLedger]:
    """A ledger on a new, migrated database of ``backend``; the database is removed afterwards."""
    if backend.name == "sqlite":
        database = _sqlite_url()
    else:
        assert backend.admin_url is not None
        database = postgres_database(backend.admin_url)
    with database as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            ledger = Ledger(SqlStore(engine), Keyring(SIGNER, MASTER_KEY), host=HOST)
            yield BenchLedger(ledger, engine, url)
        finally:
            engine.dispose()


def postgres_unavailable(admin_url: str) -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it answers."""
    engine = create_engine(normalise_url(admin_url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means: measure SQLite only, and say why
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    finally:
        engine.dispose()
    return None
