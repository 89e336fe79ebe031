"""The console's read API and incident actions on a real DuckDB file and the real PostgreSQL server.

Expected numbers are recomputed here from the fact rows with pandas, independently of the SQL views.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor import console_api as api
from monitor import console_db, console_ops
from monitor.console_api import Filters
from warehouse.engine import create_engine
from warehouse.migrate import migrate

_spec = importlib.util.spec_from_file_location(
    "mart_history", Path(__file__).resolve().parents[1] / "dashboard" / "mart_history.py")
mart_history = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("mart_history", mart_history)
_spec.loader.exec_module(mart_history)  # type: ignore[union-attr]

PG_URL = os.environ.get("UTILITYFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WEIGHT = {"critical": 3, "warning": 1, "info": 0}


@pytest.fixture(params=["duckdb", "postgres"])
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, object]]:
    """(url, summary) of a warehouse with a week of history, on DuckDB and on PostgreSQL."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
        engine = create_engine(url)
    else:
        schema = request.getfixturevalue("pg_schema")  # fresh schema; fails loudly without the server
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        engine = create_engine(url)
    summary = mart_history.fill_history(engine, days=8, checks=24)
    engine.dispose()
    yield url, summary
    console_db.dispose_engines()


def facts(url: str) -> pd.DataFrame:
    engine = create_engine(url)
    with engine.connect() as conn:
        df = pd.read_sql(sa.text("SELECT f.*, c.owner FROM fact_data_quality f "
                                 "JOIN dim_check c ON c.check_key = f.check_key"), conn)
    engine.dispose()
    df["w"] = df["severity"].map(WEIGHT)
    df["ws"] = df["w"].where(df["score"].notna(), 0)
    df["wss"] = (df["score"] * df["w"]).fillna(0)
    return df


def test_score_trend_is_weighted_by_severity_and_rolls_over_sums(filled) -> None:  # type: ignore[no-untyped-def]
    url, _ = filled
    trend = api.score_trend(url, Filters())
    df = facts(url)
    daily = df.groupby(["stage", "date_key"])[["wss", "ws"]].sum().reset_index()
    for stage, grp in daily.groupby("stage"):
        grp = grp.sort_values("date_key")
        expected = (grp["wss"] / grp["ws"]).to_numpy()
        rolling = (grp["wss"].rolling(7, min_periods=1).sum() / grp["ws"].rolling(7, min_periods=1).sum()).to_numpy()
        got = trend[trend["stage"] == stage].sort_values("date_key")
        assert got["score"].to_numpy() == pytest.approx(expected)
        assert got["score_7d"].to_numpy() == pytest.approx(rolling)
    assert set(trend["stage"]) == {"raw", "cleansed"}


def test_filters_narrow_every_query(filled) -> None:  # type: ignore[no-untyped-def]
    url, summary = filled
    df = facts(url)
    f = Filters(source="mdm", severity="critical")
    sub = df[(df["source"] == "mdm") & (df["severity"] == "critical")]
    trend = api.score_trend(url, f)
    assert trend["checks"].sum() == len(sub)
    f = Filters(owner="gis-team", dimension="consistency")
    assert api.checks(url, f)["dataset_name"].str.startswith("gis_").all()
    start = summary.last_day - timedelta(days=2)
    recent = api.score_trend(url, Filters(date_from=start))
    assert recent["date_key"].min() == api.date_key(start) and recent["date_key"].nunique() == 3
    # ... while the 30-day window of the first shown day still looks back before the range.
    full = api.score_trend(url, Filters()).set_index(["date_key", "stage"])
    first = recent[recent["date_key"] == api.date_key(start)].set_index(["date_key", "stage"])
    assert first["score_30d"].to_numpy() == pytest.approx(full.loc[first.index, "score_30d"].to_numpy())
    assert set(api.datasets(url, Filters(source="crm"))["source"]) == {"crm"}
    assert api.coverage(url, Filters(source="crm"))["dataset_name"].str.startswith("crm_").all()


