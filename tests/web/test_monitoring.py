"""The monitoring page at the HTML level: the latest run's tables, alerts, and its charts
(stability over the runs, score distribution, KS and AUC by vintage, calibration).

Bank C's lending model (tests/web/seed.py) was profiled on smaller loans than it then saw, so
every monthly run finds the amounts' CSI red, while the term (always 36) is stable. No outcome
was logged, so discrimination and calibration are not measurable.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from attest.charts.monitoring import NO_VINTAGES, TITLES
from attest.runtime import Runtime
from tests.web.conftest import TestClient, csrf_of
from tests.web.seed import BANK_A, BANK_C, CREDIT, LENDING

PAGE = f"/tenants/{BANK_C}/systems/{LENDING}/monitoring"
UserClient = Callable[[str], TestClient]

pytestmark = pytest.mark.usefixtures("monitoring_runs")


def _row(html: str, feature: str) -> str:
    found = re.search(rf'<tr data-feature="{feature}" data-status="(\w+)">(.*?)</tr>', html, re.S)
    assert found, f"no row for {feature}"
    return found.group(1) + "|" + found.group(2)


def test_the_latest_run_shows_each_feature_its_status_and_the_alerts(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    html = as_user("rhea").get(PAGE).text
    assert "<script" not in html
    assert f'<tr data-run="{monitoring_runs[-1]}" class="selected">' in html
    amount = _row(html, "amount")
    assert amount.startswith("red|") and "significant shift" in amount
    csi = re.search(r'<td class="num">(\d\.\d{4})</td>', amount)
    assert csi and float(csi.group(1)) > 0.25
    assert _row(html, "term").startswith("green|")
    assert '<li data-metric="csi" data-feature="amount" data-state="open">' in html
    # No outcome was logged for these decisions: discrimination is not measurable, not zero.
    assert re.search(r"<td>AUC</td><td class=\"num\">–</td>", html)
    assert "0 of the period's decisions have a known outcome" in html
    assert "2026-09-01 to 2026-09-30" in html


def test_the_csi_chart_has_a_bar_per_feature_and_run(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    html = as_user("rhea").get(PAGE).text
    chart = re.search(r'<svg class="chart stability-chart".*?</svg>', html, re.S)
    assert chart
    amount = re.search(
        r'<g class="feature-row" data-feature="amount">(.*?)</g>', chart.group(0), re.S
    )
    assert amount
    cells = re.findall(r'<rect class="cell status-(\w+)"', amount.group(1))
    assert cells == ["red", "red", "red"]
    titles = re.findall(r"<title>amount, ([^<]*)</title>", amount.group(1))
    assert len(titles) == 3
    assert all(re.fullmatch(r"\S+: CSI \d\.\d{4}, significant shift.*", t) for t in titles)
    term = re.search(r'<g class="feature-row" data-feature="term">(.*?)</g>', chart.group(0), re.S)
    assert term and re.findall(r'<rect class="cell status-(\w+)"', term.group(1)) == ["green"] * 3
    assert '<g class="score-row" data-series="score-psi">' in chart.group(0)


def _figure(html: str, key: str) -> str:
    found = re.search(rf'<figure class="chart" id="chart-{key}".*?</figure>', html, re.S)
    assert found, f"no {key} chart"
    return found.group(0)


def test_every_chart_has_a_title_a_name_for_screen_readers_and_its_words(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    html = as_user("rhea").get(PAGE).text
    assert "<script" not in html and " style=" not in html
    for key, title in TITLES.items():
        figure = _figure(html, key)
        assert f"<h3>{title}</h3>" in figure
        svg = re.search(r"<svg [^>]*>", figure)
        assert svg and 'role="img"' in svg.group(0)
        assert f'aria-labelledby="chart-{key}-title"' in svg.group(0)
        assert f'aria-describedby="chart-{key}-desc"' in svg.group(0)
        assert f'<title id="chart-{key}-title">{title}</title>' in figure
        desc = re.search(rf'<desc id="chart-{key}-desc">([^<]+)</desc>', figure)
        summary = re.search(r'<span class="summary">([^<]+)</span>', figure)
        assert desc and summary and desc.group(1) == summary.group(1)


def test_the_distribution_pairs_reference_and_period_bars_and_lists_them(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    figure = _figure(as_user("rhea").get(PAGE).text, "distribution")
    reference = re.findall(r'<rect class="reference"[^>]*><title>([^<]+)</title>', figure)
    period = re.findall(r'<rect class="period"[^>]*><title>([^<]+)</title>', figure)
    assert reference and reference == period  # one title per bin, on both of its bars
    assert all(
        re.match(r"Score bin .+: reference \d+\.\d%, this period \d+\.\d%", t) for t in period
    )
    rows = re.findall(r"<tr><td>[^<]+</td><td>\d+\.\d%</td>", figure)
    assert len(rows) == len(period)  # the data table under it: one row per bin
    assert "<summary>The chart's values as a table</summary>" in figure


def test_calibration_and_vintages_say_what_cannot_be_drawn_yet(
    as_user: UserClient, monitoring_runs: list[str], seeded: Runtime
) -> None:
    html = as_user("rhea").get(PAGE).text
    calibration = _figure(html, "calibration")
    assert 'data-empty="true"' in calibration
    assert "no outcomes are known for this period" in calibration
    assert '<line class="diagonal"' not in calibration and 'class="marker' not in calibration
    vintages = _figure(html, "vintages")
    document = seeded.monitoring.document(BANK_C, LENDING, monitoring_runs[-1])
    if document.get("vintages"):  # no outcome was logged: none is measurable
        notes = re.findall(
            r'<text class="not-measured"[^>]*><title>(\d{4}-\d\d: (?:AUC|KS) not measurable[^<]*)'
            r"</title>n/m</text>",
            vintages,
        )
        assert len(notes) == 2 * len(document["vintages"])
        assert "none is measurable yet" in vintages
    else:
        assert 'data-empty="true"' in vintages and NO_VINTAGES in vintages


def test_the_page_links_the_runs_report(as_user: UserClient, monitoring_runs: list[str]) -> None:
    html = as_user("rhea").get(f"{PAGE}?run={monitoring_runs[0]}").text
    assert f'href="{PAGE}/runs/{monitoring_runs[0]}/report.pdf"' in html
    # The charts of an older run end with that run.
    stability = _figure(html, "stability")
    assert re.findall(r'<text class="tick x-tick"[^>]*>([^<]+)</text>', stability) == ["2026-07-01"]


def test_an_older_run_can_be_shown_and_unknown_runs_and_tenants_are_refused(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    rhea = as_user("rhea")
    first = rhea.get(f"{PAGE}?run={monitoring_runs[0]}").text
    assert f'<tr data-run="{monitoring_runs[0]}" class="selected">' in first
    assert "2026-07-01 to 2026-07-31" in first
    assert rhea.get(f"{PAGE}?run=not-a-run").status_code == 404
    assert rhea.get(f"/tenants/{BANK_A}/systems/{CREDIT}/monitoring").status_code == 403
    alice = as_user("alice")
    empty = alice.get(f"/tenants/{BANK_A}/systems/{CREDIT}/monitoring").text
    assert 'id="no-runs"' in empty
    system = alice.get(f"/tenants/{BANK_A}/systems/{CREDIT}").text
    assert f'href="/tenants/{BANK_A}/systems/{CREDIT}/monitoring"' in system


def test_a_compliance_officer_records_what_was_done_about_an_alert(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    run = monitoring_runs[0]  # the oldest: the other tests read the latest's open alert
    page = f"{PAGE}?run={run}"
    assert 'class="alert-action"' not in as_user("rhea").get(page).text  # a reviewer: no form
    cora = as_user("cora")
    html = cora.get(page).text
    assert html.count('class="alert-action"') == 1
    action = f"{PAGE}/runs/{run}/alerts/1"
    form = {"action": "finding", "reference": "MRM-7", "note": "loans grew: revalidate"}
    refused = cora.post(action, data=form, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    done = cora.post(action, data=form | {"csrf_token": csrf_of(html)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"?run={run}#alerts")
    after = cora.get(page).text
    assert 'data-state="finding"' in after and "(MRM-7): loans grew: revalidate" in after
    assert 'class="alert-action"' not in after
    again = cora.post(action, data=form | {"csrf_token": csrf_of(after)}, follow_redirects=False)
    assert again.status_code == 409
