"""Every API operation, read from the app itself: who may call it, and on which tenant.

The operations are collected from the app (``app.routes``, cross-checked with the OpenAPI
document), so an operation added later is checked without anyone remembering to. Each one must:

* declare its roles with ``allowed(...)`` (or sit on UNGUARDED with a reason), and check them
  before it reads the request body;
* answer 401 to a request without a valid key (none, malformed, unknown, wrong secret, expired,
  revoked), changing nothing;
* answer 403 to a role it does not allow and let every role it allows through;
* on a tenant's path, answer 403 to a key of another bank, changing and revealing nothing.

The ingest operations without a tenant in the path act on the key's tenant (tested at the end).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from attest.api import create_app
from attest.api.deps import json_body
from attest.config import Settings
from attest.core.group_rules import parse_rules
from attest.core.reference_profile import Outcomes, ReferenceRow
from attest.errors import NotFound
from attest.runtime import Runtime
from attest.service.access import ROLES
from attest.service.bias import BiasConfig
from tests.api.conftest import TestClient
from tests.api.support import (
    Bank,
    assert_error,
    assert_not_echoed,
    bearer,
    make_runtime,
    seed_bank,
    system_payload,
    tree_size,
    unique,
    version_payload,
    with_artifact,
)

try:  # FastAPI 0.16x keeps included routers lazily; this yields the routes they hold
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI lists every route in app.routes

    def iter_route_contexts(routes: Any) -> Any:
        return iter(routes)


TENANT_HEADER = "x-attest-tenant"

# Operations under /api/ allowed to have no `allowed(...)` dependency ("METHOD /path": reason).
# Keep it short: an entry here is an operation whose roles nobody checks in one place. These
# still must answer 401 without a valid key and 403 on another bank's path.
UNGUARDED: dict[str, str] = {}


# -- the operations, read from the app -------------------------------------------------------------


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _position(dependant: Any, found: Callable[[Any], bool]) -> int | None:
    """Where among the top-level dependencies (resolved in this order) ``found`` first holds."""
    for position, sub in enumerate(dependant.dependencies):
        if found(sub.call) or any(found(call) for call in _calls(sub)):
            return position
    return None


def _header_names(dependant: Any) -> set[str]:
    names = {str(getattr(p, "alias", p.name)).lower() for p in dependant.header_params}
    for sub in dependant.dependencies:
        names |= _header_names(sub)
    return names


def _is_guard(call: Any) -> bool:
    return hasattr(call, "allowed_roles")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    roles: tuple[str, ...] | None  # None: no allowed(...) dependency found
    guard_position: int | None
    body_position: int | None
    tenant_from_key: bool  # no tenant in the path: the key's tenant, or X-Attest-Tenant

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def tenant_scoped(self) -> bool:
        return "{tenant}" in self.path

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)


def discover(app: Any) -> list[Operation]:
    operations = []
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", None) or ""
        if not path.startswith("/api/"):
            continue
        dependant = getattr(route, "dependant", None)
        methods = sorted(getattr(route, "methods", None) or {"ANY"})
        for method in methods:
            if dependant is None:  # a mounted app or plain route: nothing declares roles
                operations.append(Operation(method, path, None, None, None, False))
                continue
            roles = {tuple(c.allowed_roles) for c in _calls(dependant) if _is_guard(c)}
            assert len(roles) <= 1, f"{method} {path} has more than one allowed(...): {roles}"
            operations.append(
                Operation(
                    method,
                    path,
                    roles.pop() if roles else None,
                    _position(dependant, _is_guard),
                    _position(dependant, lambda call: call is json_body),
                    "{tenant}" not in path and TENANT_HEADER in _header_names(dependant),
                )
            )
    return operations


APP = create_app(Runtime(Settings(home=Path("never-opened"))))  # the runtime opens nothing yet
OPERATIONS = discover(APP)
GUARDED = [op for op in OPERATIONS if op.roles is not None]
TENANT_OPERATIONS = [op for op in OPERATIONS if op.tenant_scoped]
WITH_FOREIGN_IDS = [op for op in TENANT_OPERATIONS if set(op.params) - {"tenant"}]


def test_the_walk_sees_every_operation_of_the_openapi_document() -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, operations in APP.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    walked = {str(op) for op in OPERATIONS}
    assert len(walked) == len(OPERATIONS)
    assert documented - walked == set()
    assert len(documented) >= 24  # the walk must not silently come back empty
    assert walked - documented == set(), "undocumented operations: add them to the schema"


def test_every_api_operation_declares_its_roles() -> None:
    unguarded = [str(op) for op in OPERATIONS if op.roles is None and str(op) not in UNGUARDED]
    assert unguarded == [], (
        f"{unguarded}: guard each with a dependency from attest.api.deps.allowed(...), "
        "or add it to UNGUARDED with the reason nobody needs to be authorised"
    )
    stale = set(UNGUARDED) - {str(op) for op in OPERATIONS if op.roles is None}
    assert stale == set(), f"UNGUARDED lists operations that are guarded or gone: {stale}"
    for op in GUARDED:
        assert op.roles and set(op.roles) <= set(ROLES), op


def test_roles_are_checked_before_the_body_is_read() -> None:
    late = [
        str(op)
        for op in GUARDED
        if op.body_position is not None
        and (op.guard_position is None or op.guard_position > op.body_position)
    ]
    assert late == [], f"{late}: put the allowed(...) parameter before the body parameter"


# -- the world every request is made in ------------------------------------------------------------


@dataclass
class World:
    runtime: Runtime
    client: TestClient
    a: Bank
    b: Bank
    role_keys: dict[tuple[str, str], str]  # (role, "a" or "*") -> token
    invalid: dict[str, dict[str, str]]  # what is wrong -> headers

    def key(self, roles: list[str], tenants: list[str], name: str = "test key") -> str:
        return self.runtime.access.issue_key(name, roles, tenants).token

    def victim_key(self, bank: Bank) -> str:
        return self.runtime.access.issue_key("to be revoked", ["auditor"], [bank.id]).key_id

    def snapshot(self) -> tuple[Any, ...]:
        """What a refused request must leave as it was: both logs, the tenants and the keys."""
        listed = self.runtime.access.keys()
        keys = tuple((k["key_id"], k["revoked_at"]) for k in listed)
        return (
            tree_size(self.runtime, self.a.id),
            tree_size(self.runtime, self.b.id),
            len(self.runtime.store.tenants()),
            keys,
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("authorization")
    url = (
        f"sqlite:///{home / 'attest.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    runtime = make_runtime(home / "home", url)
    a = seed_bank(runtime, unique("bank-a"), "a")
    b = seed_bank(runtime, unique("bank-b"), "b")
    access = runtime.access
    role_keys = {
        (role, scope): access.issue_key(f"{role} of {scope}", [role], [tenant]).token
        for role in ROLES
        for scope, tenant in (("a", a.id), ("*", "*"))
    }
    # The invalid keys would reach everything as admins: only authentication stops them.
    real = access.issue_key("real", ["admin"], ["*"])
    expired = access.issue_key("expired", ["admin"], ["*"], datetime.now(UTC) - timedelta(hours=1))
    revoked = access.issue_key("revoked", ["admin"], ["*"])
    access.revoke_key(revoked.key_id)
    invalid = {
        "no credentials": {},
        "not a bearer token": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "bearer without a key": {"Authorization": "Bearer "},
        "malformed key": bearer("atk_not-a-key"),
        "key id without secret": bearer(f"atk_{real.key_id}"),
        "unknown key id": bearer("atk_0000000000000000_" + "A" * 43),
        "wrong secret": bearer(f"atk_{real.key_id}_" + "B" * 43),
        "expired key": bearer(expired.token),
        "revoked key": bearer(revoked.token),
    }
    with TestClient(create_app(runtime)) as client:
        yield World(runtime, client, a, b, role_keys, invalid)
    runtime.close()


# -- one request per operation ---------------------------------------------------------------------

Make = Callable[[World, Bank], Any]

PATH_VALUES: dict[str, Make] = {
    "tenant": lambda w, bank: bank.id,
    "system": lambda w, bank: bank.system,
    "version": lambda w, bank: bank.version,
    "decision_id": lambda w, bank: bank.decision,
    "entry_id": lambda w, bank: bank.decision,
    "key_id": lambda w, bank: w.victim_key(bank),
    "run_id": lambda w, bank: _bias_run(w, bank),
    "monitoring_run": lambda w, bank: _monitoring_run(w, bank),
    "number": lambda w, bank: 1,
}


# The seeded decision's protected value, as a group: what the bias operations need to succeed.
GROUP_RULES = [
    {
        "attribute": "ethnicity",
        "kind": "map",
        "source": "protected.ethnicity",
        "map": {"Zorblaxian": "z"},
    }
]


def _assigned(w: World, bank: Bank) -> dict[str, Any]:
    w.runtime.bias.assign_groups(bank.id, bank.system, parse_rules(GROUP_RULES), by="the walk")
    return {"by": ["ethnicity"], "from": "2020-01-01", "to": "2099-12-31"}


def _bias_run(w: World, bank: Bank) -> str:
    """A new, unreviewed bias run of the bank (each allowed role may review its own)."""
    config = BiasConfig(("ethnicity",))
    _assigned(w, bank)
    return str(w.runtime.bias.run(bank.id, bank.system, config, by="the walk")["entry"])


def _profiled(w: World, bank: Bank) -> dict[str, Any]:
    """The bank's version profiled on loans unlike its decisions (so a run raises alerts),
    again if the walk's own PUT of a profile replaced it."""
    try:
        profiled = w.runtime.monitoring.profile(bank.id, bank.system, bank.version)
        if profiled.source.get("kind") != "file":
            raise NotFound("the walk replaced it")
    except NotFound:
        rows = [
            ReferenceRow({"amount": 100 + i, "term": 12, "purpose": "home"}, 0.5, "good")
            for i in range(50)
        ]
        w.runtime.monitoring.set_profile(
            bank.id,
            bank.system,
            bank.version,
            rows,
            outcomes=Outcomes(("good",)),
            source={"kind": "file"},
            by="the walk",
        )
    return {"version": bank.version, "from": "2020-01-01", "to": "2099-12-31"}