def test_headline_improvement_and_dimensions(filled) -> None:  # type: ignore[no-untyped-def]
    url, summary = filled
    head = api.headline(api.score_trend(url, Filters()))
    assert head["date_key"] == api.date_key(summary.last_day)
    assert head["cleansed"] > head["raw"]
    imp = api.improvement_by_source(url, Filters())
    assert set(imp["source"]) == {"cis", "mdm", "crm", "payments", "workorders", "gis"}
    assert (imp["improvement"] == imp["cleansed_score"] - imp["raw_score"]).all()
    assert (imp["improvement"] > 0).all()
    dims = api.dimension_scores(url, Filters())
    df = facts(url)
    last = df[df["date_key"] == head["date_key"]]
    for row in dims.itertuples():
        part = last[(last["dimension_name"] == row.dimension_name) & (last["stage"] == row.stage)]
        if part["ws"].sum():
            assert row.score == pytest.approx(part["wss"].sum() / part["ws"].sum())


def test_latest_batches_agree_with_the_batch_score_view(filled) -> None:  # type: ignore[no-untyped-def]
    url, _ = filled
    latest = api.latest_batches(url, Filters())
    scores = console_db.read(url, "SELECT * FROM v_dq_batch_score")
    both = latest.merge(scores, left_on=["dataset_name", "stage", "last_batch_id"],
                        right_on=["dataset_name", "stage", "batch_id"], suffixes=("", "_004"))
    assert len(both) == latest["score"].notna().sum() > 0
    assert both["score"].to_numpy() == pytest.approx(both["score_004"].to_numpy())
    assert (latest.groupby(["dataset_name", "stage"])["last_batch_id"].count() == 1).all()


def test_session_shares_one_connection_and_writes_still_work(filled) -> None:  # type: ignore[no-untyped-def]
    url, _ = filled
    opened = []
    engine = console_db.engine_for(url)
    sa.event.listen(engine, "checkout", lambda *a: opened.append(1))
    with console_db.session(url):
        api.filter_options(url)
        api.overview_scores(url, Filters())
        inc = console_ops.incidents(url, Filters(), ("open",))
        console_ops.acknowledge_incident(url, int(inc.iloc[0]["incident_id"]), "dana")  # closes the shared one
        assert console_ops.incident_counts(url, Filters())["acknowledged"] == 2
    assert len(opened) == 2


def test_datasets_checks_batches_and_samples(filled) -> None:  # type: ignore[no-untyped-def]
    url, summary = filled
    listing = api.datasets(url, Filters())
    assert len(listing) == 24  # 12 datasets x 2 stages
    assert (listing["last_date_key"] == api.date_key(summary.last_day)).all()
    assert listing["trend"].map(len).max() == 8
    checks = api.dataset_checks(url, "cis_customer", Filters())
    assert set(checks["stage"]) == {"raw", "cleansed"} and (checks["date_key"] == checks["date_key"].max()).all()
    batches = api.dataset_batches(url, "cis_customer", Filters())
    assert (batches["rows_conserved"] == 1).all() and batches["feed"].eq("cis_customer").all()
    email = next(c for c in summary.check_ids if ".email_" in c)
    samples = api.failed_samples(url, email, "raw")
    assert set(samples["offending_value"]) == {"j***@***.com"}
    name = next(c for c in summary.check_ids if ".contact_name_" in c)
    assert set(api.failed_samples(url, name, "raw")["offending_value"]) == {"M*** J****"}


def test_check_history_marks_rule_versions(filled) -> None:  # type: ignore[no-untyped-def]
    url, _ = filled
    engine = create_engine(url)
    with engine.connect() as conn:
        check_id, stage = conn.execute(sa.text(
            "SELECT check_id, stage FROM dim_check WHERE version = 2 ORDER BY check_id")).first()
    engine.dispose()
    hist = api.check_history(url, check_id, stage, Filters())
    assert list(hist["version"].drop_duplicates()) == [1, 2]
    versions = api.check_versions(url, check_id, stage)
    assert versions["is_current"].tolist() == [False, True]
    assert hist["pass_rate"].dropna().between(0, 1).all()


