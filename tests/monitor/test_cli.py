"""The CLI: help for every command, light start-up, exit codes and one-line errors without secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from monitor.cli import COMMANDS

# Commands that never open a warehouse, so a --warehouse option would be a silent no-op.
WRITES_FILES_ONLY = {"generate"}

HEAVY = ("pandas", "great_expectations", "soda", "streamlit", "plotly", "duckdb", "sqlalchemy")


def run(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_every_command_with_a_description() -> None:
    out = run("--help")
    assert out.returncode == 0
    for name, (_, help_text) in COMMANDS.items():
        assert name in out.stdout and help_text[:30] in out.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_takes_warehouse(name: str) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: cli " + name in result.output or f"{name} [OPTIONS]" in result.output
    if name not in WRITES_FILES_ONLY:
        assert "--warehouse URL" in result.output


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from monitor.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:", f"imported at start-up: {out.stdout}"


def test_unknown_command_suggests_the_closest() -> None:
    out = run("inti")
    assert out.returncode == 2
    assert "Did you mean 'init'?" in out.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["init", "--warehouse", "foo://x"], 2, "unsupported warehouse 'foo'"),
        (["init", "--warehouse", "duckdb:///no/such/dir/w.duckdb"], 2, "does not exist"),
        (["ddl", "--dialect", "oracle"], 2, "Invalid value for '--dialect'"),
        (["init", "--warehouse", "postgresql://etl:hunter2@127.0.0.1:1/dw"], 3, "cannot connect"),
    ],
)
def test_user_mistakes_give_one_line_and_an_exit_code(args: list[str], code: int, message: str) -> None:
    out = run(*args)
    assert out.returncode == code, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr and "hunter2" not in out.stderr + out.stdout


def test_debug_shows_the_traceback_still_without_secrets() -> None:
    out = run("--debug", "init", "--warehouse", "postgresql://etl:hunter2@127.0.0.1:1/dw")
    assert out.returncode == 3
    assert "Traceback" in out.stderr and "hunter2" not in out.stderr


def test_init_is_idempotent_and_ddl_defaults_to_the_warehouse_dialect(tmp_path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    first = run("init", "--warehouse", url)
    assert first.returncode == 0, first.stderr
    from warehouse.schema import migrations

    assert first.stdout.count("statements") == len(migrations())
    again = run("init", "--warehouse", url)
    assert again.stdout.count("already_applied") == len(migrations())
    ddl = run("ddl", "--warehouse", "postgresql://u@h/db")
    assert "-- Migration 001 (staging) for postgres." in ddl.stdout


def test_config_shows_masked_settings_from_the_environment() -> None:
    out = run(
        "config",
        "--format",
        "json",
        env={
            "UTILITYFLOW_SLACK_TOKEN": "xoxb-999-secret",
            "UTILITYFLOW_WAREHOUSE_URL": "postgresql://a:pw@h/d",
        },
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["slack_token"] == "***" and data["warehouse_url"] == "postgresql://a:***@h/d"
