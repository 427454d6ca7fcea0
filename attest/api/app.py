"""The application factory: nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from attest import __version__
from attest.api.errors import install_error_handlers
from attest.api.routes import bias, decisions, inventory, keys, log, monitoring, tenants
from attest.runtime import Runtime


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Attest",
        version=__version__,
        description="AI governance evidence: inventory, decisions, proofs.",
        generate_unique_id_function=_operation_id,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    for module in (tenants, inventory, decisions, bias, monitoring, log, keys):
        app.include_router(module.router)
    from attest.web import install_web  # here: attest.web imports attest.api.deps

    install_web(app)  # the pages for people (/, /login, /tenants/...) and /static
    return app
