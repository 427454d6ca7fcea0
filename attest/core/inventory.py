"""The AI system inventory: tenants, AI systems and model versions, as the ledger records them.

Each registration or change is a ledger entry whose body is one of these records in JSON; the
query tables are projections of those entries. Parsing is strict and every error names the field,
because these records are what an examiner reads first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from attest.errors import InvalidInput

Lifecycle = Literal["draft", "validation", "approved", "deployed", "retired"]
RiskTier = Literal["high", "medium", "low"]
FeatureType = Literal["number", "integer", "category", "boolean", "string"]
ArtifactFormat = Literal["skops", "onnx", "pmml", "json", "other"]

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
FEATURE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,127}")
SHA256 = re.compile(r"[0-9a-f]{64}")
JURISDICTION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


class _Fields:
    """Reads one JSON object, naming ``where`` and the field in every error."""

    def __init__(self, raw: Any, where: str, allowed: Sequence[str]) -> None:
        if not isinstance(raw, dict):
            raise InvalidInput(f"{where}: must be a JSON object")
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise InvalidInput(f"{where}: unknown field {unknown[0]!r}")
        self.raw: Mapping[str, Any] = raw
        self.where = where

    def fail(self, name: str, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.where}: field {name!r} {problem}")

    def text(
        self,
        name: str,
        *,
        pattern: re.Pattern[str] | None = None,
        required: bool = True,
        max_length: int = 2000,
    ) -> str | None:
        value = self.raw.get(name)
        if value is None or (value == "" and not required):
            if required:
                raise self.fail(name, "is required")
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            raise self.fail(name, f"must be a non-empty string of at most {max_length} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(name, f"does not match {pattern.pattern}")
        return value

    def required_text(
        self, name: str, *, pattern: re.Pattern[str] | None = None, max_length: int = 2000
    ) -> str:
        value = self.text(name, pattern=pattern, max_length=max_length)
        assert value is not None
        return value

    def choice(self, name: str, options: Any, default: str | None = None) -> str:
        allowed = get_args(options)
        value = self.raw.get(name, default)
        if value not in allowed:
            raise self.fail(name, f"must be one of {', '.join(allowed)}")
        return cast(str, value)

    def flag(self, name: str, default: bool | None = None) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def texts(self, name: str, *, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
        value = self.raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(name, "must be a list of non-empty strings")
        if pattern is not None:
            for item in value:
                if not pattern.fullmatch(item):
                    raise self.fail(name, f"has an item that does not match {pattern.pattern}")
        return tuple(value)

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "must be a JSON object")
        return dict(value)


@dataclass(frozen=True)
class Tenant:
    """A client bank: every record belongs to exactly one tenant."""

    id: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def parse(cls, raw: Any, where: str = "tenant") -> Tenant:
        fields = _Fields(raw, where, ("id", "name"))
        return cls(
            fields.required_text("id", pattern=SLUG),
            fields.required_text("name", max_length=200),
        )


@dataclass(frozen=True)
class AISystem:
    """An AI system as the inventory knows it, with its risk tier and why."""

    id: str
    name: str
    purpose: str
    domain: str
    jurisdictions: tuple[str, ...]
    consequential: bool
    owner: str
    lifecycle: Lifecycle = "draft"
    risk_tier: RiskTier = "high"
    risk_rationale: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "purpose": self.purpose,
            "domain": self.domain,
            "jurisdictions": list(self.jurisdictions),
            "consequential": self.consequential,
            "owner": self.owner,
            "lifecycle": self.lifecycle,
            "risk_tier": self.risk_tier,
            "risk_rationale": self.risk_rationale,
        }

    @classmethod
    def parse(cls, raw: Any, where: str = "system") -> AISystem:
        fields = _Fields(
            raw,
            where,
            (
                "id",
                "name",
                "purpose",
                "domain",
                "jurisdictions",
                "consequential",
                "owner",
                "lifecycle",
                "risk_tier",
                "risk_rationale",
            ),
        )
        tier = fields.choice("risk_tier", RiskTier, "high")
        rationale = fields.text("risk_rationale", required=False) or ""
        consequential = fields.flag("consequential")
        if consequential and tier != "high" and not rationale:
            raise fields.fail(
                "risk_rationale",
                "is required when a system behind consequential decisions is not tiered high",
            )
        return cls(
            id=fields.required_text("id", pattern=SLUG),
            name=fields.required_text("name", max_length=200),
            purpose=fields.required_text("purpose"),
            domain=fields.required_text("domain", pattern=SLUG),
            jurisdictions=fields.texts("jurisdictions", pattern=JURISDICTION),
            consequential=consequential,
            owner=fields.required_text("owner", max_length=200),
            lifecycle=cast(Lifecycle, fields.choice("lifecycle", Lifecycle, "draft")),
            risk_tier=cast(RiskTier, tier),
            risk_rationale=rationale,
        )


@dataclass(frozen=True)
class FeatureSpec:
    """One input of a model version: its type and the values it may take."""

    name: str
    type: FeatureType
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    required: bool = True
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.minimum is not None:
            spec["minimum"] = self.minimum
        if self.maximum is not None:
            spec["maximum"] = self.maximum
        if self.categories:
            spec["categories"] = list(self.categories)
        if self.description:
            spec["description"] = self.description
        return spec

    @classmethod
    def parse(cls, raw: Any, where: str) -> FeatureSpec:
        fields = _Fields(
            raw,
            where,
            ("name", "type", "minimum", "maximum", "categories", "required", "description"),
        )
        kind = cast(FeatureType, fields.choice("type", FeatureType))
        bounds: dict[str, float | None] = {}
        for bound in ("minimum", "maximum"):
            value = fields.raw.get(bound)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise fields.fail(bound, "must be a number")
            if value is not None and kind not in ("number", "integer"):
                raise fields.fail(bound, f"does not apply to a {kind} feature")
            bounds[bound] = value
        if (
            bounds["minimum"] is not None
            and bounds["maximum"] is not None
            and bounds["minimum"] > bounds["maximum"]
        ):
            raise fields.fail("minimum", "is above the maximum")
        categories = fields.texts("categories")
        if kind == "category" and not categories:
            raise fields.fail("categories", "must list the allowed values of a category feature")
        if categories and kind != "category":
            raise fields.fail("categories", f"does not apply to a {kind} feature")
        return cls(
            name=fields.required_text("name", pattern=FEATURE_NAME),
            type=kind,
            minimum=bounds["minimum"],
            maximum=bounds["maximum"],
            categories=categories,
            required=fields.flag("required", True),
            description=fields.text("description", required=False) or "",
        )


@dataclass(frozen=True)
class ModelVersion:
    """One trained model of a system: the artifact it is, what it takes, and its limits."""

    system: str
    version: str
    artifact_sha256: str
    artifact_format: ArtifactFormat
    framework: str
    features: tuple[FeatureSpec, ...]
    built_by: str
    training_data: dict[str, Any] = field(default_factory=dict)
    limitations: tuple[str, ...] = ()
    lifecycle: Lifecycle = "draft"

    def feature(self, name: str) -> FeatureSpec | None:
        return next((f for f in self.features if f.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "version": self.version,
            "artifact_sha256": self.artifact_sha256,
            "artifact_format": self.artifact_format,
            "framework": self.framework,
            "features": [f.to_json() for f in self.features],
            "built_by": self.built_by,
            "training_data": self.training_data,
            "limitations": list(self.limitations),
            "lifecycle": self.lifecycle,
        }

    @classmethod
    def parse(cls, raw: Any, where: str = "model version") -> ModelVersion:
        fields = _Fields(
            raw,
            where,
            (
                "system",
                "version",
                "artifact_sha256",
                "artifact_format",
                "framework",
                "features",
                "built_by",
                "training_data",
                "limitations",
                "lifecycle",
            ),
        )
        features_raw = fields.raw.get("features")
        if not isinstance(features_raw, list) or not features_raw:
            raise fields.fail("features", "must list the model's inputs")
        features = tuple(
            FeatureSpec.parse(item, f"{where}: features[{i}]")
            for i, item in enumerate(features_raw)
        )
        names = [f.name for f in features]
        if len(set(names)) != len(names):
            raise fields.fail("features", "names a feature twice")
        return cls(
            system=fields.required_text("system", pattern=SLUG),
            version=fields.required_text("version", pattern=VERSION),
            artifact_sha256=fields.required_text("artifact_sha256", pattern=SHA256),
            artifact_format=cast(ArtifactFormat, fields.choice("artifact_format", ArtifactFormat)),
            framework=fields.required_text("framework", max_length=200),
            features=features,
            built_by=fields.required_text("built_by", max_length=200),
            training_data=fields.mapping("training_data"),
            limitations=fields.texts("limitations"),
            lifecycle=cast(Lifecycle, fields.choice("lifecycle", Lifecycle, "draft")),
        )
