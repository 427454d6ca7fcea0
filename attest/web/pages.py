"""The web app's pages: sign-in, inventory, systems, the decision explorer and decision pages,
and each system's fairness page (bias runs, their sign-off).

Every page needs a signed-in user whose roles and tenant scope allow it, by the API's rules (the
READ roles, and the tenant in the path must be in scope); the inventory lists only the tenants the
user may reach. Pages render on the server; there is no script. Filters travel in the query
string (times, labels, versions: never names or identifiers); where to return after sign-in
travels in the encrypted sign-in cookie, not in the URL. The one form that changes anything
besides the session, a bias run's sign-off, carries the session's CSRF token and needs a role of
``COMPLIANCE``, as the API's review route does.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from attest.api.deps import COMPLIANCE, READ, RuntimeDep
from attest.core.inventory import SLUG, VERSION
from attest.errors import Conflict, Error, Forbidden, InvalidInput, NotFound, Unauthenticated
from attest.service.access import Principal
from attest.store.base import DecisionFilter
from attest.web import fairness
from attest.web.chart import attribution_chart
from attest.web.proof import check_decision
from attest.web.session import Session, tokens_match
from attest.web.state import WebState, web_state

PAGE_SIZE = 25
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
MAX_PASSWORD = 1024
GENERIC_LOGIN_FAILURE = "Wrong username or password."
STALE_FORM = "This sign-in form has expired or did not come from this site. Please sign in again."
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
ERROR_TEXT = {
    400: "The request was not understood.",
    401: "Please sign in.",
    403: "You do not have access to this page.",
    404: "There is nothing here.",
}


class LoginRequired(Exception):
    """No valid session: the browser goes to the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of this request."""

    principal: Principal
    session: Session

    @property
    def roles(self) -> str:
        return ", ".join(sorted(self.principal.roles))


# -- plumbing --------------------------------------------------------------------------------------


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = web_state(request)
    html = state.templates.get_template(template).render(
        viewer=getattr(request.state, "viewer", None), **context
    )
    return HTMLResponse(html, status_code=status)


def _set_cookie(state: WebState, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, **state.sessions.cookie_options())


def _delete_cookie(state: WebState, response: Response, name: str) -> None:
    options = state.sessions.cookie_options()
    response.delete_cookie(
        name,
        path=options["path"],
        secure=options["secure"],
        httponly=options["httponly"],
        samesite=options["samesite"],
    )


def _to_login(request: Request) -> Response:
    """Send the browser to sign in, remembering (in the sealed cookie) where it wanted to go."""
    state = web_state(request)
    wanted = request.url.path if request.method == "GET" else "/"
    if request.method == "GET" and request.url.query:
        wanted += "?" + request.url.query
    _, cookie = state.sessions.new_login_form(wanted)
    response = RedirectResponse("/login", status_code=303)
    _set_cookie(state, response, state.sessions.login_cookie, cookie)
    if state.sessions.session_cookie in request.cookies:
        _delete_cookie(state, response, state.sessions.session_cookie)
    return response


def _error_page(request: Request, status: int, error: Exception | None = None) -> Response:
    # 403 and 500 say nothing specific; 400 and 404 messages are safe to show (attest.errors).
    message = ERROR_TEXT.get(status, "Something went wrong on the server.")
    detail = str(error) if isinstance(error, Error) and status in (400, 404) else None
    return render(
        request, "error.html", status=status, status_code=status, message=message, detail=detail
    )


class WebRoute(APIRoute):
    """A route that answers in HTML: redirects to sign-in, error pages and security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = _to_login(request)
            except Error as error:
                response = _error_page(request, error.status, error)
            except RequestValidationError:
                response = _error_page(request, 400)
            viewer: Viewer | None = getattr(request.state, "viewer", None)
            if viewer is not None and response.status_code < 400:
                state = web_state(request)
                refreshed = state.sessions.touch(viewer.session)
                if refreshed is not None:
                    _set_cookie(state, response, state.sessions.session_cookie, refreshed)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded


router = APIRouter(route_class=WebRoute, include_in_schema=False)


def current_viewer(request: Request, runtime: RuntimeDep) -> Viewer:
    """The signed-in user, allowed READ on the path's tenant (if any), or sign-in / 403."""
    state = web_state(request)
    session = state.sessions.read(request.cookies.get(state.sessions.session_cookie))
    if session is None:
        raise LoginRequired
    record = runtime.access.store.user(session.username)
    if record is None or not state.sessions.matches_password(session, record["password_hash"]):
        raise LoginRequired
    try:
        principal = runtime.access.principal_of_user(session.username)
    except Unauthenticated:
        raise LoginRequired from None
    viewer = Viewer(principal, session)
    request.state.viewer = viewer
    principal.check(request.path_params.get("tenant"), READ)
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def _cross_site(request: Request) -> bool:
    """Browsers say where a request came from; a cross-site form post is refused outright."""
    return request.headers.get("sec-fetch-site", "").lower() == "cross-site"


