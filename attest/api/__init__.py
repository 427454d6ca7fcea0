"""The REST API under /api/v1: routes parse, call one service function, shape the answer."""

from attest.api.app import create_app

__all__ = ["create_app"]
