"""The web app for people: sign-in, the AI-system inventory, the decision explorer and proofs.

Mounted on the API's FastAPI app by :func:`install_web`, so ``attest serve`` serves both.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from attest.web import monitoring_pages
from attest.web.pages import router
from attest.web.session import Sessions
from attest.web.settings import WebSettings
from attest.web.state import STATIC_DIR, WebState, make_templates

__all__ = ["WebSettings", "install_web"]


def install_web(app: FastAPI, settings: WebSettings | None = None) -> None:
    """Add the pages (/, /login, /logout, /tenants/...) and /static to ``app``.

    The session key is derived from the vault master key of ``app.state.runtime`` on first use.
    """
    settings = settings or WebSettings()
    sessions = Sessions(settings, lambda: app.state.runtime.keyring.master_key)
    app.state.web = WebState(settings, sessions, make_templates())
    app.include_router(router)
    app.include_router(monitoring_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
