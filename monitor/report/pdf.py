"""Print the HTML report to PDF with headless Chromium (Debian's `chromium`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from monitor.errors import MonitorError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120


class PdfError(MonitorError):
    """The PDF could not be produced (no browser, or the browser failed)."""

    code = "report_pdf"


def find_chromium() -> str:
    """The browser to print with: $UTILITYFLOW_CHROMIUM, else the first of CANDIDATES on PATH."""
    configured = os.environ.get("UTILITYFLOW_CHROMIUM")
    if configured:
        return configured
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise PdfError(
        "no Chromium found to print the PDF; install it (Debian: apt-get install -y chromium) or set "
        "UTILITYFLOW_CHROMIUM to the browser's path. The HTML report was written."
    )


def html_to_pdf(html_file: Path, pdf_file: Path, browser: str | None = None) -> Path:
    """Render `html_file` to `pdf_file` (A4, as the report's print CSS lays it out)."""
    exe = browser or find_chromium()
    pdf_file = pdf_file.resolve()
    with tempfile.TemporaryDirectory(prefix="uf-chromium-") as profile:
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={profile}",
            # Let plotly's JavaScript draw the charts before printing.
            "--virtual-time-budget=15000", "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except FileNotFoundError:
            raise PdfError(f"browser {exe!r} not found; install chromium or set UTILITYFLOW_CHROMIUM.") from None
        except subprocess.TimeoutExpired:
            raise PdfError(f"{exe} did not finish printing within {TIMEOUT_S} s.") from None
    if done.returncode != 0 or not pdf_file.exists() or pdf_file.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PdfError(f"{exe} failed to print {html_file} (exit {done.returncode}): {' | '.join(tail)}")
    return pdf_file