def check_form(
    request: Request,
    viewer: Viewer,
    csrf_token: str,
    tenant: str,
    roles: Iterable[str],
    form: str,
) -> None:
    """A form post that changes something: this session's token, not cross-site, and a role of
    ``roles`` on the tenant."""
    if not tokens_match(viewer.session.csrf, csrf_token) or _cross_site(request):
        raise Forbidden(f"the {form} form did not carry this session's token")
    viewer.principal.check(tenant, roles)


# -- sign-in and sign-out --------------------------------------------------------------------------


def _login_page(
    request: Request, csrf: str, *, status: int = 200, error: str | None = None, username: str = ""
) -> HTMLResponse:
    state = web_state(request)
    # Browsers keep Secure cookies over HTTPS and from loopback addresses only.
    insecure = (
        state.settings.secure_cookies
        and request.url.scheme != "https"
        and request.url.hostname not in LOOPBACK
    )
    return render(
        request,
        "login.html",
        status=status,
        csrf=csrf,
        error=error,
        username=username,
        insecure_transport=insecure,
    )


@router.get("/login")
def login_form(request: Request) -> Response:
    state = web_state(request)
    form = state.sessions.read_login_form(request.cookies.get(state.sessions.login_cookie))
    if form is not None:
        return _login_page(request, form.csrf)
    fresh, cookie = state.sessions.new_login_form()
    response = _login_page(request, fresh.csrf)
    _set_cookie(state, response, state.sessions.login_cookie, cookie)
    return response


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    state = web_state(request)
    form = state.sessions.read_login_form(request.cookies.get(state.sessions.login_cookie))
    if form is None or not tokens_match(form.csrf, csrf_token) or _cross_site(request):
        fresh, cookie = state.sessions.new_login_form(form.next if form else None)
        response: Response = _login_page(request, fresh.csrf, status=403, error=STALE_FORM)
        _set_cookie(state, response, state.sessions.login_cookie, cookie)
        return response
    name = username.strip().lower()[:64]
    try:
        if not name or not password or len(password) > MAX_PASSWORD:
            raise Unauthenticated(GENERIC_LOGIN_FAILURE)
        principal = runtime.access.authenticate_user(name, password)
        principal.check(None, READ)
        record = runtime.access.store.user(principal.name)
        if record is None:
            raise Unauthenticated(GENERIC_LOGIN_FAILURE)
    except (Unauthenticated, Forbidden):
        return _login_page(
            request, form.csrf, status=401, error=GENERIC_LOGIN_FAILURE, username=name
        )
    _, cookie = state.sessions.start(principal.name, record["password_hash"])
    response = RedirectResponse(form.next, status_code=303)
    _set_cookie(state, response, state.sessions.session_cookie, cookie)
    _delete_cookie(state, response, state.sessions.login_cookie)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    state = web_state(request)
    session = state.sessions.read(request.cookies.get(state.sessions.session_cookie))
    if session is not None:
        if not tokens_match(session.csrf, csrf_token) or _cross_site(request):
            raise Forbidden("the sign-out form did not carry this session's token")
        state.sessions.end(session)
    response = RedirectResponse("/login", status_code=303)
    _delete_cookie(state, response, state.sessions.session_cookie)
    return response


# -- the inventory ---------------------------------------------------------------------------------


def _tenant_inventory(runtime: Any, tenant: str) -> dict[str, Any]:
    return {
        "id": tenant,
        "name": runtime.inventory.tenant(tenant)["name"],
        "systems": runtime.inventory.systems(tenant),
    }


@router.get("/")
def inventory(request: Request, runtime: RuntimeDep, viewer: ViewerDep) -> Response:
    reachable = [t for t in runtime.inventory.tenants() if viewer.principal.may_reach(t)]
    tenants = [_tenant_inventory(runtime, t) for t in sorted(reachable)]
    return render(request, "inventory.html", tenants=tenants, single=False)


@router.get("/tenants/{tenant}")
def tenant_inventory(
    request: Request, tenant: str, runtime: RuntimeDep, viewer: ViewerDep
) -> Response:
    return render(
        request, "inventory.html", tenants=[_tenant_inventory(runtime, tenant)], single=True
    )


