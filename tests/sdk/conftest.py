"""Fixtures of the SDK unit tests: a fake API behind MockTransport and clients that close."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from attest.sdk import Client
from tests.sdk.fakes import FakeApi

MakeClient = Callable[..., Client]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def make_client(api: FakeApi, tmp_path: Path) -> Iterator[MakeClient]:
    """``make_client(**options)``: a client on the fake API and ``tmp_path/spool``, closed after."""
    made: list[Client] = []

    def make(**options: Any) -> Client:
        options.setdefault("spool_dir", tmp_path / "spool")
        options.setdefault("transport", api.transport)
        options.setdefault("flush_interval", 10.0)  # nothing goes early unless a test says so
        options.setdefault("max_backoff", 0.05)
        client = Client("http://attest.test", "atk_test", **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close(timeout=5)


def decision(number: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "system": "credit-underwriting",
        "model_version": "v1",
        "inputs": {"amount": 1000 + number, "term": 24},
        "output": {"label": "approve", "score": 0.8},
    }
    record.update(changes)
    return record
