"""The monitoring page in a real browser (Debian's Chromium, driven by Playwright): the charts
are drawn where their values say, are named for screen readers, open their data tables without
a script, and the run's PDF report downloads.

Bank C (tests/web/seed.py) gets its three monthly runs, then the outcomes of July and August
and a fourth run over the quarter, so that calibration and two vintages can be measured.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from attest.api import create_app
from attest.charts.monitoring import TITLES
from tests.web.browser import Server, need_browser, serve, sign_in
from tests.web.seed import (
    BANK_C,
    LENDING,
    MONTHS,
    PER_MONTH,
    make_runtime,
    seed,
    seed_fairness,
    seed_monitoring,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web-browser")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_browser()
    runtime = make_runtime(tmp_path_factory.mktemp("monitoring-browser") / "home")
    seed(runtime)
    seed_fairness(runtime)
    seed_monitoring(runtime)
    outcomes = [
        {
            "decision_id": f"c-{month * PER_MONTH + i:04d}",
            "outcome": "bad" if i % 4 == 0 else "good",
        }
        for month in range(2)
        for i in range(PER_MONTH)
    ]
    runtime.decisions.record_outcomes(BANK_C, outcomes, len(outcomes))
    runtime.monitoring.run(BANK_C, LENDING, "m1", since=MONTHS[0], until=MONTHS[3], by="vera")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTEST_WEB_SECURE_COOKIES", "false")  # plain HTTP on loopback
        app = create_app(runtime)
    for url in serve(app):
        yield Server(url, runtime)
    runtime.close()


def _open_monitoring(page: Any) -> None:
    page.goto("/login")
    sign_in(page, "rhea")
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="Consumer lending").click()
    page.wait_for_url(re.compile(r"/systems/consumer-lending$"))
    page.get_by_role("link", name="Monitoring").click()
    page.wait_for_url(re.compile(r"/systems/consumer-lending/monitoring$"))


def _centre(box: dict[str, float]) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_model_validator_sees_the_shift_and_the_charts_of_the_run(page: Any) -> None:
    from playwright.sync_api import expect

    _open_monitoring(page)
    amount = page.locator('table.features tr[data-feature="amount"]')
    assert amount.get_attribute("data-status") == "red"
    assert "significant shift" in amount.inner_text()
    assert page.locator('table.features tr[data-feature="term"] .tag').inner_text() == "stable"
    assert page.locator('ul.alerts li[data-feature="amount"]').count() == 1

    # Every chart is an image named by its title and described by its summary.
    for key, title in TITLES.items():
        chart = page.get_by_role("img", name=title)
        expect(chart).to_be_visible()
        summary = page.locator(f"#chart-{key} figcaption .summary").inner_text()
        expect(chart).to_have_accessible_description(summary)

    # Stability: a visible bar per run for the amount, above its red band's edge.
    stability = page.locator("svg.stability-chart")
    bars = stability.locator('g[data-feature="amount"] rect.cell')
    assert bars.count() == 4
    red_line = stability.locator('g[data-feature="amount"] line.band.red').bounding_box()
    for i in range(4):
        box = bars.nth(i).bounding_box()
        assert box and red_line and box["height"] > 0 and box["y"] < red_line["y"]
    psi = stability.locator('g[data-series="score-psi"] rect.cell')
    assert psi.count() == 4

    # Distribution: a reference and a period bar per score bin, both drawn.
    distribution = page.locator("svg.distribution-chart")
    reference, period = distribution.locator("rect.reference"), distribution.locator("rect.period")
    assert reference.count() == period.count() > 0
    assert reference.first.bounding_box()["height"] > 0  # type: ignore[index]

    # Vintages: July and August measured (a point each, joined), September not yet.
    vintages = page.locator("svg.vintages-chart")
    auc = vintages.locator("g.panel circle.marker.series-auc")
    assert auc.count() == 2 and all(auc.nth(i).is_visible() for i in range(2))
    assert vintages.locator("polyline.series-auc").count() == 1
    notes = vintages.locator("text.not-measured")
    assert notes.count() == 2  # AUC and KS of September
    assert (notes.first.text_content() or "").endswith("n/m")
    assert "2026-09: AUC not measurable: no labelled rows" in (
        notes.first.locator("title").text_content() or ""
    )

    # Calibration: a quarter of the decisions went bad against a predicted half, so the band's
    # point is below the diagonal and marked as outside its interval.
    calibration = page.locator("svg.calibration-chart")
    diagonal = calibration.locator("polyline.diagonal").bounding_box()
    assert diagonal and diagonal["width"] > 100 and diagonal["height"] > 100
    point = calibration.locator("g.panel polygon.marker.calibration.outside")
    assert point.count() == 1
    x, y = _centre(point.bounding_box())
    share = (x - diagonal["x"]) / diagonal["width"]
    on_diagonal = diagonal["y"] + diagonal["height"] * (1 - share)
    assert y > on_diagonal + 10  # below the diagonal (y grows down)
    assert calibration.locator("line.ci:not(.cap)").count() == 1

    # The values as a table open without a script.
    table = page.locator("#chart-calibration details table")
    assert not table.is_visible()
    page.locator("#chart-calibration details summary").click()
    assert table.is_visible() and "prediction outside the interval" in table.inner_text()


def test_the_runs_report_downloads_as_a_pdf_and_older_runs_open(
    page: Any, server: Server, tmp_path: Path
) -> None:
    _open_monitoring(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Monitoring report of this run (PDF)").click()
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".pdf")
    reader = pypdf.PdfReader(saved)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Monitoring report: Consumer lending" in text and "status red" in text
    assert all(title in text for title in TITLES.values())

    # An older run opens from the history, with its own report link.
    page.locator("table.runs tbody tr").last.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/monitoring\?run="))
    assert "2026-07-01 to 2026-07-31" in page.locator("section#run").inner_text()
    oldest = server.runtime.monitoring.runs(BANK_C, LENDING)[-1]["run_id"]
    link = page.get_by_role("link", name="Monitoring report of this run (PDF)")
    assert link.get_attribute("href", timeout=1000).endswith(f"/runs/{oldest}/report.pdf")
