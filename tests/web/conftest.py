"""Fixtures of the web tests: one seeded SQLite home per test process, a fresh app per test."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from attest.api import create_app
from attest.runtime import Runtime
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, Server, need_browser
from tests.web.seed import PASSWORD, make_runtime, seed, seed_fairness, seed_monitoring

with warnings.catch_warnings():
    # Starlette announces a future httpx change as a UserWarning, which `filterwarnings = error`
    # would turn into a collection error (as in tests/api/conftest.py).
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF token field"
    return found.group(1)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """Two banks on SQLite in a temporary ATTEST_HOME, shared by the tests of one process."""
    runtime = make_runtime(tmp_path_factory.mktemp("web") / "home")
    seed(runtime)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def fairness_runs(seeded: Runtime) -> list[str]:
    """Bank C's three monthly bias runs (oldest first), seeded once when a test needs them."""
    return seed_fairness(seeded)


@pytest.fixture(scope="session")
def monitoring_runs(fairness_runs: list[str], seeded: Runtime) -> list[str]:
    """Bank C's three monthly monitoring runs (oldest first), after the bias runs."""
    return seed_monitoring(seeded)


@pytest.fixture
def app_client(seeded: Runtime, monkeypatch: pytest.MonkeyPatch) -> Callable[..., TestClient]:
    """Clients of one fresh app (its own logout memory), over HTTPS as in production."""
    monkeypatch.delenv("ATTEST_WEB_SECURE_COOKIES", raising=False)
    app = create_app(seeded)

    def make(base_url: str = "https://testserver") -> TestClient:
        return TestClient(app, base_url=base_url, follow_redirects=False)

    return make


@pytest.fixture
def client(app_client: Callable[..., TestClient]) -> TestClient:
    return app_client()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Fill in the sign-in form as a browser would; the answer is not followed."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def as_user(app_client: Callable[..., TestClient]) -> Callable[[str], TestClient]:
    """A client signed in as the named user."""

    def make(username: str) -> TestClient:
        client = app_client()
        answer = sign_in(client, username)
        assert answer.status_code == 303, answer.text
        return client

    return make


@pytest.fixture
def home(seeded: Runtime) -> Path:
    return seeded.settings.home


# -- the browser tests (tests/web/browser.py): each browser test module provides ``server`` ------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()
