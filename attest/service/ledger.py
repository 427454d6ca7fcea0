"""The ledger's use cases: append, checkpoint, prove, co-sign, erase and read vault values."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from attest.core.canonical import canonical_bytes, parse_json
from attest.core.checkpoint import (
    Checkpoint,
    SignedNote,
    VerifierKey,
    add_cosignatures,
    origin_for,
    sign_checkpoint,
)
from attest.core.merkle import (
    NodeID,
    Range,
    consistency_ranges,
    hash_leaf,
    hash_ranges,
    inclusion_ranges,
    nodes_for_ranges,
)
from attest.core.projections import PROJECTORS, project
from attest.core.proof_document import ProofDocument
from attest.core.records import (
    NAME_PATTERN,
    SALT_SIZE,
    Submission,
    check_tenant,
    commitment,
    envelope_bytes,
    envelope_header,
    format_time,
    parse_submission,
    resolve_pointer,
    seal_sensitive,
    uuid7,
)
from attest.errors import Erased, InvalidInput, NotFound, VerificationError
from attest.keyring import Keyring
from attest.sealing import (
    fingerprint,
    fingerprint_key,
    new_data_key,
    open_value,
    seal_value,
    unwrap_data_key,
    wrap_data_key,
)
from attest.store.base import (
    Erasure,
    LedgerStore,
    NewEntry,
    StoredCheckpoint,
    SubjectKeyRace,
    VaultRecord,
)

Clock = Callable[[], datetime]
KEY_RACE_RETRIES = 3


@dataclass(frozen=True)
class Receipt:
    """What a caller gets back for one entry, only after the batch committed."""

    id: str
    index: int
    created: bool
    tree_size: int
    checkpoint: str


@dataclass(frozen=True)
class RevealedValue:
    pointer: str
    value: Any
    salt: bytes
    commitment: str


@dataclass(frozen=True)
class VaultReading:
    """An entry's sensitive values, or why they can no longer be read."""

    entry_id: str
    subject: str | None
    values: list[RevealedValue]
    erased_at: datetime | None = None
    erasure_reason: str | None = None
    erasure_entry: str | None = None


def _position_of(submission: Submission, position: str) -> str:
    return f"{position} (id {submission.id})" if submission.id else position


