"""A real Attest deployment for the integration tests: ``attest init``, ``attest keys create`` and
``attest serve`` as processes, on a temporary ATTEST_HOME with SQLite, on a free port."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from attest.config import Settings
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
TENANT = "first-community-bank"
SYSTEM = "credit-underwriting"
VERSION = "v1"
INVENTORY_ENTRIES = 3  # tenant, system and model version registrations open the log


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment with ATTEST_HOME set, the server's background monitoring off,
    and no other ATTEST_* setting."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ATTEST_") or k.startswith("ATTEST_TEST_")
    }
    env["ATTEST_HOME"] = str(home)
    env["ATTEST_MONITORING_DUE_INTERVAL"] = "0"  # no background monitoring runs in these tests
    env["PYTHONPATH"] = str(ROOT)
    return env


def attest_cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "attest.cli.main", *args],
        env=clean_env(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"attest {' '.join(args)}: {done.stderr}"
    return done.stdout


def register_inventory(runtime: Runtime) -> None:
    """One tenant, one AI system, one deployed model version with three features."""
    inventory = runtime.inventory
    inventory.register_tenant(Tenant(TENANT, "First Community Bank"))
    inventory.register_system(
        TENANT,
        AISystem.parse(
            {
                "id": SYSTEM,
                "name": "Credit underwriting",
                "purpose": "Recommend approve or decline for consumer loans",
                "domain": "credit",
                "jurisdictions": ["US-CO"],
                "consequential": True,
                "owner": "Model risk",
                "lifecycle": "deployed",
            }
        ),
    )
    inventory.register_model_version(
        TENANT,
        ModelVersion.parse(
            {
                "system": SYSTEM,
                "version": VERSION,
                "artifact_sha256": hashlib.sha256(b"model").hexdigest(),
                "artifact_format": "skops",
                "framework": "scikit-learn",
                "built_by": "ml-team",
                "lifecycle": "deployed",
                "features": [
                    {"name": "amount", "type": "number", "minimum": 0},
                    {"name": "term", "type": "integer", "minimum": 6, "maximum": 72},
                    {"name": "purpose", "type": "category", "categories": ["car", "home"]},
                ],
            }
        ),
    )


def home_runtime(home: Path) -> Runtime:
    return Runtime(Settings(home=home, database_url=f"sqlite:///{home / 'attest.db'}"))


def prepare_home(home: Path) -> str:
    """``attest init``, the inventory, and ``attest keys create``: a developer API key."""
    attest_cli(home, "init")
    runtime = home_runtime(home)
    try:
        register_inventory(runtime)
    finally:
        runtime.close()
    key = attest_cli(home, "keys", "create", "--name", "sdk test", "--role", "developer",
                     "--tenant", TENANT)  # fmt: skip
    return key.strip()


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def decision(number: int, decision_id: str | None = None) -> dict[str, Any]:
    """Keyword arguments of ``log_decision`` for a decision the model version accepts."""
    return {
        "system": SYSTEM,
        "model_version": VERSION,
        "decision_id": decision_id,
        "subject": f"applicant-{number}",
        "inputs": {"amount": 1000 + number, "term": 6 + number % 60, "purpose": "car"},
        "output": {"label": "approve" if number % 3 else "decline", "score": (number % 100) / 100},
        "adverse": number % 3 == 0,
        "explanation": {"method": "coefficients", "attributions": {"amount": -0.1, "term": 0.2}},
    }


class Server:
    """``attest serve`` in a child process; ``kill()`` is SIGKILL, as in a crash."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.log = home / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Server:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "attest.cli.main", "serve", "--port", str(self.port)],
                env=clean_env(self.home),
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"attest serve exited: {self.log.read_text()}")
            try:
                httpx.get(f"{self.url}/api/v1/tenants", timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"attest serve did not answer within {timeout} s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


def stored_decisions(home: Path, tenant: str = TENANT) -> tuple[list[str], int, int]:
    """Read the database directly: decision ids (one per stored row), entries, tree size."""
    with closing(sqlite3.connect(home / "attest.db")) as db:
        ids = [
            r[0]
            for r in db.execute("SELECT decision_id FROM decisions WHERE tenant = ?", (tenant,))
        ]
        (entries,) = db.execute(
            "SELECT count(*) FROM entries WHERE tenant = ?", (tenant,)
        ).fetchone()
        (size,) = db.execute("SELECT size FROM logs WHERE tenant = ?", (tenant,)).fetchone()
    return ids, int(entries), int(size)


def checkpoint_size(url: str, key: str, tenant: str = TENANT) -> int:
    """The tree size the API's newest signed checkpoint states (C2SP note: origin, size, root)."""
    answer = httpx.get(
        f"{url}/api/v1/tenants/{tenant}/log/checkpoint",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10.0,
    )
    answer.raise_for_status()
    return int(answer.text.splitlines()[1])
