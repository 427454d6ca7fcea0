"""``attest monitor report``: a run's PDF report from the command line, the same bytes as the
web app serves and as another call writes."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pypdf
import pytest

from attest.cli.main import main
from attest.config import get_settings
from attest.reports.monitoring_pdf import monitoring_report
from attest.reports.monitoring_run import load
from attest.runtime import Runtime
from tests.web.seed import BANK_C, LENDING, make_runtime, seed, seed_fairness, seed_monitoring


@pytest.fixture(scope="module")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Bank C's monitoring runs (tests/web/seed.py) in a home of this module's tests."""
    home = tmp_path_factory.mktemp("monitor-report") / "home"
    runtime = make_runtime(home)
    try:
        seed(runtime)
        seed_fairness(runtime)
        return home, seed_monitoring(runtime)
    finally:
        runtime.close()


@pytest.fixture
def runs(seeded_home: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """ATTEST_HOME is the seeded home, and no other ATTEST_* setting is set."""
    for name in list(os.environ):
        if name.startswith("ATTEST_") and not name.startswith("ATTEST_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ATTEST_HOME", str(seeded_home[0]))
    return seeded_home[1]


def test_the_report_command_writes_the_runs_pdf(
    runs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.pdf"
    where = ["--tenant", BANK_C, "--system", LENDING, "--run", runs[-1]]
    assert main(["monitor", "report", *where, "--out", str(out)]) == 0
    assert f"monitoring report of {LENDING} run {runs[-1]} (status red)" in capsys.readouterr().out
    pdf = out.read_bytes()
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Monitoring report: Consumer lending" in text and "status red" in text

    again = tmp_path / "again.pdf"
    assert main(["monitor", "report", *where, "--out", str(again)]) == 0
    assert again.read_bytes() == pdf
    runtime = Runtime(get_settings())  # as `attest serve` reads it
    try:
        assert monitoring_report(load(runtime, BANK_C, LENDING, runs[-1])) == pdf
    finally:
        runtime.close()


def test_an_unknown_run_is_an_error_and_writes_nothing(
    runs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.pdf"
    where = ["--tenant", BANK_C, "--system", LENDING, "--run", "not-a-run", "--out", str(out)]
    assert main(["monitor", "report", *where]) == 1
    assert "no such monitoring run" in capsys.readouterr().err
    assert not out.exists()
