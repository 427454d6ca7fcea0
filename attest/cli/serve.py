"""``attest serve``: the API (and web app) over HTTP."""

from __future__ import annotations

import click


def run_server(host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted; settings come from the environment, as for every command."""
    import uvicorn

    uvicorn.run(
        "attest.api.server:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,  # request lines could carry ids; no personal data in logs
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API; settings come from the environment, as for every command."""
    run_server(host, port, workers)
