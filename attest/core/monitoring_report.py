"""One monitoring run's result document: every metric of a period against the reference profile.

The document is what the ``monitoring.run`` entry holds (MON-RUN): the period, the reference it
was judged against, per feature its CSI and data quality, for the score its PSI and distribution
KS, and — on the decisions whose outcomes are known — discrimination (KS, AUC/Gini with
intervals), Brier score, calibration by band with the rank ordering, and Hosmer–Lemeshow; then the
approval rate. Each metric carries its own status (green / amber / red, or not_measurable with
the reason); the run's status is the worst measured one, and every amber or red metric becomes
an alert line. A period whose outcomes have not matured yet is reported as not measurable for
those metrics, never as zero. A monitoring plan (``attest.core.monitoring_plan``) sets the lines the
metrics are judged by and may leave metrics out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from attest.core.bins import BinCounts
from attest.core.calibration import brier_score, calibration, hosmer_lemeshow
from attest.core.drift import (
    AMBER,
    GREEN,
    NOT_MEASURABLE,
    RED,
    Thresholds,
    approval_rate,
    auc,
    data_quality,
    ks_discrimination,
    ks_two_sample,
)
from attest.core.monitoring_plan import DEFAULT_THRESHOLDS, METRICS
from attest.core.reference_profile import ReferenceProfile
from attest.core.stability import characteristic_stability_index, population_stability_index

_RANK = {GREEN: 0, AMBER: 1, RED: 2}
_SCORE_METRICS = (
    "psi",
    "ks_two_sample",
    "ks_discrimination",
    "auc",
    "brier",
    "calibration",
    "hosmer_lemeshow",
)


def monitoring_document(
    profile: ReferenceProfile,
    features: Mapping[str, BinCounts],
    score: BinCounts | None,
    *,
    decisions: float,
    approved: float,
    thresholds: Mapping[str, Thresholds] | None = None,
    metrics: Collection[str] = METRICS,
) -> dict[str, Any]:
    """The run's results; ``features`` and ``score`` are the period's counts in the profile's
    bins (a feature of the profile missing from ``features`` is reported, not skipped).

    ``thresholds`` (a monitoring plan's, per metric; the defaults for those it lacks) judge the
    metrics; ``metrics`` picks which are computed (all by default)."""
    lines = dict(DEFAULT_THRESHOLDS) | dict(thresholds or {})
    feature_results: dict[str, Any] = {}
    judged = profile.features if _any(metrics, "csi", "data_quality") else {}
    for name, reference in judged.items():
        current = features.get(name)
        if current is None:
            feature_results[name] = {
                "status": NOT_MEASURABLE,
                "reason": "the period's counts have no such feature",
            }
            continue
        result: dict[str, Any] = {
            "status": NOT_MEASURABLE,
            "reason": "csi is not among the plan's metrics",
        }
        if "csi" in metrics:
            stability = characteristic_stability_index(
                reference, current, feature=name, thresholds=lines["csi"]
            )
            result = {"csi": stability.to_json(), "status": stability.status}
        if "data_quality" in metrics:
            result["data_quality"] = data_quality(current, feature=name).to_json()
        feature_results[name] = result
    for name in sorted(set(features) - set(profile.features) if judged else ()):
        feature_results[name] = {
            "status": NOT_MEASURABLE,
            "reason": "the reference profile has no bins for this feature",
        }
    score_results: dict[str, Any]
    if profile.score is None or score is None:
        score_results = {
            "status": NOT_MEASURABLE,
            "reason": "no score in the reference" if profile.score is None else "no score counts",
        }
    else:
        reference = profile.score
        computed = {
            "psi": lambda: population_stability_index(
                reference, score, thresholds=lines["psi"]
            ).to_json(),
            "ks_two_sample": lambda: ks_two_sample(reference, score).to_json(),
            "ks_discrimination": lambda: ks_discrimination(
                score, thresholds=lines["ks_discrimination"]
            ).to_json(),
            "auc": lambda: auc(score, thresholds=lines["auc"]).to_json(),
            "brier": lambda: brier_score(score).to_json(),
            "calibration": lambda: calibration(score).to_json(),
            "hosmer_lemeshow": lambda: hosmer_lemeshow(
                score, thresholds=lines["hosmer_lemeshow"]
            ).to_json(),
        }
        score_results = {m: computed[m]() for m in _SCORE_METRICS if m in metrics}
        score_results["labelled"] = score.total("labelled")
        if "auc" in metrics:
            score_results["reference_auc"] = auc(reference).auc
    approval = (
        approval_rate(approved, decisions).to_json()
        if decisions > 0
        else {"value": None, "status": NOT_MEASURABLE, "reason": "no decisions in the period"}
    )
    alerts = _alerts(feature_results, score_results)
    statuses = [a["status"] for a in alerts] or (
        [GREEN] if _any_measured(feature_results, score_results) else [NOT_MEASURABLE]
    )
    worst = max(statuses, key=lambda s: _RANK.get(s, -1))
    document = {
        "system": profile.system,
        "version": profile.version,
        "decisions": decisions,
        "features": feature_results,
        "score": score_results,
        "approval_rate": approval,
        "alerts": alerts,
        "status": worst,
    }
    if "approval_rate" not in metrics:
        del document["approval_rate"]
    return document


def _any(metrics: Collection[str], *names: str) -> bool:
    return any(name in metrics for name in names)


def _alerts(features: Mapping[str, Any], score: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name, result in features.items():
        if result.get("status") in (AMBER, RED):
            found.append(
                {
                    "metric": "csi",
                    "feature": name,
                    "status": result["status"],
                    "value": result["csi"]["value"],
                }
            )
    for metric in ("psi", "ks_discrimination", "auc", "hosmer_lemeshow"):
        result = score.get(metric)
        if isinstance(result, Mapping) and result.get("status") in (AMBER, RED):
            value = result.get("value", result.get("auc", result.get("p_value")))
            found.append(
                {"metric": metric, "feature": None, "status": result["status"], "value": value}
            )
    return found


def _any_measured(features: Mapping[str, Any], score: Mapping[str, Any]) -> bool:
    statuses = [r.get("status") for r in features.values()]
    statuses += [r.get("status") for r in score.values() if isinstance(r, Mapping)]
    return any(s in _RANK for s in statuses)
