"""End-to-end decision ingest over HTTP: a real `attest serve`, batches of 500, concurrent clients.

Each measurement starts a fresh database and a server process (1 or N uvicorn workers), registers
a tenant, a system and an approved model version, and then several client threads post
pre-serialised batches to ``POST /api/v1/decisions/batch``. It records decisions/s over the whole
run, each request's latency, and the server's peak resident memory (all its processes).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from attest.config import Settings
from attest.core.inventory import AISystem, ModelVersion, Tenant
from attest.keyring import create_keys
from attest.runtime import Runtime
from attest.store.sql.schema import upgrade
from bench.databases import Backend, postgres_database
from bench.stats import progress

TENANT = "bench-bank"
SYSTEM = "credit-underwriting"
FEATURES = 25
ARTIFACT = b"benchmark model artifact"


@dataclass(frozen=True)
class IngestResult:
    backend: str
    workers: int
    clients: int
    batch: int
    decisions: int
    seconds: float
    latencies_ms: list[float]
    peak_rss_mib: float

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (uvicorn's workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            found += _tree(int(child))
    return found


def _rss_mib(pid: int) -> float:
    total = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _prepare(home: Path, url: str) -> str:
    """Schema, keys, tenant, system and model version; return a developer API key."""
    settings = Settings(home=home, database_url=url)
    home.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(settings)
    try:
        upgrade(runtime.engine)
        create_keys(settings)
        runtime.inventory.register_tenant(Tenant(TENANT, "Benchmark Bank"))
        runtime.inventory.register_system(
            TENANT,
            AISystem.parse(
                {
                    "id": SYSTEM,
                    "name": "Credit",
                    "purpose": "benchmark",
                    "domain": "credit",
                    "jurisdictions": ["US-CO"],
                    "consequential": True,
                    "owner": "bench",
                    "lifecycle": "deployed",
                }
            ),
        )
        runtime.inventory.register_model_version(
            TENANT,
            ModelVersion.parse(
                {
                    "system": SYSTEM,
                    "version": "v1",
                    "lifecycle": "approved",
                    "artifact_sha256": hashlib.sha256(ARTIFACT).hexdigest(),
                    "artifact_format": "skops",
                    "framework": "bench",
                    "built_by": "bench",
                    "features": [
                        {"name": f"f{k}", "type": "number", "minimum": 0, "maximum": 1e6}
                        for k in range(FEATURES)
                    ],
                }
            ),
        )
        return runtime.access.issue_key("bench", ["developer"], [TENANT]).token
    finally:
        runtime.close()


def _bodies(count: int, batch: int, prefix: str) -> list[bytes]:
    bodies = []
    for start in range(0, count, batch):
        decisions = [
            {
                "decision_id": f"{prefix}-{n}",
                "system": SYSTEM,
                "model_version": "v1",
                "subject": f"applicant-{n}",
                "inputs": {f"f{k}": (n * 7 + k * 13) % 1000 + 0.5 for k in range(FEATURES)},
                "identifiers": {"surname": "Garcia", "zip": "80202"},
                "output": {"label": "approve" if n % 3 else "decline", "score": 0.61},
                "adverse": n % 3 == 0,
                "explanation": {
                    "method": "coefficients",
                    "attributions": {f"f{k}": 0.01 * k for k in range(5)},
                },
            }
            for n in range(start, min(start + batch, count))
        ]
        bodies.append(json.dumps({"decisions": decisions}).encode())
    return bodies


@contextmanager
def _server(home: Path, url: str, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = os.environ | {"ATTEST_HOME": str(home), "ATTEST_DATABASE_URL": url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "attest.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("attest serve did not start within 30 s")
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post_all(base: str, token: str, bodies: list[bytes], clients: int) -> list[float]:
    """Post every body from ``clients`` threads; return each request's latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    position = iter(range(len(bodies)))
    failures: list[str] = []

    def client() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                began = time.perf_counter()
                answer = http.post("/api/v1/decisions/batch", content=bodies[index])
                spent = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(spent)
                    if answer.status_code != 201:
                        failures.append(f"{answer.status_code}: {answer.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, first: {failures[0]}")
    return latencies


@contextmanager
def _database(backend: Backend, home: Path) -> Iterator[str]:
    if backend.name == "sqlite":
        yield f"sqlite:///{home / 'attest.db'}"
    else:
        assert backend.admin_url is not None
        with postgres_database(backend.admin_url) as url:
            yield url


def measure_http_ingest(
    backend: Backend, workers: int, *, decisions: int, batch: int = 500, clients: int = 4
) -> IngestResult:
    with tempfile.TemporaryDirectory(prefix="attest-bench-ingest-") as directory:
        home = Path(directory)
        with _database(backend, home) as url:
            token = _prepare(home, url)
            warmup = _bodies(batch * 4, batch, "warm")
            bodies = _bodies(decisions, batch, "run")
            with _server(home, url, workers) as (base, process):
                _post_all(base, token, warmup, clients)
                peak = [_rss_mib(process.pid)]
                done = threading.Event()

                def sample() -> None:
                    while not done.wait(0.2):
                        peak[0] = max(peak[0], _rss_mib(process.pid))

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                began = time.perf_counter()
                latencies = _post_all(base, token, bodies, clients)
                seconds = time.perf_counter() - began
                done.set()
                sampler.join()
    result = IngestResult(
        backend.label, workers, clients, batch, decisions, seconds, latencies, peak[0]
    )
    progress(
        f"{backend.label} HTTP ingest, {workers} worker(s): {result.rate:,.0f} decisions/s, "
        f"peak server memory {result.peak_rss_mib:,.0f} MiB"
    )
    return result
