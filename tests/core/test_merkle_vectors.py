"""Every RFC 6962 probe in tests/vectors/rfc6962 gives exactly its ``wantErr`` verdict."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from attest.core.merkle import verify_consistency, verify_inclusion
from attest.errors import VerificationError

VECTORS = Path(__file__).parent.parent / "vectors" / "rfc6962"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


def _name(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_all_196_vector_files_are_present() -> None:
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize("path", INCLUSION, ids=_name)
def test_inclusion_vector(path: Path) -> None:
    probe = json.loads(path.read_text())
    try:
        verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            _b64(probe["leafHash"]),
            _proof(probe["proof"]),
            _b64(probe["root"]),
        )
        rejected = False
    except VerificationError:
        rejected = True
    assert rejected == probe["wantErr"], probe["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=_name)
def test_consistency_vector(path: Path) -> None:
    probe = json.loads(path.read_text())
    try:
        verify_consistency(
            probe["size1"],
            probe["size2"],
            _b64(probe["root1"]),
            _b64(probe["root2"]),
            _proof(probe["proof"]),
        )
        rejected = False
    except VerificationError:
        rejected = True
    assert rejected == probe["wantErr"], probe["desc"]


def test_root_mismatch_names_expected_and_calculated() -> None:
    probe = json.loads((VECTORS / "inclusion/1/modified-proof[0]-bit-@3.json").read_text())
    with pytest.raises(VerificationError) as caught:
        verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            _b64(probe["leafHash"]),
            _proof(probe["proof"]),
            _b64(probe["root"]),
        )
    assert caught.value.expected == _b64(probe["root"])
    assert caught.value.calculated is not None and caught.value.calculated != caught.value.expected
    assert caught.value.expected.hex() in str(caught.value)
    assert caught.value.calculated.hex() in str(caught.value)
