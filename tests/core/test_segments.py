"""Segments: the score's counts split by a segment feature's bins, with AUC per segment equal to
scikit-learn's on the bin indices of that segment's labelled rows."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sklearn.metrics import roc_auc_score

from attest.core.bins import AGGREGATE_FIELDS, BinCounts, Binning
from attest.core.drift import Thresholds
from attest.core.segments import counts_by_segment, segment_results
from attest.errors import InvalidInput

SCORE = Binning.numeric_from_reference([i / 100 for i in range(100)], 10)
PURPOSE = Binning.categorical_from_reference(["car", "home", "education"])
Row = tuple[str | None, float, bool | None, bool]  # purpose, p, event, approved


def synthetic(seed: int = 3) -> list[Row]:
    """Cars ranked well, homes barely, education never labelled; a purpose never seen too."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for purpose, n, signal, known in (
        ("car", 400, 0.9, 1.0),
        ("home", 300, 0.0, 1.0),
        ("education", 80, 0.5, 0.0),
        ("boat", 20, 0.5, 1.0),
        (None, 10, 0.5, 1.0),
    ):
        for _ in range(n):
            p = rng.random()
            event = rng.random() < 0.05 + signal * p + (0.2 if signal == 0 else 0)
            rows.append((purpose, p, event if rng.random() < known else None, p < 0.5))
    return rows


def segment_rows(rows: list[Row]) -> list[dict[str, Any]]:
    """What ``bin_aggregates`` gives with a segment: one row per (segment, bin)."""
    found = []
    for segment in range(len(PURPOSE.labels)):
        of_segment = [r for r in rows if PURPOSE.bin_of(r[0]) == segment]
        counts = BinCounts.from_values(
            SCORE,
            [r[1] for r in of_segment],
            outcomes=[r[2] for r in of_segment],
            scores=[r[1] for r in of_segment],
        )
        for i in range(len(SCORE.labels)):
            if counts.n[i] > 0:
                selected = sum(1 for r in of_segment if r[3] and SCORE.bin_of(r[1]) == i)
                found.append(
                    {"bin": i, "segment": segment, "selected": selected}
                    | {f: getattr(counts, f)[i] for f in AGGREGATE_FIELDS}
                )
    return found


def test_auc_per_segment_equals_sklearn_on_the_bin_indices_of_its_labelled_rows() -> None:
    rows = synthetic()
    counts, selected = counts_by_segment(segment_rows(rows), SCORE, PURPOSE)
    found = segment_results("purpose", PURPOSE, counts, selected)
    assert found["feature"] == "purpose" and found["decisions"] == len(rows)
    labels = [s["segment"] for s in found["segments"]]
    assert labels == ["car", "education", "home", "unseen", "missing"]  # the binning's order
    for segment in found["segments"]:
        of = [r for r in rows if PURPOSE.labels[PURPOSE.bin_of(r[0])] == segment["segment"]]
        labelled = [r for r in of if r[2] is not None]
        assert segment["decisions"] == len(of)
        assert segment["share"] == pytest.approx(len(of) / len(rows))
        assert segment["approval_rate"]["value"] == pytest.approx(sum(r[3] for r in of) / len(of))
        assert segment["labelled"] == len(labelled)
        if not labelled:
            assert segment["status"] == "not_measurable" and segment["reason"]
            assert segment["bad_rate"] is None and segment["auc"]["auc"] is None
            continue
        y = [r[2] for r in labelled]
        bins = [SCORE.bin_of(r[1]) for r in labelled]
        assert segment["auc"]["auc"] == pytest.approx(roc_auc_score(y, bins), abs=1e-12)
        assert segment["bad_rate"] == pytest.approx(sum(y) / len(y))
    by_label = {s["segment"]: s for s in found["segments"]}
    assert by_label["car"]["auc"]["auc"] > by_label["home"]["auc"]["auc"] + 0.05
    assert by_label["home"]["status"] in ("amber", "red")


def test_thresholds_judge_each_segment() -> None:
    counts, selected = counts_by_segment(segment_rows(synthetic()), SCORE, PURPOSE)
    lenient = segment_results(
        "purpose",
        PURPOSE,
        counts,
        selected,
        auc_thresholds=Thresholds(0.2, 0.1, higher_is_worse=False),
        ks_thresholds=Thresholds(0.01, 0.005, higher_is_worse=False),
    )
    assert {s["segment"]: s["status"] for s in lenient["segments"]}["home"] == "green"


def test_a_row_without_a_segment_bin_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"rows\[0\].segment"):
        counts_by_segment([{"bin": 0, "n": 1}], SCORE, PURPOSE)
    with pytest.raises(InvalidInput, match=r"rows\[0\].segment: no bin 9"):
        counts_by_segment([{"bin": 0, "n": 1, "segment": 9}], SCORE, PURPOSE)
