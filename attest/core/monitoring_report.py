"""One monitoring run's result document: every metric of a period against the reference profile.

The document is what the ``monitoring.run`` entry holds (MON-RUN): the period, the reference it
was judged against, per feature its CSI and data quality, for the score its PSI and distribution
KS, and — on the decisions whose outcomes are known — discrimination (KS, AUC/Gini with
intervals), Brier score, calibration by band with the rank ordering, and Hosmer–Lemeshow; then the
approval rate. Each metric carries its own status (green / amber / red, or not_measurable with
the reason); the run's status is the worst measured one, and every amber or red metric becomes
an alert line. A period whose outcomes have not matured yet is reported as not measurable for
those metrics, never as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attest.core.bins import BinCounts
from attest.core.calibration import brier_score, calibration, hosmer_lemeshow
from attest.core.drift import (
    AMBER,
    GREEN,
    NOT_MEASURABLE,
    RED,
    approval_rate,
    auc,
    characteristic_stability_index,
    data_quality,
    ks_discrimination,
    ks_two_sample,
    population_stability_index,
)
from attest.core.reference_profile import ReferenceProfile

_RANK = {GREEN: 0, AMBER: 1, RED: 2}


def monitoring_document(
    profile: ReferenceProfile,
    features: Mapping[str, BinCounts],
    score: BinCounts | None,
    *,
    decisions: float,
    approved: float,
) -> dict[str, Any]:
    """The run's results; ``features`` and ``score`` are the period's counts in the profile's
    bins (a feature of the profile missing from ``features`` is reported, not skipped)."""
    feature_results: dict[str, Any] = {}
    for name, reference in profile.features.items():
        current = features.get(name)
        if current is None:
            feature_results[name] = {
                "status": NOT_MEASURABLE,
                "reason": "the period's counts have no such feature",
            }
            continue
        stability = characteristic_stability_index(reference, current, feature=name)
        feature_results[name] = {
            "csi": stability.to_json(),
            "data_quality": data_quality(current, feature=name).to_json(),
            "status": stability.status,
        }
    for name in sorted(set(features) - set(profile.features)):
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
        bands = calibration(score)
        score_results = {
            "psi": population_stability_index(profile.score, score).to_json(),
            "ks_two_sample": ks_two_sample(profile.score, score).to_json(),
            "ks_discrimination": ks_discrimination(score).to_json(),
            "auc": auc(score).to_json(),
            "brier": brier_score(score).to_json(),
            "calibration": bands.to_json(),
            "hosmer_lemeshow": hosmer_lemeshow(score).to_json(),
            "labelled": score.total("labelled"),
        }
        reference_auc = auc(profile.score)
        score_results["reference_auc"] = reference_auc.auc
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
    return {
        "system": profile.system,
        "version": profile.version,
        "decisions": decisions,
        "features": feature_results,
        "score": score_results,
        "approval_rate": approval,
        "alerts": alerts,
        "status": worst,
    }


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
