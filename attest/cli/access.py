"""``attest keys`` and ``attest users``: credentials for the API and the web app."""

from __future__ import annotations

import click

from attest.cli.context import runtime


@click.group()
def keys() -> None:
    """API keys (shown once, stored as hashes)."""


@keys.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. 'credit model in prod'.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="admin, developer, validator, reviewer, compliance or auditor.",
)
@click.option(
    "--tenant", "tenants", multiple=True, required=True, help="A tenant it may reach, or '*'."
)
def create_key(name: str, roles: tuple[str, ...], tenants: tuple[str, ...]) -> None:
    """Issue an API key and print it: this is the only time it is shown."""
    with runtime() as rt:
        issued = rt.access.issue_key(name, roles, tenants)
    click.echo(issued.token)


@keys.command("revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    with runtime() as rt:
        rt.access.revoke_key(key_id)
    click.echo(f"revoked {key_id}")


@click.group()
def users() -> None:
    """People who sign in to the web app (passwords hashed with argon2id)."""


@users.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--tenant", "tenants", multiple=True, required=True)
@click.password_option(help="At least 12 characters (prompted when not given).")
def add_user(
    username: str, roles: tuple[str, ...], tenants: tuple[str, ...], password: str
) -> None:
    with runtime() as rt:
        rt.access.add_user(username, password, roles, tenants)
    click.echo(f"added {username}")
