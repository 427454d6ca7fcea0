"""``attest monitor report``: a monitoring run's report as a PDF, as its web page offers it."""

from __future__ import annotations

from pathlib import Path

import click

from attest.cli.context import runtime
from attest.reports.monitoring_pdf import monitoring_report
from attest.reports.monitoring_run import load


@click.command("report")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--run", "run_id", required=True, help="The run's id (its ledger entry).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the PDF.",
)
def report(tenant: str, system: str, run_id: str, out: Path) -> None:
    """Write the run's monitoring report (PDF); the same run always gives the same bytes."""
    with runtime() as rt:
        view = load(rt, tenant, system, run_id)
    pdf = monitoring_report(view)
    out.write_bytes(pdf)
    status = (view.document or {}).get("status", "not_measurable")
    click.echo(f"monitoring report of {system} run {run_id} (status {status}): {out}")
