"""The demo's credit model: logistic regression on the German credit data, with explanations.

The model sees the applicant's credit file only: the protected characteristics (sex and marital
status, age, foreign worker) are left out of its inputs and logged to the vault beside each
decision, for fairness testing. It is saved with ``skops.io`` (never pickle), so loading the
artifact runs no code from it.

Explanations are exact for a linear model: the log-odds of good credit are
``base + sum(attributions)``, where each one-hot or scaled column contributes
``coefficient * (value - training mean)`` and a feature's attribution is the sum over its columns.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import skops.io
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from attest.core.inventory import FeatureSpec
from attest.demo.german_credit import NUMERIC, PROTECTED, Application

CATEGORICAL = (
    "checking_status",
    "credit_history",
    "purpose",
    "savings",
    "employment_since",
    "other_debtors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
)
NUMBERS = (
    "duration_months",
    "credit_amount",
    "installment_rate_pct_income",
    "residence_since",
    "existing_credits_at_bank",
    "people_liable",
)
FEATURES = CATEGORICAL + NUMBERS  # the model's inputs, in the column order it expects
THRESHOLD = 0.6  # approve when the probability of good credit is at least this
MAX_REASONS = 4  # adverse action notices name the principal reasons, at most four
DESCRIPTIONS = {
    "checking_status": "status of the existing checking account (A11-A14)",
    "duration_months": "duration of the credit in months",
    "credit_history": "credit history (A30-A34)",
    "purpose": "purpose of the credit (A40-A410)",
    "credit_amount": "credit amount (DM)",
    "savings": "savings account or bonds (A61-A65)",
    "employment_since": "present employment since (A71-A75)",
    "installment_rate_pct_income": "installment rate in percent of disposable income",
    "other_debtors": "other debtors or guarantors (A101-A103)",
    "residence_since": "present residence since (years)",
    "property": "property (A121-A124)",
    "other_installment_plans": "other installment plans (A141-A143)",
    "housing": "housing (A151-A153)",
    "existing_credits_at_bank": "number of existing credits at this bank",
    "job": "job (A171-A174)",
    "people_liable": "number of people liable to provide maintenance for",
    "telephone": "telephone (A191-A192)",
}
assert set(FEATURES) == set(DESCRIPTIONS) and not set(FEATURES) & set(PROTECTED)
assert set(NUMBERS) <= NUMERIC

Matrix = NDArray[Any]


def inputs_of(application: Application) -> dict[str, Any]:
    """The model's inputs of one application, as they are logged."""
    return {name: application[name] for name in FEATURES}


def matrix(applications: Sequence[Application]) -> Matrix:
    """Rows in the column order of :data:`FEATURES` (strings and integers: an object array)."""
    return np.array([[a[name] for name in FEATURES] for a in applications], dtype=object)


def good_credit(applications: Sequence[Application]) -> NDArray[np.int_]:
    """The target: 1 for good credit risk, 0 for bad (the data's column 21: 1 good, 2 bad)."""
    return np.array([1 if a["credit_risk"] == 1 else 0 for a in applications])


def new_pipeline() -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), list(range(len(CATEGORICAL)))),
            ("numbers", StandardScaler(), list(range(len(CATEGORICAL), len(FEATURES)))),
        ],
        sparse_threshold=0.0,
    )
    return Pipeline([("prepare", prepare), ("classify", LogisticRegression(max_iter=1000, C=1.0))])


def cross_validated_accuracy(applications: Sequence[Application], seed: int = 0) -> float:
    """Accuracy at :data:`THRESHOLD` on held-out folds (5-fold, stratified): what the registry
    records as the model version's validation result."""
    x, y = matrix(applications), good_credit(applications)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = []
    for train, test in folds.split(x, y):
        fitted = new_pipeline().fit(x[train], y[train])
        predicted = fitted.predict_proba(x[test])[:, 1] >= THRESHOLD
        scores.append(float(np.mean(predicted == y[test])))
    return float(np.mean(scores))