def _monitoring_run(w: World, bank: Bank) -> str:
    """A new monitoring run of the bank, with open alerts (each allowed role acts on its own)."""
    _profiled(w, bank)
    document = w.runtime.monitoring.run(
        bank.id, bank.system, bank.version, since=None, until=None, by="the walk"
    )
    assert document["alerts"], "the walk's monitoring run raised no alert"
    return str(document["entry"])


def _planned(w: World, bank: Bank) -> None:
    """The bank's version with a profile and a plan (a GET or a due run has no body)."""
    _profiled(w, bank)
    w.runtime.monitoring.set_plan(bank.id, bank.system, bank.version, {}, by="the walk")


def _new_version(w: World, bank: Bank) -> Any:
    version = version_payload(bank.system, unique("v"), artifact=bank.artifact)
    return with_artifact(version, bank.artifact)


# A request that succeeds when the caller may make it; operations not listed get an empty body
# and are only required not to answer 401/403 to the roles they allow.
SYSTEMS = "/api/v1/tenants/{tenant}/systems"
VERSION = SYSTEMS + "/{system}/versions/{version}"
BIAS = SYSTEMS + "/{system}/bias"
MONITORING = SYSTEMS + "/{system}/monitoring"
BODIES: dict[str, Make | None] = {
    "POST /api/v1/tenants": lambda w, bank: {"id": unique("bank-new"), "name": "New bank"},
    "GET /api/v1/tenants": None,
    "GET /api/v1/tenants/{tenant}": None,
    f"GET {SYSTEMS}": None,
    f"POST {SYSTEMS}": lambda w, bank: system_payload(unique("system")),
    f"GET {SYSTEMS}/{{system}}": None,
    f"PUT {SYSTEMS}/{{system}}": lambda w, bank: system_payload(bank.system, purpose="Changed"),
    f"POST {SYSTEMS}/{{system}}/versions": _new_version,
    f"GET {VERSION}": None,
    f"POST {VERSION}/lifecycle": lambda w, bank: {"lifecycle": "approved", "reason": "checked"},
    f"GET {VERSION}/artifact": None,
    "POST /api/v1/tenants/{tenant}/decisions": lambda w, bank: bank.decision_body(),
    "POST /api/v1/tenants/{tenant}/decisions/batch": lambda w, bank: {
        "decisions": [bank.decision_body()]
    },
    "POST /api/v1/tenants/{tenant}/outcomes": lambda w, bank: {
        "outcomes": [{"decision_id": bank.decision, "outcome": 0}]
    },
    "POST /api/v1/decisions": lambda w, bank: bank.decision_body(),
    "POST /api/v1/decisions/batch": lambda w, bank: {"decisions": [bank.decision_body()]},
    "POST /api/v1/outcomes": lambda w, bank: {
        "outcomes": [{"decision_id": bank.decision, "outcome": 0}]
    },
    f"POST {BIAS}/assign": lambda w, bank: {"rules": GROUP_RULES},
    f"POST {BIAS}/runs": _assigned,
    f"GET {BIAS}/runs": None,
    f"GET {BIAS}/runs/{{run_id}}": None,
    f"POST {BIAS}/runs/{{run_id}}/review": lambda w, bank: {"review": "accepted", "note": "ok"},
    f"GET {MONITORING}/profiles/{{version}}": None,
    f"PUT {MONITORING}/profiles/{{version}}": lambda w, bank: {
        "from": "2020-01-01",
        "to": "2099-12-31",
        "good_outcomes": ["good"],
    },
    f"POST {MONITORING}/runs": _profiled,
    f"GET {MONITORING}/runs": None,
    f"GET {MONITORING}/runs/{{monitoring_run}}": None,
    f"GET {MONITORING}/alerts": None,
    f"GET {MONITORING}/plans/{{version}}": _planned,
    f"PUT {MONITORING}/plans/{{version}}": lambda w, bank: {"cadence": "monthly"},
    f"POST {MONITORING}/due": _planned,
    f"POST {MONITORING}/runs/{{monitoring_run}}/alerts/{{number}}": lambda w, bank: {
        "action": "acknowledged",
        "note": "seen",
    },
    "GET /api/v1/tenants/{tenant}/decisions": None,
    "GET /api/v1/tenants/{tenant}/decisions/{decision_id}": None,
    "GET /api/v1/tenants/{tenant}/log/checkpoint": None,
    "GET /api/v1/tenants/{tenant}/log/entries/{entry_id}/proof": None,
    "GET /api/v1/tenants/{tenant}/log/verifier-key": None,
    "POST /api/v1/keys": lambda w, bank: {
        "name": "issued in a test",
        "roles": ["auditor"],
        "tenants": [bank.id],
    },
    "GET /api/v1/keys": None,
    "DELETE /api/v1/keys/{key_id}": None,
}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any

    def send(self, client: TestClient, headers: dict[str, str], *, garbage: bool = False) -> Any:
        if garbage:  # not JSON at all: only a check made before the body is read passes it
            return client.request(self.method, self.path, content=b"{not json", headers=headers)
        if self.body is None:
            return client.request(self.method, self.path, headers=headers)
        return client.request(self.method, self.path, json=self.body, headers=headers)


