"""The deployment's secrets: the log signing key and the vault master key.

Both live outside the database: the signing key in ``$ATTEST_HOME/signing.key``, the master key in
``ATTEST_MASTER_KEY`` or ``$ATTEST_HOME/master.key``. Files are created with mode 0600 and never
overwritten.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attest.config import Settings
from attest.core.checkpoint import SignerKey, VerifierKey
from attest.errors import ConfigurationError

MASTER_KEY_SIZE = 32


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def _decode_master_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"master key in {source} is not base64") from None
    if len(key) != MASTER_KEY_SIZE:
        raise ConfigurationError(f"master key in {source} must be {MASTER_KEY_SIZE} bytes")
    return key


@dataclass(frozen=True)
class Keyring:
    signer: SignerKey
    master_key: bytes

    def __repr__(self) -> str:
        return f"Keyring(signer={self.signer.name!r})"

    @property
    def verifier(self) -> VerifierKey:
        return self.signer.verifier


def load_keyring(settings: Settings) -> Keyring:
    path = settings.signing_key_path
    if not path.exists():
        raise ConfigurationError(f"no signing key at {path}: run `attest init`")
    signer = SignerKey.from_string(path.read_text())
    if settings.master_key is not None:
        master = _decode_master_key(settings.master_key.get_secret_value(), "ATTEST_MASTER_KEY")
    elif settings.master_key_path.exists():
        master = _decode_master_key(
            settings.master_key_path.read_text(), str(settings.master_key_path)
        )
    else:
        raise ConfigurationError(
            f"no vault master key: set ATTEST_MASTER_KEY or run `attest init` "
            f"to create {settings.master_key_path}"
        )
    return Keyring(signer, master)


def create_keys(settings: Settings, random: Callable[[int], bytes] = os.urandom) -> list[Path]:
    """Create whichever keys are missing; return the files written."""
    written = []
    if not settings.signing_key_path.exists():
        _write_secret(settings.signing_key_path, str(SignerKey(settings.host, random(32))) + "\n")
        written.append(settings.signing_key_path)
    signer = SignerKey.from_string(settings.signing_key_path.read_text())
    settings.verifier_key_path.write_text(str(signer.verifier) + "\n")
    written.append(settings.verifier_key_path)
    if settings.master_key is None and not settings.master_key_path.exists():
        _write_secret(
            settings.master_key_path, base64.b64encode(random(MASTER_KEY_SIZE)).decode() + "\n"
        )
        written.append(settings.master_key_path)
    return written
