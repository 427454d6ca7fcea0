"""Fixtures of the API tests: the real app in process, on SQLite and on PostgreSQL.

``runtime`` and ``client`` are per test, over the ``sql_url`` parameters of tests/conftest.py.
Tenants get unique names because the PostgreSQL database is shared by the tests of a process.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from attest.api import create_app
from attest.runtime import Runtime
from tests.api.support import bearer, make_runtime

with warnings.catch_warnings():
    # Starlette announces that it will want httpx2. pyproject.toml ignores that announcement as a
    # DeprecationWarning, but it comes as StarletteDeprecationWarning (a UserWarning), which
    # `filterwarnings = error` would turn into a collection error.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["TestClient"]


@pytest.fixture
def runtime(sql_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = make_runtime(tmp_path / "home", sql_url)
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def staff(runtime: Runtime) -> dict[str, str]:
    """Headers of vendor staff: an admin key that reaches every tenant."""
    return bearer(runtime.access.issue_key("vendor staff", ["admin"], ["*"]).token)
