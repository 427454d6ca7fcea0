"""The web app in a real browser: Debian's Chromium, driven by Playwright, against a real server.

The server is uvicorn on a free loopback port, in a thread, over a seeded SQLite home of its own.
Run only these with ``pytest -m browser``. They skip, saying why, only when /usr/bin/chromium (or
Playwright) is missing and ATTEST_TEST_REQUIRE_BROWSER is not set; CI sets it, so there a missing
browser fails the run instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from attest.api import create_app
from tests.web.browser import Server, need_browser, serve, sign_in
from tests.web.seed import (
    ATTRIBUTIONS,
    BANK_A,
    BANK_A_NAME,
    BANK_B_NAME,
    BANK_C,
    LENDING,
    PERSONAL,
    REASONS,
    SURNAMES,
    make_runtime,
    seed,
    seed_fairness,
    seed_monitoring,
    tamper,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web-browser")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_browser()
    runtime = make_runtime(tmp_path_factory.mktemp("browser") / "home")
    seed(runtime)
    seed_fairness(runtime)
    seed_monitoring(runtime)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTEST_WEB_SECURE_COOKIES", "false")  # plain HTTP on loopback
        app = create_app(runtime)
    for url in serve(app):
        yield Server(url, runtime)
    runtime.close()


def test_an_officer_goes_from_the_inventory_to_a_verified_decision(
    page: Any, server: Server
) -> None:
    page.goto("/")
    assert page.url.endswith("/login")  # no session: sign in first
    sign_in(page, password="not the password")
    assert page.locator(".error").inner_text() == "Wrong username or password."
    sign_in(page)

    # The inventory: only the bank the officer may reach.
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "AI system inventory"
    body = page.locator("main").inner_text()
    assert BANK_A_NAME in body and BANK_B_NAME not in body
    assert "Consequential credit decisions" in body  # the risk rationale

    # The system and its model versions.
    page.get_by_role("link", name="Credit underwriting").click()
    page.wait_for_url(re.compile(r"/systems/credit-underwriting$"))
    assert (
        page.locator("#version-v1 code.hash").inner_text()
        == server.runtime.inventory.model_version(
            BANK_A, "credit-underwriting", "v1"
        ).artifact_sha256
    )  # type: ignore[union-attr]
    assert "Not validated for business loans" in page.locator("#version-v2").inner_text()

    # The explorer, filtered: adverse declines logged since 2020, newest first.
    page.get_by_role("link", name="Decisions of this system").click()
    page.wait_for_url(re.compile(r"/decisions\?system=credit-underwriting$"))
    page.fill("#f-since", "2020-01-01T00:00:00")
    page.select_option("#f-adverse", "yes")
    page.fill("#f-label", "decline")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"label=decline"))
    rows = page.locator("table.decisions tbody tr")
    labels = [rows.nth(i).locator("td").nth(4).inner_text() for i in range(rows.count())]
    assert labels and set(labels) == {"decline"}
    ids = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]
    assert ids[:3] == ["a-unknown", "a-030", "a-027"]

    # A decision: its factors as bars, its reason codes and its proof.
    rows.nth(1).get_by_role("link").click()
    page.wait_for_url(re.compile(r"/decisions/a-030$"))
    bars = page.locator("svg.attributions g.factor")
    assert bars.count() == len(ATTRIBUTIONS)
    drawn = [
        (bars.nth(i).get_attribute("data-feature"), bars.nth(i).locator("rect").bounding_box())
        for i in range(bars.count())
    ]
    assert [name for name, _ in drawn] == sorted(ATTRIBUTIONS, key=lambda k: -abs(ATTRIBUTIONS[k]))
    widths = [box["width"] for _, box in drawn]
    assert all(w > 0 for w in widths) and widths == sorted(widths, reverse=True)
    assert "bar-neg" in (bars.nth(0).locator("rect").get_attribute("class") or "")
    for code in REASONS:
        assert page.get_by_text(code).is_visible()
    size = server.runtime.ledger.latest_checkpoint(BANK_A).size
    assert page.locator("#proof-badge").inner_text() == f"✔ Verified in checkpoint {size}"
    assert not any(value in page.content() for value in PERSONAL)

    # Signing out ends the session.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/tenants/bank-a/decisions/a-030")
    assert page.url.endswith("/login")


def test_a_tampered_entry_shows_the_failure_badge(page: Any, server: Server) -> None:
    page.goto("/login")
    sign_in(page)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/tenants/bank-a/decisions/a-tamper")
    assert page.locator("#proof-badge").inner_text().startswith("✔ Verified in checkpoint")

    tamper(server.runtime, BANK_A, "a-tamper")
    page.reload()
    badge = page.locator("#proof-badge")
    assert badge.inner_text() == "✘ Verification failed"
    assert "fail" in (badge.get_attribute("class") or "")
    findings = page.locator("ul.findings").inner_text()
    assert "is not in the signed tree" in findings
    assert "disagrees with the logged entry on: inputs" in findings


def test_a_compliance_officer_signs_off_a_flagged_bias_run(page: Any, server: Server) -> None:
    page.goto("/login")
    sign_in(page, "cora")
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="Consumer lending").click()
    page.wait_for_url(re.compile(r"/systems/consumer-lending$"))
    page.get_by_role("link", name="Fairness").click()
    page.wait_for_url(re.compile(r"/systems/consumer-lending/fairness$"))

    # The latest run's table: the young are flagged, with the ratio and its interval.
    table = page.locator('section.result[data-attributes="age_band"] table.groups')
    flagged = table.locator('tr[data-outcome="flag"]')
    assert flagged.count() == 1
    row = flagged.inner_text()
    assert "under_25" in row and "flagged" in row and "0.667" in row
    assert "0.6667 is below 0.8" in row
    assert table.locator('tr[data-group="25_and_over"] .tag').inner_text() == "pass"
    small = page.locator('section.result[data-attributes="sex"] tr[data-group="another"] .tag')
    assert small.inner_text() == "too small to judge"

    # The AIR chart is drawn: a point and an interval per run for the young, under the line.
    chart = page.locator('svg.air-chart[data-attributes="age_band"]')
    assert chart.is_visible()
    line = chart.locator("line.threshold").bounding_box()
    assert line and line["width"] > 300
    young = chart.locator('g.air-point[data-group="under_25"]')
    assert young.count() == 3
    boxes = [young.nth(i).locator("path.marker").bounding_box() for i in range(3)]
    assert all(box and box["width"] > 0 for box in boxes)
    xs = [box["x"] for box in boxes if box]
    assert xs == sorted(xs)  # oldest run first
    assert all(box["y"] > line["y"] for box in boxes if box)  # below 0.80 (y grows down)
    heights = [young.nth(i).locator("line.ci").bounding_box() for i in range(3)]
    assert all(h and h["height"] > 10 for h in heights)
    assert not any(value in page.content() for value in (*PERSONAL, *SURNAMES))

    # Sign it off: open a finding; the form is gone and the review is recorded.
    run = server.runtime.bias.runs(BANK_C, LENDING)[0]["run_id"]
    page.get_by_label("Open a finding").check()
    note = "Young applicants approved far less often: refit before the next release"
    page.fill("#review-note", note)
    page.get_by_role("button", name="Record review").click()
    page.wait_for_url(re.compile(rf"/fairness\?run={run}#review$"))
    recorded = page.locator("#review-recorded").inner_text()
    assert "Finding opened" in recorded and "cora" in recorded
    assert note in page.locator("blockquote.note").inner_text()
    assert page.locator("form.signoff").count() == 0
    assert "Finding opened by cora" in page.locator(f'tr[data-run="{run}"]').inner_text()
    stored = server.runtime.bias.runs(BANK_C, LENDING)[0]
    assert (stored["review"], stored["reviewed_by"], stored["review_note"]) == (
        "finding",
        "cora",
        note,
    )
