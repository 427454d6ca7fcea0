"""Bias testing of a system: assign protected groups, run tests, read them back, sign them off.

Every answer carries group labels and counts only: the assignment reads the vault on the server
and reports how many decisions got a group; runs are computed from per-group sums.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from attest.api.deps import COMPLIANCE, READ, JsonBody, RuntimeDep, allowed
from attest.core.bias_policy import FIELDS as POLICY_KEYS
from attest.core.bias_policy import BiasPolicy
from attest.core.group_rules import ATTRIBUTE, BISG_RULE, parse_rules
from attest.errors import InvalidInput
from attest.service.access import Principal
from attest.service.bias import BiasConfig, run_summary

router = APIRouter(prefix="/api/v1/tenants/{tenant}/systems/{system}/bias", tags=["bias"])
Reader = Annotated[Principal, Depends(allowed(READ))]
Officer = Annotated[Principal, Depends(allowed(COMPLIANCE))]

ASSIGN_FIELDS = frozenset({"rules", "proxy"})
RUN_FIELDS = frozenset(
    {"by", "from", "to", "favourable", "good_outcomes", "air_threshold", "alpha", "min_n_eff"}
)
POLICY_FIELDS = frozenset({"air_threshold", "alpha", "min_n_eff", "note"})
REVIEW_FIELDS = frozenset({"review", "note"})


def _object(body: Any, fields: frozenset[str]) -> dict[str, Any]:
    """The body as a JSON object with only known fields (a misspelt option must not be ignored)."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    if set(body) - fields:
        raise InvalidInput(f"the body may only have the fields {', '.join(sorted(fields))}")
    return body


def _day(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    except ValueError:
        raise InvalidInput(f"field {name!r} must be a date, YYYY-MM-DD") from None


def _strings(body: dict[str, Any], name: str, default: list[str]) -> tuple[str, ...]:
    value = body.get(name, default)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise InvalidInput(f"field {name!r} must be a non-empty list of strings")
    return tuple(value)


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value <= high:
        raise InvalidInput(f"field {name!r} must be a number in ({low:g}, {high:g}]")
    return float(value)


def parse_run(body: Any) -> BiasConfig:
    """``{"by", "from", "to", "favourable"?, "good_outcomes"?, "air_threshold"?, "alpha"?,
    "min_n_eff"?}``; ``to`` is included (the window ends at the next midnight, UTC), as in
    ``attest bias run``; a policy field given overrides the system's policy for this run."""
    body = _object(body, RUN_FIELDS)
    attributes = _strings(body, "by", [])
    if not all(ATTRIBUTE.fullmatch(a) for a in attributes) or len(set(attributes)) != len(
        attributes
    ):
        raise InvalidInput("field 'by' must list distinct attribute names (lowercase)")
    since, until = _day(body, "from"), _day(body, "to") + timedelta(days=1)
    if until <= since:
        raise InvalidInput("field 'to' must not be before 'from'")
    good = body.get("good_outcomes", [])
    if not isinstance(good, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in good
    ):
        raise InvalidInput("field 'good_outcomes' must be a list of strings or numbers")
    overrides = BiasPolicy.parse({k: body[k] for k in POLICY_KEYS if k in body})
    return BiasConfig(
        attributes=attributes,
        since=since,
        until=until,
        favourable=_strings(body, "favourable", ["approve"]),
        good_outcomes=tuple(good),
        air_threshold=overrides.air_threshold if "air_threshold" in body else None,
        alpha=overrides.alpha if "alpha" in body else None,
        min_n_eff=overrides.min_n_eff if "min_n_eff" in body else None,
    )


@router.get("/runs")
def read_bias_runs(tenant: str, system: str, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    """The system's bias runs, newest first, with their reviews."""
    return {"runs": [run_summary(row) for row in runtime.bias.runs(tenant, system)]}


@router.get("/runs/{run_id}")
def read_bias_run(
    tenant: str, system: str, run_id: str, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    """A run: summary and review, its full result document and the proof of its entry."""
    return runtime.bias.report(tenant, system, run_id)


@router.post("/assign", status_code=201)
def assign_bias_groups(
    tenant: str, system: str, principal: Officer, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """Derive each decision's protected groups from its vault values (the reads are logged)."""
    body = _object(body, ASSIGN_FIELDS)
    proxy = body.get("proxy")
    if proxy not in (None, "bisg"):
        raise InvalidInput("field 'proxy' must be bisg (or absent)")
    raw = body.get("rules", [])
    if not isinstance(raw, list):
        raise InvalidInput("field 'rules' must be a list of group rules")
    rules = parse_rules([*raw, BISG_RULE] if proxy == "bisg" else raw)
    done = runtime.bias.assign_groups(tenant, system, rules, by=principal.name)
    return {
        "entry": done.receipt.id,
        "index": done.receipt.index,
        "decisions": done.decisions,
        "assigned": done.assigned,
        "unknown": done.unknown,
        "bisg": done.bisg,
    }


@router.post("/runs", status_code=201)
def create_bias_run(
    tenant: str, system: str, principal: Officer, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """Run the tests (each attribute and their intersection); the document is a ledger entry."""
    config = parse_run(body)
    return runtime.bias.run(tenant, system, config, by=principal.name)


@router.post("/runs/{run_id}/review", status_code=201)
def review_bias_run(
    tenant: str,
    system: str,
    run_id: str,
    principal: Officer,
    body: JsonBody,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Accept the run or open a finding from it, once; the reviewer is the caller."""
    body = _object(body, REVIEW_FIELDS)
    review, note = body.get("review"), body.get("note")
    if not isinstance(note, str):
        raise InvalidInput("field 'note' must be a string")
    receipt = runtime.bias.review(
        tenant, run_id, review=str(review), by=principal.name, note=note, system=system
    )
    return {
        "run_id": run_id,
        "review": review,
        "by": principal.name,
        "note": note,
        "entry": receipt.id,
        "index": receipt.index,
    }


@router.get("/policy")
def read_bias_policy(tenant: str, system: str, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    """The thresholds the system's runs are judged by, and who set them (or the defaults)."""
    return runtime.bias.policy(tenant, system)


@router.put("/policy")
def set_bias_policy(
    tenant: str, system: str, principal: Officer, body: JsonBody, runtime: RuntimeDep
) -> dict[str, Any]:
    """Change some policy fields (the others stay); the change is a ledger entry."""
    body = _object(body, POLICY_FIELDS)
    note = body.pop("note", "")
    if not isinstance(note, str):
        raise InvalidInput("field 'note' must be a string")
    if not body:
        raise InvalidInput("give at least one of air_threshold, alpha, min_n_eff")
    receipt = runtime.bias.set_policy(tenant, system, body, by=principal.name, note=note)
    return runtime.bias.policy(tenant, system) | {"entry": receipt.id}
