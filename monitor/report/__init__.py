"""The executive data-quality trend report: one self-contained HTML file, optionally a PDF.

    from monitor.report import write_report, write_demo_report
    write_report(engine, parse_period("2026-10", None, None), Path("dq-2026-10.html"), pdf=True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from monitor.report.data import ReportData, gather, score_range
from monitor.report.html import render
from monitor.report.period import Period, month, parse_period

__all__ = [
    "ReportOutput", "gather", "parse_period", "render", "write_demo_report", "write_monthly_report", "write_report",
]


@dataclass(frozen=True)
class ReportOutput:
    html: Path
    pdf: Path | None
    data: ReportData


def write_report(engine: Engine, period: Period | None, out: Path, *, pdf: bool = False) -> ReportOutput:
    """Gather the numbers for `period` (None: everything on record), write `out` (HTML) and, with
    `pdf=True`, the PDF next to it (same name, .pdf)."""
    data = gather(engine, period)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    pdf_path = None
    if pdf:
        from monitor.report.pdf import html_to_pdf

        pdf_path = html_to_pdf(out, out.with_suffix(".pdf"))
    return ReportOutput(out, pdf_path, data)


def demo_period(engine: Engine) -> Period | None:
    """The period the demo reports on: the latest month with scores (None when nothing is on record)."""
    _, last = score_range(engine)
    return month(last) if last else None


def write_demo_report(engine: Engine, out_dir: Path, *, pdf: bool = False) -> ReportOutput:
    """Write `dq-report-YYYY-MM.html` (and .pdf) for the demo period into `out_dir`."""
    period = demo_period(engine)
    name = f"dq-report-{period.start:%Y-%m}.html" if period else "dq-report.html"
    return write_report(engine, period, Path(out_dir) / name, pdf=pdf)


def write_monthly_report(engine: Engine, out_dir: Path, *, today: date | None = None,
                         pdf: bool = False) -> ReportOutput:
    """The scheduler's monthly job: the report for the last full calendar month before `today`."""
    first_of_this_month = (today or date.today()).replace(day=1)
    period = month(first_of_this_month - timedelta(days=1))
    return write_report(engine, period, Path(out_dir) / f"dq-report-{period.start:%Y-%m}.html", pdf=pdf)
