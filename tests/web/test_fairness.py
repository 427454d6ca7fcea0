"""The fairness page at the HTML level: the latest run group by group, AIR over time, the run
history, BISG coverage, and the sign-off form (CSRF, roles, once).

Bank C's seeded runs (tests/web/seed.py) cover July, August and September; the young are
approved 30%, 40% and 50% of the time against 75% for the others, so the age test flags them
with adverse impact ratios 0.4, 0.533 and 0.667.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from attest.runtime import Runtime
from attest.service.bias import BiasConfig
from tests.web.conftest import TestClient, csrf_of
from tests.web.seed import (
    APPLICANT_NAME,
    BANK_A,
    BANK_C,
    CREDIT,
    LENDING,
    MONTHS,
    PERSONAL,
    SURNAMES,
)

PAGE = f"/tenants/{BANK_C}/systems/{LENDING}/fairness"
UserClient = Callable[[str], TestClient]

pytestmark = pytest.mark.usefixtures("fairness_runs")


def _section(html: str, attributes: str) -> str:
    found = re.search(
        rf'<section class="result" data-attributes="{attributes}">(.*?)</section>', html, re.S
    )
    assert found, f"no result table for {attributes}"
    return found.group(1)


def _rows(section: str) -> dict[str, str]:
    """Group -> outcome, as the table's rows say."""
    return dict(re.findall(r'data-group="([^"]+)" data-outcome="(\w+)"', section))


def _chart(html: str, attributes: str) -> str:
    found = re.search(
        rf'<svg class="air-chart"[^>]*data-attributes="{attributes}">(.*?)</svg>', html, re.S
    )
    assert found, f"no AIR chart for {attributes}"
    return found.group(1)


def _new_run(runtime: Runtime) -> str:
    """A fresh, unreviewed run of September (the newest run, so each test has its own)."""
    config = BiasConfig(("age_band",), since=MONTHS[2], until=MONTHS[3])
    return str(runtime.bias.run(BANK_C, LENDING, config, by="cora")["entry"])


def _no_personal_data(html: str) -> None:
    for value in (*PERSONAL, APPLICANT_NAME, *SURNAMES, "person-0"):
        assert value not in html, value


def test_the_page_shows_a_run_group_by_group_with_its_verdicts(
    as_user: UserClient, fairness_runs: list[str]
) -> None:
    html = as_user("rhea").get(f"{PAGE}?run={fairness_runs[-1]}").text
    _no_personal_data(html)
    assert "<script" not in html
    age = _section(html, "age_band")
    assert _rows(age) == {"25_and_over": "pass", "under_25": "flag"}
    young = re.search(r'data-group="under_25".*?</tr>', age, re.S)
    assert young
    cells = re.findall(r"<td[^>]*>(.*?)</td>", young.group(0), re.S)
    assert cells[1:3] == ["40", "40.0"]  # n and effective n
    assert '<span class="value">50.0%</span>' in cells[3]
    assert re.search(
        r'<span class="value air">0\.667</span> <span class="ci muted">0\.\d+ to 0\.\d+', cells[4]
    )
    assert "flagged" in cells[6] and "adverse impact ratio 0.6667 is below 0.8" in cells[6]
    assert "Ratios are against the most favoured group, <strong>25_and_over</strong>" in age

    sex = _rows(_section(html, "sex"))
    assert sex["another"] == "too_small" and sex["female"] == "pass"
    assert "too small to judge: effective sample size 4.0 is below the minimum 30" in html
    both = _section(html, "age_band,sex")
    assert set(_rows(both).values()) == {"too_small"}  # never shown as a pass
    assert '<h3>By age_band × sex: <span class="tag outcome-too_small">too small to judge' in both
    assert "2026-09-01 to 2026-09-30" in html  # the run's window, by days

    # Read-only: no form, and the page says who may sign off.
    assert 'name="review"' not in html and 'id="review-pending"' in html


def test_the_air_chart_has_a_point_and_interval_per_run_and_group(
    as_user: UserClient, fairness_runs: list[str]
) -> None:
    html = as_user("vera").get(f"{PAGE}?run={fairness_runs[0]}").text
    chart = _chart(html, "age_band")
    line = re.search(r'<line class="threshold" data-value="0.8" x1="[^"]+" y1="([^"]+)"', chart)
    assert line, "the 0.80 line is not drawn"
    threshold_y = float(line.group(1))
    points = re.findall(
        r'<g class="air-point s\d (\w+)" data-run="([^"]+)" data-group="([^"]+)" '
        r'data-air="([^"]+)" data-outcome="\w+">\s*<title>([^<]*)</title>\s*'
        r'(<line class="ci")?',
        chart,
    )
    young = [
        (run, float(air), outcome)
        for outcome, run, group, air, _, ci in points
        if group == "under_25" and run in fairness_runs
    ]
    assert [run for run, _, _ in young] == fairness_runs  # oldest first
    assert [round(air, 3) for _, air, _ in young] == [0.4, 0.533, 0.667]
    assert {outcome for _, _, outcome in young} == {"flag"}
    assert all(ci for _, run, group, _, _, ci in points if group == "under_25")
    # The reference group sits at 1, without an interval.
    reference = [p for p in points if p[2] == "25_and_over" and p[1] in fairness_runs]
    assert [float(p[3]) for p in reference] == [1.0, 1.0, 1.0] and not any(p[5] for p in reference)
    for marker in re.findall(
        r'data-group="under_25"[^>]*>.*?<path class="marker" d="M([\d.]+),([\d.]+)', chart, re.S
    ):
        assert float(marker[1]) > threshold_y  # below the line: SVG y grows downwards
    sex = _chart(html, "sex")
    assert 'data-group="another"' in sex and "too_small" in sex

    # The run history, newest first, and the coverage of the newest assignment.
    history = re.findall(r'<tr data-run="([^"]+)"', html)
    assert history[-3:] == fairness_runs[::-1]
    for window in ("2026-07-01 to 2026-07-31", "2026-08-01 to 2026-08-31"):
        assert window in html
    assert re.search(
        r'<tr data-level="surname\+zcta"><td>surname\+zcta</td>'
        r'<td class="num">261</td><td class="num">87.0%</td>',
        html,
    )
    assert re.search(r'<tr data-fallback="geography_only">.*?7.0%', html)
    assert "Groups were last assigned on 2026-10-01 08:00:00 UTC by cora" in html
    _no_personal_data(html)