def prepare(world: World, op: Operation, bank: Bank, ids_of: Bank | None = None) -> Call:
    """The operation's request on ``bank``'s path, with the ids (and body) of ``ids_of``."""
    ids_of = ids_of or bank
    values = {}
    for name in op.params:
        if name not in PATH_VALUES:
            pytest.fail(f"{op}: add a real value for the path parameter {{{name}}} to PATH_VALUES")
        values[name] = PATH_VALUES[name](world, bank if name == "tenant" else ids_of)
    path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(values[m.group(1)]), op.path)
    if str(op) in BODIES:
        make = BODIES[str(op)]
        body = make(world, ids_of) if make else None
    else:
        body = {} if op.method in ("POST", "PUT", "PATCH") else None
    return Call(op.method, path, body)


def scope_for(op: Operation) -> str:
    """Tenant routes and the key's-tenant routes are called with bank A keys, the rest with '*'."""
    return "a" if op.tenant_scoped or op.tenant_from_key else "*"


# -- the checks, per operation ---------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_a_request_without_a_valid_key_gets_401_and_changes_nothing(
    world: World, op: Operation
) -> None:
    call = prepare(world, op, world.a)
    before = world.snapshot()
    for problem, headers in world.invalid.items():
        response = call.send(world.client, headers)
        assert response.status_code == 401, (problem, response.text)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer", problem
        assert_not_echoed(response, world.a.secrets + world.b.secrets)
    # Before the body is read: a caller without a key learns nothing from a bad body either.
    assert_error(call.send(world.client, {}, garbage=True), 401)
    assert world.snapshot() == before


