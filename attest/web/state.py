"""What the web app keeps per app: settings, sessions and the template environment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, Undefined

from attest import __version__
from attest.web.session import Sessions
from attest.web.settings import WebSettings

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"


@dataclass
class WebState:
    settings: WebSettings
    sessions: Sessions
    templates: Environment


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _when(value: Any) -> str:
    """A time as ``2026-11-27 09:00:05 UTC``."""
    if value is None or value == "" or isinstance(value, Undefined):
        return "\u2014"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _show(value: Any) -> str:
    """A JSON value for people: text as is, numbers plainly, true/false as yes/no."""
    if value is None or isinstance(value, Undefined):
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.10g}"  # 0.82, 95500, 0.3 (not 0.30000000000000004)
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _segment(value: Any) -> str:
    """One path segment, percent-encoded."""
    return quote(str(value), safe="")


def make_templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(when=_when, show=_show, seg=_segment)
    environment.globals.update(app_version=__version__)
    return environment
