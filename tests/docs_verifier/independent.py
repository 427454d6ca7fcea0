"""A verifier for Attest proof documents and log bundles, written from docs/ledger.md alone.

It deliberately imports nothing from ``attest``: it exists to show that the document is enough to
check Attest's evidence. Standard library plus ``cryptography`` (Ed25519) and, when installed,
``rfc8785`` (canonical JSON); without ``rfc8785`` it falls back to the shortcut of section 2.2.

    python -m tests.docs_verifier.independent PATH --key VERIFIER_KEY [--trusted NOTE_FILE]

Every check returns a list of findings (sentences); an empty list means "verified".
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

try:
    import rfc8785
except ImportError:  # pragma: no cover - the shortcut of section 2.2
    rfc8785 = None

BUNDLE_FORMAT = "attest-log-bundle/v1"
EM_DASH_PREFIX = "\u2014 "
MAX_SIGNATURES = 100


class Failure(Exception):
    """A check that failed; the message is the finding."""


# -- encodings (notation) ---------------------------------------------------------------------


def b64(text: Any, what: str) -> bytes:
    """Strict standard base64 with padding."""
    if not isinstance(text, str):
        raise Failure(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Failure(f"{what} is not valid base64") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise Failure(f"duplicate member {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise Failure(f"{name} is not allowed")


def strict_json(data: str | bytes) -> Any:
    """JSON without duplicate member names, NaN or Infinity (section 7.1 step 1)."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Failure(f"malformed JSON ({error})") from None


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes of a parsed JSON value (section 2.2)."""
    if rfc8785 is not None:
        return rfc8785.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- hashing (section 4) and proofs (section 6) -----------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


EMPTY_ROOT = sha256(b"")


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Section 6.2."""
    if index >= size:
        raise Failure(f"index {index} is not below tree size {size}")
    if len(leaf) != 32 or any(len(p) != 32 for p in proof):
        raise Failure("inclusion proof hashes must be 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Failure("inclusion proof has too many hashes")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Failure("inclusion proof has too few hashes")
    if r != root:
        raise Failure(f"inclusion proof gives root {r.hex()}, the checkpoint says {root.hex()}")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Section 6.4."""
    if size1 > size2:
        raise Failure(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise Failure("consistency from the empty tree proves nothing")
    if size1 == size2:
        if proof or root1 != root2:
            raise Failure("equal sizes need an empty proof and equal roots")
        return
    if not proof:
        raise Failure("empty consistency proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failure("consistency proof has too many hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Failure("consistency proof has too few hashes")
    if fr != root1:
        raise Failure("consistency proof does not give the old root")
    if sr != root2:
        raise Failure("consistency proof does not give the new root")


class TreeBuilder:
    """Incremental root in O(log n) memory (section 9.1, last paragraph)."""

    def __init__(self) -> None:
        self.size = 0
        self._hashes: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        h, i = leaf, self.size
        while i & 1:
            h = node_hash(self._hashes.pop(), h)
            i >>= 1
        self._hashes.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for x in reversed(self._hashes[:-1]):
            h = node_hash(x, h)
        return h


# -- keys, notes, checkpoints (section 5) -----------------------------------------------------


def _valid_key_name(name: str) -> bool:
    return bool(name) and name.isprintable() and not any(c.isspace() or c == "+" for c in name)


def key_id(name: str, public_key: bytes) -> bytes:
    return sha256(name.encode() + b"\n\x01" + public_key)[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Section 5.4: ``<name>+<8 hex>+<base64(0x01 || key)>``."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise Failure("a verifier key reads <name>+<8 hex digits>+<base64 key>")
        name, id_hex, encoded = parts
        try:
            expected = bytes.fromhex(id_hex)
        except ValueError:
            raise Failure("verifier key id is not hex") from None
        raw = b64(encoded, "verifier key")
        if len(raw) != 33 or raw[0] != 0x01:
            raise Failure("verifier key is not an Ed25519 key (33 bytes starting with 0x01)")
        if not _valid_key_name(name):
            raise Failure(f"verifier key name {name!r} is not a valid key name")
        key = cls(name, raw[1:])
        if key.key_id != expected:
            raise Failure("verifier key id does not match its name and key")
        return key

    def __str__(self) -> str:
        encoded = base64.b64encode(b"\x01" + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]


def parse_note(note: str) -> Note:
    """Section 5.3, parsing rules 1-3."""
    if any((ord(c) < 0x20 and c != "\n") for c in note):
        raise Failure("malformed note: control character")
    if not note.endswith("\n"):
        raise Failure("malformed note: it must end with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise Failure("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise Failure("malformed note: no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise Failure("malformed note: too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(EM_DASH_PREFIX):
            raise Failure("malformed note: a signature line must start with an em dash and space")
        name, space, encoded = line[len(EM_DASH_PREFIX) :].rpartition(" ")
        if not space or not name or " " in name or "+" in name:
            raise Failure("malformed note: bad key name in a signature line")
        raw = b64(encoded, "signature")
        if len(raw) < 5:
            raise Failure("malformed note: signature too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


def signed_by(note: Note, key: VerifierKey) -> bool:
    """Rule 4: signatures that belong to ``key`` must verify; True if there is at least one."""
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    found = False
    for signature in note.signatures:
        if signature.name != key.name or signature.key_id != key.key_id:
            continue
        try:
            public.verify(signature.signature, note.text.encode())
        except InvalidSignature:
            raise Failure(f"invalid signature by {key.name}+{key.key_id.hex()}") from None
        found = True
    return found


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Section 5.1."""
    if not text.endswith("\n"):
        raise Failure("malformed checkpoint: no final newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise Failure("malformed checkpoint: fewer than three lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise Failure("malformed checkpoint: empty origin")
    if not (size_text.isascii() and size_text.isdigit()) or (
        size_text.startswith("0") and size_text != "0"
    ):
        raise Failure(f"malformed checkpoint: size {size_text!r}")
    root = b64(root_text, "checkpoint root")
    if len(root) != 32:
        raise Failure("malformed checkpoint: root is not 32 bytes")
    if any(not line for line in extensions):
        raise Failure("malformed checkpoint: empty extension line")
    return Checkpoint(origin, int(size_text), root)


def verify_checkpoint(
    note_text: Any, log_key: VerifierKey, witness_keys: Iterable[VerifierKey] = ()
) -> Checkpoint:
    """Section 5.5."""
    if not isinstance(note_text, str):
        raise Failure("a checkpoint must be signed note text")
    note = parse_note(note_text)
    if not signed_by(note, log_key):
        raise Failure(f"not signed by the log key {log_key.name}+{log_key.key_id.hex()}")
    for witness in witness_keys:
        if not signed_by(note, witness):
            raise Failure(f"no co-signature by {witness.name}+{witness.key_id.hex()}")
    return parse_checkpoint_body(note.text)


def tenant_of_origin(origin: str) -> str | None:
    """Section 5.2."""
    head, separator, tenant = origin.rpartition("/attest/")
    return tenant if separator and head and tenant else None


# -- entries (section 2, checked as in 7.1 step 5) --------------------------------------------


def check_entry(data: bytes, origin: str, where: str) -> list[str]:
    try:
        envelope = strict_json(data)
        again = canonical(envelope)
    except Exception as error:  # any parse or encoding failure is a finding
        return [f"{where}: not canonical JSON ({error})"]
    findings = []
    if again != data:
        findings.append(f"{where}: not in RFC 8785 canonical form")
    v = envelope.get("v") if isinstance(envelope, dict) else None
    if type(v) is not int or v != 1:
        return [*findings, f"{where}: not a version-1 envelope"]
    if envelope.get("tenant") != tenant_of_origin(origin):
        findings.append(f"{where}: tenant {envelope.get('tenant')!r} is not the log's")
    return findings


# -- proof documents (sections 7 and 8) -------------------------------------------------------


def _natural(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise Failure(f"{what} must be a non-negative integer")
    return value


def _hash_list(value: Any, what: str) -> list[bytes]:
    if not isinstance(value, list):
        raise Failure(f"{what} must be a list of base64 hashes")
    hashes = [b64(item, f"{what}[{i}]") for i, item in enumerate(value)]
    if any(len(h) != 32 for h in hashes):
        raise Failure(f"{what} holds a hash that is not 32 bytes")
    return hashes


def check_trusted(
    checkpoint: Checkpoint,
    trusted: Checkpoint,
    from_size: int | None,
    consistency: Sequence[bytes],
) -> list[str]:
    """Section 8."""
    if trusted.origin != checkpoint.origin:
        return ["the trusted checkpoint is for another log"]
    if checkpoint.size < trusted.size:
        return [f"rollback: size {checkpoint.size} after a trusted size {trusted.size}"]
    if checkpoint.size == trusted.size:
        return [] if checkpoint.root == trusted.root else [f"fork at size {trusted.size}"]
    if from_size != trusted.size:
        return [f"no consistency proof from the trusted size {trusted.size}"]
    try:
        verify_consistency(
            trusted.size, checkpoint.size, trusted.root, checkpoint.root, consistency
        )
    except Failure as error:
        return [f"fork or rollback: {error}"]
    return []


def verify_proof_document(
    document: Any,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[str]:
    """Section 7.1, steps 1-6. ``document`` is the parsed JSON or its text."""
    try:
        if isinstance(document, str | bytes):
            document = strict_json(document)
        if not isinstance(document, dict):
            raise Failure("a proof document is a JSON object")
        for name in ("entry", "index", "tree_size", "proof", "checkpoint"):
            if name not in document:
                raise Failure(f"no member {name!r}")
        entry = b64(document["entry"], "entry")
        index = _natural(document["index"], "index")
        tree_size = _natural(document["tree_size"], "tree_size")
        proof = _hash_list(document["proof"], "proof")
        if not isinstance(document["checkpoint"], str):
            raise Failure("checkpoint must be a string")
        from_size: int | None = None
        consistency: list[bytes] = []
        if document.get("consistency") is not None:
            if not isinstance(document["consistency"], dict):
                raise Failure("consistency must be an object")
            from_size = _natural(document["consistency"].get("from_size"), "from_size")
            consistency = _hash_list(document["consistency"].get("proof"), "consistency.proof")
        checkpoint = verify_checkpoint(document["checkpoint"], log_key, witness_keys)
    except Failure as error:
        return [str(error)]
    findings = []
    if tree_size != checkpoint.size:
        findings.append(f"tree_size {tree_size} is not the checkpoint's size {checkpoint.size}")
    try:
        verify_inclusion(index, checkpoint.size, leaf_hash(entry), proof, checkpoint.root)
    except Failure as error:
        findings.append(f"entry {index} is not in the signed tree: {error}")
    findings.extend(check_entry(entry, checkpoint.origin, f"entry {index}"))
    if trusted is not None:
        findings.extend(check_trusted(checkpoint, trusted, from_size, consistency))
    return findings


# -- log bundles (section 9) ------------------------------------------------------------------


def _json_lines(path: Path, findings: list[str]) -> Iterable[dict[str, Any]]:
    if not path.exists():
        findings.append(f"{path.name} is missing")
        return
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            record = strict_json(line)
        except Failure as error:
            findings.append(f"{path.name} line {number}: {error}")
            continue
        if not isinstance(record, dict):
            findings.append(f"{path.name} line {number}: not a JSON object")
            continue
        yield record


def _envelope_id(data: bytes) -> Any:
    try:
        envelope = strict_json(data)
    except Failure:
        return None
    return envelope.get("id") if isinstance(envelope, dict) else None


def _same_text(note: Any, newest_note: str) -> bool:
    """Whether ``note`` carries the same note text as the newest checkpoint (step 5)."""
    try:
        return isinstance(note, str) and parse_note(note).text == parse_note(newest_note).text
    except Failure:
        return False


def verify_bundle(
    directory: Path,
    log_key: VerifierKey,
    *,
    witness_keys: Sequence[VerifierKey] = (),
    trusted: Checkpoint | None = None,
) -> list[str]:
    """Section 9.1, steps 1-6."""
    try:
        bundle = strict_json((directory / "bundle.json").read_bytes())
        if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
            raise Failure(f"not an {BUNDLE_FORMAT} bundle")
        newest_note = bundle.get("checkpoint")
        newest = verify_checkpoint(newest_note, log_key, witness_keys)
    except (Failure, OSError) as error:
        return [f"bundle.json: {error}"]
    findings: list[str] = []

    kept: list[Checkpoint] = []
    last_note: Any = None
    last_size: int | None = None
    for record in _json_lines(directory / "checkpoints.jsonl", findings):
        last_note = record.get("note")
        try:
            checkpoint = verify_checkpoint(record.get("note"), log_key)
        except Failure as error:
            findings.append(f"checkpoint: {error}")
            continue
        if checkpoint.origin != newest.origin:
            findings.append(f"checkpoint {checkpoint.size}: another log's origin")
            continue
        if last_size is not None and checkpoint.size <= last_size:
            findings.append(f"checkpoint {checkpoint.size}: out of order")
            continue
        last_size = checkpoint.size
        if checkpoint.size > 0:
            kept.append(checkpoint)

    pending = {c.size: c for c in kept}
    tree = TreeBuilder()
    expected_index = 0
    for record in _json_lines(directory / "entries.jsonl", findings):
        index = record.get("index")
        try:
            data = b64(record.get("entry"), f"entry {index}")
        except Failure as error:
            findings.append(f"entries.jsonl: {error}")
            continue
        if type(index) is not int:
            findings.append("entries.jsonl: a line has no integer index")
            continue
        if index > expected_index:
            findings.append(f"entries {expected_index}-{index - 1} missing")
        elif index < expected_index:
            findings.append(f"entry {index} appears twice or out of order")
        expected_index = max(expected_index, index + 1)
        findings.extend(check_entry(data, newest.origin, f"entry {index}"))
        if isinstance(record.get("id"), str) and record["id"] != _envelope_id(data):
            findings.append(f"entry {index}: listed id is not the envelope's id")
        tree.append(leaf_hash(data))
        reached = pending.pop(tree.size, None)
        if reached is not None and reached.root != tree.root():
            findings.append(f"checkpoint {reached.size}: its root is not the entries' root")
        if trusted is not None and trusted.size == tree.size and trusted.root != tree.root():
            findings.append(f"fork or rewrite at the trusted size {trusted.size}")
    for size in sorted(pending):
        findings.append(f"checkpoint {size}: only {tree.size} entries exist")
    if (directory / "checkpoints.jsonl").exists() and not _same_text(last_note, newest_note):
        findings.append("checkpoints.jsonl does not end with the newest checkpoint")
    if tree.size != newest.size:
        findings.append(f"the newest checkpoint covers {newest.size} entries, not {tree.size}")
    elif tree.root() != newest.root:
        findings.append("the entries do not give the newest checkpoint's root")
    if trusted is not None and trusted.size > tree.size:
        findings.append(f"rollback: trusted size {trusted.size}, bundle size {tree.size}")
    return findings


# -- command line (section 10, exit statuses) -------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--key", required=True)
    parser.add_argument("--witness-key", action="append", default=[])
    parser.add_argument("--trusted", type=Path)
    args = parser.parse_args(argv)
    try:
        key = VerifierKey.parse(args.key)
        witnesses = [VerifierKey.parse(w) for w in args.witness_key]
        trusted = verify_checkpoint(args.trusted.read_text(), key) if args.trusted else None
    except (Failure, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.path.exists():
        print(f"error: {args.path}: no such file or directory", file=sys.stderr)
        return 2
    if args.path.is_dir():
        findings = verify_bundle(args.path, key, witness_keys=witnesses, trusted=trusted)
    else:
        findings = verify_proof_document(
            args.path.read_bytes(), key, witness_keys=witnesses, trusted=trusted
        )
    print(("INVALID " if findings else "ok      ") + str(args.path))
    for finding in findings:
        print(f"  - {finding}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
