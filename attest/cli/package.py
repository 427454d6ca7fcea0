"""``attest package``: write the examination package of one AI system for one period."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from attest.cli.context import runtime
from attest.core.package import Period


@click.command()
@click.option("--tenant", required=True, help="Tenant (client bank) id.")
@click.option("--system", required=True, help="The AI system examined.")
@click.option(
    "--from",
    "first",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day of the period (UTC, included).",
)
@click.option(
    "--to",
    "last",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the period (UTC, included).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New or empty directory; a .zip of it is written beside it.",
)
def package(tenant: str, system: str, first: datetime, last: datetime, out: Path) -> None:
    """Package a system's decisions of a period, with proofs, for an examiner (docs/package.md).

    Logs a package.issued entry that records the manifest's SHA-256. A period without decisions
    of the system writes and logs nothing.
    """
    from attest.service.package import issue_package

    period = Period.of_days(first.date(), last.date())
    with runtime() as rt:
        summary = issue_package(rt.ledger, rt.store, tenant, system, period, out)
        key_path = rt.settings.verifier_key_path
    click.echo(
        f"wrote {summary.directory} and {summary.archive.name}: {summary.decisions} decisions, "
        f"{summary.events} referring entries, {summary.inventory} inventory records, "
        f"{summary.evidence} evidence entries (bias tests), "
        f"{summary.artifacts} artifacts, {summary.checkpoints} checkpoints"
    )
    click.echo(
        f"proofs against checkpoint {summary.package_checkpoint}; issued as entry "
        f"{summary.issued_id} (index {summary.issued_index}, checkpoint "
        f"{summary.issue_checkpoint}), manifest sha256 {summary.manifest_sha256}"
    )
    click.echo(f"check it offline: attest verify {summary.directory} --key {key_path}")
