"""``attest monitor``: fix a model version's reference profile and monitoring plan, run monitoring
as evidence."""

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
from attest.core.monitoring_period import CADENCES, parse_period
from attest.core.monitoring_plan import parse_threshold_option
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


def _print_run(document: dict[str, Any]) -> None:
    period = (document.get("period") or {}).get("label")
    click.echo(f"{document['system']} {document['version']}: " + (period or _window(document)))
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
    for vintage in document.get("vintages") or ():
        auc = vintage["auc"].get("auc")
        shown = f"{auc:.4f}" if isinstance(auc, float) else "-"
        maturity = vintage["maturity"]
        matured = f"{maturity:.0%}" if isinstance(maturity, float) else "-"
        click.echo(
            f"  vintage {vintage['month']} {int(vintage['decisions']):6d} decisions, "
            f"{matured:>4} labelled, AUC {shown:8} {vintage['status']}"
        )
    for alert in document["alerts"]:
        where = alert["feature"] or "score"
        click.echo(f"alert: {alert['metric']} of {where} is {alert['status']}")
    click.echo(f"status: {document['status']} (entry {document['entry']})")


def _window(document: dict[str, Any]) -> str:
    return f"{document.get('from') or 'the start'} to {document.get('to') or 'now'}"


@monitor.command("run")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--version", "version", help="Default: the deployed version, or the planned one.")
@click.option("--period", help="2026-Q3, 2026-09 or 2026-W37; default: the last complete one.")
@click.option("--from", "since", help="Or: the first day (UTC), YYYY-MM-DD.")
@click.option("--to", "until", help="... and the last day (UTC), included.")
@click.option("--as", "who", default="cli", show_default=True, help="Who runs it.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result document.")
def run(
    tenant: str,
    system: str,
    version: str | None,
    period: str | None,
    since: str | None,
    until: str | None,
    who: str,
    as_json: bool,
) -> int:
    """Judge a period against the reference profile by the version's monitoring plan; exit 1
    when a metric is red."""
    if period is not None and (since or until):
        raise InvalidInput("give either --period or --from and --to, not both")
    if (since is None) != (until is None):
        raise InvalidInput("give both --from and --to")
    with runtime() as rt:
        version = version or rt.monitoring.default_version(tenant, system)
        if since is not None and until is not None:
            document = rt.monitoring.run(
                tenant,
                system,
                version,
                since=_day(since, "--from"),
                until=_day(until, "--to") + timedelta(days=1),
                by=who,
            )
        else:
            chosen = (
                parse_period(period, "--period")
                if period is not None
                else rt.monitoring.default_period(tenant, system, version, datetime.now(UTC))
            )
            document = rt.monitoring.run(tenant, system, version, period=chosen, by=who)
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        _print_run(document)
    return 1 if document["status"] == "red" else 0


@monitor.command("plan")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--version", "version", required=True)
@click.option("--show", is_flag=True, help="Only show the plan in force.")
@click.option("--cadence", type=click.Choice(CADENCES), default="quarterly", show_default=True)
@click.option("--start", help="First day monitored (UTC), YYYY-MM-DD; periods from then are due.")
@click.option(
    "--settle-days",
    type=int,
    default=1,
    show_default=True,
    help="Days after a period ends before it is due (decisions logged late are in it).",
)
@click.option("--metric", "metrics", multiple=True, help="A metric to run (default: all).")
@click.option(
    "--threshold",
    "lines",
    multiple=True,
    help="METRIC=AMBER,RED, e.g. csi=0.1,0.25 (csi, psi, ks_discrimination, auc, hosmer_lemeshow).",
)
@click.option("--good-outcome", "good", multiple=True, help="Default: the profile's.")
@click.option("--favourable", multiple=True, help="A favourable label (default: approve).")
@click.option("--segment", "segments", multiple=True, help="A feature to segment by.")
@click.option("--owner", help="Who owns this model's monitoring.")
@click.option("--escalation", help="Where a breach goes and what is done about it.")
@click.option("--as", "who", default="cli", show_default=True, help="Who sets the plan.")
def plan(
    tenant: str,
    system: str,
    version: str,
    show: bool,
    cadence: str,
    start: str | None,
    settle_days: int,
    metrics: tuple[str, ...],
    lines: tuple[str, ...],
    good: tuple[str, ...],
    favourable: tuple[str, ...],
    segments: tuple[str, ...],
    owner: str | None,
    escalation: str | None,
    who: str,
) -> None:
    """Set the version's monitoring plan (a ledger entry replacing the one before), and show
    the plan in force with the thresholds it judges by."""
    with runtime() as rt:
        if not show:
            fields: dict[str, Any] = {"cadence": cadence, "start": start, "owner": owner}
            fields["settle_days"] = settle_days
            fields |= {"escalation": escalation, "segments": list(segments)}
            fields["thresholds"] = dict(parse_threshold_option(line) for line in lines)
            if metrics:
                fields["metrics"] = list(metrics)
            if good:
                fields["good_outcomes"] = list(good)
            if favourable:
                fields["favourable"] = list(favourable)
            receipt, _ = rt.monitoring.set_plan(tenant, system, version, fields, by=who)
            click.echo(f"logged as entry {receipt.id} at index {receipt.index}")
        standing = rt.monitoring.plan(tenant, system, version)
    made = standing["plan"]
    click.echo(f"plan of {system} {version} (entry {standing['entry']}, by {standing['by']})")
    click.echo(f"  cadence: {made['cadence']}, from {made['start'] or 'the last complete period'}")
    click.echo(f"  metrics: {', '.join(made['metrics'])}")
    click.echo(f"  thresholds (risk tier {standing['risk_tier']}):")
    for name, line in standing["thresholds"].items():
        worse = "higher" if line["higher_is_worse"] else "lower"
        click.echo(f"    {name:18} amber {line['amber']:g}, red {line['red']:g} ({worse} is worse)")
    for name in ("good_outcomes", "favourable", "segments", "owner", "escalation"):
        value = made[name]
        if value:
            click.echo(
                f"  {name}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            )


@monitor.command("due")
@click.option("--tenant", "tenants", multiple=True, help="Default: every tenant.")
@click.option("--as", "who", default="monitoring plan", show_default=True, help="Who runs them.")
def due(tenants: tuple[str, ...], who: str) -> int:
    """Run every complete period the monitoring plans have due, once; exit 1 when a run is red
    or a plan could not run."""
    now = datetime.now(UTC)
    failed = False
    with runtime() as rt:
        for tenant in tenants or tuple(rt.inventory.tenants()):
            for line in rt.monitoring.run_due(tenant, now, by=who):
                where = f"{tenant} {line['system']} {line['version']}"
                if "error" in line:
                    failed = True
                    click.echo(f"{where}: not run: {line['error']}")
                    continue
                failed = failed or line["status"] == "red"
                click.echo(f"{where} {line['period']}: {line['status']} (entry {line['entry']})")
    return 1 if failed else 0
