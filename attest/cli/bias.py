"""``attest bias``: assign protected groups, run bias tests (each run is a ledger entry)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from attest.cli.context import runtime
from attest.core.canonical import parse_json
from attest.core.group_rules import BISG_RULE, parse_rules
from attest.errors import InvalidInput
from attest.service.bias import BiasConfig


def _day(text: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


@click.group()
def bias() -> None:
    """Fair-lending tests: protected groups from the vault, metrics from counts."""


@bias.command("assign")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--proxy", type=click.Choice(["bisg"]), help="Also proxy race/ethnicity by BISG.")
@click.option("--by", "who", required=True, help="Who runs it (recorded with the vault reads).")
def assign(tenant: str, system: str, rules_file: Path | None, proxy: str | None, who: str) -> None:
    """Read the decisions' sealed values and store their groups (the reads are logged)."""
    raw = parse_json(rules_file.read_bytes()) if rules_file else []
    if proxy == "bisg":
        raw = [*raw, BISG_RULE]
    rules = parse_rules(raw)
    with runtime() as rt:
        done = rt.bias.assign_groups(tenant, system, rules, by=who)
    for attribute, count in done.assigned.items():
        click.echo(f"{attribute}: {count} of {done.decisions} decisions have a group")
    click.echo(f"logged as entry {done.receipt.id} at index {done.receipt.index}")


@bias.command("run")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--from", "since", required=True, help="First day (UTC), YYYY-MM-DD.")
@click.option("--to", "until", required=True, help="Last day (UTC), YYYY-MM-DD, included.")
@click.option("--by", "attributes", required=True, help="Attributes, comma-separated.")
@click.option("--favourable", default="approve", show_default=True, help="Favourable labels.")
@click.option("--good-outcome", "good", multiple=True, help="Outcome values that mean 'good'.")
@click.option("--air-threshold", type=float, help="Override the system's policy (0.80).")
@click.option("--alpha", type=float, help="Override the system's policy (0.05).")
@click.option("--min-n-eff", type=float, help="Override the system's policy (30).")
@click.option("--as", "who", default="cli", show_default=True, help="Who runs it.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result document.")
def run(
    tenant: str,
    system: str,
    since: str,
    until: str,
    attributes: str,
    favourable: str,
    good: tuple[str, ...],
    air_threshold: float | None,
    alpha: float | None,
    min_n_eff: float | None,
    who: str,
    as_json: bool,
) -> int:
    """Test every attribute (and their intersection); exit 1 when a group is flagged."""
    config = BiasConfig(
        attributes=tuple(a.strip() for a in attributes.split(",") if a.strip()),
        since=_day(since, "--from"),
        until=_day(until, "--to") + timedelta(days=1),
        favourable=tuple(f.strip() for f in favourable.split(",")),
        good_outcomes=good,
        air_threshold=air_threshold,
        alpha=alpha,
        min_n_eff=min_n_eff,
    )
    with runtime() as rt:
        document = rt.bias.run(tenant, system, config, by=who)
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        for result in document["results"]:
            click.echo(f"{' x '.join(result['attributes'])}: {result['verdict']['outcome']}")
            for group in result["selection"]["groups"]:
                name = "/".join(str(v) for v in (group["group"] or {}).values())
                ratio = group.get("ratio")
                shown = f"{ratio:.3f}" if isinstance(ratio, float) else "-"
                click.echo(f"  {name:32} n={group['n']:.0f} rate={group['rate']} AIR={shown}")
        click.echo(f"verdict: {document['verdict']} (entry {document['entry']})")
    return 1 if document["verdict"] == "flag" else 0


@bias.command("policy")
@click.option("--tenant", required=True)
@click.option("--system", required=True)
@click.option("--air-threshold", type=float, help="Flag an adverse impact ratio below this.")
@click.option("--alpha", type=float, help="Significance level of the tests.")
@click.option("--min-n-eff", type=float, help="Smallest effective group size judged.")
@click.option("--note", default="", help="Why the policy changes.")
@click.option("--as", "who", default="cli", show_default=True, help="Who sets it.")
def policy(
    tenant: str,
    system: str,
    air_threshold: float | None,
    alpha: float | None,
    min_n_eff: float | None,
    note: str,
    who: str,
) -> None:
    """Show the system's bias policy; with values, change it (a ledger entry)."""
    fields = {
        name: value
        for name, value in (
            ("air_threshold", air_threshold),
            ("alpha", alpha),
            ("min_n_eff", min_n_eff),
        )
        if value is not None
    }
    with runtime() as rt:
        if fields:
            receipt = rt.bias.set_policy(tenant, system, fields, by=who, note=note)
            click.echo(f"logged as entry {receipt.id} at index {receipt.index}")
        standing = rt.bias.policy(tenant, system)
    for name, value in standing["policy"].items():
        click.echo(f"{name}: {value:g}")
    source = standing["source"]
    click.echo("source: defaults" if source == "default" else f"source: entry {standing['index']}")
