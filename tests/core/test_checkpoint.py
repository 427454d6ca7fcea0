"""Checkpoints and signed notes: the formats Go's sumdb/note and transparency-dev tools read."""

from __future__ import annotations

import base64

import pytest

from attest.core.checkpoint import (
    Checkpoint,
    SignedNote,
    SignerKey,
    VerifierKey,
    add_cosignatures,
    cosign,
    key_id,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)
from attest.errors import InvalidInput, VerificationError

# The reference vector of golang.org/x/mod/sumdb/note (note_test.go).
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
LOG = SignerKey("log.example", bytes(range(32)))
WITNESS = SignerKey("witness.example", bytes(range(32, 64)))


def test_go_reference_keys_parse_and_match() -> None:
    verifier = VerifierKey.from_string(GO_VERIFIER)
    signer = SignerKey.from_string(GO_SIGNER)
    assert signer.verifier == verifier
    assert str(verifier) == GO_VERIFIER
    assert str(signer) == GO_SIGNER
    assert verifier.key_id.hex() == "c74f20a3"


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    # Ed25519 is deterministic, so the same key and text give the published signature.
    note = sign_note(GO_TEXT, SignerKey.from_string(GO_SIGNER))
    assert note.to_text() == GO_NOTE


def test_go_reference_note_verifies_and_a_changed_text_does_not() -> None:
    verifier = VerifierKey.from_string(GO_VERIFIER)
    assert SignedNote.from_text(GO_NOTE).signed_by(verifier)
    forged = GO_NOTE.replace("cryptography", "cryptographY")
    with pytest.raises(VerificationError, match="invalid signature"):
        SignedNote.from_text(forged).signed_by(verifier)


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_key() -> None:
    import hashlib

    public = LOG.verifier.public_key
    expected = hashlib.sha256(b"log.example\n\x01" + public).digest()[:4]
    assert key_id("log.example", public) == expected == LOG.verifier.key_id


@pytest.mark.parametrize(
    "text",
    [
        GO_VERIFIER.replace("+c74f20a3+", "+c74f20a4+"),  # id does not match
        GO_VERIFIER.replace("+ARpc", "+Arpc"),  # key changed
        "PeterNeumann+c74f20a3",  # missing key
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x02" + bytes(32)).decode(),  # algorithm
    ],
)
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        VerifierKey.from_string(text)


def test_checkpoint_text_round_trips_and_has_the_c2sp_layout() -> None:
    checkpoint = Checkpoint("log.example/attest/bank", 12, bytes(range(32)))
    text = checkpoint.to_text()
    assert text == f"log.example/attest/bank\n12\n{base64.b64encode(bytes(range(32))).decode()}\n"
    assert Checkpoint.from_text(text) == checkpoint
    with_extension = Checkpoint("o", 1, bytes(32), ("ext line",))
    assert Checkpoint.from_text(with_extension.to_text()) == with_extension


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("origin\n12\n", "fewer than three lines"),
        ("origin\n012\n" + base64.b64encode(bytes(32)).decode() + "\n", "not a decimal"),
        ("origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n", "not a decimal"),
        ("origin\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "not 32 bytes"),
        ("origin\n1\n!!!\n", "not valid base64"),
        ("\n1\n" + base64.b64encode(bytes(32)).decode() + "\n", "empty origin"),
        ("origin\n1\n" + base64.b64encode(bytes(32)).decode(), "end with a newline"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, problem: str) -> None:
    with pytest.raises(VerificationError, match=problem):
        Checkpoint.from_text(text)


def test_signed_checkpoint_verifies_with_the_log_key_only() -> None:
    note = sign_checkpoint(Checkpoint("log.example/attest/bank", 5, bytes(32)), LOG)
    assert verify_checkpoint(note, LOG.verifier).size == 5
    impostor = SignerKey("log.example", bytes(range(1, 33)))
    with pytest.raises(VerificationError, match="not signed by the log key"):
        verify_checkpoint(note, impostor.verifier)
    # The same name but another key: its signature line must not be mistaken for the log's.
    forged = sign_checkpoint(Checkpoint("log.example/attest/bank", 5, bytes(32)), impostor)
    with pytest.raises(VerificationError, match="not signed by the log key"):
        verify_checkpoint(forged, LOG.verifier)


def test_a_tampered_checkpoint_body_fails_the_signature() -> None:
    note = sign_checkpoint(Checkpoint("log.example/attest/bank", 5, bytes(32)), LOG)
    with pytest.raises(VerificationError, match="invalid signature"):
        verify_checkpoint(note.replace("\n5\n", "\n6\n", 1), LOG.verifier)


def test_witness_cosignatures_are_kept_verified_when_asked_and_ignored_otherwise() -> None:
    note = sign_checkpoint(Checkpoint("log.example/attest/bank", 5, bytes(32)), LOG)
    with pytest.raises(VerificationError, match="no co-signature by witness.example"):
        verify_checkpoint(note, LOG.verifier, [WITNESS.verifier])
    cosigned = cosign(note, WITNESS)
    assert len(SignedNote.from_text(cosigned).signatures) == 2
    verify_checkpoint(cosigned, LOG.verifier)  # unknown signer ignored
    verify_checkpoint(cosigned, LOG.verifier, [WITNESS.verifier])
    assert add_cosignatures(note, cosigned, [WITNESS.verifier]) == cosigned
    with pytest.raises(VerificationError, match="no co-signature by log.example"):
        add_cosignatures(note, note, [SignerKey("log.example", bytes(range(9, 41))).verifier])
    bogus = (
        note
        + "\u2014 witness.example "
        + base64.b64encode(WITNESS.verifier.key_id + bytes(64)).decode()
        + "\n"
    )
    with pytest.raises(VerificationError, match="invalid signature by key witness.example"):
        add_cosignatures(note, bogus, [WITNESS.verifier])
    assert cosign(cosigned, WITNESS) == cosigned  # signing twice adds nothing
    corrupted = cosigned.replace(cosigned.splitlines()[-1][-6:], "AAAAA=")
    with pytest.raises(VerificationError):
        verify_checkpoint(corrupted, LOG.verifier, [WITNESS.verifier])


@pytest.mark.parametrize(
    "note",
    [
        "no signatures\n",
        "text\n\n",
        "text\n\nnot a signature line\n",
        "text\r\n\n\u2014 a AAAAAAA=\n",
        "text\n\n\u2014 a !!!\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(VerificationError, match="malformed note|not valid base64"):
        SignedNote.from_text(note)


def test_signer_key_repr_never_shows_the_seed() -> None:
    assert "seed" not in repr(LOG) and bytes(range(32)).hex() not in repr(LOG)
