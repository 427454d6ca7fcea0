"""The examination package's format: its files, its period and its manifest (docs/package.md).

Shared by the builder (:mod:`attest.service.package`) and the offline checker
(:mod:`attest.package_verifier`). Parsing is strict and raises :class:`VerificationError` naming
the field, because a manifest is evidence handed to an examiner.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast, get_args

from attest.core.records import format_time
from attest.errors import InvalidInput, VerificationError

PACKAGE_FORMAT = "attest-examination-package/v1"
ISSUED_TYPE = "package.issued"
MANIFEST_FILE = "manifest.json"
ISSUED_FILE = "issued.json"
CHECKPOINTS_FILE = "checkpoints.json"
README_FILE = "README.md"
BINDING_FILES = (MANIFEST_FILE, ISSUED_FILE)  # the two files the manifest cannot list

Kind = Literal["decision", "event", "inventory", "evidence", "checkpoints", "artifact", "readme"]
KINDS: tuple[str, ...] = get_args(Kind)
PROOF_KINDS = ("decision", "event", "inventory", "evidence")
COUNTED = {
    "decision": "decisions",
    "event": "events",
    "inventory": "inventory",
    "evidence": "evidence",
    "checkpoints": "checkpoints",
    "artifact": "artifacts",
}
DIRECTORIES = {
    "decision": "decisions",
    "event": "events",
    "inventory": "inventory",
    "evidence": "evidence",
    "artifact": "artifacts",
}
# Governance evidence about the system: what was logged in the period (bias tests, their reviews,
# group assignments, monitoring runs), and the standing records in force during it (the bias
# policy, the monitoring reference profiles and plans), logged at any time before the period ends.
# Validation and incidents join these lists as they arrive.
STANDING_EVIDENCE_TYPES = frozenset({"bias.policy", "monitoring.profile", "monitoring.plan"})
EVIDENCE_TYPES = (
    frozenset(
        {
            "fairness.groups_assigned",
            "bias.run",
            "bias.review",
            "monitoring.run",
            "monitoring.alert",
        }
    )
    | STANDING_EVIDENCE_TYPES
)
SYSTEM_INVENTORY_TYPES = frozenset(
    {"system.registered", "system.updated", "model_version.registered", "model_version.lifecycle"}
)
TENANT_INVENTORY_TYPE = "tenant.registered"

# Relative, '/'-separated, portable: no empty, hidden, '.' or '..' segment, no ':' or '\'.
PATH_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
TIME_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Period:
    """``start <= time < end``, both in UTC; times compare as the fixed-width strings of 2.4."""

    start: datetime
    end: datetime

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        """Whole UTC days, both ends included (``--from 2026-11-01 --to 2026-11-30``)."""
        if last < first:
            raise InvalidInput(f"the period ends ({last}) before it starts ({first})")
        return cls(
            datetime.combine(first, time(0), UTC),
            datetime.combine(last + timedelta(days=1), time(0), UTC),
        )

    @property
    def start_text(self) -> str:
        return format_time(self.start)

    @property
    def end_text(self) -> str:
        return format_time(self.end)

    def before_end(self, time_text: str) -> bool:
        """Whether an entry's ``time`` is before the period ends (a standing record in force)."""
        return bool(TIME_PATTERN.fullmatch(time_text)) and time_text < self.end_text

    def contains(self, time_text: str) -> bool:
        """Whether an entry's ``time`` (section 2.4 of docs/ledger.md) lies in the period."""
        return bool(TIME_PATTERN.fullmatch(time_text)) and (
            self.start_text <= time_text < self.end_text
        )

    def to_json(self) -> dict[str, str]:
        return {"start": self.start_text, "end": self.end_text}

    def describe(self) -> str:
        last = self.end - timedelta(microseconds=1)
        if self.start.time() == time(0) and self.end.time() == time(0):
            return f"{self.start.date()} to {last.date()}"
        return f"{self.start_text} to {self.end_text} (exclusive)"

    @classmethod
    def parse(cls, raw: Any, where: str) -> Period:
        if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
            raise VerificationError(f"{where}: 'period' must be an object with start and end")
        times = []
        for name in ("start", "end"):
            value = raw[name]
            if not isinstance(value, str) or not TIME_PATTERN.fullmatch(value):
                raise VerificationError(f"{where}: 'period.{name}' must be a time as in 2.4")
            try:
                times.append(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                raise VerificationError(f"{where}: 'period.{name}' is not a real time") from None
        if times[0] >= times[1]:
            raise VerificationError(f"{where}: the period ends before it starts")
        return cls(times[0], times[1])


def entry_path(kind: str, index: int, entry_id: str, width: int) -> str:
    """``decisions/00000042-dec-0042.json``: the index makes it unique, the id readable."""
    return f"{DIRECTORIES[kind]}/{index:0{width}d}-{_UNSAFE.sub('_', entry_id)}.json"


def artifact_path(sha256: str, artifact_format: str) -> str:
    return f"{DIRECTORIES['artifact']}/{sha256}.{_UNSAFE.sub('_', artifact_format)}"


@dataclass(frozen=True)
class ListedFile:
    """One line of the manifest's ``files``: every file of the package but the two binding ones."""

    path: str
    sha256: str
    kind: Kind
    entry_id: str | None = None
    index: int | None = None

    def to_json(self) -> dict[str, Any]:
        listed: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "kind": self.kind}
        if self.entry_id is not None:
            listed["id"] = self.entry_id
        if self.index is not None:
            listed["index"] = self.index
        return listed


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says. Its SHA-256 is in the package's ``package.issued`` entry."""

    tenant: str
    origin: str
    system: str
    period: Period
    checkpoint_size: int
    checkpoint_root: bytes
    counts: dict[str, int]
    files: tuple[ListedFile, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PACKAGE_FORMAT,
            "tenant": self.tenant,
            "origin": self.origin,
            "system": self.system,
            "period": self.period.to_json(),
            "checkpoint": self.checkpoint_json(),
            "counts": self.counts,
            "files": [f.to_json() for f in self.files],
        }

    def checkpoint_json(self) -> dict[str, Any]:
        return {
            "size": self.checkpoint_size,
            "root": base64.b64encode(self.checkpoint_root).decode(),
        }


