"""How a protected group is read from a decision's sealed values: bands, code maps, or BISG.

A rule names the attribute it defines and where its input sits in the decision's vault values
(``protected.age_years``, ``identifiers.surname``). Rules are data, stored with the assignment
entry in the ledger, so an examiner sees exactly how each group was formed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from attest.errors import InvalidInput

ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]{0,62}")
PATH = re.compile(r"(identifiers|protected)\.[A-Za-z0-9_]{1,64}")
Kind = Literal["bands", "map", "bisg"]
# The rule ``--proxy bisg`` (CLI) and ``"proxy": "bisg"`` (API) add: race/ethnicity by BISG from
# the surname and ZIP code among the decision's identifiers.
BISG_RULE: dict[str, str] = {
    "attribute": "race_ethnicity",
    "kind": "bisg",
    "surname": "identifiers.surname",
    "zip": "identifiers.zip",
}


@dataclass(frozen=True)
class GroupRule:
    """One attribute: ``bands`` cut a number, ``map`` relabels codes, ``bisg`` proxies race."""

    attribute: str
    kind: Kind
    source: str = ""  # bands / map: where the value is
    bands: tuple[float, ...] = ()
    mapping: dict[str, str] = field(default_factory=dict)
    surname: str = ""  # bisg: where the surname and ZIP code are
    zip: str = ""

    def to_json(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"attribute": self.attribute, "kind": self.kind}
        if self.kind == "bands":
            rule |= {"source": self.source, "bands": list(self.bands)}
        elif self.kind == "map":
            rule |= {"source": self.source, "map": dict(self.mapping)}
        else:
            rule |= {"surname": self.surname, "zip": self.zip}
        return rule


def _path(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not PATH.fullmatch(value):
        raise InvalidInput(
            f"{where}: field {name!r} must read identifiers.<name> or protected.<name>"
        )
    return value


def parse_rule(raw: Any, where: str) -> GroupRule:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: a group rule is a JSON object")
    attribute = raw.get("attribute")
    if not isinstance(attribute, str) or not ATTRIBUTE.fullmatch(attribute):
        raise InvalidInput(f"{where}: field 'attribute' must be a lowercase name")
    kind = raw.get("kind")
    if kind == "bands":
        bands = raw.get("bands")
        if (
            not isinstance(bands, list)
            or not bands
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bands)
            or sorted(bands) != bands
        ):
            raise InvalidInput(f"{where}: field 'bands' must be increasing numbers")
        return GroupRule(attribute, "bands", _path(raw, "source", where), tuple(bands))
    if kind == "map":
        mapping = raw.get("map")
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and ATTRIBUTE.fullmatch(v)
            for k, v in mapping.items()
        ):
            raise InvalidInput(f"{where}: field 'map' must map codes to lowercase group names")
        return GroupRule(attribute, "map", _path(raw, "source", where), mapping=dict(mapping))
    if kind == "bisg":
        return GroupRule(
            attribute, "bisg", surname=_path(raw, "surname", where), zip=_path(raw, "zip", where)
        )
    raise InvalidInput(f"{where}: field 'kind' must be bands, map or bisg")


def parse_rules(raw: Any) -> list[GroupRule]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("group rules: a non-empty list of rules")
    rules = [parse_rule(item, f"rule {i + 1}") for i, item in enumerate(raw)]
    names = [r.attribute for r in rules]
    if len(set(names)) != len(names):
        raise InvalidInput("group rules: an attribute is defined twice")
    return rules


def value_at(values: Mapping[str, Any], path: str) -> Any:
    """The value at ``identifiers.x`` / ``protected.x`` of a decision's vault values, or None."""
    member, _, name = path.partition(".")
    container = values.get(member)
    return container.get(name) if isinstance(container, dict) else None


def band_label(value: float, bands: Sequence[float]) -> str:
    """``under_25`` / ``25_to_under_62`` / ``62_and_over`` for bands (25, 62)."""

    def text(number: float) -> str:
        return f"{number:g}".replace(".", "_").replace("-", "minus_")

    if value < bands[0]:
        return f"under_{text(bands[0])}"
    for low, high in zip(bands, bands[1:], strict=False):
        if low <= value < high:
            return f"{text(low)}_to_under_{text(high)}"
    return f"{text(bands[-1])}_and_over"


def group_of(rule: GroupRule, values: Mapping[str, Any]) -> str | None:
    """The group a band or map rule puts a decision in; None when the value is missing."""
    value = value_at(values, rule.source)
    if value is None:
        return None
    if rule.kind == "bands":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return None
        return band_label(float(value), rule.bands)
    return rule.mapping.get(str(value))
