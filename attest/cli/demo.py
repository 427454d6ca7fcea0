"""``attest demo``: the main scenario on the German credit data, then the web app."""

from __future__ import annotations

import click

from attest.cli.context import EXIT_FAILED, runtime


@click.command()
@click.option("--no-serve", is_flag=True, help="Run the scenario and exit (for scripts).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where to serve.")
@click.option("--port", default=8000, show_default=True, type=int)
def demo(no_serve: bool, host: str, port: int) -> int:
    """Register a credit model, log 1,000 decisions and outcomes, prove, package, then serve.

    Trains a model on the German credit data, logs its decisions through the SDK, checks proofs,
    an erasure, an export and an audit, builds and verifies an examination package, and then
    (unless --no-serve) serves the web app with two demo users whose password is printed once
    (or taken from ATTEST_DEMO_PASSWORD).
    """
    from attest.cli.serve import run_server
    from attest.demo.scenario import TENANT, run_scenario
    from attest.demo.web_users import PASSWORD_VARIABLE, demo_password, ensure_demo_users

    with runtime() as rt:
        report = run_scenario(rt, echo=click.echo)
        if not report.ok:
            return EXIT_FAILED
        if no_serve:
            return 0
        password, given = demo_password()
        users = ensure_demo_users(rt.access, TENANT, password)
    click.echo(f"web app: http://{host}:{port}/login  (Ctrl-C stops it)")
    shown = f"the value of {PASSWORD_VARIABLE}" if given else password
    click.echo(f"sign in as {' or '.join(users)} with the password {shown}")
    run_server(host, port)
    return 0