@router.get("/tenants/{tenant}/systems/{system}")
def system_page(
    request: Request, tenant: str, system: str, runtime: RuntimeDep, viewer: ViewerDep
) -> Response:
    found = runtime.inventory.system(tenant, system)
    versions = runtime.inventory.model_versions(tenant, system)
    return render(
        request,
        "system.html",
        tenant={"id": tenant, "name": runtime.inventory.tenant(tenant)["name"]},
        system=found,
        versions=versions,
    )


# -- a system's fairness: bias runs and their sign-off ---------------------------------------------


def _fairness_page(
    request: Request,
    runtime: Any,
    viewer: Viewer,
    tenant: str,
    system: str,
    run_id: str | None,
    *,
    status: int = 200,
    form_error: str | None = None,
    note: str = "",
    choice: str = "",
) -> Response:
    found = runtime.inventory.system(tenant, system)
    runs = runtime.bias.runs(tenant, system)  # newest first
    selected = runs[0] if runs and not run_id else None
    if run_id:
        selected = next((r for r in runs if r["run_id"] == run_id), None)
        if selected is None:
            raise NotFound("this system has no such bias run")
    recent = runs[: fairness.MAX_CHART_RUNS][::-1]  # oldest first, as the chart reads
    documents = {r["run_id"]: runtime.bias.document(tenant, r["run_id"]) for r in recent}
    document = None
    if selected is not None:
        document = documents.get(selected["run_id"]) or runtime.bias.document(
            tenant, selected["run_id"]
        )
    tables = fairness.result_tables(document) if document else []
    assignment = runtime.bias.latest_assignment(tenant, system)
    return render(
        request,
        "fairness.html",
        status=status,
        tenant={"id": tenant, "name": runtime.inventory.tenant(tenant)["name"]},
        system=found,
        runs=runs,
        selected=selected,
        latest=runs[0] if runs else None,
        document=document,
        tables=tables,
        charts=fairness.air_charts(
            [(r, documents[r["run_id"]]) for r in recent], first=[t.key for t in tables]
        ),
        chart_runs=len(recent),
        assignment=assignment,
        policy=runtime.bias.policy(tenant, system),
        coverage=fairness.coverage(assignment),
        can_review=bool(viewer.principal.roles & set(COMPLIANCE)),
        form_error=form_error,
        note=note,
        choice=choice,
        window=fairness.window_text,
        outcomes=fairness.OUTCOMES,
        reviews=fairness.REVIEWS,
    )


