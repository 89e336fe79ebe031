"""The README stays true to the code: every setting, command and migration is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import COMMANDS
from monitor.settings import SETTINGS
from warehouse.schema import migrations

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting) -> None:
    assert f"`UTILITYFLOW_{setting.name.upper()}`" in README


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_documented(name: str) -> None:
    assert f"`utilityflow {name}" in README


def test_every_migration_is_documented() -> None:
    for m in migrations():
        assert f"`{m.filename[:-4]}`" in README, m.filename


def test_the_quickstart_is_the_ci_command() -> None:
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in README and "make demo" in README
