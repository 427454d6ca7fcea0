"""What every command shares: the runtime, error reporting and progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from attest.config import get_settings
from attest.core.checkpoint import Checkpoint, VerifierKey, verify_checkpoint
from attest.errors import Error, InvalidInput
from attest.runtime import Runtime

EXIT_FAILED = 1
EXIT_USAGE = 2


def run_guarded(command: Callable[[], Any]) -> int:
    """Run a click command; turn Attest errors into one line on stderr and an exit code."""
    try:
        result = command()
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_FAILED
    except InvalidInput as error:
        click.echo(f"error: {error.diagnostics()}", err=True)
        return EXIT_USAGE if isinstance(error, UsageProblem) else EXIT_FAILED
    except Error as error:
        click.echo(f"error: {error.diagnostics()}", err=True)
        return EXIT_FAILED
    return int(result or 0)


class UsageProblem(InvalidInput):
    """A command-line argument that cannot be used (exit status 2)."""


@contextmanager
def runtime() -> Iterator[Runtime]:
    rt = Runtime(get_settings())
    try:
        yield rt
    finally:
        rt.close()


def progress(total: int | None, description: str) -> tqdm[Any]:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    return tqdm(total=total, desc=description, unit=" entries", disable=None, file=sys.stderr)


def read_key(value: str, option: str) -> VerifierKey:
    """A verifier key given inline or as the path of a file holding it."""
    text = value
    path = Path(value)
    if "+" not in value or path.exists():
        try:
            text = path.read_text()
        except OSError:
            raise UsageProblem(
                f"{option}: {value} is neither a verifier key nor a readable file"
            ) from None
    try:
        return VerifierKey.from_string(text)
    except InvalidInput as error:
        raise UsageProblem(f"{option}: {error}") from None


def read_checkpoint(path: str, option: str, key: VerifierKey) -> Checkpoint:
    """A checkpoint trusted from before; it must carry the log's valid signature."""
    try:
        return verify_checkpoint(Path(path).read_text(), key)
    except OSError:
        raise UsageProblem(f"{option}: cannot read {path}") from None
    except Error as error:
        raise UsageProblem(f"{option}: {path} is not a checkpoint note ({error})") from None
