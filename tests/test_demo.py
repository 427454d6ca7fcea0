"""The main scenario runs clean on the real German credit data, twice in a row."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from attest.config import Settings
from attest.demo.german_credit import PROTECTED, application_entries, applications
from attest.demo.scenario import TENANT, run_scenario
from attest.runtime import Runtime


def test_the_german_credit_file_is_the_cited_one() -> None:
    data = resources.files("attest.demo").joinpath("data/german.data").read_bytes()
    assert (
        hashlib.sha256(data).hexdigest()
        == "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871"
    )
    readme = resources.files("attest.demo").joinpath("data/README.md").read_text()
    assert "DOI 10.24432/C5NC77" in readme and "CC BY 4.0" in readme


def test_applications_parse_with_the_documented_outcome_split() -> None:
    rows = list(applications())
    assert len(rows) == 1000
    assert sum(r["credit_risk"] == 1 for r in rows) == 700
    entries = list(application_entries())
    assert all(set(e["body"]["protected"]) == set(PROTECTED) for e in entries)
    assert all(not set(PROTECTED) & set(e["body"]["inputs"]) for e in entries)


def test_the_scenario_runs_clean_and_again(tmp_path: Path) -> None:
    lines: list[str] = []
    runtime = Runtime(Settings(home=tmp_path / "home"))
    try:
        assert run_scenario(runtime, echo=lines.append) == 0
        assert run_scenario(runtime, echo=lines.append) == 0  # ids make the rerun a no-op
        assert runtime.ledger.latest_checkpoint(TENANT).size == 1001
    finally:
        runtime.close()
    text = "\n".join(lines)
    assert "1000 new, 0 already there" in text and "0 new, 1000 already there" in text
    assert "its entry still verifies after erasure" in text
    assert text.count("audit: 1001 entries") == 2 and "INVALID" not in text
