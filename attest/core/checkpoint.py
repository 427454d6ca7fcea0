"""Checkpoints (C2SP tlog-checkpoint) inside signed notes (C2SP signed-note), with Ed25519 keys.

The formats are the ones Go's ``golang.org/x/mod/sumdb/note`` package and the transparency-dev
tooling read, so a checkpoint Attest signs can be checked by tools that have never heard of it:

* checkpoint body: ``<origin>\\n<decimal size>\\n<base64 root>\\n`` plus optional extension lines;
* signed note: the body, an empty line, then one line per signature,
  ``— <key name> <base64(4-byte key id || 64-byte signature)>``;
* key id: the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key);
* verifier key: ``<name>+<8 hex digits key id>+<base64(0x01 || public key)>``;
* signer key: ``PRIVATE+KEY+<name>+<8 hex digits key id>+<base64(0x01 || 32-byte seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from attest.errors import InvalidInput, VerificationError

ALGORITHM_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start every signature line
MAX_SIGNATURES = 100


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} is not valid base64") from None


def _valid_key_name(name: str) -> bool:
    """Go's rule: non-empty, no white space (Unicode's definition) and no '+'."""
    return bool(name) and name.isprintable() and not any(c.isspace() or c == "+" for c in name)


def _check_key_name(name: str) -> None:
    if not _valid_key_name(name):
        raise InvalidInput(f"key name {name!r} must be non-empty, printable, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id the signed-note spec recommends for an Ed25519 key."""
    material = name.encode() + b"\n" + bytes([ALGORITHM_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A public key that checks signatures, with the name and id signature lines refer to."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if len(self.public_key) != 32:
            raise InvalidInput("an Ed25519 public key has 32 bytes")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_string(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise InvalidInput("verifier key must read <name>+<8 hex digits>+<base64 key>")
        name, id_hex, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            expected_id = bytes.fromhex(id_hex)
        except (binascii.Error, ValueError):
            raise InvalidInput("verifier key has a malformed key id or key") from None
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise InvalidInput("verifier key is not an Ed25519 key (algorithm byte 0x01)")
        key = cls(name, raw[1:])
        if key.key_id != expected_id:
            raise InvalidInput(f"verifier key id {id_hex} does not match its name and key")
        return key

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SignerKey:
    """A private Ed25519 key with its signed-note name. Never stored in the database."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if len(self.seed) != 32:
            raise InvalidInput("an Ed25519 private key seed has 32 bytes")

    @property
    def verifier(self) -> VerifierKey:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return VerifierKey(self.name, public)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    def __repr__(self) -> str:  # never print the seed by accident
        return f"SignerKey(name={self.name!r})"

    @classmethod
    def from_string(cls, text: str) -> SignerKey:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise InvalidInput("signer key must read PRIVATE+KEY+<name>+<key id>+<base64 key>")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("signer key is not valid base64") from None
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise InvalidInput("signer key is not an Ed25519 key (algorithm byte 0x01)")
        key = cls(parts[2], raw[1:])
        if key.verifier.key_id.hex() != parts[3]:
            raise InvalidInput("signer key id does not match its name and key")
        return key

    def sign(self, message: bytes) -> Signature:
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)
        return Signature(self.name, self.verifier.key_id, signature)


@dataclass(frozen=True)
class Signature:
    """One signature line of a signed note."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class SignedNote:
    """A text and the signatures over it, in the C2SP signed-note encoding."""

    text: str
    signatures: tuple[Signature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)

    @classmethod
    def from_text(cls, note: str) -> SignedNote:
        if "\r" in note or any(ord(c) < 0x20 and c != "\n" for c in note):
            raise VerificationError("malformed note: control characters other than newline")
        split = note.rfind("\n\n")
        if split < 0 or not note.endswith("\n"):
            raise VerificationError("malformed note: no blank line before the signatures")
        text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
        if not lines:
            raise VerificationError("malformed note: no signatures")
        if len(lines) > MAX_SIGNATURES:
            raise VerificationError(f"malformed note: more than {MAX_SIGNATURES} signatures")
        signatures = []
        for line in lines:
            if not line.startswith(SIGNATURE_PREFIX):
                raise VerificationError("malformed note: a signature line must start with '— '")
            name, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
            raw = _b64decode(encoded, f"signature by {name!r}")
            if not _valid_key_name(name) or len(raw) < 5:
                raise VerificationError("malformed note: bad signature line")
            signatures.append(Signature(name, raw[:4], raw[4:]))
        return cls(text, tuple(signatures))

    def signed_by(self, key: VerifierKey) -> bool:
        """Whether a signature by ``key`` is present and valid. An invalid one raises."""
        found = False
        for signature in self.signatures:
            if signature.name == key.name and signature.key_id == key.key_id:
                if not key.verify(self.text.encode(), signature.signature):
                    raise VerificationError(
                        f"invalid signature by key {key.name}+{key.key_id.hex()}"
                    )
                found = True
        return found

    def with_signature(self, signature: Signature) -> SignedNote:
        """The note with one more signature; a second signature by the same key replaces nothing."""
        if any(s.name == signature.name and s.key_id == signature.key_id for s in self.signatures):
            return self
        return SignedNote(self.text, (*self.signatures, signature))


def sign_note(text: str, signer: SignerKey) -> SignedNote:
    if not text.endswith("\n") or "\n\n" in text:
        raise InvalidInput("note text must end with a newline and contain no blank line")
    return SignedNote(text, (signer.sign(text.encode()),))


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint: which log (origin), how big (size), and its root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def to_text(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise VerificationError("malformed checkpoint: it must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("malformed checkpoint: fewer than three lines")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise VerificationError("malformed checkpoint: empty origin")
        if (
            not size_text.isascii()
            or not size_text.isdigit()
            or (size_text != "0" and size_text.startswith("0"))
        ):
            raise VerificationError(f"malformed checkpoint: size {size_text!r} is not a decimal")
        root = _b64decode(root_text, "checkpoint root")
        if len(root) != 32:
            raise VerificationError("malformed checkpoint: root hash is not 32 bytes")
        if any(not line for line in extensions):
            raise VerificationError("malformed checkpoint: empty extension line")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: SignerKey) -> str:
    """The signed note text of ``checkpoint``."""
    return sign_note(checkpoint.to_text(), signer).to_text()


def cosign(note_text: str, signer: SignerKey) -> str:
    """Add a co-signature (a witness's) to an already signed note."""
    note = SignedNote.from_text(note_text)
    return note.with_signature(signer.sign(note.text.encode())).to_text()


def add_cosignatures(
    note_text: str, cosigned_text: str, witness_keys: Sequence[VerifierKey]
) -> str:
    """The note with each given witness's co-signature taken from another copy of it.

    Every witness named must have a valid signature in the copy; nothing else is taken from it,
    so an unchecked line can never be stored under a witness's name.
    """
    if not witness_keys:
        raise InvalidInput("name the witness key whose co-signature to keep")
    note, cosigned = SignedNote.from_text(note_text), SignedNote.from_text(cosigned_text)
    if note.text != cosigned.text:
        raise VerificationError("the co-signed note signs a different checkpoint")
    for key in witness_keys:
        if not cosigned.signed_by(key):
            raise VerificationError(f"no co-signature by {key.name}+{key.key_id.hex()}")
        for signature in cosigned.signatures:
            if signature.name == key.name and signature.key_id == key.key_id:
                note = note.with_signature(signature)
    return note.to_text()


def verify_checkpoint(
    note_text: str, log_key: VerifierKey, witness_keys: Iterable[VerifierKey] = ()
) -> Checkpoint:
    """Parse and check a signed checkpoint.

    The log's signature must be present and valid; each witness key given must have a valid
    co-signature; signatures by keys nobody asked about are kept but not checked.
    """
    note = SignedNote.from_text(note_text)
    if not note.signed_by(log_key):
        raise VerificationError(
            f"checkpoint is not signed by the log key {log_key.name}+{log_key.key_id.hex()}"
        )
    for witness in witness_keys:
        if not note.signed_by(witness):
            raise VerificationError(
                f"checkpoint has no co-signature by {witness.name}+{witness.key_id.hex()}"
            )
    return Checkpoint.from_text(note.text)


def checkpoint_text_of(note_text: str) -> Checkpoint:
    """The checkpoint inside a note, without checking any signature."""
    return Checkpoint.from_text(SignedNote.from_text(note_text).text)


def origin_for(host: str, tenant: str) -> str:
    return f"{host}/attest/{tenant}"
