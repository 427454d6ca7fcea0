"""What the benchmark ran on: CPU, memory, software versions, filesystems, PostgreSQL settings."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import create_engine, text

from attest.store.sql.engine import normalise_url

PACKAGES = ("sqlalchemy", "psycopg", "cryptography", "rfc8785")
POSTGRES_SETTINGS = ("shared_buffers", "synchronous_commit", "fsync", "wal_level")


@dataclass
class Machine:
    date: str
    cpu: str
    logical_cpus: int
    memory: str
    system: str
    python: str
    sqlite: str
    packages: dict[str, str]
    filesystems: dict[str, str]
    load_average: str
    revision: str
    postgres: str | None = None
    postgres_settings: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The machine as the documents' Machine sections list it (one Markdown item a line)."""
        packages = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        lines = [
            f"- Date: {self.date}; code revision {self.revision}",
            f"- CPU: {self.cpu}, {self.logical_cpus} logical CPUs; memory {self.memory}",
            f"- System: {self.system}; load average at start {self.load_average}",
            f"- Python: {self.python}; SQLite {self.sqlite}; {packages}",
        ]
        if self.postgres:
            settings = ", ".join(f"{k} = {v}" for k, v in self.postgres_settings.items())
            lines.append(f"- PostgreSQL server: {self.postgres}, on the same machine; {settings}")
        else:
            lines.append("- PostgreSQL server: not measured")
        lines += [f"- Filesystem of the {where}: {fs}" for where, fs in self.filesystems.items()]
        return lines


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024**2:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _filesystem(path: Path) -> str:
    """``<device> <type>, <size> (mounted on <mount point>)`` for the mount holding ``path``."""
    resolved = str(path.resolve())
    best: tuple[str, str, str] | None = None
    try:
        for line in Path("/proc/self/mounts").read_text().splitlines():
            device, mount_point, kind = line.split()[:3]
            inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
            if inside and (best is None or len(mount_point) >= len(best[1])):
                best = (device, mount_point, kind)
    except OSError:
        return "unknown"
    if best is None:
        return "unknown"
    device, mount_point, kind = best
    stats = os.statvfs(resolved)
    size = stats.f_blocks * stats.f_frsize / 1024**3
    disk = ""
    name = Path(device).name
    rotational = Path(f"/sys/block/{name}/queue/rotational")
    if rotational.exists():
        flag = rotational.read_text().strip()
        disk = f", rotational={flag} per the kernel"
    return f"{device} {kind}, {size:.0f} GiB{disk} (mounted on {mount_point})"


def _revision() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def _postgres(admin_url: str) -> tuple[str, dict[str, str]]:
    engine = create_engine(normalise_url(admin_url))
    try:
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar())
            settings = {
                name: str(connection.execute(text(f"SHOW {name}")).scalar())
                for name in POSTGRES_SETTINGS
            }
    finally:
        engine.dispose()
    return version, settings


def describe(postgres_admin_url: str | None) -> Machine:
    """The machine and software as they are now; PostgreSQL only when a server URL is given."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    machine = Machine(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpu=_cpu_model(),
        logical_cpus=os.cpu_count() or 0,
        memory=_memory(),
        system=f"{platform.system()} {platform.release()} ({platform.machine()})",
        python=f"{platform.python_implementation()} {platform.python_version()}",
        sqlite=sqlite3.sqlite_version,
        packages=packages,
        filesystems={
            "working directory": _filesystem(Path.cwd()),
            "temporary directory (SQLite files)": _filesystem(Path(tempfile.gettempdir())),
        },
        load_average=load,
        revision=_revision(),
    )
    if postgres_admin_url is not None:
        machine.postgres, machine.postgres_settings = _postgres(postgres_admin_url)
    return machine
