"""``client.track(model)``: every prediction a model makes becomes a logged decision.

The wrapper calls the model, returns its result unchanged, and logs one decision per row with
the row's inputs (named by the DataFrame's columns, ``feature_names``, the model's
``feature_names_in_``, or ``x0, x1...``), the prediction, and, when an ``explainer`` is given, that
row's attributions. It needs no scikit-learn: anything with ``predict``/``predict_proba`` will do,
and rows may be a DataFrame, a NumPy array or a list of rows (or of dicts). Every other attribute
is the model's own.

The model and the explainer run in the caller's thread, as they would without the wrapper; the
logging adds one ``log_decision`` per row. ``last_decision_ids`` holds the ids of the latest
call's rows (per wrapper, not per thread), for logging outcomes later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attest.sdk.client import Client

# rows -> one attribution mapping (feature -> number) or one row of numbers per row
Explainer = Callable[[Any], Sequence[Any]]


def _plain(values: Any) -> list[Any]:
    """A list of Python values from a NumPy array, a pandas object or a sequence."""
    if hasattr(values, "tolist"):
        return list(values.tolist())
    return list(values)


def _rows(data: Any) -> tuple[list[str] | None, list[Any]]:
    """The column names (when the data carries them) and the rows, as Python values."""
    if hasattr(data, "columns") and hasattr(data, "to_dict"):  # pandas DataFrame
        return [str(c) for c in data.columns], [list(r.values()) for r in data.to_dict("records")]
    rows = _plain(data)
    if rows and isinstance(rows[0], Mapping):
        return None, rows
    return None, [_row(r) for r in rows]


def _row(row: Any) -> list[Any]:
    """One row's values; a text or a scalar is a row of one (a text model's input)."""
    if isinstance(row, str | bytes) or not (hasattr(row, "__len__") or hasattr(row, "tolist")):
        return [row]
    return _plain(row)


def _method_of(explainer: Explainer) -> str:
    name = getattr(explainer, "method", None) or getattr(explainer, "__name__", None)
    return str(name or type(explainer).__name__)


class TrackedModel:
    def __init__(
        self,
        client: Client,
        model: Any,
        *,
        system: str,
        model_version: str,
        feature_names: Sequence[str] | None = None,
        explainer: Explainer | None = None,
        subject_of: Callable[[dict[str, Any]], str | None] | None = None,
        threshold: float | None = None,
        adverse_labels: Sequence[Any] | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._system = system
        self._model_version = model_version
        self._feature_names = list(feature_names) if feature_names is not None else None
        self._explainer = explainer
        self._subject_of = subject_of
        self._threshold = threshold
        self._adverse = {str(a) for a in adverse_labels} if adverse_labels is not None else None
        self.last_decision_ids: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name == "_model":  # not set yet (unpickling): no endless recursion
            raise AttributeError(name)
        return getattr(self._model, name)

    def predict(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        result = self._model.predict(data, *args, **kwargs)
        outputs = []
        for value in _plain(result):
            output: dict[str, Any] = {"label": str(value)}
            if isinstance(value, float):  # a regressor: the number is the score
                output["score"] = value
            outputs.append(output)
        self._log(data, outputs)
        return result

    def predict_proba(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        result = self._model.predict_proba(data, *args, **kwargs)
        probabilities = _plain(result)
        classes = _plain(
            getattr(self._model, "classes_", range(len(probabilities[0]) if probabilities else 0))
        )
        self._log(data, [self._output(p, classes) for p in probabilities])
        return result

    def _output(self, row: list[float], classes: list[Any]) -> dict[str, Any]:
        """Binary: the score is P(classes_[1]); with a threshold, the label follows it.
        Otherwise the most probable class and its probability."""
        best = max(range(len(row)), key=row.__getitem__)
        if len(row) == 2:
            score = float(row[1])
            if self._threshold is not None:
                label = classes[1] if score >= self._threshold else classes[0]
                return {"label": str(label), "score": score, "threshold": self._threshold}
            return {"label": str(classes[best]), "score": score}
        return {"label": str(classes[best]), "score": float(row[best])}

    def _names(self, columns: list[str] | None, width: int) -> list[str]:
        names = self._feature_names or columns
        if names is None and hasattr(self._model, "feature_names_in_"):
            names = [str(n) for n in _plain(self._model.feature_names_in_)]
        if names is None:
            names = [f"x{i}" for i in range(width)]
        if len(names) != width:
            raise ValueError(f"{len(names)} feature names for rows of {width} values")
        return names

    def _log(self, data: Any, outputs: list[dict[str, Any]]) -> None:
        columns, rows = _rows(data)
        if len(rows) != len(outputs):
            raise ValueError(f"the model answered {len(outputs)} rows for {len(rows)} inputs")
        attributions = list(self._explainer(data)) if self._explainer is not None else None
        method = _method_of(self._explainer) if self._explainer is not None else ""
        names: list[str] | None = None
        ids = []
        for position, (row, output) in enumerate(zip(rows, outputs, strict=True)):
            if isinstance(row, Mapping):
                inputs = dict(row)
            else:
                names = names or self._names(columns, len(row))
                inputs = dict(zip(names, row, strict=True))
            explanation = None
            if attributions is not None:
                found = attributions[position]
                if not isinstance(found, Mapping):
                    found = dict(zip(names or list(inputs), _plain(found), strict=True))
                explanation = {
                    "method": method,
                    "attributions": {str(k): float(v) for k, v in found.items()},
                }
            ids.append(
                self._client.log_decision(
                    system=self._system,
                    model_version=self._model_version,
                    inputs=inputs,
                    output=output,
                    subject=self._subject_of(inputs) if self._subject_of is not None else None,
                    explanation=explanation,
                    adverse=output["label"] in self._adverse if self._adverse is not None else None,
                )
            )
        self.last_decision_ids = ids