@dataclass(frozen=True)
class Explanation:
    """One decision's attributions in log-odds of good credit, and its adverse reasons."""

    base: float
    attributions: dict[str, float]
    reasons: list[str]


@dataclass(frozen=True)
class CreditModel:
    """A fitted pipeline, its skops artifact and the training means its explanations need."""

    pipeline: Pipeline
    artifact: bytes
    baseline: NDArray[np.float64]  # mean of each prepared column over the training data

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.artifact).hexdigest()

    def probability_good(self, applications: Sequence[Application]) -> NDArray[np.float64]:
        return np.asarray(self.pipeline.predict_proba(matrix(applications))[:, 1], dtype=float)

    def _columns(self) -> list[int]:
        """For each prepared column, the index in :data:`FEATURES` of the input it comes from."""
        prepare = self.pipeline.named_steps["prepare"]
        encoder = prepare.named_transformers_["categories"]
        owners = [i for i, values in enumerate(encoder.categories_) for _ in values]
        return owners + list(range(len(CATEGORICAL), len(FEATURES)))

    def explain(self, applications: Sequence[Application]) -> list[Explanation]:
        prepared = np.asarray(
            self.pipeline.named_steps["prepare"].transform(matrix(applications)), dtype=float
        )
        classify = self.pipeline.named_steps["classify"]
        coefficients = np.asarray(classify.coef_[0], dtype=float)
        base = float(classify.intercept_[0] + coefficients @ self.baseline)
        contributions = (prepared - self.baseline) * coefficients
        owners = np.array(self._columns())
        per_feature = np.zeros((len(applications), len(FEATURES)))
        np.add.at(per_feature.T, owners, contributions.T)
        probabilities = self.probability_good(applications)
        explanations = []
        for row, probability in zip(per_feature, probabilities, strict=True):
            attributions = {name: float(value) for name, value in zip(FEATURES, row, strict=True)}
            reasons: list[str] = []
            if probability < THRESHOLD:
                against = sorted((v, k) for k, v in attributions.items() if v < 0)
                reasons = [name for _, name in against[:MAX_REASONS]]
            explanations.append(Explanation(base, attributions, reasons))
        return explanations


def _baseline(pipeline: Pipeline, applications: Sequence[Application]) -> NDArray[np.float64]:
    prepared = pipeline.named_steps["prepare"].transform(matrix(applications))
    return np.asarray(np.mean(np.asarray(prepared, dtype=float), axis=0), dtype=float)


def train(applications: Sequence[Application]) -> CreditModel:
    """Fit on every application and save the pipeline with skops."""
    pipeline = new_pipeline().fit(matrix(applications), good_credit(applications))
    artifact = skops.io.dumps(pipeline, compression=zipfile.ZIP_DEFLATED)
    return CreditModel(pipeline, artifact, _baseline(pipeline, applications))


def load(artifact: bytes, applications: Sequence[Application]) -> CreditModel:
    """The model from its registered skops artifact; refuses any type skops does not trust by
    default (a scikit-learn pipeline needs none)."""
    untrusted = skops.io.get_untrusted_types(data=artifact)
    if untrusted:
        raise ValueError(f"the artifact holds types skops does not trust: {untrusted}")
    pipeline = skops.io.loads(artifact)
    return CreditModel(pipeline, artifact, _baseline(pipeline, applications))


def feature_schema(applications: Sequence[Application]) -> list[FeatureSpec]:
    """Each input's type, and its observed range or categories, from the training data."""
    specs = []
    for name in FEATURES:
        values = [a[name] for a in applications]
        if name in NUMBERS:
            specs.append(
                FeatureSpec(
                    name,
                    "integer",
                    minimum=min(values),
                    maximum=max(values),
                    description=f"{DESCRIPTIONS[name]}; range observed in the training data",
                )
            )
        else:
            specs.append(
                FeatureSpec(
                    name,
                    "category",
                    categories=tuple(sorted(set(values))),
                    description=DESCRIPTIONS[name],
                )
            )
    return specs
