"""The ``attest`` command."""

from __future__ import annotations

import sys
from typing import Any

import click

from attest.cli.access import keys, users
from attest.cli.admin import audit, db, erase, init
from attest.cli.bias import bias
from attest.cli.context import run_guarded
from attest.cli.demo import demo
from attest.cli.log import log
from attest.cli.monitor import monitor
from attest.cli.monitor_report import report as monitor_report
from attest.cli.package import package
from attest.cli.serve import serve
from attest.cli.vault import vault
from attest.cli.verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Attest: tamper-evident evidence for AI decision systems."""


for command in (
    init,
    db,
    log,
    verify,
    audit,
    erase,
    vault,
    keys,
    users,
    serve,
    demo,
    package,
    bias,
    monitor,
):
    cli.add_command(command)
monitor.add_command(monitor_report)


def main(argv: list[str] | None = None) -> Any:
    return run_guarded(lambda: cli.main(args=argv, prog_name="attest", standalone_mode=False))


if __name__ == "__main__":
    sys.exit(main())
