"""``attest log``: append entries, sign checkpoints, prove inclusion, export, co-sign."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

import click

from attest.cli.context import progress, read_key, runtime
from attest.core.canonical import parse_json
from attest.core.records import check_tenant, parse_submission
from attest.errors import InvalidInput
from attest.service.export import export_log

tenant_option = click.option("--tenant", required=True, help="Tenant (client bank) id.")


@click.group()
def log() -> None:
    """Work with a tenant's evidence log."""


def _read_lines(handle: IO[str]) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(handle, 1) if line.strip()]


@log.command()
@tenant_option
@click.argument("source", type=click.File("r"), default="-")
@click.option("--receipts", is_flag=True, help="Print one JSON receipt per entry.")
def append(tenant: str, source: IO[str], receipts: bool) -> None:
    """Append JSON lines {"type", "id", "body", ...} from SOURCE (default: stdin).

    Every line is checked before anything is stored; a bad line stores nothing. Input longer than
    ATTEST_APPEND_BATCH_SIZE lines is appended in several atomic transactions.
    """
    check_tenant(tenant)
    lines = _read_lines(source)
    if not lines:
        raise InvalidInput("no entries in the input")
    submissions = []
    for number, text in lines:
        try:
            raw = parse_json(text.rstrip("\r\n"))
        except InvalidInput as error:
            # One line holds one document: the parser's "line 1" would contradict "line N".
            message = str(error).replace(" at line 1 column ", " at column ")
            raise InvalidInput(f"line {number}: {message}") from None
        submissions.append(parse_submission(raw, f"line {number}"))
    with runtime() as rt:
        size = rt.settings.append_batch_size
        created = 0
        tree_size = 0
        with progress(len(submissions), "appending") as bar:
            for start in range(0, len(submissions), size):
                batch = submissions[start : start + size]
                positions = [f"line {n}" for n, _ in lines[start : start + size]]
                for receipt in rt.ledger.append(tenant, batch, positions):
                    created += receipt.created
                    tree_size = receipt.tree_size
                    if receipts:
                        click.echo(
                            json.dumps(
                                {
                                    "id": receipt.id,
                                    "index": receipt.index,
                                    "created": receipt.created,
                                    "tree_size": receipt.tree_size,
                                }
                            )
                        )
                bar.update(len(batch))
    click.echo(
        f"appended {len(submissions)} entries to {tenant} ({created} new); tree size {tree_size}",
        err=receipts,
    )


@log.command()
@tenant_option
def checkpoint(tenant: str) -> None:
    """Print the newest signed checkpoint."""
    with runtime() as rt:
        click.echo(rt.ledger.latest_checkpoint(tenant).note, nl=False)


@log.command()
@tenant_option
@click.option("--entry", "entry_id", required=True, help="Entry id.")
@click.option("--since", type=int, help="Also prove consistency from this earlier tree size.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def prove(tenant: str, entry_id: str, since: int | None, out: Path | None) -> None:
    """Print the proof document of one entry in the newest checkpoint."""
    with runtime() as rt:
        document = rt.ledger.prove(tenant, entry_id, since=since).to_json()
    text = json.dumps(document, indent=2) + "\n"
    if out:
        out.write_text(text)
    else:
        sys.stdout.write(text)


@log.command()
@tenant_option
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
def export(tenant: str, out: Path) -> None:
    """Export the whole log (entries and checkpoints) for offline verification."""
    with runtime() as rt, progress(None, "exporting") as bar:
        size = export_log(rt.store, tenant, out, progress=bar.update)
    click.echo(f"exported {size} entries of {tenant} to {out}")


@log.command()
@tenant_option
@click.argument("note", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--witness-key",
    "witness_texts",
    multiple=True,
    required=True,
    help="The witness's verifier key (or a file with it); its co-signature must verify.",
)
def cosign(tenant: str, note: Path, witness_texts: tuple[str, ...]) -> None:
    """Keep a witness's co-signature: NOTE is a stored checkpoint the witness signed too."""
    witnesses = [read_key(w, "--witness-key") for w in witness_texts]
    with runtime() as rt:
        click.echo(rt.ledger.cosign(tenant, note.read_text(), witnesses), nl=False)
