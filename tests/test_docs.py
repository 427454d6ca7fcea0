"""The documents keep up with the code: settings documented, README commands exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from attest.cli.main import cli
from attest.config import Settings
from attest.web.settings import WebSettings

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize(
    "variable",
    [f"ATTEST_{name.upper()}" for name in sorted(Settings.model_fields)]
    + [f"ATTEST_WEB_{name.upper()}" for name in sorted(WebSettings.model_fields)],
)
def test_every_setting_is_documented(variable: str) -> None:
    assert f"`{variable}`" in (ROOT / "docs" / "settings.md").read_text()


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


def test_every_attest_command_in_the_readme_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in readme.splitlines():
        line = line.strip()
        if not line.startswith("attest ") and "| attest " not in line:
            continue
        words = line.split("|")[-1].split() if line.startswith("echo") else line.split()
        group = cli
        for word in words[1:]:
            if word.startswith("-") or not hasattr(group, "commands"):
                break
            assert word in group.commands, f"README mentions unknown command: {line}"
            group = group.commands[word]


def test_every_api_route_is_in_docs_api(tmp_path: Path) -> None:
    from attest.api import create_app
    from attest.runtime import Runtime

    documented = (ROOT / "docs" / "api.md").read_text()
    app = create_app(Runtime(Settings(home=tmp_path)))
    for path, methods in app.openapi()["paths"].items():
        for method in methods:
            assert path in documented, f"{method.upper()} {path} is not in docs/api.md"
