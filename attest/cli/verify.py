"""``attest verify``: offline; exit 0 when everything verifies, 1 when anything does not."""

from __future__ import annotations

from pathlib import Path

import click

from attest.cli.context import EXIT_FAILED, UsageProblem, read_checkpoint, read_key
from attest.verifier import verify_path


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--key", "key_text", required=True, help="The log's verifier key, or a file with it.")
@click.option(
    "--witness-key", "witness_texts", multiple=True, help="A witness key that must have co-signed."
)
@click.option("--trusted", help="A checkpoint note seen before: the log must extend it.")
def verify(path: Path, key_text: str, witness_texts: tuple[str, ...], trusted: str | None) -> int:
    """Verify a proof document, a directory of them, or an exported log bundle."""
    key = read_key(key_text, "--key")
    witnesses = [read_key(w, "--witness-key") for w in witness_texts]
    trusted_checkpoint = read_checkpoint(trusted, "--trusted", key) if trusted else None
    if not path.exists():
        raise UsageProblem(f"{path}: no such file or directory")
    reports = verify_path(path, key, witness_keys=witnesses, trusted=trusted_checkpoint)
    failed = 0
    for report in reports:
        if report.findings:
            failed += 1
            click.echo(f"INVALID {report.label}")
            for finding in report.findings:
                click.echo(f"  - {finding}")
        else:
            click.echo(f"ok      {report.label}")
    click.echo(f"{len(reports) - failed} valid, {failed} invalid")
    return EXIT_FAILED if failed else 0
