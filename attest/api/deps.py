"""Dependencies every route shares: the runtime, the caller, and the checks on both."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from attest.core.canonical import parse_json
from attest.errors import PayloadTooLarge, Unauthenticated
from attest.runtime import Runtime
from attest.service.access import Principal

READ = ("admin", "developer", "validator", "reviewer", "compliance", "auditor")
INGEST = ("admin", "developer")
INVENTORY_WRITE = ("admin", "developer")
LIFECYCLE = ("admin", "validator")
COMPLIANCE = ("admin", "compliance")  # assign protected groups, run bias tests, sign them off
MONITOR = ("admin", "validator", "compliance")  # run monitoring against a reference profile
ADMIN = ("admin",)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(
    runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The caller, from ``Authorization: Bearer <API key>``."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("send an API key: Authorization: Bearer atk_...")
    return runtime.access.authenticate_key(authorization.removeprefix("Bearer "))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allowed(roles: Iterable[str]) -> Callable[..., Principal]:
    """A dependency: the caller must hold one of ``roles`` and reach the path's tenant."""
    roles = tuple(roles)

    def check(principal: PrincipalDep, request: Request) -> Principal:
        principal.check(request.path_params.get("tenant"), roles)
        return principal

    check.allowed_roles = roles  # type: ignore[attr-defined]  # read by the authorization tests
    return check


async def json_body(request: Request, runtime: RuntimeDep) -> Any:
    """The request body as strict JSON, refused when over the size limit."""
    limit = runtime.settings.max_request_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
    return parse_json(body)


JsonBody = Annotated[Any, Depends(json_body)]
