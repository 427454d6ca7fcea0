"""The decision record (architecture section 5) and the outcome that later follows it.

A decision is checked against its model version's feature schema. A decision from an unknown,
unapproved or retired model version is still accepted, with a flag, because logging must never
drop a decision; a malformed one is refused. Errors name the decision and the field, never the
value: inputs can be personal data.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from attest.core.canonical import canonical_bytes
from attest.core.inventory import SLUG, VERSION, ModelVersion
from attest.core.records import ID_PATTERN, NAME_PATTERN, Submission
from attest.errors import InvalidInput

DECISION_FIELDS = frozenset(
    {
        "decision_id",
        "system",
        "model_version",
        "policy_version",
        "subject",
        "inputs",
        "identifiers",
        "protected",
        "output",
        "adverse",
        "explanation",
        "context",
        "human",
        "decided_at",
    }
)
SENSITIVE_MEMBERS = ("identifiers", "protected")
REASON_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


@dataclass(frozen=True)
class DecisionRecord:
    """One AI decision with its full context, as submitted (sensitive members still in clear)."""

    system: str
    model_version: str
    inputs: dict[str, Any]
    output: dict[str, Any]
    decision_id: str | None = None
    policy_version: str | None = None
    subject: str | None = None
    identifiers: dict[str, Any] | None = None
    protected: dict[str, Any] | None = None
    adverse: bool | None = None
    explanation: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    human: dict[str, Any] | None = None
    decided_at: str | None = None


def _fail(where: str, what: str) -> InvalidInput:
    return InvalidInput(f"{where}: {what}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _optional_object(raw: dict[str, Any], name: str, where: str) -> dict[str, Any] | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, dict):
        raise _fail(where, f"field {name!r} must be a JSON object")
    return value


def _parse_output(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "field 'output' must be a JSON object with a 'label'")
    label = value.get("label")
    if not isinstance(label, str) or not label:
        raise _fail(where, "field 'output.label' must be a non-empty string")
    for name in ("score", "threshold"):
        if name in value and value[name] is not None and not _is_number(value[name]):
            raise _fail(where, f"field 'output.{name}' must be a number")
    return dict(value)


def _parse_explanation(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(where, "field 'explanation' must be a JSON object")
    method = value.get("method")
    if not isinstance(method, str) or not method:
        raise _fail(where, "field 'explanation.method' must name the method (e.g. 'shap')")
    attributions = value.get("attributions", {})
    if not isinstance(attributions, dict) or not all(_is_number(v) for v in attributions.values()):
        raise _fail(where, "field 'explanation.attributions' must map features to numbers")
    reasons = value.get("reasons", [])
    if not isinstance(reasons, list) or not all(
        isinstance(r, str) and REASON_CODE.fullmatch(r) for r in reasons
    ):
        raise _fail(where, "field 'explanation.reasons' must be a list of reason codes")
    return dict(value)


def _parse_time(value: Any, where: str, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(where, f"field {name!r} must be an RFC 3339 time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(where, f"field {name!r} must be an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise _fail(where, f"field {name!r} must carry a time zone offset")
    return value


def parse_decision(raw: Any, where: str) -> DecisionRecord:
    """Check the shape of one decision; ``where`` (say ``decision 3``) starts every error."""
    if not isinstance(raw, dict):
        raise _fail(where, "a decision must be a JSON object")
    decision_id = raw.get("decision_id")
    if decision_id is not None:
        if not isinstance(decision_id, str) or not ID_PATTERN.fullmatch(decision_id):
            raise _fail(where, "field 'decision_id' must be 1-128 letters, digits or ._:-")
        where = f"{where} (id {decision_id})"
    unknown = sorted(set(raw) - DECISION_FIELDS)
    if unknown:
        raise _fail(where, f"unknown field {unknown[0]!r}")
    system = raw.get("system")
    if not isinstance(system, str) or not SLUG.fullmatch(system):
        raise _fail(where, "field 'system' must be an AI system id")
    model_version = raw.get("model_version")
    if not isinstance(model_version, str) or not VERSION.fullmatch(model_version):
        raise _fail(where, "field 'model_version' must be a model version id")
    policy_version = raw.get("policy_version")
    if policy_version is not None and (
        not isinstance(policy_version, str) or not VERSION.fullmatch(policy_version)
    ):
        raise _fail(where, "field 'policy_version' must be a version id")
    subject = raw.get("subject")
    if subject is not None and (
        not isinstance(subject, str) or not NAME_PATTERN.fullmatch(subject)
    ):
        raise _fail(
            where, "field 'subject' must be a pseudonymous id of 1-128 letters, digits or ._:-"
        )
    inputs = raw.get("inputs")
    if not isinstance(inputs, dict):
        raise _fail(where, "field 'inputs' must be a JSON object of feature values")
    identifiers = _optional_object(raw, "identifiers", where)
    protected = _optional_object(raw, "protected", where)
    if (identifiers or protected) and subject is None:
        raise _fail(where, "field 'subject' is required with 'identifiers' or 'protected'")
    adverse = raw.get("adverse")
    if adverse is not None and not isinstance(adverse, bool):
        raise _fail(where, "field 'adverse' must be true or false")
    return DecisionRecord(
        system=system,
        model_version=model_version,
        inputs=inputs,
        output=_parse_output(raw.get("output"), where),
        decision_id=decision_id,
        policy_version=policy_version,
        subject=subject,
        identifiers=identifiers,
        protected=protected,
        adverse=adverse,
        explanation=_parse_explanation(raw.get("explanation"), where),
        context=_optional_object(raw, "context", where),
        human=_optional_object(raw, "human", where),
        decided_at=_parse_time(raw.get("decided_at"), where, "decided_at"),
    )


def _check_value(spec_type: str, value: Any) -> str | None:
    """What is wrong with a value for a feature of this type (None: nothing)."""
    if spec_type == "number" and not _is_number(value):
        return "must be a number"
    if spec_type == "integer" and not (_is_number(value) and float(value).is_integer()):
        return "must be an integer"
    if spec_type == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if spec_type in ("category", "string") and not isinstance(value, str):
        return "must be a string"
    return None


def check_inputs(decision: DecisionRecord, version: ModelVersion, where: str) -> None:
    """Refuse inputs that break the model version's feature schema, naming the feature only."""
    if decision.decision_id:
        where = f"{where} (id {decision.decision_id})"
    for spec in version.features:
        if spec.name not in decision.inputs or decision.inputs[spec.name] is None:
            if spec.required:
                raise _fail(where, f"field 'inputs.{spec.name}' is required by the model version")
            continue
        value = decision.inputs[spec.name]
        problem = _check_value(spec.type, value)
        if problem is None and spec.minimum is not None and value < spec.minimum:
            problem = f"is below the schema minimum {spec.minimum:g}"
        if problem is None and spec.maximum is not None and value > spec.maximum:
            problem = f"is above the schema maximum {spec.maximum:g}"
        if problem is None and spec.categories and value not in spec.categories:
            problem = "is not one of the schema's categories"
        if problem:
            raise _fail(where, f"field 'inputs.{spec.name}' {problem}")
    unknown = sorted(set(decision.inputs) - {f.name for f in version.features})
    if unknown:
        raise _fail(where, f"field 'inputs.{unknown[0]}' is not in the model version's schema")


