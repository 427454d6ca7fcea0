"""The monitoring page at the HTML level: the latest run's tables, alerts, CSI over the runs.

Bank C's lending model (tests/web/seed.py) was profiled on smaller loans than it then saw, so
every monthly run finds the amounts' CSI red, while the term (always 36) is stable.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

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
    chart = re.search(r'<svg class="csi-chart".*?</svg>', html, re.S)
    assert chart
    amount = re.search(
        r'<g class="feature-row" data-feature="amount">(.*?)</g>', chart.group(0), re.S
    )
    assert amount
    cells = re.findall(r'<rect class="cell status-(\w+)"', amount.group(1))
    assert cells == ["red", "red", "red"]
    assert re.findall(
        r"<title>amount, [^<]*CSI \d\.\d{4}, significant shift</title>", amount.group(1)
    )


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