class Ledger:
    """Joins the pure core, the keys and a store. One instance serves every tenant."""

    def __init__(
        self,
        store: LedgerStore,
        keyring: Keyring,
        *,
        host: str,
        max_entry_bytes: int = 256 * 1024,
        clock: Clock = lambda: datetime.now(UTC),
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.host = host
        self.max_entry_bytes = max_entry_bytes
        self.clock = clock
        self.random = random
        self._fingerprint_key = fingerprint_key(keyring.master_key)

    @property
    def verifier(self) -> VerifierKey:
        return self.keyring.verifier

    def _sign(self, checkpoint: Checkpoint) -> str:
        return sign_checkpoint(checkpoint, self.keyring.signer)

    # -- appending -----------------------------------------------------------------------------

    def append_json(
        self, tenant: str, raw_entries: Sequence[Any], first_line: int = 1
    ) -> list[Receipt]:
        """Append entries given as parsed JSON objects (``{"type", "id", "body", ...}``)."""
        submissions = [
            parse_submission(raw, f"line {first_line + i}") for i, raw in enumerate(raw_entries)
        ]
        return self.append(
            tenant, submissions, [f"line {first_line + i}" for i in range(len(submissions))]
        )

    def append(
        self,
        tenant: str,
        submissions: Sequence[Submission],
        positions: Sequence[str] | None = None,
        *,
        erasures: Sequence[Erasure] = (),
    ) -> list[Receipt]:
        """Append a batch atomically: every entry is stored, or none is."""
        check_tenant(tenant)
        if not submissions:
            raise InvalidInput("a batch needs at least one entry")
        labels = list(positions or [f"entry {i + 1}" for i in range(len(submissions))])
        for attempt in range(KEY_RACE_RETRIES):
            try:
                return self._append_once(tenant, submissions, labels, erasures)
            except SubjectKeyRace:
                if attempt == KEY_RACE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _append_once(
        self,
        tenant: str,
        submissions: Sequence[Submission],
        labels: Sequence[str],
        erasures: Sequence[Erasure],
    ) -> list[Receipt]:
        now = self.clock()
        time_text = format_time(now)
        unix_ms = int(now.timestamp() * 1000)
        data_keys, new_keys = self._data_keys(tenant, submissions)
        prepared: list[NewEntry] = []
        vault: list[VaultRecord] = []
        for submission, label in zip(submissions, labels, strict=True):
            entry, sealed = self._prepare(tenant, submission, label, time_text, unix_ms, data_keys)
            prepared.append(entry)
            vault.extend(sealed)
        outcome = self.store.append(
            tenant,
            origin=origin_for(self.host, tenant),  # used only if the log is new
            entries=prepared,
            vault=vault,
            new_subject_keys=new_keys,
            erasures=erasures,
            sign=self._sign,
            now=now,
        )
        return [
            Receipt(e.entry_id, index, created, outcome.checkpoint.size, outcome.checkpoint.note)
            for e, index, created in zip(prepared, outcome.indexes, outcome.created, strict=True)
        ]

    def _prepare(
        self,
        tenant: str,
        submission: Submission,
        label: str,
        time_text: str,
        unix_ms: int,
        data_keys: dict[str, bytes],
    ) -> tuple[NewEntry, list[VaultRecord]]:
        """One entry's canonical bytes, leaf hash and fingerprint, and its sealed values."""
        position = _position_of(submission, label)
        entry_id = submission.id or uuid7(unix_ms, self.random(10))
        body = submission.body
        vault: list[VaultRecord] = []
        sealed_size = 0
        try:
            if submission.sensitive:
                assert submission.subject is not None  # parse_submission guarantees it
                salts = [self.random(SALT_SIZE) for _ in submission.sensitive]
                body, taken = seal_sensitive(submission.body, submission.sensitive, salts)
                key = data_keys[submission.subject]
                vault = [
                    VaultRecord(
                        entry_id,
                        t.pointer,
                        submission.subject,
                        seal_value(key, tenant, entry_id, t.pointer, t.salt, t.value_bytes),
                    )
                    for t in taken
                ]
                sealed_size = sum(len(t.value_bytes) for t in taken)
            body_bytes = canonical_bytes(body)
        except InvalidInput as error:
            raise InvalidInput(f"{position}: field 'body{_path_of(error)}") from None
        header = envelope_header(submission, entry_id=entry_id, tenant=tenant, time=time_text)
        data = envelope_bytes(header, body_bytes)
        size = len(data) + sealed_size  # sealed values count too
        if size > self.max_entry_bytes:
            raise InvalidInput(
                f"{position}: entry is {size} bytes, over the limit of {self.max_entry_bytes}"
            )
        # The retry fingerprint covers what was sent: with sensitive values sealed (random
        # salts), the entry's bytes differ each time, so the sent body is encoded instead.
        sent = (
            _as_sent(submission, body_bytes)
            if not submission.sensitive
            else _sent_bytes(submission)
        )
        entry = NewEntry(
            entry_id=entry_id,
            leaf_hash=hash_leaf(data),
            data=data,
            fingerprint=fingerprint(
                self._fingerprint_key,
                _submitted_header(tenant, submission, entry_id),
                sent,
            ),
            subject=submission.subject,
            position=position,
            project=partial(project, {**header, "body": body})
            if submission.type in PROJECTORS
            else None,
        )
        return entry, vault

    def _data_keys(
        self, tenant: str, submissions: Sequence[Submission]
    ) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """Open the data key of every subject with sensitive fields; make the missing ones.

        An erased subject gets a throwaway key: a retry of an entry already stored goes through,
        and the store refuses any new entry for that subject, naming it.
        """
        subjects = sorted({s.subject for s in submissions if s.sensitive and s.subject})
        if not subjects:
            return {}, {}
        stored = self.store.subject_keys(tenant, subjects)
        keys: dict[str, bytes] = {}
        created: dict[str, bytes] = {}
        for subject in subjects:
            record = stored.get(subject)
            if record is None:
                keys[subject] = new_data_key()
                created[subject] = wrap_data_key(
                    self.keyring.master_key, tenant, subject, keys[subject]
                )
            elif record.wrapped is None:
                keys[subject] = new_data_key()
            else:
                keys[subject] = unwrap_data_key(
                    self.keyring.master_key, tenant, subject, record.wrapped
                )
        return keys, created

    # -- checkpoints and proofs -----------------------------------------------------------------

    def latest_checkpoint(self, tenant: str) -> StoredCheckpoint:
        checkpoint = self.store.latest_checkpoint(check_tenant(tenant))
        if checkpoint is None:
            raise NotFound(f"unknown tenant {tenant}: it has no log yet")
        return checkpoint

    def prove(self, tenant: str, entry_id: str, *, since: int | None = None) -> ProofDocument:
        """An entry's inclusion proof in the newest checkpoint (and consistency from ``since``)."""

        def ranges(index: int, size: int) -> tuple[list[Range], list[Range]]:
            usable_since = since is not None and 0 < since <= size
            return (
                inclusion_ranges(index, size),
                consistency_ranges(since, size) if usable_since and since else [],
            )

        material = self.store.proof_material(
            check_tenant(tenant),
            entry_id,
            lambda index, size: nodes_for_ranges([r for part in ranges(index, size) for r in part]),
        )
        if material.checkpoint is None:
            raise NotFound(f"unknown tenant {tenant}: it has no log yet")
        if material.entry is None:
            raise NotFound(f"tenant {tenant} has no entry {entry_id}")
        entry, checkpoint = material.entry, material.checkpoint
        if since is not None and not 0 < since <= checkpoint.size:
            raise InvalidInput(
                f"--since {since}: the log of tenant {tenant} has size {checkpoint.size}"
            )
        inclusion, consistency = ranges(entry.index, checkpoint.size)
        return ProofDocument(
            entry=entry.data,
            index=entry.index,
            tree_size=checkpoint.size,
            proof=tuple(self._hash_ranges(tenant, inclusion, material.hashes)),
            checkpoint=checkpoint.note,
            consistency_from=since,
            consistency_proof=tuple(self._hash_ranges(tenant, consistency, material.hashes)),
        )

    def proof_hashes(
        self,
        tenant: str,
        inclusion: Sequence[tuple[int, int]] = (),
        consistency: Sequence[tuple[int, int]] = (),
    ) -> tuple[list[tuple[bytes, ...]], list[tuple[bytes, ...]]]:
        """Many proofs at once, each against a tree size the caller chose.

        ``inclusion`` lists ``(index, size)`` pairs, ``consistency`` lists ``(size1, size2)``
        pairs (0 < size1 <= size2). Unlike :meth:`prove`, which answers for the newest checkpoint,
        this lets many proofs share one checkpoint the log signed earlier. The node hashes of all
        of them are read in one go; the sizes must not exceed the log's newest checkpoint.
        """
        check_tenant(tenant)
        for size1, size2 in consistency:
            if not 0 < size1 <= size2:
                raise InvalidInput(f"no consistency proof from size {size1} to size {size2}")
        inclusion_parts = [inclusion_ranges(index, size) for index, size in inclusion]
        consistency_parts = [consistency_ranges(size1, size2) for size1, size2 in consistency]
        needed = nodes_for_ranges(
            r for part in (*inclusion_parts, *consistency_parts) for r in part
        )
        hashes = self.store.node_hashes(tenant, needed)
        return (
            [tuple(self._hash_ranges(tenant, ranges, hashes)) for ranges in inclusion_parts],
            [tuple(self._hash_ranges(tenant, ranges, hashes)) for ranges in consistency_parts],
        )

    @staticmethod
    def _hash_ranges(tenant: str, ranges: list[Range], hashes: dict[NodeID, bytes]) -> list[bytes]:
        try:
            return hash_ranges(ranges, hashes)
        except LookupError as missing:
            raise VerificationError(f"the log of tenant {tenant} is damaged: {missing}") from None

    def cosign(self, tenant: str, note: str, witness_keys: Sequence[VerifierKey]) -> str:
        """Keep witnesses' co-signatures of a stored checkpoint, each checked against its key."""
        text = SignedNote.from_text(note).text
        size = Checkpoint.from_text(text).size
        stored = self.store.checkpoint(check_tenant(tenant), size)
        if stored is None:
            raise NotFound(f"tenant {tenant} has no checkpoint of size {size}")
        merged = add_cosignatures(stored.note, note, witness_keys)
        self.store.replace_checkpoint_note(tenant, size, merged)
        return merged

    # -- the vault -----------------------------------------------------------------------------

    def erase(self, tenant: str, subject: str, reason: str) -> Receipt:
        """Destroy a subject's data key and log the erasure, in one transaction."""
        if not reason.strip():
            raise InvalidInput("field 'reason': an erasure needs a reason")
        if not NAME_PATTERN.fullmatch(subject):
            raise InvalidInput("field 'subject' must be 1-128 letters, digits or ._:- characters")
        if self.store.origin(check_tenant(tenant)) is None:
            raise NotFound(f"unknown tenant {tenant}: it has no log")
        entry_id = uuid7(int(self.clock().timestamp() * 1000), self.random(10))
        submission = Submission(
            type="erasure",
            body={"subject": subject, "reason": reason},
            id=entry_id,
            subject=subject,
        )
        (receipt,) = self.append(
            tenant, [submission], ["erasure"], erasures=[Erasure(subject, reason, entry_id)]
        )
        return receipt

    def read_values(self, tenant: str, entry_id: str) -> VaultReading:
        """Open an entry's sealed values and check each against its commitment in the entry."""
        entry = self.store.entry_by_id(check_tenant(tenant), entry_id)
        if entry is None:
            raise NotFound(f"tenant {tenant} has no entry {entry_id}")
        records = self.store.vault_records(tenant, entry_id)
        if not records:
            return VaultReading(entry_id, None, [])
        subject = records[0].subject
        key = self.store.subject_keys(tenant, [subject])[subject]
        if key.wrapped is None:
            return VaultReading(
                entry_id, subject, [], key.erased_at, key.erasure_reason, key.erasure_entry
            )
        data_key = unwrap_data_key(self.keyring.master_key, tenant, subject, key.wrapped)
        body = _body_of(entry.data)
        values = []
        for record in records:
            if record.sealed is None:
                raise Erased(f"entry {entry_id}: value {record.pointer} was erased")
            salt, value = open_value(data_key, tenant, entry_id, record.pointer, record.sealed)
            committed = resolve_pointer(body, record.pointer)["commit"]
            if commitment(salt, value) != committed:
                raise VerificationError(
                    f"entry {entry_id}: vault value {record.pointer} does not match the "
                    "commitment in the entry"
                )
            values.append(RevealedValue(record.pointer, value, salt, committed))
        return VaultReading(entry_id, subject, values)


def _path_of(error: InvalidInput) -> str:
    """``/inputs/x: NaN is not allowed...`` -> ``/inputs/x': NaN is not allowed...``."""
    message = str(error)
    if message.startswith("/"):
        pointer, _, rest = message.partition(": ")
        return f"{pointer if pointer != '/' else ''}': {rest}"
    return f"': {message}"


def _as_sent(submission: Submission, submitted_bytes: bytes) -> bytes:
    """The body's bytes without the members the server derived."""
    if not any(name in submission.body for name in submission.derived):
        return submitted_bytes
    sent = {k: v for k, v in submission.body.items() if k not in submission.derived}
    return canonical_bytes(sent)


def _sent_bytes(submission: Submission) -> bytes:
    """A deterministic encoding of the body as sent (never stored, never verified outside)."""
    sent = {k: v for k, v in submission.body.items() if k not in submission.derived}
    return json.dumps(sent, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _submitted_header(tenant: str, submission: Submission, entry_id: str) -> bytes:
    """What the caller sent besides the body, as the fingerprint sees it.

    The fingerprint never leaves this server, so any deterministic encoding will do; plain
    sorted JSON is cheaper than RFC 8785 here.
    """
    document: dict[str, Any] = {"type": submission.type, "id": entry_id}
    if submission.system is not None:
        document["system"] = submission.system
    if submission.subject is not None:
        document["subject"] = submission.subject
    if submission.sensitive:
        document["sensitive"] = list(submission.sensitive)
    return json.dumps([tenant, document], sort_keys=True, separators=(",", ":")).encode()


def _body_of(data: bytes) -> dict[str, Any]:
    envelope = parse_json(data)
    body: dict[str, Any] = envelope["body"]
    return body
