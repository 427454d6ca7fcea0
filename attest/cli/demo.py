"""``attest demo``: the main scenario on the German credit data."""

from __future__ import annotations

import click

from attest.cli.context import runtime


@click.command()
@click.option("--no-serve", is_flag=True, help="Run the scenario and exit (for scripts).")
def demo(no_serve: bool) -> int:
    """Log the German credit applications, checkpoint, prove, verify and audit."""
    from attest.demo.scenario import run_scenario

    with runtime() as rt:
        return run_scenario(rt, echo=click.echo)
