"""A run's monitoring report as a PDF from the web app: for those who may see the monitoring
page, of their own bank only, and the same bytes every time for the same run."""

from __future__ import annotations

import io
from collections.abc import Callable

import pypdf
import pytest

from attest.charts.monitoring import TITLES
from tests.web.conftest import TestClient
from tests.web.seed import BANK_A, BANK_C, CREDIT, LENDING

PAGE = f"/tenants/{BANK_C}/systems/{LENDING}/monitoring"
UserClient = Callable[[str], TestClient]

pytestmark = pytest.mark.usefixtures("monitoring_runs")


def _report(run: str) -> str:
    return f"{PAGE}/runs/{run}/report.pdf"


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_report_is_a_pdf_of_the_run_with_every_chart(
    as_user: UserClient, monitoring_runs: list[str]
) -> None:
    answer = as_user("rhea").get(_report(monitoring_runs[-1]))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.pdf"')
    assert answer.headers["cache-control"] == "no-store"
    assert answer.content.startswith(b"%PDF-")
    text = _text(answer.content)
    assert "Monitoring report: Consumer lending" in text and "Lakeside Credit Union" in text
    assert "status red" in text and "2026-09-01 to 2026-09-30" in text
    assert "lending-validation.csv" in text
    for title in TITLES.values():
        assert title in text, title
    assert "CSI of amount" in text and "open: nothing recorded yet" in text
    assert "Applicant Person" not in text  # no personal data


def test_the_same_run_gives_the_same_bytes(as_user: UserClient, monitoring_runs: list[str]) -> None:
    rhea = as_user("rhea")
    first = rhea.get(_report(monitoring_runs[1])).content
    assert rhea.get(_report(monitoring_runs[1])).content == first
    assert as_user("cora").get(_report(monitoring_runs[1])).content == first
    older = rhea.get(_report(monitoring_runs[0])).content
    assert older != first and "2026-07-01 to 2026-07-31" in _text(older)


def test_the_report_needs_a_user_of_the_bank_and_a_run_of_the_system(
    app_client: Callable[..., TestClient], as_user: UserClient, monitoring_runs: list[str]
) -> None:
    path = _report(monitoring_runs[-1])
    anonymous = app_client().get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    for other_bank in ("alice", "bob", "dora", "paul"):
        refused = as_user(other_bank).get(path)
        assert refused.status_code == 403 and b"%PDF" not in refused.content
    assert as_user("vera").get(path).status_code == 200  # an auditor of every bank
    rhea = as_user("rhea")
    assert rhea.get(_report("not-a-run")).status_code == 404
    assert rhea.get(_report("x" * 200)).status_code == 404
    elsewhere = f"/tenants/{BANK_A}/systems/{CREDIT}/monitoring/runs/{monitoring_runs[-1]}"
    assert as_user("vera").get(f"{elsewhere}/report.pdf").status_code == 404  # not that system's
    assert rhea.post(path).status_code == 405