@router.get("/tenants/{tenant}/systems/{system}/fairness")
def fairness_page(
    request: Request,
    tenant: str,
    system: str,
    runtime: RuntimeDep,
    viewer: ViewerDep,
    run: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    return _fairness_page(request, runtime, viewer, tenant, system, run)


@router.post("/tenants/{tenant}/systems/{system}/fairness/runs/{run_id}/review")
def review_bias_run(
    request: Request,
    tenant: str,
    system: str,
    run_id: str,
    runtime: RuntimeDep,
    viewer: ViewerDep,
    review: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Accept a run or open a finding from it: a ``bias.review`` entry signed by the viewer."""
    check_form(request, viewer, csrf_token, tenant, COMPLIANCE, "review")
    try:
        runtime.bias.review(
            tenant, run_id, review=review, by=viewer.principal.name, note=note, system=system
        )
    except (InvalidInput, Conflict) as error:  # the page again, saying what to change
        return _fairness_page(
            request,
            runtime,
            viewer,
            tenant,
            system,
            run_id,
            status=error.status,
            form_error=str(error),
            note=note,
            choice=review,
        )
    page = f"/tenants/{quote(tenant, safe='')}/systems/{quote(system, safe='')}/fairness"
    return RedirectResponse(f"{page}?run={quote(run_id, safe='')}#review", status_code=303)


# -- the decision explorer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The explorer's filters as given (strings, for the form) and as a store query."""

    values: dict[str, str]
    query: DecisionFilter

    def link(self, **changes: str | None) -> str:
        merged = {k: v for k, v in {**self.values, **changes}.items() if v}
        return "?" + urlencode(merged) if merged else "?"


def _text(value: str | None, name: str, pattern: Any = None, limit: int = 200) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > limit or (pattern is not None and not pattern.fullmatch(value)):
        raise InvalidInput(f"filter {name!r} is not valid")
    return value


def _choice(value: str | None, name: str) -> bool | None:
    value = (value or "").strip().lower()
    if value in ("", "any"):
        return None
    if value in ("yes", "no"):
        return value == "yes"
    raise InvalidInput(f"filter {name!r} must be any, yes or no")


def _moment(value: str | None, name: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"filter {name!r} must be a date and time (UTC)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_filters(params: dict[str, str]) -> Filters:
    before_text = (params.get("before") or "").strip()
    if before_text and not (before_text.isdigit() and len(before_text) < 19):
        raise InvalidInput("filter 'before' must be an entry index")
    since = _moment(params.get("since"), "since")
    until = _moment(params.get("until"), "until")
    if since is not None and until is not None and until <= since:
        raise InvalidInput("filter 'until' must be after 'since'")
    query = DecisionFilter(
        system=_text(params.get("system"), "system", SLUG),
        model_version=_text(params.get("model_version"), "model_version", VERSION),
        label=_text(params.get("label"), "label"),
        adverse=_choice(params.get("adverse"), "adverse"),
        flagged=_choice(params.get("flagged"), "flagged"),
        since=since,
        until=until,
        before_index=int(before_text) if before_text else None,
        limit=PAGE_SIZE + 1,
    )
    keys = ("system", "model_version", "label", "adverse", "flagged")
    values = {k: (params.get(k) or "").strip() for k in keys}
    for name, moment in (("since", since), ("until", until)):  # as the form's inputs show times
        values[name] = moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else ""
    return Filters(values, query)


@router.get("/tenants/{tenant}/decisions")
def explorer(request: Request, tenant: str, runtime: RuntimeDep, viewer: ViewerDep) -> Response:
    filters = parse_filters(dict(request.query_params))
    rows = runtime.decisions.find(tenant, filters.query)
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    systems = runtime.inventory.systems(tenant)
    versions = sorted(
        {v.version for s in systems for v in runtime.inventory.model_versions(tenant, s.id)}
    )
    return render(
        request,
        "decisions.html",
        tenant={"id": tenant, "name": runtime.inventory.tenant(tenant)["name"]},
        rows=page,
        filters=filters,
        systems=systems,
        versions=versions,
        older=filters.link(before=str(page[-1]["idx"])) if more and page else None,
        paged=filters.query.before_index is not None,
        newest=filters.link(),
    )


# -- one decision ----------------------------------------------------------------------------------


def _record_of(row: dict[str, Any], envelope: dict[str, Any] | None) -> dict[str, Any]:
    """The decision as its ledger entry records it (from the query table if that is unreadable)."""
    body = envelope.get("body") if envelope is not None else None
    if isinstance(body, dict) and isinstance(body.get("output"), dict):
        return body
    return {
        "model_version": row.get("model_version"),
        "inputs": row.get("inputs") or {},
        "output": {"label": row.get("label"), "score": row.get("score")},
        "adverse": row.get("adverse"),
        "explanation": row.get("explanation"),
        "flags": (row.get("flags") or "").split(",") if row.get("flags") else [],
    }


@router.get("/tenants/{tenant}/decisions/{decision_id}")
def decision_page(
    request: Request, tenant: str, decision_id: str, runtime: RuntimeDep, viewer: ViewerDep
) -> Response:
    tenant_name = runtime.inventory.tenant(tenant)["name"]
    row = runtime.decisions.get(tenant, decision_id)
    badge = check_decision(runtime.ledger, runtime.ledger.verifier, tenant, decision_id, row)
    record = _record_of(row, badge.envelope)
    explanation = record.get("explanation") if isinstance(record.get("explanation"), dict) else {}
    version = (
        runtime.inventory.model_version(tenant, row["system"], str(record.get("model_version")))
        if row.get("system")
        else None
    )
    return render(
        request,
        "decision.html",
        tenant={"id": tenant, "name": tenant_name},
        row=row,
        record=record,
        inputs=record.get("inputs") if isinstance(record.get("inputs"), dict) else {},
        output=record.get("output") if isinstance(record.get("output"), dict) else {},
        flags=[str(f) for f in record.get("flags") or []],
        explanation=explanation,
        chart=attribution_chart((explanation or {}).get("attributions")),
        reasons=[str(r) for r in (explanation or {}).get("reasons") or []],
        sealed=[name for name in ("identifiers", "protected") if name in record],
        version=version,
        events=runtime.decisions.events(tenant, decision_id),
        badge=badge,
        logged_at=_logged_at(row, badge.envelope),
    )


def _logged_at(row: dict[str, Any], envelope: dict[str, Any] | None) -> Any:
    logged = row.get("logged_at")
    if logged is None and envelope is not None:
        return envelope.get("time")
    return logged
