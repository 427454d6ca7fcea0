"""``attest log export``: a tenant's whole log as files anyone can re-check offline.

Layout (see docs/ledger.md)::

    bundle.json        {"format": "attest-log-bundle/v1", "origin", "tree_size", "checkpoint"}
    entries.jsonl      {"index": 0, "id": "...", "entry": base64(canonical bytes)} per line
    checkpoints.jsonl  {"size": 1000, "note": "<signed note>"} per line, by size
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

from attest.errors import InvalidInput, NotFound
from attest.store.base import LedgerStore

BUNDLE_FORMAT = "attest-log-bundle/v1"


def export_log(
    store: LedgerStore,
    tenant: str,
    out: Path,
    *,
    progress: Callable[[int], object] = lambda _n: None,
) -> int:
    """Write the bundle for the newest checkpoint into ``out`` (new or empty); return its size."""
    latest = store.latest_checkpoint(tenant)
    origin = store.origin(tenant)
    if latest is None or origin is None:
        raise NotFound(f"unknown tenant {tenant}: it has no log")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"--out {out}: the directory is not empty")
    out.mkdir(parents=True, exist_ok=True)
    with (out / "entries.jsonl").open("w") as handle:
        for entry in store.entries(tenant, stop=latest.size):
            record = {
                "index": entry.index,
                "id": entry.entry_id,
                "entry": base64.b64encode(entry.data).decode(),
            }
            handle.write(json.dumps(record) + "\n")
            progress(1)
    with (out / "checkpoints.jsonl").open("w") as handle:
        for checkpoint in store.checkpoints(tenant, up_to=latest.size):
            handle.write(json.dumps({"size": checkpoint.size, "note": checkpoint.note}) + "\n")
    bundle = {
        "format": BUNDLE_FORMAT,
        "origin": origin,
        "tree_size": latest.size,
        "checkpoint": latest.note,
    }
    (out / "bundle.json").write_text(json.dumps(bundle, indent=2) + "\n")
    return latest.size
