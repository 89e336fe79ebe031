"""The HTML report: self-contained (plotly.js once, nothing fetched), the right numbers, no PII; the CLI;
the PDF printed by a real headless Chromium and rasterised with pdftoppm."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from monitor.cli import cli
from monitor.report import write_demo_report, write_report
from monitor.report.html import points
from monitor.report.period import ReportUsageError, parse_period
from warehouse.engine import create_engine
from warehouse.migrate import migrate


def _text(html: str) -> str:
    """Visible text: scripts and tags removed."""
    html = re.sub(r"(?s)<script.*?</script>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_html_is_self_contained_with_the_numbers_and_no_pii(
    filled: tuple[Engine, Any], tmp_path: Path, pii: tuple[str, ...]
) -> None:
    engine, seed = filled
    out = write_report(engine, parse_period("2026-10", None, None), tmp_path / "r.html")
    html = out.html.read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1 and html.count("<div class='chart'>") == 4
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    # outside the embedded plotly.js bundle (which names its optional map-tile URL) nothing points at a network
    markup = re.sub(r"(?s)(<script[^>]*>).*?</script>", r"\1</script>", html)
    assert "http://" not in markup and "https://" not in markup
    text = _text(html)
    h = out.data.headline
    assert h is not None
    assert f"{points(h.score)} Overall quality score, October 2026" in text
    assert f"{(h.score - h.previous_score) * 100:+.1f} pts vs September 2026" in text
    assert f"{(h.score - h.first_score) * 100:+.1f} pts Since the first period on record (August 2026)" in text
    assert f"from {points(h.first_score)} in August 2026 to {points(h.score)}" in text
    assert "Top failing checks" in text and "cis.email_valid" in text and "crm-data" in text
    assert "mean time to resolve" in text and f"{out.data.incidents.mean_hours_to_resolve:.1f} h" in text
    assert "Contactable customers" in text and "Methods" in text
    for secret in pii + ("Jane", "example.com"):
        assert secret not in html


def test_monthly_job_reports_the_last_full_month(duckdb_file: str, tmp_path: Path) -> None:
    from monitor.report import write_monthly_report

    engine = create_engine(duckdb_file, read_only=True)
    out = write_monthly_report(engine, tmp_path, today=date(2026, 11, 3))
    assert out.html.name == "dq-report-2026-10.html"
    assert out.data.headline is not None and out.data.headline.current.label == "October 2026"
    engine.dispose()


def test_a_period_without_results_says_which_periods_have_some(duckdb_file: str, tmp_path: Path) -> None:
    engine = create_engine(duckdb_file, read_only=True)
    out = write_report(engine, parse_period("2025-01", None, None), tmp_path / "early.html")
    text = _text(out.html.read_text(encoding="utf-8"))
    assert "No check results fall in January 2025. Results on record run from 2026-08-05 to 2026-10-25" in text
    engine.dispose()


def test_empty_warehouse_writes_a_helpful_page(duckdb_engine: Engine, tmp_path: Path) -> None:
    migrate(duckdb_engine)
    out = write_report(duckdb_engine, None, tmp_path / "empty.html")
    assert "No data-quality results are on record yet" in out.html.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (("2026-13", None, None), "expected a month as YYYY-MM"),
    (("2026-10", "2026-10-01", None), "either --period or --from/--to"),
    ((None, "2026-10-01", None), "--from and --to go together"),
    ((None, "2026-10-05", "2026-10-01"), "before --from"),
    ((None, "1 Oct", "2026-10-01"), "--from '1 Oct': expected a date"),
])
def test_bad_period_options_say_what_to_do(args: tuple, message: str) -> None:
    with pytest.raises(ReportUsageError, match=re.escape(message)) as info:
        parse_period(*args)
    assert info.value.exit_code == 2


def test_cli_writes_the_report_for_a_date_range(duckdb_file: str, tmp_path: Path) -> None:
    out = tmp_path / "range.html"
    result = CliRunner().invoke(cli, ["report", "--from", "2026-09-01", "--to", "2026-10-31", "--out", str(out),
                                      "--warehouse", duckdb_file])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert "2026-09-01 to 2026-10-31" in _text(out.read_text(encoding="utf-8"))


def test_cli_rejects_a_bad_period_with_exit_code_2(duckdb_file: str, tmp_path: Path) -> None:
    import subprocess as sp
    import sys

    done = sp.run([sys.executable, "-m", "monitor.cli", "report", "--period", "October", "--out",
                   str(tmp_path / "x.html"), "--warehouse", duckdb_file], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "error [report_usage]: --period 'October': expected a month as YYYY-MM" in done.stderr


def _ensure(binary: str, package: str) -> str:
    """The test setup installs Debian's package when the binary is missing (as CI does)."""
    found = shutil.which(binary)
    if found:
        return found
    subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=300)
    subprocess.run(["apt-get", "install", "-y", package], check=True, capture_output=True, timeout=600)
    found = shutil.which(binary)
    assert found, f"{package} installed but {binary} is not on PATH"
    return found


@pytest.mark.browser
def test_pdf_renders_and_page_one_shows_the_headline_and_charts(duckdb_file: str, tmp_path: Path) -> None:
    _ensure("chromium", "chromium")
    pdftoppm = _ensure("pdftoppm", "poppler-utils")
    engine = create_engine(duckdb_file, read_only=True)
    out = write_demo_report(engine, tmp_path, pdf=True)
    assert out.html.name == "dq-report-2026-10.html" and out.pdf is not None
    assert out.pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(out.pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    h = out.data.headline
    assert "Data quality trend report" in text and "October 2026" in text
    assert points(h.score) in text and "Overall quality score" in text
    assert "Quality score by DAMA dimension" in text  # the chart was drawn by plotly before printing
    subprocess.run([pdftoppm, "-r", "40", "-gray", "-f", "1", "-l", "1", str(out.pdf), str(tmp_path / "p")],
                   check=True, timeout=60)
    [pgm] = list(tmp_path.glob("p*.pgm"))
    width, height, pixels = _read_pgm(pgm.read_bytes())
    dark = sum(1 for p in pixels if p < 200) / (width * height)
    # text, tiles and chart lines cover a few percent of an A4 page; a blank or unrendered page has ~0
    assert 0.02 < dark < 0.5, dark
    # the charts are drawn: the lines of the trend chart give dark pixels in the page's middle third
    middle = pixels[width * height // 3: 2 * width * height // 3]
    assert sum(1 for p in middle if p < 200) / len(middle) > 0.01


def _read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """Binary PGM (P5): header `P5 width height maxval` then one byte per pixel."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    assert fields[0] == b"P5" and int(fields[3]) < 256
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:]
    assert len(pixels) == width * height
    return width, height, pixels
