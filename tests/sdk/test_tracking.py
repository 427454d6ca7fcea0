"""``client.track``: each predicted row is logged with its named inputs, output and attributions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sdk.conftest import MakeClient
from tests.sdk.fakes import FakeApi

FEATURES = ["amount", "term"]


def _sent(api: FakeApi) -> list[dict[str, Any]]:
    return [r for path, records in api.requests if path.endswith("batch") for r in records]


def test_a_scikit_learn_classifier_is_logged_row_by_row(
    api: FakeApi, make_client: MakeClient
) -> None:
    np = pytest.importorskip("numpy")
    linear_model = pytest.importorskip("sklearn.linear_model")
    x = np.array([[1000.0, 12], [9000.0, 60], [2500.0, 24], [8000.0, 48]])
    y = np.array(["approve", "decline", "approve", "decline"])
    model = linear_model.LogisticRegression().fit(x, y)

    def coefficients(rows: Any) -> Any:
        return np.asarray(rows) * model.coef_[0]

    client = make_client()
    tracked = client.track(
        model,
        system="credit-underwriting",
        model_version="v1",
        feature_names=FEATURES,
        explainer=coefficients,
        adverse_labels=["decline"],
    )
    probabilities = tracked.predict_proba(x)
    assert (probabilities == model.predict_proba(x)).all()  # the model's answer, unchanged
    assert list(tracked.classes_) == ["approve", "decline"]  # the rest is the model's own
    assert client.flush(timeout=5)

    sent = _sent(api)
    assert [r["decision_id"] for r in sent] == tracked.last_decision_ids
    assert len(sent) == 4
    for row, record, p in zip(x.tolist(), sent, probabilities.tolist(), strict=True):
        assert record["inputs"] == dict(zip(FEATURES, row, strict=True))
        assert record["output"]["score"] == p[1]  # P(classes_[1])
        assert record["output"]["label"] == ("decline" if p[1] > p[0] else "approve")
        assert record["adverse"] is (record["output"]["label"] == "decline")
        assert record["explanation"]["method"] == "coefficients"
        expected = {f: v * c for f, v, c in zip(FEATURES, row, model.coef_[0], strict=True)}
        assert record["explanation"]["attributions"] == pytest.approx(expected)


def test_predict_logs_labels_and_a_threshold_decides_binary_labels(
    api: FakeApi, make_client: MakeClient
) -> None:
    class Scorer:
        classes_ = [0, 1]

        def predict(self, rows: list[list[float]]) -> list[int]:
            return [int(r[0] > 5) for r in rows]

        def predict_proba(self, rows: list[list[float]]) -> list[list[float]]:
            return [[1 - r[0] / 10, r[0] / 10] for r in rows]

    client = make_client()
    tracked = client.track(Scorer(), system="s", model_version="v1", threshold=0.3)
    assert tracked.predict([[7.0, 1.0], [2.0, 1.0]]) == [1, 0]
    tracked.predict_proba([[4.0, 0.0]])
    assert client.flush(timeout=5)
    first, second, third = _sent(api)
    assert first["inputs"] == {"x0": 7.0, "x1": 1.0}
    assert [first["output"], second["output"]] == [{"label": "1"}, {"label": "0"}]
    assert third["output"] == {"label": "1", "score": 0.4, "threshold": 0.3}


def test_dict_rows_subjects_and_a_regressor(api: FakeApi, make_client: MakeClient) -> None:
    class Regressor:
        def predict(self, rows: list[dict[str, Any]]) -> list[float]:
            return [row["amount"] / 1000 for row in rows]

    client = make_client()
    tracked = client.track(
        Regressor(),
        system="s",
        model_version="v1",
        subject_of=lambda inputs: f"applicant-{inputs['id']}",
    )
    rows = [{"id": 7, "amount": 1500}, {"id": 8, "amount": 500}]
    assert tracked.predict(rows) == [1.5, 0.5]
    assert client.flush(timeout=5)
    first, second = _sent(api)
    assert first["subject"] == "applicant-7" and first["inputs"] == rows[0]
    assert first["output"] == {"label": "1.5", "score": 1.5}
    assert second["subject"] == "applicant-8"


def test_dataframe_columns_name_the_inputs(api: FakeApi, make_client: MakeClient) -> None:
    pd = pytest.importorskip("pandas")

    class Echo:
        def predict(self, frame: Any) -> list[str]:
            return ["approve"] * len(frame)

    client = make_client()
    frame = pd.DataFrame({"amount": [1000.5, None], "purpose": ["car", "home"]})
    client.track(Echo(), system="s", model_version="v1").predict(frame)
    assert client.flush(timeout=5)
    assert [r["inputs"] for r in _sent(api)] == [
        {"amount": 1000.5, "purpose": "car"},
        {"amount": None, "purpose": "home"},
    ]


def test_feature_names_must_fit_the_rows(make_client: MakeClient) -> None:
    class Model:
        def predict(self, rows: list[list[float]]) -> list[str]:
            return ["a"] * len(rows)

    tracked = make_client().track(Model(), system="s", model_version="v1", feature_names=["a"])
    with pytest.raises(ValueError, match="1 feature names for rows of 2 values"):
        tracked.predict([[1.0, 2.0]])


def test_a_text_model_logs_each_text_as_one_input(api: FakeApi, make_client: MakeClient) -> None:
    class Sentiment:
        def predict(self, texts: list[str]) -> list[str]:
            return ["positive" for _ in texts]

    client = make_client()
    tracked = client.track(Sentiment(), system="s", model_version="v1", feature_names=["text"])
    tracked.predict(["good service", "ok"])
    assert client.flush(timeout=5)
    assert [r["inputs"] for r in _sent(api)] == [{"text": "good service"}, {"text": "ok"}]