@pytest.mark.parametrize("op", GUARDED, ids=str)
def test_roles_not_allowed_get_403_and_allowed_roles_get_through(
    world: World, op: Operation
) -> None:
    assert op.roles is not None
    scope = scope_for(op)
    denied = [role for role in ROLES if role not in op.roles]
    for role in ROLES:
        headers = bearer(world.role_keys[role, scope])
        call = prepare(world, op, world.a)
        before = world.snapshot()
        response = call.send(world.client, headers)
        if role in denied:
            assert_error(response, 403, "no role allowed here")
            assert world.snapshot() == before, role
            assert_error(call.send(world.client, headers, garbage=True), 403)
        elif str(op) in BODIES:
            assert 200 <= response.status_code < 300, (role, response.status_code, response.text)
        else:  # an operation this file does not know yet: an empty body may be refused
            assert response.status_code not in (401, 403), (role, response.text)


@pytest.mark.parametrize("op", TENANT_OPERATIONS, ids=str)
def test_a_key_of_bank_a_gets_403_on_the_path_of_bank_b(world: World, op: Operation) -> None:
    # Every role, bank A only: allowed anything the route allows, but only on bank A.
    headers = bearer(world.key(list(ROLES), [world.a.id], "every role of bank A"))
    call = prepare(world, op, world.b)
    before = world.snapshot()
    for garbage in (False, True):
        response = call.send(world.client, headers, garbage=garbage)
        assert_error(response, 403, "may not reach tenant")
        assert_not_echoed(response, world.b.secrets)
    assert world.snapshot() == before


