"""Every console page through Streamlit's AppTest: empty and populated warehouses, filters from the URL and
the sidebar, incident actions that write, and the busy-warehouse path.

The warehouse URL is passed explicitly in session state (AppTest secrets do not reach `st.connection`).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard import context
from monitor import console_db
from warehouse.engine import create_engine

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = ["app_pages/overview.py", "app_pages/datasets.py", "app_pages/check_detail.py", "app_pages/batches.py",
         "app_pages/incidents.py", "app_pages/alerts.py"]
TITLES = {"app_pages/overview.py": "Data quality overview", "app_pages/datasets.py": "Datasets",
          "app_pages/check_detail.py": "Check detail", "app_pages/batches.py": "Batches",
          "app_pages/incidents.py": "Incidents", "app_pages/alerts.py": "Alerts"}


def run(url: str, page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["warehouse_url"] = url
    at.query_params.update(query)
    at.run()
    if page and page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success",
                                  "warning", "error") for e in at.get(kind)]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_pages_on_a_missing_warehouse_say_what_to_run(missing_url: str, page: str) -> None:
    at = run(missing_url, page)
    assert at.title[0].value == TITLES[page]
    assert "utilityflow demo" in at.info[0].value and "No warehouse file" in at.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_pages_on_an_empty_warehouse_show_the_first_run_message(empty_url: str, page: str) -> None:
    at = run(empty_url, page)
    assert at.title[0].value == TITLES[page]
    assert "No check results yet" in at.info[0].value and "utilityflow demo" in at.info[0].value
    assert not at.get("plotly_chart")


def test_unmigrated_warehouse_says_run_init(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"duckdb:///{tmp_path / 'bare.duckdb'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE something_else (x INTEGER)")
    engine.dispose()
    at = run(url)
    assert "utilityflow init" in at.info[0].value


@pytest.mark.parametrize(("page", "charts", "must_show"), [
    ("app_pages/overview.py", 3, ["Cleansed score", "Raw score", "Latest batch score per dataset", "Coverage"]),
    ("app_pages/datasets.py", 0, []),
    ("app_pages/check_detail.py", 2, ["Rule versions", "Recent failed-row samples"]),
    ("app_pages/batches.py", 6, ["Quarantine reasons", "Deliveries"]),
    ("app_pages/incidents.py", 0, ["Open=3", "Acknowledged=1", "Resolved=2", "Act on an incident"]),
    ("app_pages/alerts.py", 2, []),
])
def test_pages_on_a_populated_warehouse(populated, page: str, charts: int, must_show: list[str]) -> None:  # type: ignore[no-untyped-def]
    url, _ = populated
    at = run(url, page)
    assert at.title[0].value == TITLES[page]
    assert len(at.get("plotly_chart")) >= charts
    shown = texts(at)
    for text in must_show:
        assert text in shown, text
    assert at.dataframe, "every page shows at least one table"
    assert not at.error


def test_overview_numbers_match_the_warehouse(populated) -> None:  # type: ignore[no-untyped-def]
    url, _ = populated
    at = run(url)
    engine = create_engine(url, read_only=True)
    with engine.connect() as conn:
        last = conn.execute(sa.text("SELECT MAX(date_key) FROM fact_data_quality")).scalar_one()
        wss, ws = conn.execute(sa.text(
            "SELECT SUM(score * CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN score IS NULL THEN 0 WHEN severity = 'critical' THEN 3 WHEN severity = 'warning' "
            "THEN 1 ELSE 0 END) FROM fact_data_quality WHERE stage = 'cleansed' AND date_key = :d"), {"d": last}).one()
    engine.dispose()
    metric = next(m for m in at.metric if m.label == "Cleansed score")
    assert metric.value == f"{100 * wss / ws:.1f}%"


def test_source_filter_from_the_url_changes_the_overview(populated) -> None:  # type: ignore[no-untyped-def]
    url, _ = populated
    everything = run(url).dataframe[0].value
    gis = run(url, source="gis")
    assert gis.sidebar.selectbox(key="f_source").value == "gis"
    only_gis = gis.dataframe[0].value
    assert set(everything["source"]) == {"cis", "mdm", "crm", "payments", "workorders", "gis"}
    assert set(only_gis["source"]) == {"gis"} and len(only_gis) < len(everything)


def test_sidebar_filter_changes_content_and_the_url(populated) -> None:  # type: ignore[no-untyped-def]
    url, _ = populated
    at = run(url, "app_pages/datasets.py")
    before = at.dataframe[0].value
    at.sidebar.selectbox(key="f_owner").set_value("meter-data").run()
    after = at.dataframe[0].value
    assert set(after["owner"]) == {"meter-data"} and len(after) < len(before)
    assert at.query_params["owner"] == "meter-data"
    at.sidebar.selectbox(key="f_severity").set_value("critical").run()
    assert at.query_params["severity"] == "critical"
    last = populated[1].last_day
    at.sidebar.date_input(key="f_dates").set_value((last - timedelta(days=3), last)).run()
    assert at.query_params["from"] == (last - timedelta(days=3)).isoformat()
    assert "to" not in at.query_params  # the range's end is the default: links stay short
    assert set(at.dataframe[0].value["owner"]) == {"meter-data"}


def test_dataset_link_drills_into_the_dataset(populated) -> None:  # type: ignore[no-untyped-def]
    url, _ = populated
    at = run(url, "app_pages/datasets.py", dataset="cis_customer")
    assert any("cis_customer" in h.value for h in at.header)
    checks = at.dataframe[1].value
    assert len(checks) > 0 and checks["check_id"].str.startswith("cis.customer").all()
    batches = at.dataframe[2].value
    assert (batches["feed"] == "cis_customer").all() and batches["rows_conserved"].eq(1).all()


def test_check_link_opens_the_check_with_masked_samples(populated) -> None:  # type: ignore[no-untyped-def]
    url, summary = populated
    check_id = next(c for c in summary.check_ids if ".email_" in c)
    at = run(url, "app_pages/check_detail.py", check=check_id, stage="raw")
    assert at.selectbox(key="cd_check").format_func(at.selectbox(key="cd_check").value) == f"{check_id} (raw)"
    samples = at.dataframe[-1].value
    assert len(samples) == 3
    assert set(samples["offending_value"]) == {"j***@***.com"}  # written unmasked: the console masks
    assert at.query_params["check"] == check_id and at.query_params["stage"] == "raw"


def test_check_picker_changes_the_history(populated) -> None:  # type: ignore[no-untyped-def]
    url, _ = populated
    at = run(url, "app_pages/check_detail.py")
    first = at.subheader[0].value
    at.selectbox(key="cd_check").set_value(3).run()
    assert at.subheader[0].value != first
    assert at.query_params["check"] in at.subheader[0].value


def test_incident_acknowledge_and_resolve_write_to_the_warehouse(writable) -> None:  # type: ignore[no-untyped-def]
    url, _ = writable
    at = run(url, "app_pages/incidents.py")
    open_ids = [i for i in at.selectbox(key="inc_id").options]
    target = int(open_ids[0].split()[0].lstrip("#"))
    at.selectbox(key="inc_id").set_value(target)
    at.text_input(key="inc_who").input("dana")
    at.text_area(key="inc_note").input("checking the CIS extract")
    at.button[0].click().run()  # Acknowledge
    assert not at.exception
    assert any(f"#{target} acknowledged by dana" in s.value for s in at.success)
    row = _incident(url, target)
    assert row["status"] == "acknowledged" and row["acknowledged_by"] == "dana"
    assert row["ack_note"] == "checking the CIS extract" and row["acknowledged_at"] is not None

    at.selectbox(key="inc_id").set_value(target)
    at.text_input(key="inc_who").input("erin")
    at.text_area(key="inc_note").input("vendor fixed the feed")
    at.button[1].click().run()  # Resolve
    row = _incident(url, target)
    assert row["status"] == "resolved" and row["resolved_by"] == "erin"
    assert row["resolve_reason"] == "vendor fixed the feed" and row["resolved_at"] >= row["acknowledged_at"]
    assert next(m for m in at.metric if m.label == "Resolved").value == "3"


def test_incident_action_without_who_is_refused(writable) -> None:  # type: ignore[no-untyped-def]
    url, _ = writable
    at = run(url, "app_pages/incidents.py")
    target = int(at.selectbox(key="inc_id").value)
    before = _incident(url, target)
    at.text_area(key="inc_note").input("no name given")
    at.button[0].click().run()
    assert any("say who you are" in e.value for e in at.error)
    assert _incident(url, target) == before


def _incident(url: str, incident_id: int) -> dict:  # type: ignore[type-arg]
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM dq_incident WHERE incident_id = :i"), {"i": incident_id})
        out = dict(row.mappings().one())
    engine.dispose()
    return out


def test_busy_warehouse_shows_retrying_then_recovers(writable, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url, _ = writable
    path = url.removeprefix("duckdb:///")
    monkeypatch.setattr(console_db, "RETRY_DELAYS", (0.05,))
    monkeypatch.setattr(context, "AUTO_RETRIES", 1)
    monkeypatch.setattr(context, "BUSY_PAUSE_S", 0.05)
    holder = subprocess.Popen(  # another process takes DuckDB's write lock, as a running load would
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
         "sys.stdin.read()", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["warehouse_url"] = url
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        warnings = " ".join(w.value for w in at.warning)
        assert "busy" in warnings.lower() and "write lock" in warnings
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    at.button[0].click().run()  # "Retry now", once the load has finished
    assert not at.exception
    assert at.title[0].value == "Data quality overview" and not at.warning