def version_flags(version: ModelVersion | None) -> list[str]:
    """Why a decision deserves a second look, from its model version's standing."""
    if version is None:
        return ["unknown_model_version"]
    if version.lifecycle == "retired":
        return ["retired_model_version"]
    if version.lifecycle in ("draft", "validation"):
        return ["unapproved_model_version"]
    return []


def decision_submission(decision: DecisionRecord, flags: list[str]) -> Submission:
    """The ledger entry of a decision: identifiers and protected attributes go to the vault."""
    body: dict[str, Any] = {
        "model_version": decision.model_version,
        "inputs": decision.inputs,
        "output": decision.output,
    }
    optional = {
        "policy_version": decision.policy_version,
        "adverse": decision.adverse,
        "explanation": decision.explanation,
        "context": decision.context,
        "human": decision.human,
        "decided_at": decision.decided_at,
        "identifiers": decision.identifiers,
        "protected": decision.protected,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if flags:
        body["flags"] = flags
    sensitive = tuple(f"/{name}" for name in SENSITIVE_MEMBERS if body.get(name) is not None)
    return Submission(
        type="decision",
        body=body,
        id=decision.decision_id,
        system=decision.system,
        subject=decision.subject,
        sensitive=sensitive,
        derived=("flags",),
    )


@dataclass(frozen=True)
class OutcomeRecord:
    """The ground truth observed for a decision, later."""

    decision_id: str
    outcome: str | float | int | bool
    observed_at: str | None = None
    outcome_id: str | None = None


def parse_outcome(raw: Any, where: str) -> OutcomeRecord:
    if not isinstance(raw, dict):
        raise _fail(where, "an outcome must be a JSON object")
    unknown = sorted(set(raw) - {"decision_id", "outcome", "observed_at", "outcome_id"})
    if unknown:
        raise _fail(where, f"unknown field {unknown[0]!r}")
    decision_id = raw.get("decision_id")
    if not isinstance(decision_id, str) or not ID_PATTERN.fullmatch(decision_id):
        raise _fail(where, "field 'decision_id' must name a logged decision")
    outcome = raw.get("outcome")
    if (
        not (
            isinstance(outcome, str | bool | int | float)
            and (isinstance(outcome, str | bool) or _is_number(outcome))
        )
        or outcome == ""
    ):
        raise _fail(where, "field 'outcome' must be a label, a number or true/false")
    outcome_id = raw.get("outcome_id")
    if outcome_id is not None and (
        not isinstance(outcome_id, str) or not ID_PATTERN.fullmatch(outcome_id)
    ):
        raise _fail(where, "field 'outcome_id' must be 1-128 letters, digits or ._:-")
    return OutcomeRecord(
        decision_id=decision_id,
        outcome=outcome,
        observed_at=_parse_time(raw.get("observed_at"), where, "observed_at"),
        outcome_id=outcome_id,
    )


def outcome_submission(outcome: OutcomeRecord, system: str) -> Submission:
    """The ledger entry of an outcome.

    Without a caller-chosen id, the id is derived from the content, so sending the same outcome
    twice (a retry) stores it once, while a corrected outcome is a new entry.
    """
    body: dict[str, Any] = {"decision_id": outcome.decision_id, "outcome": outcome.outcome}
    if outcome.observed_at is not None:
        body["observed_at"] = outcome.observed_at
    entry_id = outcome.outcome_id or (
        "outcome-" + hashlib.sha256(canonical_bytes(body)).hexdigest()[:40]
    )
    return Submission(type="outcome", body=body, id=entry_id, system=system)
