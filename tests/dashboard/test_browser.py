"""The console in a real browser: `utilityflow dashboard` served headless, driven by Debian's Chromium.

The setup installs the `chromium` package when /usr/bin/chromium is missing (Playwright's own browser
download is not reachable here). Screenshots land in test-artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
UTILITYFLOW = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "utilityflow"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed on first use (the test runs as root in CI)."""
    if not Path(CHROMIUM).exists():
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.fail(f"{CHROMIUM} is missing and this user cannot install it: run "
                        "`sudo apt-get install -y chromium`.", pytrace=False)
        # Wait for the dpkg lock instead of failing when another job is installing packages.
        lock = ["-o", "DPkg::Lock::Timeout=600"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", *lock, "update", "-qq"], check=True, env=env, timeout=900)
        subprocess.run(["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                       check=True, env=env, timeout=900)
    assert Path(CHROMIUM).exists()
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(populated: tuple[str, object]) -> Iterator[tuple[str, object]]:
    """`utilityflow dashboard` on a free port, up once /_stcore/health answers ok."""
    url, summary = populated
    port = _free_port()
    log = (ARTIFACTS / "dashboard-server.log")
    ARTIFACTS.mkdir(exist_ok=True)
    out = log.open("wb")
    proc = subprocess.Popen(
        [str(UTILITYFLOW), "dashboard", "--port", str(port), "--address", "127.0.0.1", "--warehouse", url],
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"console did not start: {log.read_text(errors='replace')[-2000:]}", pytrace=False)
        time.sleep(0.3)
    yield base, summary
    os.killpg(proc.pid, signal.SIGTERM)  # the process group this fixture started, by its id
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    out.close()


@pytest.fixture(scope="module")
def browser_page(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2600})
        yield page
        browser.close()


def _wait_for_charts(page: object, count: int) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {count}", timeout=45_000)


def _grid_text(page: object, index: int) -> str:
    """The cells of a dataframe: Streamlit draws them on a canvas and mirrors them in an accessible table
    once the grid has been on screen."""
    grids = page.locator("[data-testid='stDataFrame']")  # type: ignore[attr-defined]
    grid = grids.nth(index if index >= 0 else grids.count() + index)
    grid.scroll_into_view_if_needed()
    grid.hover()
    for _ in range(50):
        text = grid.text_content() or ""
        if text.strip():
            return str(text)
        page.wait_for_timeout(100)  # type: ignore[attr-defined]
    return ""


def test_overview_in_chromium(server: tuple[str, object], browser_page: object) -> None:
    base, _summary = server
    page = browser_page
    page.goto(f"{base}/?source=gis", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    page.get_by_text("Data quality overview").first.wait_for(timeout=45_000)  # type: ignore[attr-defined]
    _wait_for_charts(page, 3)
    page.get_by_text("Cleansed score").first.wait_for()  # type: ignore[attr-defined]
    body = page.inner_text("body")  # type: ignore[attr-defined]
    for text in ("Raw score", "Cleansing gain", "Open incidents", "Coverage", "Latest batch score per dataset",
                 "Score over time"):
        assert text in body, text
    # The trend chart drew its lines (SVG paths of the scatter traces), not just an empty frame.
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 6  # type: ignore[attr-defined]
    # The link's filter reached the sidebar and the data: only GIS datasets in the batch table.
    values = page.locator("[data-testid='stSidebar'] input").evaluate_all(  # type: ignore[attr-defined]
        "els => els.map(e => e.value || e.getAttribute('aria-label') || '')")
    selected = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.text_content()  # type: ignore[attr-defined]
    assert "gis" in " ".join(values) + (selected or ""), (values, selected)
    grid = _grid_text(page, 0)
    assert "gis_premise" in grid and "cis_customer" not in grid, grid[:300]
    assert "Page not found" not in body
    assert "source=gis" in page.url  # type: ignore[attr-defined]
    page.wait_for_timeout(800)  # type: ignore[attr-defined]  # let Plotly finish its transition
    page.screenshot(path=str(ARTIFACTS / "console-overview.png"), full_page=True)  # type: ignore[attr-defined]


def test_check_page_in_chromium(server: tuple[str, object], browser_page: object) -> None:
    base, summary = server
    check_id = next(c for c in summary.check_ids if ".email_" in c)  # type: ignore[attr-defined]
    page = browser_page
    page.goto(f"{base}/check?check={check_id}&stage=raw", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    page.get_by_text("Recent failed-row samples").first.wait_for(timeout=45_000)  # type: ignore[attr-defined]
    _wait_for_charts(page, 2)
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert check_id in body
    assert "Observed value, anomaly band and thresholds" in body
    assert "Rule versions" in body and "Page not found" not in body
    page.wait_for_timeout(800)  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "console-check.png"), full_page=True)  # type: ignore[attr-defined]
    # The samples grid is a canvas: read its cells through the accessible table Streamlit renders.
    text = _grid_text(page, -1)
    assert "john.smith@example.com" not in text and "john.smith" not in body
    assert "j***@***.com" in text, text[:500]
    assert "check=" in page.url and "stage=raw" in page.url  # type: ignore[attr-defined]
