"""``attest vault``: read an entry's sealed values (each read is the operator's responsibility)."""

from __future__ import annotations

import base64
import json

import click

from attest.cli.context import runtime
from attest.core.records import format_time


@click.group()
def vault() -> None:
    """The personal data kept beside the log."""


@vault.command()
@click.option("--tenant", required=True)
@click.option("--entry", "entry_id", required=True)
def show(tenant: str, entry_id: str) -> None:
    """Print an entry's sensitive values with the salts that open their commitments."""
    with runtime() as rt:
        reading = rt.ledger.read_values(tenant, entry_id)
    document: dict[str, object] = {"entry": reading.entry_id, "subject": reading.subject}
    if reading.erased_at is not None:
        document["erased"] = {
            "at": format_time(reading.erased_at),
            "reason": reading.erasure_reason,
            "erasure_entry": reading.erasure_entry,
        }
    else:
        document["values"] = [
            {
                "pointer": v.pointer,
                "value": v.value,
                "salt": base64.b64encode(v.salt).decode(),
                "commit": v.commitment,
            }
            for v in reading.values
        ]
    click.echo(json.dumps(document, indent=2))
