"""Evidently's data-drift report on the monitoring bench's data, run in Evidently's own environment.

``python bench/evidently_peer.py DATA --repetitions N`` (with the interpreter of the environment
``bench/requirements-evidently.txt`` installs: Evidently needs pandas < 3, Attest's environment
has pandas 3). DATA holds ``reference/`` and ``current/``, one ``.npy`` file per column, and
``columns.json`` (which columns are numeric and which categorical, with their category labels).
This script only needs numpy, pandas and Evidently, and prints one JSON object: the seconds of
each report, the tracemalloc peak of one more report, the drift test Evidently chose per column,
how many columns it found drifting, and the versions used.

Each report is ``Report([DataDriftPreset()]).run(current, reference)`` followed by
``snapshot.dict()`` (the results as a monitoring job would keep them), on pandas frames built
before the clock starts: numbers as float64 (NaN when missing), categories as Python strings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")  # no usage events, whatever the version does


def _frame(directory: Path, layout: dict[str, Any]) -> Any:
    import numpy as np
    import pandas as pd

    data: dict[str, Any] = {}
    for name in layout["numeric"]:
        data[name] = np.load(directory / f"{name}.npy").astype("float64")
    for name, labels in layout["categorical"].items():
        codes = np.load(directory / f"{name}.npy")
        data[name] = np.asarray(labels, dtype=object)[codes]
    return pd.DataFrame(data)


def _report(current: Any, reference: Any, definition: Any) -> dict[str, Any]:
    from evidently import Dataset, Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    result: dict[str, Any] = snapshot.dict()
    return result


def _summary(result: dict[str, Any]) -> tuple[dict[str, str], int | None]:
    """The drift method per column and the number of drifting columns, from a snapshot dict."""
    methods: dict[str, str] = {}
    drifted: int | None = None
    for metric in result.get("metrics", []):
        config = metric.get("config") or {}
        kind = str(config.get("type", ""))
        if kind.endswith("ValueDrift") and config.get("column") is not None:
            methods[str(config["column"])] = str(config.get("method"))
        elif kind.endswith("DriftedColumnsCount"):
            value = metric.get("value")
            if isinstance(value, dict) and "count" in value:
                drifted = int(value["count"])
    return methods, drifted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--repetitions", type=int, default=3)
    arguments = parser.parse_args(argv)

    from importlib import metadata

    from evidently import DataDefinition

    layout = json.loads((arguments.data / "columns.json").read_text())
    reference = _frame(arguments.data / "reference", layout)
    current = _frame(arguments.data / "current", layout)
    definition = DataDefinition(
        numerical_columns=list(layout["numeric"]),
        categorical_columns=list(layout["categorical"]),
    )
    seconds = []
    result: dict[str, Any] = {}
    for _ in range(arguments.repetitions):
        began = time.perf_counter()
        result = _report(current, reference, definition)
        seconds.append(time.perf_counter() - began)
    tracemalloc.start()  # a report of its own: tracing slows Python down
    _report(current, reference, definition)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    methods, drifted = _summary(result)
    json.dump(
        {
            "seconds": seconds,
            "python_peak_mib": peak,
            "rows": {"reference": len(reference), "current": len(current)},
            "methods": methods,
            "drifted_columns": drifted,
            "versions": {
                name: metadata.version(name) for name in ("evidently", "pandas", "numpy", "scipy")
            },
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