def count_files(files: tuple[ListedFile, ...] | list[ListedFile]) -> dict[str, int]:
    """The counts a manifest states for its files (``checkpoints`` is counted separately)."""
    counts = dict.fromkeys(COUNTED.values(), 0)
    for listed in files:
        if listed.kind in COUNTED and listed.kind != "checkpoints":
            counts[COUNTED[listed.kind]] += 1
    return counts


def _fail(what: str) -> VerificationError:
    return VerificationError(f"manifest.json: {what}")


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise _fail(f"field {name!r} must be a non-empty string")
    return value


def _natural(value: Any, name: str) -> int:
    if type(value) is not int or value < 0:
        raise _fail(f"field {name!r} must be a non-negative integer")
    return value


def _listed(raw: Any, position: int) -> ListedFile:
    where = f"files[{position}]"
    if not isinstance(raw, dict):
        raise _fail(f"{where} must be an object")
    path, digest, kind = raw.get("path"), raw.get("sha256"), raw.get("kind")
    if not isinstance(path, str) or not PATH_PATTERN.fullmatch(path) or path in BINDING_FILES:
        raise _fail(f"{where}.path must be a relative path of letters, digits and ._-")
    if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
        raise _fail(f"{where}.sha256 must be 64 lowercase hex digits")
    if kind not in KINDS:
        raise _fail(f"{where}.kind must be one of {', '.join(KINDS)}")
    entry_id: str | None = None
    index: int | None = None
    if kind in PROOF_KINDS:
        value = raw.get("id")
        if not isinstance(value, str) or not value:
            raise _fail(f"{where}.id must name the entry")
        entry_id = value
        index = _natural(raw.get("index"), f"{where}.index")
    return ListedFile(path, digest, cast(Kind, kind), entry_id, index)


def parse_manifest(raw: Any) -> Manifest:
    """Check the manifest's shape (not yet its binding to the log or the files)."""
    if not isinstance(raw, dict):
        raise _fail("must be a JSON object")
    if raw.get("format") != PACKAGE_FORMAT:
        raise _fail(f"field 'format' must be {PACKAGE_FORMAT!r}")
    checkpoint = raw.get("checkpoint")
    if not isinstance(checkpoint, dict):
        raise _fail("field 'checkpoint' must be an object with size and root")
    size = _natural(checkpoint.get("size"), "checkpoint.size")
    try:
        root = base64.b64decode(str(checkpoint.get("root")), validate=True)
    except (binascii.Error, ValueError):
        root = b""
    if len(root) != 32:
        raise _fail("field 'checkpoint.root' must be base64 of 32 bytes")
    counts = raw.get("counts")
    if not isinstance(counts, dict) or set(counts) != set(COUNTED.values()):
        raise _fail(f"field 'counts' must count {', '.join(COUNTED.values())}")
    files = raw.get("files")
    if not isinstance(files, list):
        raise _fail("field 'files' must be a list")
    return Manifest(
        tenant=_text(raw, "tenant"),
        origin=_text(raw, "origin"),
        system=_text(raw, "system"),
        period=Period.parse(raw.get("period"), "manifest.json"),
        checkpoint_size=size,
        checkpoint_root=root,
        counts={name: _natural(value, f"counts.{name}") for name, value in counts.items()},
        files=tuple(_listed(item, i) for i, item in enumerate(files)),
    )
