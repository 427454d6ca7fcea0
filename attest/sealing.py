"""Vault cryptography: per-subject data keys wrapped by the master key, values sealed with AES-GCM.

Associated data binds every ciphertext to where it belongs (tenant, subject, entry, field), so a
ciphertext copied to another row does not open. Destroying a subject's wrapped key makes every
value sealed under it unreadable, which is how erasure works without touching the log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from attest.core.canonical import parse_json
from attest.errors import ConfigurationError, VerificationError

DATA_KEY_SIZE = 32
NONCE_SIZE = 12


def _seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def _open(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], associated)


def _context(*parts: str) -> bytes:
    """Associated data: the JSON array of ``parts`` (for strings, the same bytes as RFC 8785)."""
    return json.dumps(list(parts), ensure_ascii=False, separators=(",", ":")).encode()


def _key_context(tenant: str, subject: str) -> bytes:
    return _context("attest/data-key/v1", tenant, subject)


def _value_context(tenant: str, entry_id: str, pointer: str) -> bytes:
    return _context("attest/vault-value/v1", tenant, entry_id, pointer)


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_SIZE)


def wrap_data_key(master: bytes, tenant: str, subject: str, data_key: bytes) -> bytes:
    return _seal(master, data_key, _key_context(tenant, subject))


def unwrap_data_key(master: bytes, tenant: str, subject: str, wrapped: bytes) -> bytes:
    try:
        return _open(master, wrapped, _key_context(tenant, subject))
    except InvalidTag:
        raise ConfigurationError(
            "the vault master key does not open this subject's data key (wrong master key?)"
        ) from None


def seal_value(
    data_key: bytes, tenant: str, entry_id: str, pointer: str, salt: bytes, value_bytes: bytes
) -> bytes:
    """Seal ``{"salt": base64(salt), "value": <value>}`` (canonical) given the value's bytes."""
    plaintext = b'{"salt":"' + base64.b64encode(salt) + b'","value":' + value_bytes + b"}"
    return _seal(data_key, plaintext, _value_context(tenant, entry_id, pointer))


def open_value(
    data_key: bytes, tenant: str, entry_id: str, pointer: str, sealed: bytes
) -> tuple[bytes, Any]:
    try:
        plaintext = _open(data_key, sealed, _value_context(tenant, entry_id, pointer))
    except InvalidTag:
        raise VerificationError(
            f"vault value {pointer} of entry {entry_id} does not open: it was altered or moved"
        ) from None
    document = parse_json(plaintext)
    return base64.b64decode(document["salt"]), document["value"]


def fingerprint_key(master: bytes) -> bytes:
    """The key for submission fingerprints, derived: the master key is never an HMAC key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"attest/fingerprint/v1"
    ).derive(master)


def fingerprint(key: bytes, header: bytes, body: bytes) -> bytes:
    """A keyed hash of what was submitted: equal for a retry, meaningless without the key."""
    digest = hmac.new(key, header, hashlib.sha256)
    digest.update(b"\n")
    digest.update(body)
    return digest.digest()