@pytest.mark.parametrize("op", WITH_FOREIGN_IDS, ids=str)
def test_ids_of_bank_b_on_the_path_of_bank_a_find_nothing(world: World, op: Operation) -> None:
    headers = bearer(world.key(list(ROLES), [world.a.id], "every role of bank A"))
    call = prepare(world, op, world.a, ids_of=world.b)
    before = world.snapshot()
    response = call.send(world.client, headers)
    if str(op) in BODIES:
        assert_error(response, 404)
    else:
        assert response.status_code >= 400, response.text
    assert_not_echoed(response, world.b.secrets)
    assert world.snapshot() == before


# -- what the global operations show a key of one bank ---------------------------------------------


def test_a_key_of_bank_a_lists_only_bank_a(world: World) -> None:
    for role in ROLES:
        response = world.client.get("/api/v1/tenants", headers=bearer(world.role_keys[role, "a"]))
        assert response.status_code == 200
        assert [t["id"] for t in response.json()["tenants"]] == [world.a.id]
        assert_not_echoed(response, world.b.secrets)
    world.key(["auditor"], [world.b.id], f"only for {world.b.name}")
    response = world.client.get("/api/v1/keys", headers=bearer(world.role_keys["admin", "a"]))
    assert response.status_code == 200
    listed = response.json()["keys"]
    assert listed and all(set(k["tenants"].split(",")) == {world.a.id} for k in listed)
    assert_not_echoed(response, world.b.secrets)
    assert "secret_hash" not in response.text


def test_an_admin_of_bank_a_cannot_act_beyond_bank_a(world: World) -> None:
    headers = bearer(world.role_keys["admin", "a"])
    victim = world.victim_key(world.a)
    before = world.snapshot()
    refused = [
        world.client.post(
            "/api/v1/tenants", json={"id": unique("bank"), "name": "X"}, headers=headers
        ),
        world.client.delete(f"/api/v1/keys/{victim}", headers=headers),
    ]
    for tenants in ([world.b.id], ["*"], [world.a.id, world.b.id]):
        body = {"name": "reach further", "roles": ["admin"], "tenants": tenants}
        refused.append(world.client.post("/api/v1/keys", json=body, headers=headers))
    for response in refused:
        assert_error(response, 403)
    assert world.snapshot() == before
    body = {"name": "a reviewer of bank A", "roles": ["reviewer"], "tenants": [world.a.id]}
    issued = world.client.post("/api/v1/keys", json=body, headers=headers)
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert world.client.get(f"/api/v1/tenants/{world.a.id}", headers=bearer(token)).is_success
    assert_error(world.client.get(f"/api/v1/tenants/{world.b.id}", headers=bearer(token)), 403)


