"""``attest monitor``: fix a model version's reference profile, run monitoring as evidence."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from attest.cli.context import runtime
from attest.core.inventory import FeatureSpec
from attest.core.reference_profile import NUMERIC_TYPES, Outcomes, ReferenceRow
from attest.errors import InvalidInput, NotFound


def _day(text: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


@click.group()
def monitor() -> None:
    """Ongoing monitoring: reference profiles, drift and performance from binned counts."""


def _read_rows(
    path: Path, features: list[FeatureSpec], score_column: str, outcome_column: str
) -> list[ReferenceRow]:
    """A CSV of reference rows: one column per feature, the score and (optional) outcome."""
    rows = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or ())
        for column in (score_column, *(f.name for f in features)):
            if column not in header:
                raise InvalidInput(f"{path.name}: no column {column!r}")
        for number, raw in enumerate(reader, 2):
            inputs: dict[str, Any] = {}
            for spec in features:
                text = (raw.get(spec.name) or "").strip()
                inputs[spec.name] = _value(text, spec, f"{path.name} line {number}")
            score_text = (raw.get(score_column) or "").strip()
            outcome = (raw.get(outcome_column) or "").strip() or None
            score = _number(score_text, f"{path.name} line {number}, {score_column}")
            rows.append(ReferenceRow(inputs, score, outcome))
    return rows


def _value(text: str, spec: FeatureSpec, where: str) -> Any:
    if text == "":
        return None
    if spec.type in NUMERIC_TYPES:
        return _number(text, f"{where}, {spec.name}")
    return text


def _number(text: str, where: str) -> float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{where}: {text!r} is not a number") from None


@monitor.command("profile")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--version", "version", required=True)
@click.option(
    "--file",
    "data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Reference rows (CSV): the version's features, the score and the outcome.",
)
@click.option("--from", "since", help="Or: the version's own decisions from this day (UTC).")
@click.option("--to", "until", help="... to this day, included.")
@click.option("--good-outcome", "good", multiple=True, required=True, help="Outcome meaning good.")
@click.option(
    "--score-predicts",
    type=click.Choice(["good", "bad"]),
    default="good",
    show_default=True,
    help="Which outcome the score is the probability of.",
)
@click.option("--score-column", default="score", show_default=True)
@click.option("--outcome-column", default="outcome", show_default=True)
@click.option("--as", "who", default="cli", show_default=True, help="Who fixes the profile.")
def profile(
    tenant: str,
    system: str,
    version: str,
    data: Path | None,
    since: str | None,
    until: str | None,
    good: tuple[str, ...],
    score_predicts: str,
    score_column: str,
    outcome_column: str,
    who: str,
) -> None:
    """Bin the reference data and log the profile every later run is judged against."""
    outcomes = Outcomes(good, "good" if score_predicts == "good" else "bad")
    if (data is None) == (since is None or until is None):
        raise InvalidInput("give either --file or both --from and --to")
    with runtime() as rt:
        model = rt.inventory.model_version(tenant, system, version)
        if model is None:
            raise NotFound(f"tenant {tenant} has no model version {version} of {system}")
        if data is not None:
            rows = _read_rows(data, list(model.features), score_column, outcome_column)
            source = {
                "kind": "file",
                "name": data.name,
                "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            }
            receipt, made = rt.monitoring.set_profile(
                tenant, system, version, rows, outcomes=outcomes, source=source, by=who
            )
        else:
            assert since is not None and until is not None
            receipt, made = rt.monitoring.profile_from_window(
                tenant,
                system,
                version,
                _day(since, "--from"),
                _day(until, "--to") + timedelta(days=1),
                outcomes=outcomes,
                by=who,
            )
    click.echo(f"profile of {system} {version}: {made.rows} reference rows")
    for name, counts in made.features.items():
        click.echo(f"  {name}: {len(counts.binning.labels)} bins")
    for note in made.notes:
        click.echo(f"  note: {note}")
    click.echo(f"logged as entry {receipt.id} at index {receipt.index}")


@monitor.command("run")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--version", "version", required=True)
@click.option("--from", "since", required=True, help="First day (UTC), YYYY-MM-DD.")
@click.option("--to", "until", required=True, help="Last day (UTC), YYYY-MM-DD, included.")
@click.option("--as", "who", default="cli", show_default=True, help="Who runs it.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result document.")
def run(
    tenant: str, system: str, version: str, since: str, until: str, who: str, as_json: bool
) -> int:
    """Judge the period against the reference profile; exit 1 when a metric is red."""
    with runtime() as rt:
        document = rt.monitoring.run(
            tenant,
            system,
            version,
            since=_day(since, "--from"),
            until=_day(until, "--to") + timedelta(days=1),
            by=who,
        )
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        for name, result in document["features"].items():
            value = (result.get("csi") or {}).get("value")
            shown = f"{value:.4f}" if isinstance(value, float) else "-"
            click.echo(f"  {name:28} CSI={shown:8} {result['status']}")
        score = document["score"]
        for metric, key in (("psi", "value"), ("auc", "auc"), ("ks_discrimination", "value")):
            result = score.get(metric) or {}
            value = result.get(key)
            shown = f"{value:.4f}" if isinstance(value, float) else "-"
            click.echo(f"  score {metric:22} {shown:8} {result.get('status', '-')}")
        for alert in document["alerts"]:
            where = alert["feature"] or "score"
            click.echo(f"alert: {alert['metric']} of {where} is {alert['status']}")
        click.echo(f"status: {document['status']} (entry {document['entry']})")
    return 1 if document["status"] == "red" else 0