def test_batches_and_quarantine_reasons(filled) -> None:  # type: ignore[no-untyped-def]
    url, summary = filled
    batches = console_ops.batches(url, Filters(source="payments"))
    assert set(batches["source"]) == {"payments"} and len(batches) == 2 * summary.days
    assert (batches["rows_read"] == batches["rows_loaded"] + batches["rows_quarantined"]
            + batches["rows_merged"]).all()
    assert (batches["duration_s"] > 0).all()
    reasons = console_ops.quarantine_reasons(url, Filters(source="payments"))
    last = batches.iloc[0]
    one = console_ops.quarantine_reasons(url, Filters(), int(last["batch_id"]))
    assert one["rows_quarantined"].sum() == last["rows_quarantined"]
    assert reasons["rows_quarantined"].sum() == batches.head(2)["rows_quarantined"].sum()


def test_incident_life_cycle(filled) -> None:  # type: ignore[no-untyped-def]
    url, _ = filled
    inc = console_ops.incidents(url, Filters())
    open_id = int(inc[inc["status"] == "open"].iloc[0]["incident_id"])
    with pytest.raises(console_ops.IncidentActionError, match="say who"):
        console_ops.acknowledge_incident(url, open_id, "  ", "x")
    console_ops.acknowledge_incident(url, open_id, "dana", "on it")
    with pytest.raises(console_ops.IncidentActionError, match="is acknowledged"):
        console_ops.acknowledge_incident(url, open_id, "dana", "again")
    with pytest.raises(console_ops.IncidentActionError, match="give a reason"):
        console_ops.resolve_incident(url, open_id, "dana", "")
    console_ops.resolve_incident(url, open_id, "erin", "fixed upstream")
    with pytest.raises(console_ops.IncidentActionError, match="no incident 99999"):
        console_ops.resolve_incident(url, 99999, "erin", "x")
    after = console_ops.incidents(url, Filters()).set_index("incident_id").loc[open_id]
    assert after["status"] == "resolved" and after["acknowledged_by"] == "dana" and after["resolved_by"] == "erin"
    assert after["hours_to_resolve"] >= after["hours_to_ack"] >= 0
    assert console_ops.incident_counts(url, Filters())["resolved"] == 3


def test_alerts_by_status(filled) -> None:  # type: ignore[no-untyped-def]
    url, _ = filled
    assert len(console_ops.alerts(url, Filters())) == 4
    failed = console_ops.alerts(url, Filters(), "failed")
    assert failed["status"].tolist() == ["failed"] and failed["attempts"].tolist() == [3]


def test_page_url_links_to_pages_with_filters() -> None:
    from datetime import date

    assert api.page_url("http://c:8501/", "overview") == "http://c:8501/"
    assert api.page_url("http://c:8501", "incidents", Filters(dataset="cis_bill", date_from=date(2026, 1, 2))) == \
        "http://c:8501/incidents?from=2026-01-02&dataset=cis_bill"
    with pytest.raises(ValueError, match="unknown console page"):
        api.page_url("http://c", "nope")


def test_warehouse_states(tmp_path: Path) -> None:
    missing = f"duckdb:///{tmp_path / 'missing.duckdb'}"
    assert console_db.warehouse_state(missing).state == "no_file"
    assert not (tmp_path / "missing.duckdb").exists()  # the console never creates a warehouse
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    assert console_db.warehouse_state(url).state == "no_schema"
    migrate(engine)
    engine.dispose()
    console_db.dispose_engines()
    assert console_db.warehouse_state(url).state == "empty"
    console_db.dispose_engines()


def test_read_raises_busy_while_another_process_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    engine = create_engine(url)
    migrate(engine)
    engine.dispose()
    monkeypatch.setattr(console_db, "RETRY_DELAYS", (0.05, 0.05))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
         "sys.stdin.read()", str(tmp_path / "wh.duckdb")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(console_db.WarehouseBusy, match="busy"):
            console_db.read(url, "SELECT COUNT(*) AS n FROM fact_data_quality")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert console_db.read(url, "SELECT COUNT(*) AS n FROM fact_data_quality")["n"].tolist() == [0]
    console_db.dispose_engines()