def test_keys_issued_over_the_api_expire_and_can_be_revoked(world: World) -> None:
    staff = bearer(world.role_keys["admin", "*"])

    def issue(**fields: Any) -> httpx.Response:
        body = {"name": "short-lived", "roles": ["auditor"], "tenants": [world.a.id]} | fields
        return world.client.post("/api/v1/keys", json=body, headers=staff)

    read = f"/api/v1/tenants/{world.a.id}"
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    expired = issue(expires_at=past).json()["token"]
    assert_error(world.client.get(read, headers=bearer(expired)), 401, "expired")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    live = issue(expires_at=future).json()
    assert world.client.get(read, headers=bearer(live["token"])).status_code == 200
    assert world.client.delete(f"/api/v1/keys/{live['key_id']}", headers=staff).status_code == 204
    assert_error(world.client.get(read, headers=bearer(live["token"])), 401, "revoked")
    assert_error(world.client.delete(f"/api/v1/keys/{live['key_id']}", headers=staff), 404)
    # An expiry in another offset is the same instant (SQLite would keep only the wall time).
    for minutes, offset, status in ((-30, 5, 401), (30, -7, 200)):
        moment = datetime.now(UTC) + timedelta(minutes=minutes)
        spelled = moment.astimezone(timezone(timedelta(hours=offset))).isoformat()
        token = issue(expires_at=spelled).json()["token"]
        assert world.client.get(read, headers=bearer(token)).status_code == status, spelled
    # An expiry that is not a time must not quietly issue a key that never expires.
    before = world.snapshot()
    for wrong in ("next tuesday", 1700000000, "2030-01-01T00:00:00", True):
        assert_error(issue(expires_at=wrong), 400, "expires_at")
    assert world.snapshot() == before


# -- the ingest operations without a tenant in the path --------------------------------------------

TENANTLESS: dict[str, Callable[[Bank], Any]] = {
    "/api/v1/decisions": lambda bank: bank.decision_body(),
    "/api/v1/decisions/batch": lambda bank: {"decisions": [bank.decision_body()]},
    "/api/v1/outcomes": lambda bank: {"outcomes": [{"decision_id": bank.decision, "outcome": 1}]},
}


def test_the_tenantless_operations_are_the_ones_walked() -> None:
    assert {op.path for op in OPERATIONS if op.tenant_from_key} == set(TENANTLESS)


@pytest.mark.parametrize("path", sorted(TENANTLESS))
def test_tenantless_ingest_acts_on_the_tenant_of_the_key(world: World, path: str) -> None:
    w, a, b = world, world.a, world.b
    body = TENANTLESS[path]
    only_a = bearer(w.key(["developer"], [a.id]))
    a_and_b = bearer(w.key(["developer"], [a.id, b.id]))
    everywhere = bearer(w.key(["developer"], ["*"]))
    store = w.runtime.store

    def post(headers: dict[str, str], bank: Bank, tenant: str | None = None) -> httpx.Response:
        extra = {"X-Attest-Tenant": tenant} if tenant else {}
        return w.client.post(path, json=body(bank), headers=headers | extra)

    def lands_in(response: httpx.Response, bank: Bank, other: Bank) -> None:
        assert response.status_code == 201, response.text
        (accepted,) = next(iter(v for v in response.json().values() if isinstance(v, list)))
        assert store.entry_by_id(bank.id, accepted["id"]) is not None
        assert store.entry_by_id(other.id, accepted["id"]) is None
        assert response.json()["tree_size"] == tree_size(w.runtime, bank.id)

    # A key of one tenant needs no header, and may name its own tenant.
    lands_in(post(only_a, a), a, b)
    lands_in(post(only_a, a, a.id), a, b)
    # A key of several tenants (or of all) must say which.
    before = w.snapshot()
    assert_error(post(a_and_b, a), 400, "X-Attest-Tenant")
    assert_error(post(everywhere, a), 400, "X-Attest-Tenant")
    assert w.snapshot() == before
    lands_in(post(a_and_b, b, b.id), b, a)
    lands_in(post(everywhere, b, b.id), b, a)
    # A header naming a tenant the key does not reach is refused, whatever the body says.
    before = w.snapshot()
    for headers, bank, tenant in (
        (only_a, b, b.id),
        (only_a, a, b.id),
        (a_and_b, a, unique("bank-c")),
    ):
        response = post(headers, bank, tenant)
        assert_error(response, 403, "may not reach tenant")
        assert_not_echoed(response, b.secrets)
    # Reaching every tenant does not make an unknown one exist; a tenant must be a tenant id.
    assert_error(post(everywhere, a, unique("bank-c")), 404, "unknown tenant")
    assert_error(post(everywhere, a, "Bank A"), 400, "tenant")
    assert w.snapshot() == before
