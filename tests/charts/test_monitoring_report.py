"""The PDF monitoring report of a run: a real PDF whose text says what the page says, with the
same charts, and the same bytes every time for the same run."""

from __future__ import annotations

import io
from dataclasses import replace

import pypdf
import pytest

from attest.charts.monitoring import NO_VINTAGES, TITLES
from attest.reports.monitoring_pdf import monitoring_report
from tests.charts.documents import view


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_report_holds_the_run_its_tables_alerts_and_every_chart() -> None:
    shown = view()
    pdf = monitoring_report(shown)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "Monitoring report: Consumer lending"
    text = " ".join(_text(pdf).split())
    assert "Monitoring report: Consumer lending" in text and "Lakeside Credit Union" in text
    assert "status red" in text and "Model version m1" in text
    assert "2026-09-01 to 2026-09-30: 400 decisions" in text
    assert "file (validation.csv), 600 rows" in text and "ledger entry #42" in text
    for title in TITLES.values():
        assert title in text, title
    assert "finding (MRM-7) by cora, 2026-10-02 09:00:00 UTC: loans grew: revalidate" in text
    assert "open: nothing recorded yet" in text
    features = shown.document["features"]
    assert f"amount {features['amount']['csi']['value']:.4f}" in text
    assert "Hosmer" in text and "Brier score" in text
    assert "2026-09 410 12 3% \u2013" in text  # the vintages' table
    assert "Predicted event rate (mean score of the band)" in text


def test_the_same_run_gives_the_same_bytes_and_another_run_other_bytes() -> None:
    first = monitoring_report(view())
    assert monitoring_report(view()) == first
    other = view()
    other_run = other.run | {"run_id": "019f-run-10"}
    assert monitoring_report(replace(other, run=other_run)) != first


def test_a_run_without_vintages_or_outcomes_says_so_in_the_report() -> None:
    shown = view(with_vintages=False, acted=False)
    text = " ".join(_text(monitoring_report(shown)).split())
    assert NO_VINTAGES in text
    assert "finding" not in text


def test_a_report_needs_a_run() -> None:
    with pytest.raises(ValueError, match="needs a run"):
        monitoring_report(replace(view(), run=None, document=None))
