"""The ASGI entry point for ``attest serve`` (uvicorn imports it in each worker process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from attest.api.app import create_app
from attest.api.scheduler import DuePlans
from attest.config import get_settings
from attest.runtime import Runtime


def app() -> FastAPI:
    """Build the app from the environment; uvicorn calls this once per worker. The server also
    runs the monitoring periods plans have due, in the background (``attest.api.scheduler``)."""
    runtime = Runtime(get_settings())
    made = create_app(runtime)
    interval = runtime.settings.monitoring_due_interval
    if interval > 0:
        made.router.lifespan_context = _with_due_plans(
            made.router.lifespan_context, runtime, interval
        )
    return made


def _with_due_plans(
    inner: Callable[[Any], AbstractAsyncContextManager[Any]], runtime: Runtime, interval: float
) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        due = DuePlans(runtime, interval).start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            due.stop()

    return lifespan
