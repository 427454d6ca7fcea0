"""The ledger store over SQLAlchemy Core, for SQLite and PostgreSQL.

Appends for one tenant are serialised by a lock on the tenant's row in ``logs`` (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` takes the single write lock), so the
sequence of indexes has no gaps or duplicates and every checkpoint extends the one before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from attest.core.checkpoint import Checkpoint
from attest.core.merkle import CompactRange, NodeID
from attest.core.projections import ProjectionRow
from attest.errors import NotFound
from attest.store.base import (
    AppendOutcome,
    Erasure,
    NewEntry,
    NodesNeeded,
    ProofMaterial,
    Signer,
    StoredCheckpoint,
    StoredEntry,
    SubjectKey,
    VaultRecord,
)
from attest.store.sequencing import check_vault_subjects, extend_tree, fresh_vault, plan_batch
from attest.store.sql import bin_sums
from attest.store.sql import tables as t
from attest.store.sql.bin_sums import SqlBins
from attest.store.sql.engine import as_utc, transaction
from attest.store.sql.fairness import SqlFairness
from attest.store.sql.group_sums import forget_tenant
from attest.store.sql.projection_writer import apply_projections, delete_projections
from attest.store.sql.queries import SqlQueries

IN_CHUNK = 500  # ids per IN (...) list

# The newest checkpoint of a tenant and, if it exists, one entry: a proof's material in one
# statement (no row: the tenant has no log).
_NEWEST_CHECKPOINT_WITH_ENTRY = (
    select(
        t.checkpoints.c.size,
        t.checkpoints.c.root,
        t.checkpoints.c.note,
        t.checkpoints.c.created_at,
        t.entries.c.idx,
        t.entries.c.entry_id,
        t.entries.c.leaf_hash,
        t.entries.c.data,
    )
    .select_from(
        t.checkpoints.outerjoin(
            t.entries,
            and_(
                t.entries.c.tenant == t.checkpoints.c.tenant,
                t.entries.c.entry_id == bindparam("entry_id"),
            ),
        )
    )
    .where(t.checkpoints.c.tenant == bindparam("tenant"))
    .order_by(t.checkpoints.c.size.desc())
    .limit(1)
)
# Node hashes by (level, index) pairs passed as two arrays: one statement whatever the count.
_PG_NODE_HASHES = text(
    "SELECT n.level, n.idx, n.hash FROM nodes n"
    " JOIN unnest(CAST(:levels AS smallint[]), CAST(:indexes AS bigint[])) AS w(level, idx)"
    " ON n.level = w.level AND n.idx = w.idx WHERE n.tenant = :tenant"
    " UNION ALL SELECT 0, e.idx, e.leaf_hash FROM entries e"
    " WHERE e.tenant = :tenant AND e.idx = ANY(CAST(:leaves AS bigint[]))"
)


def _pg_node_hashes(conn: Connection, tenant: str, wanted: Sequence[NodeID]) -> dict[NodeID, bytes]:
    inner = [n for n in wanted if n.level > 0]
    rows = conn.execute(
        _PG_NODE_HASHES,
        {
            "tenant": tenant,
            "levels": [n.level for n in inner],
            "indexes": [n.index for n in inner],
            "leaves": [n.index for n in wanted if n.level == 0],
        },
    ).all()
    return {NodeID(level, idx): value for level, idx, value in rows}


_ENTRY_COLUMNS = (t.entries.c.idx, t.entries.c.entry_id, t.entries.c.leaf_hash, t.entries.c.data)
READ_CHUNK = 5_000  # entries per page when streaming
_NO_END = 2**63 - 1


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlStore(SqlQueries, SqlFairness, SqlBins):
    """:class:`~attest.store.base.LedgerStore` on a SQLAlchemy engine (migrated to head)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        self._mark = "%s" if self._dialect == "postgresql" else "?"

    def _bulk_insert(
        self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert many rows straight through the driver (COPY on PostgreSQL).

        SQLAlchemy's per-row parameter processing would cost more than the insert itself.
        """
        names = ", ".join(columns)
        if self._dialect == "postgresql":
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    # -- writing -------------------------------------------------------------------------------

    def append(
        self,
        tenant: str,
        *,
        origin: str,
        entries: Sequence[NewEntry],
        vault: Sequence[VaultRecord] = (),
        new_subject_keys: Mapping[str, bytes] | None = None,
        erasures: Sequence[Erasure] = (),
        sign: Signer,
        now: datetime,
    ) -> AppendOutcome:
        new_keys = dict(new_subject_keys or {})
        now = as_utc(now).astimezone(UTC)  # SQLite keeps no offset: store the instant in UTC
        with transaction(self.engine, write=True) as conn:
            log_origin, size = self._lock_log(conn, tenant, origin, now)
            plan = plan_batch(entries, self._existing_ids(conn, tenant, entries), size)
            vault, new_keys = fresh_vault(plan, vault, new_keys)
            subjects = sorted(
                set(new_keys) | {r.subject for r in vault} | {e.subject for e in erasures}
            )
            keys = self._subject_keys(conn, tenant, subjects)
            check_vault_subjects(plan, vault, keys, new_keys, erasures)
            if not plan.fresh and not erasures:
                latest = self._checkpoint(conn, tenant, size)
                if latest is None:
                    raise NotFound(f"tenant {tenant} has no entries yet")
                return AppendOutcome(plan.indexes, plan.created, latest)

            border_ids = CompactRange.node_ids(size)
            found = self._node_hashes(conn, tenant, border_ids)
            border = [found[n] for n in border_ids]
            nodes, root = extend_tree(size, border, [e.leaf_hash for e in plan.fresh])
            new_size = size + len(plan.fresh)
            note = sign(Checkpoint(log_origin, new_size, root))

            self._bulk_insert(
                conn,
                "entries",
                ("tenant", "idx", "entry_id", "leaf_hash", "data", "fingerprint", "subject"),
                [
                    (tenant, size + i, e.entry_id, e.leaf_hash, e.data, e.fingerprint, e.subject)
                    for i, e in enumerate(plan.fresh)
                ],
            )
            if nodes:
                self._bulk_insert(
                    conn,
                    "nodes",
                    ("tenant", "level", "idx", "hash"),
                    [(tenant, n.level, n.index, h) for n, h in nodes.items()],
                )
            rows = [
                row
                for offset, e in enumerate(plan.fresh)
                if e.project is not None
                for row in e.project(size + offset)
            ]
            if rows:
                apply_projections(conn, self._dialect, tenant, rows)
            if new_keys and self._dialect == "postgresql":
                self._bulk_insert(
                    conn,
                    "subject_keys",
                    ("tenant", "subject", "wrapped_key", "created_at"),
                    [(tenant, s, w, now) for s, w in new_keys.items()],
                )
            elif new_keys:  # SQLAlchemy writes SQLite's datetimes in the form it reads back
                conn.execute(
                    insert(t.subject_keys),
                    [
                        {"tenant": tenant, "subject": s, "wrapped_key": w, "created_at": now}
                        for s, w in new_keys.items()
                    ],
                )
            if vault:
                self._bulk_insert(
                    conn,
                    "vault_values",
                    ("tenant", "entry_id", "pointer", "subject", "sealed"),
                    [(tenant, r.entry_id, r.pointer, r.subject, r.sealed) for r in vault],
                )
            for erasure in erasures:
                self._erase(conn, tenant, erasure, now)
            conn.execute(
                insert(t.checkpoints).values(
                    tenant=tenant, size=new_size, root=root, note=note, created_at=now
                )
            )
            conn.execute(
                update(t.logs).where(t.logs.c.tenant == tenant).values(size=new_size, root=root)
            )
        self._refresh_statistics(size, new_size)
        return AppendOutcome(
            plan.indexes, plan.created, StoredCheckpoint(new_size, root, note, now)
        )

    def _refresh_statistics(self, old_size: int, new_size: int) -> None:
        """ANALYZE ``entries`` and ``subject_keys`` on PostgreSQL as a log doubles past 4,096.

        Without fresh statistics the planner believes a tenant has a handful of rows and checks
        a batch's ids by scanning all of them instead of using (tenant, entry_id), which makes
        every batch slower than the last. Autovacuum fixes that within a minute or so; a log
        that grows fast, or a new tenant beside a big one, cannot wait that long.
        """
        if self._dialect != "postgresql" or new_size < 4096:
            return
        if old_size.bit_length() == new_size.bit_length():
            return
        try:
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "ANALYZE entries, subject_keys"
                )
        except DBAPIError:
            pass  # the batch is committed; fresher statistics are only an optimisation

    def _lock_log(
        self, conn: Connection, tenant: str, origin: str, now: datetime
    ) -> tuple[str, int]:
        values = {"tenant": tenant, "origin": origin, "size": 0, "root": b"", "created_at": now}
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(t.logs).values(values).on_conflict_do_nothing())
        row = conn.execute(
            select(t.logs.c.origin, t.logs.c.size)
            .where(t.logs.c.tenant == tenant)
            .with_for_update()
        ).one()
        return row.origin, row.size

    def _existing_ids(
        self, conn: Connection, tenant: str, entries: Sequence[NewEntry]
    ) -> dict[str, tuple[int, bytes | None]]:
        ids = sorted({e.entry_id for e in entries})
        existing: dict[str, tuple[int, bytes | None]] = {}
        for chunk in _chunks(ids, IN_CHUNK):
            rows = conn.execute(
                select(t.entries.c.entry_id, t.entries.c.idx, t.entries.c.fingerprint).where(
                    t.entries.c.tenant == tenant, t.entries.c.entry_id.in_(chunk)
                )
            )
            existing.update({r.entry_id: (r.idx, r.fingerprint) for r in rows})
        return existing

    def _erase(self, conn: Connection, tenant: str, erasure: Erasure, now: datetime) -> None:
        conn.execute(
            update(t.subject_keys)
            .where(t.subject_keys.c.tenant == tenant, t.subject_keys.c.subject == erasure.subject)
            .values(
                wrapped_key=None,
                erased_at=now,
                erasure_reason=erasure.reason,
                erasure_entry=erasure.entry_id,
            )
        )
        conn.execute(
            update(t.vault_values)
            .where(t.vault_values.c.tenant == tenant, t.vault_values.c.subject == erasure.subject)
            .values(sealed=None)
        )
        conn.execute(
            update(t.entries)
            .where(t.entries.c.tenant == tenant, t.entries.c.subject == erasure.subject)
            .values(fingerprint=None)
        )
        subject_decisions = select(t.decisions.c.decision_id).where(
            t.decisions.c.tenant == tenant, t.decisions.c.subject == erasure.subject
        )
        dropped = conn.execute(
            t.fairness_groups.delete().where(
                t.fairness_groups.c.tenant == tenant,
                t.fairness_groups.c.decision_id.in_(subject_decisions),
            )
        )
        if dropped.rowcount:
            forget_tenant(conn, tenant)

    def replace_projections(self, tenant: str, rows: Iterable[ProjectionRow]) -> None:
        """Rebuild a tenant's query tables from ``rows``, holding the log's lock meanwhile."""
        with transaction(self.engine, write=True) as conn:
            conn.execute(
                select(t.logs.c.size).where(t.logs.c.tenant == tenant).with_for_update()
            ).one_or_none()
            delete_projections(conn, tenant)
            forget_tenant(conn, tenant)
            bin_sums.forget_tenant(conn, tenant)
            chunk: list[ProjectionRow] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= 5000:
                    apply_projections(conn, self._dialect, tenant, chunk)
                    chunk = []
            if chunk:
                apply_projections(conn, self._dialect, tenant, chunk)

    def replace_checkpoint_note(self, tenant: str, size: int, note: str) -> None:
        with transaction(self.engine, write=True) as conn:
            result = conn.execute(
                update(t.checkpoints)
                .where(t.checkpoints.c.tenant == tenant, t.checkpoints.c.size == size)
                .values(note=note)
            )
            if result.rowcount != 1:
                raise NotFound(f"tenant {tenant} has no checkpoint of size {size}")

    # -- reading -------------------------------------------------------------------------------

    def tenants(self) -> list[str]:
        with transaction(self.engine, write=False) as conn:
            return list(conn.scalars(select(t.logs.c.tenant).order_by(t.logs.c.tenant)))

    def origin(self, tenant: str) -> str | None:
        with transaction(self.engine, write=False) as conn:
            return conn.scalar(select(t.logs.c.origin).where(t.logs.c.tenant == tenant))

    @staticmethod
    def _as_checkpoint(row: Any) -> StoredCheckpoint:
        return StoredCheckpoint(row.size, row.root, row.note, as_utc(row.created_at))

    def _checkpoint(self, conn: Connection, tenant: str, size: int) -> StoredCheckpoint | None:
        row = conn.execute(
            select(t.checkpoints).where(
                t.checkpoints.c.tenant == tenant, t.checkpoints.c.size == size
            )
        ).first()
        return self._as_checkpoint(row) if row else None

    def latest_checkpoint(self, tenant: str) -> StoredCheckpoint | None:
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(
                select(t.checkpoints)
                .where(t.checkpoints.c.tenant == tenant)
                .order_by(t.checkpoints.c.size.desc())
                .limit(1)
            ).first()
            return self._as_checkpoint(row) if row else None

    def checkpoint(self, tenant: str, size: int) -> StoredCheckpoint | None:
        with transaction(self.engine, write=False) as conn:
            return self._checkpoint(conn, tenant, size)

    def checkpoints(self, tenant: str, *, up_to: int | None = None) -> Iterator[StoredCheckpoint]:
        after = -1
        while True:
            query = (
                select(t.checkpoints)
                .where(t.checkpoints.c.tenant == tenant, t.checkpoints.c.size > after)
                .order_by(t.checkpoints.c.size)
                .limit(READ_CHUNK)
            )
            if up_to is not None:
                query = query.where(t.checkpoints.c.size <= up_to)
            with transaction(self.engine, write=False) as conn:
                rows = [self._as_checkpoint(r) for r in conn.execute(query).all()]
            yield from rows
            if len(rows) < READ_CHUNK:
                return
            after = rows[-1].size

    def entry_by_id(self, tenant: str, entry_id: str) -> StoredEntry | None:
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(
                select(
                    t.entries.c.idx, t.entries.c.entry_id, t.entries.c.leaf_hash, t.entries.c.data
                ).where(t.entries.c.tenant == tenant, t.entries.c.entry_id == entry_id)
            ).first()
        return StoredEntry(row.idx, row.entry_id, row.leaf_hash, row.data) if row else None

    def entries(
        self, tenant: str, *, start: int = 0, stop: int | None = None
    ) -> Iterator[StoredEntry]:
        position = start
        end = _NO_END if stop is None else stop
        sql = (
            "SELECT idx, entry_id, leaf_hash, data FROM entries"
            f" WHERE tenant = {self._mark} AND idx >= {self._mark} AND idx < {self._mark}"
            f" ORDER BY idx LIMIT {READ_CHUNK}"
        )
        while position < end:
            with transaction(self.engine, write=False) as conn:
                rows = self._raw_rows(conn, sql, (tenant, position, end))
            yield from map(StoredEntry._make, rows)
            if len(rows) < READ_CHUNK:
                return
            position = rows[-1][0] + 1

    def _raw_rows(self, conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows as plain tuples straight from the driver (binary protocol on PostgreSQL).

        Audits and exports stream every entry; SQLAlchemy's row objects would cost more than
        reading the rows.
        """
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor(binary=True) if self._dialect == "postgresql" else driver.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _node_hashes(
        self, conn: Connection, tenant: str, wanted: Sequence[NodeID]
    ) -> dict[NodeID, bytes]:
        """One round trip: a UNION ALL of one indexed lookup per level (leaves from entries)."""
        found: dict[NodeID, bytes] = {}
        for chunk in _chunks(sorted(wanted), IN_CHUNK):
            by_level: dict[int, list[int]] = {}
            for node in chunk:
                by_level.setdefault(node.level, []).append(node.index)
            parts = []
            for level, indexes in by_level.items():
                if level == 0:
                    parts.append(
                        select(
                            literal(0).label("level"), t.entries.c.idx, t.entries.c.leaf_hash
                        ).where(t.entries.c.tenant == tenant, t.entries.c.idx.in_(indexes))
                    )
                else:
                    parts.append(
                        select(t.nodes.c.level, t.nodes.c.idx, t.nodes.c.hash).where(
                            t.nodes.c.tenant == tenant,
                            t.nodes.c.level == level,
                            t.nodes.c.idx.in_(indexes),
                        )
                    )
            query = parts[0] if len(parts) == 1 else union_all(*parts)
            found.update(
                {NodeID(level, idx): value for level, idx, value in conn.execute(query).all()}
            )
        return found

    def node_hashes(self, tenant: str, nodes: Sequence[NodeID]) -> dict[NodeID, bytes]:
        with transaction(self.engine, write=False) as conn:
            return self._node_hashes(conn, tenant, nodes)

    def proof_material(
        self, tenant: str, entry_id: str, nodes_needed: NodesNeeded
    ) -> ProofMaterial:
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(
                _NEWEST_CHECKPOINT_WITH_ENTRY, {"tenant": tenant, "entry_id": entry_id}
            ).first()
            if row is None:
                return ProofMaterial(None, None, {})
            checkpoint = StoredCheckpoint(row.size, row.root, row.note, as_utc(row.created_at))
            if row.idx is None:
                return ProofMaterial(None, checkpoint, {})
            entry = StoredEntry(row.idx, row.entry_id, row.leaf_hash, row.data)
            wanted = nodes_needed(entry.index, checkpoint.size)
            if self._dialect == "postgresql":
                return ProofMaterial(entry, checkpoint, _pg_node_hashes(conn, tenant, wanted))
            return ProofMaterial(entry, checkpoint, self._node_hashes(conn, tenant, wanted))

    def nodes_ending_in(self, tenant: str, start: int, stop: int) -> dict[NodeID, bytes]:
        if stop <= start:
            return {}
        # Node (level, idx) ends at leaf ((idx + 1) << level) - 1, so start <= end < stop means
        # ceil((start + 1) / 2**level) - 1 <= idx < floor(stop / 2**level). One indexed range
        # scan per level, in one statement.
        mark = self._mark
        levels = range(1, stop.bit_length() + 1)
        sql = " UNION ALL ".join(
            f"SELECT level, idx, hash FROM nodes WHERE tenant = {mark} AND level = {mark}"
            f" AND idx >= {mark} AND idx < {mark}"
            for _ in levels
        )
        params: list[Any] = []
        for level in levels:
            params += [tenant, level, ((start + (1 << level)) >> level) - 1, stop >> level]
        with transaction(self.engine, write=False) as conn:
            rows = self._raw_rows(conn, sql, params)
        return {NodeID._make(row[:2]): row[2] for row in rows}

    def count_nodes_beyond(self, tenant: str, size: int) -> int:
        conditions = [
            and_(t.nodes.c.level == level, t.nodes.c.idx >= (size >> level))
            for level in range(1, 64)
        ]
        with transaction(self.engine, write=False) as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(t.nodes)
                    .where(t.nodes.c.tenant == tenant, or_(*conditions))
                )
                or 0
            )

    def _subject_keys(
        self, conn: Connection, tenant: str, subjects: Sequence[str]
    ) -> dict[str, SubjectKey]:
        keys: dict[str, SubjectKey] = {}
        for chunk in _chunks(list(subjects), IN_CHUNK):
            rows = conn.execute(
                select(t.subject_keys).where(
                    t.subject_keys.c.tenant == tenant, t.subject_keys.c.subject.in_(chunk)
                )
            )
            for r in rows:
                keys[r.subject] = SubjectKey(
                    r.subject,
                    r.wrapped_key,
                    as_utc(r.created_at),
                    as_utc(r.erased_at) if r.erased_at else None,
                    r.erasure_reason,
                    r.erasure_entry,
                )
        return keys

    def subject_keys(self, tenant: str, subjects: Sequence[str]) -> dict[str, SubjectKey]:
        with transaction(self.engine, write=False) as conn:
            return self._subject_keys(conn, tenant, subjects)

    def vault_records(self, tenant: str, entry_id: str) -> list[VaultRecord]:
        with transaction(self.engine, write=False) as conn:
            rows = conn.execute(
                select(t.vault_values).where(
                    t.vault_values.c.tenant == tenant, t.vault_values.c.entry_id == entry_id
                )
            )
            records = [VaultRecord(r.entry_id, r.pointer, r.subject, r.sealed) for r in rows]
        return sorted(records, key=lambda r: r.pointer)  # code point order, whatever the collation
