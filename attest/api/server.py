"""The ASGI entry point for ``attest serve`` (uvicorn imports it in each worker process)."""

from __future__ import annotations

from fastapi import FastAPI

from attest.api.app import create_app
from attest.config import get_settings
from attest.runtime import Runtime


def app() -> FastAPI:
    """Build the app from the environment; uvicorn calls this once per worker."""
    return create_app(Runtime(get_settings()))
