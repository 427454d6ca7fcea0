"""Storage of API keys and web users (deployment-wide; secrets only as hashes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from attest.errors import Conflict
from attest.store.sql import tables as t
from attest.store.sql.engine import as_utc, transaction


def _row(row: Any) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


class AccessStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_key(self, record: dict[str, Any]) -> None:
        with transaction(self.engine, write=True) as conn:
            conn.execute(insert(t.api_keys).values(**record))

    def key(self, key_id: str) -> dict[str, Any] | None:
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).first()
        return _row(row._mapping) if row else None

    def keys(self) -> list[dict[str, Any]]:
        columns = [c for c in t.api_keys.c if c.name != "secret_hash"]
        with transaction(self.engine, write=False) as conn:
            rows = conn.execute(select(*columns).order_by(t.api_keys.c.created_at)).all()
        return [_row(r._mapping) for r in rows]

    def revoke_key(self, key_id: str, when: datetime) -> bool:
        with transaction(self.engine, write=True) as conn:
            done = conn.execute(
                update(t.api_keys)
                .where(t.api_keys.c.key_id == key_id, t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=when)
            )
        return done.rowcount == 1

    def add_user(self, record: dict[str, Any]) -> None:
        if self.user(record["username"]) is not None:
            raise Conflict(f"user {record['username']} exists")
        with transaction(self.engine, write=True) as conn:
            conn.execute(insert(t.users).values(**record))

    def user(self, username: str) -> dict[str, Any] | None:
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return _row(row._mapping) if row else None

    def set_password(self, username: str, password_hash: str) -> None:
        with transaction(self.engine, write=True) as conn:
            conn.execute(
                update(t.users)
                .where(t.users.c.username == username)
                .values(password_hash=password_hash)
            )
