"""Set-up and operator commands: ``init``, ``db upgrade``, ``audit``, ``erase``."""

from __future__ import annotations

import click

from attest.cli.context import EXIT_FAILED, UsageProblem, progress, read_checkpoint, runtime
from attest.core.checkpoint import Checkpoint
from attest.keyring import create_keys
from attest.service.audit import AuditState, audit_tenant, audit_vanished
from attest.service.projections import check_projections, rebuild
from attest.store.sql.schema import upgrade


@click.command()
def init() -> None:
    """Create the database, the signing key and the vault master key (keeps existing ones)."""
    with runtime() as rt:
        rt.settings.home.mkdir(parents=True, exist_ok=True)
        upgrade(rt.engine)
        for path in create_keys(rt.settings):
            click.echo(f"wrote {path}", err=True)
        click.echo(str(rt.keyring.verifier))


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to this version of Attest."""
    with runtime() as rt:
        upgrade(rt.engine)
    click.echo("database schema is current")


@db.command("rebuild")
@click.option("--tenant", "tenants", multiple=True, help="Only these tenants (default: all).")
def db_rebuild(tenants: tuple[str, ...]) -> None:
    """Re-derive the query tables (inventory, decisions, outcomes) from the log."""
    with runtime() as rt:
        for tenant in tenants or tuple(rt.store.tenants()):
            rebuild(rt.store, tenant)
            click.echo(f"rebuilt the query tables of {tenant}")


@click.command()
@click.option("--tenant", "tenants", multiple=True, help="Audit only these tenants.")
@click.option("--trusted", help="A checkpoint note seen before (one tenant only).")
@click.option(
    "--state/--no-state",
    default=True,
    help="Compare with (and after a clean audit keep) the last audited checkpoint.",
)
@click.option("--deep", is_flag=True, help="Also re-check every entry's canonical JSON form.")
@click.option("--projections", is_flag=True, help="Also check the query tables against the log.")
def audit(
    tenants: tuple[str, ...], trusted: str | None, state: bool, deep: bool, projections: bool
) -> int:
    """Recompute every leaf, node and checkpoint; report each discrepancy (exit 1 if any)."""
    with runtime() as rt:
        key = rt.keyring.verifier
        memory = AuditState(rt.settings.audit_state_dir)
        remembered = memory.tenants() if state and not tenants else []
        names = list(tenants) or sorted(set(rt.store.tenants()) | set(remembered))
        if trusted and len(names) != 1:
            raise UsageProblem("--trusted needs exactly one --tenant")
        failed = 0
        for tenant in names:
            earlier: Checkpoint | None
            if trusted:
                earlier = read_checkpoint(trusted, "--trusted", key)
            else:
                earlier = memory.recall(tenant, key) if state else None
            if earlier is not None and rt.store.origin(tenant) is None:
                report = audit_vanished(tenant, earlier)
            else:
                with progress(None, f"auditing {tenant}") as bar:
                    report = audit_tenant(
                        rt.store, tenant, key, trusted=earlier, deep=deep, progress=bar.update
                    )
            if projections and rt.store.origin(tenant) is not None:
                report.findings += check_projections(rt.store, tenant)
            if report.findings:
                failed += 1
                click.echo(f"FAILED {tenant}: {len(report.findings)} problems")
                for finding in report.findings:
                    click.echo(f"  - {finding}")
                continue
            click.echo(
                f"ok     {tenant}: {report.entries} entries, {report.checkpoints} checkpoints"
            )
            if state and report.latest:
                memory.remember(tenant, report.latest)
        return EXIT_FAILED if failed else 0


@click.command()
@click.option("--tenant", required=True)
@click.option("--subject", required=True, help="Pseudonymous subject id.")
@click.option("--reason", required=True, help="Why (legal basis, request reference).")
def erase(tenant: str, subject: str, reason: str) -> None:
    """Destroy a subject's vault key and log the erasure; proofs keep verifying."""
    with runtime() as rt:
        receipt = rt.ledger.erase(tenant, subject, reason)
    click.echo(
        f"erased subject {subject} of {tenant}: erasure entry {receipt.id} at index {receipt.index}"
    )
