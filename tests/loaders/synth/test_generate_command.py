"""`utilityflow generate`: every option documented, user mistakes are one-line usage errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli


def test_help_documents_every_option() -> None:
    res = CliRunner().invoke(cli, ["generate", "--help"])
    assert res.exit_code == 0
    for opt in (
        "--customers",
        "--days",
        "--start",
        "--seed",
        "--out",
        "--defect-rate-scale",
        "--trend",
        "improving|flat|degrading",
        "--scale-profile",
        "utility-month",
    ):
        assert opt in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2026-13-01"], "YYYY-MM-DD"),
        (["--customers", "0"], "--customers"),
        (["--trend", "sideways"], "--trend"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    base = {"--customers": "5", "--days": "1", "--start": "2026-11-01", "--seed": "1", "--out": str(tmp_path)}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    res = CliRunner().invoke(cli, ["generate", *[x for kv in base.items() for x in kv]])
    assert res.exit_code == 2 and message in res.output


def test_unwritable_out_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = CliRunner().invoke(
        cli,
        [
            "generate",
            "--customers",
            "5",
            "--days",
            "1",
            "--start",
            "2026-11-01",
            "--seed",
            "1",
            "--out",
            str(blocker / "sub"),
        ],
    )
    assert res.exit_code == 2 and "cannot write" in res.output


def test_generates_a_manifest(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "generate",
            "--customers",
            "40",
            "--days",
            "1",
            "--start",
            "2026-11-01",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
            "--trend",
            "improving",
        ],
    )
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["parameters"]["trend"] == "improving" and m["deliveries"]