def test_a_compliance_officer_signs_a_run_off_once(as_user: UserClient, seeded: Runtime) -> None:
    run = _new_run(seeded)
    cora = as_user("cora")
    page = cora.get(PAGE).text  # the newest run is shown by default
    assert f'action="{PAGE}/runs/{run}/review"' in page
    token = csrf_of(page)
    post = f"{PAGE}/runs/{run}/review"
    note = "Young applicants approved far less often: refit before the next release"

    def review_of() -> str | None:
        row = next(r for r in seeded.bias.runs(BANK_C, LENDING) if r["run_id"] == run)
        return row["review"]

    assert cora.post(post, data={"review": "finding", "note": note}).status_code == 403
    wrong = cora.post(post, data={"review": "finding", "note": note, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    cross = cora.post(
        post,
        data={"review": "finding", "note": note, "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    empty = cora.post(post, data={"review": "finding", "note": "  ", "csrf_token": token})
    assert empty.status_code == 400
    assert 'role="alert">field &#39;note&#39;' in empty.text and 'name="note"' in empty.text
    assert review_of() is None

    done = cora.post(post, data={"review": "finding", "note": note, "csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?run={run}#review"
    after = cora.get(f"{PAGE}?run={run}").text
    assert 'name="note"' not in after and "Record review" not in after
    recorded = re.search(r'id="review-recorded">(.*?)</p>', after, re.S)
    assert recorded and "Finding opened" in recorded.group(1) and "cora" in recorded.group(1)
    assert note in after
    row = next(r for r in seeded.bias.runs(BANK_C, LENDING) if r["run_id"] == run)
    assert (row["review"], row["reviewed_by"], row["review_note"]) == ("finding", "cora", note)

    again = cora.post(post, data={"review": "accepted", "note": "fine", "csrf_token": token})
    assert again.status_code == 409 and "already reviewed" in again.text
    assert next(r for r in seeded.bias.runs(BANK_C, LENDING) if r["run_id"] == run) == row


def test_only_compliance_and_admins_of_the_bank_may_sign_off(
    as_user: UserClient, seeded: Runtime
) -> None:
    run = _new_run(seeded)
    post = f"{PAGE}/runs/{run}/review"
    for name in ("rhea", "vera"):  # reviewer of bank C, auditor of every bank: read only
        client = as_user(name)
        page = client.get(PAGE)
        assert page.status_code == 200 and "Record review" not in page.text
        body = {"review": "accepted", "note": "looks fine", "csrf_token": csrf_of(page.text)}
        assert client.post(post, data=body).status_code == 403
    alice = as_user("alice")  # compliance, but of bank A
    assert alice.get(PAGE).status_code == 403
    token = csrf_of(alice.get("/").text)
    assert (
        alice.post(post, data={"review": "accepted", "note": "x", "csrf_token": token}).status_code
        == 403
    )
    assert all(r["review"] is None for r in seeded.bias.runs(BANK_C, LENDING) if r["run_id"] == run)
    assert as_user("cora").get(f"{PAGE}?run=no-such-run").status_code == 404


def test_a_system_without_runs_says_so_and_its_page_links_to_fairness(as_user: UserClient) -> None:
    alice = as_user("alice")
    system = alice.get(f"/tenants/{BANK_A}/systems/{CREDIT}").text
    assert f'href="/tenants/{BANK_A}/systems/{CREDIT}/fairness"' in system
    html = alice.get(f"/tenants/{BANK_A}/systems/{CREDIT}/fairness").text
    assert 'id="no-runs"' in html and "No group assignment has been logged" in html
    assert alice.get(f"/tenants/{BANK_A}/systems/no-such-system/fairness").status_code == 404


def test_the_policy_the_runs_are_judged_by_is_shown_with_who_set_it(
    as_user: UserClient, seeded: Runtime
) -> None:
    page = f"/tenants/{BANK_A}/systems/{CREDIT}/fairness"
    policy = re.compile(r'<section class="policy" id="policy">(.*?)</section>', re.S)
    before = policy.search(as_user("alice").get(page).text)
    assert before and 'data-field="air_threshold">0.8<' in before.group(1)
    assert "nobody has set a policy" in before.group(1)
    seeded.bias.set_policy(BANK_A, CREDIT, {"air_threshold": 0.85}, by="cco", note="board 7")
    after = policy.search(as_user("alice").get(page).text)
    assert after and 'data-field="air_threshold">0.85<' in after.group(1)
    assert 'data-field="alpha">0.05<' in after.group(1)
    assert "Set by cco" in after.group(1) and "board 7" in after.group(1)
