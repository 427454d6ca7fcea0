"""The SQL ledger store: SQLite by default, PostgreSQL in production."""

from attest.store.sql.engine import make_engine
from attest.store.sql.store import SqlStore

__all__ = ["SqlStore", "make_engine"]
