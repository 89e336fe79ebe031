"""A batch that is still loading is not data. On DuckDB a large file commits chunk by chunk under a
`running` audit row (loaders.batch._load_streamed); until it is published, matching, star publishes of
other batches and scoring must not read its rows, and what a killed load left is removed by the next
process that loads (the CLI or the scheduler) before anything else."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders import batch, live
from loaders.errors import LoaderError
from loaders.match import match_customers
from warehouse.engine import create_engine
from warehouse.migrate import migrate

ROOT = Path(__file__).parents[2]
CUSTOMER_HEADER = ("partner_id|record_action|customer_type|full_name|email|phone|mail_street|mail_unit|mail_city|"
                   "mail_state|mail_zip|birth_date|move_in_date|created_on|changed_on")
PREMISE_HEADER = "premise_id|record_action|street|unit|city|state|zip|premise_type|created_on"
GIS_HEADER = "gis_facility_id,premise_id,street,unit,city,state,zip,transformer_id,feeder_id,geometry_wkt"


def _customers(path: Path, ids: range) -> Path:
    rows = [f"{i:010d}|I|P|LAST{i} FIRST{i}|p{i}@mail.com|(512) 555-{i:04d}|{i} N Main St||Austin|TX|78701|"
            "19800101|20200101|20200101|00000000" for i in ids]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([CUSTOMER_HEADER, *rows]) + "\n")
    return path


def _premises(path: Path, street: str) -> Path:
    rows = [f"{i:010d}|I|{i} {street}||Austin|TX|78701|RES|20200101" for i in range(101, 106)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([PREMISE_HEADER, *rows]) + "\n")
    return path


def _gis(path: Path) -> Path:
    rows = [f"GF{i},{i:010d},{i} Main St,,Austin,TX,78701,T1,F1,POINT (-97.74 30.27)" for i in range(101, 106)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([GIS_HEADER, *rows]) + "\n")
    return path


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    migrate(engine)
    with engine.connect():  # one instance for every thread, as the scheduler keeps it
        yield engine
    engine.dispose()


def _held_while_running(monkeypatch: pytest.MonkeyPatch, fail: bool = True) -> tuple[threading.Event, threading.Event]:
    """Every file chunked; a load in a worker thread stops after its chunks are committed (batch `running`)
    until `go`, then fails (which deletes what it committed) or, with `fail=False`, publishes. Loads in the
    test's own thread run as usual."""
    staged, go = threading.Event(), threading.Event()
    monkeypatch.setattr(batch, "STREAM_BYTES", -1)
    monkeypatch.setattr(batch, "CHUNK_ROWS", 5)
    conserve = batch._check_conservation

    def hold(*a: object, **k: object) -> None:
        if threading.current_thread() is threading.main_thread():
            return conserve(*a, **k)  # type: ignore[arg-type]
        staged.set()
        go.wait(30)
        if not fail:
            return conserve(*a, **k)  # type: ignore[arg-type]
        raise LoaderError("failing on purpose after the chunks were committed")

    monkeypatch.setattr(batch, "_check_conservation", hold)
    return staged, go


def _background(load: Callable[[], batch.BatchResult]) -> tuple[threading.Thread, list[batch.BatchResult]]:
    """Start `load` in a worker thread (as the scheduler runs a job); its result lands in the list."""
    results: list[batch.BatchResult] = []
    job = threading.Thread(target=lambda: results.append(load()))
    job.start()
    return job, results


def _scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_matching_and_scoring_skip_a_batch_still_loading(duck: Engine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from checks.suite import parse_suite
    from monitor.scoring import pending_batches

    staged, go = _held_while_running(monkeypatch)
    customers = _customers(tmp_path / "cis" / "cis_customer_20260105.dat", range(1, 21))
    job, results = _background(lambda: batch.load_file(duck, customers))
    try:
        assert staged.wait(60), "the load never reached its last transaction"
        assert _scalar(duck, "SELECT COUNT(*) FROM cln_cis_customer") == 20  # committed, but `running`
        summary = match_customers(duck, None)  # another job's check step
        suite = parse_suite("dataset: cln_cis_customer\nstage: cleansed\nchecks:\n"
                            "  - {id: rows, type: row_count, min: 1}\n", "s.yml")
        pending = pending_batches(duck, suite, has_mart=True)
    finally:
        go.set()
        job.join(60)
    assert summary.records == 0 and summary.golden_customers == 0
    assert pending == []
    assert results[0].status == "failed"
    assert live.wait_for_chunked_loads(timeout=0)  # a failed load is not waited for
    for table in ("cln_cis_customer", "customer_xref", "dim_customer"):
        assert _scalar(duck, f"SELECT COUNT(*) FROM {table}") == 0, table


def test_quarantine_reasons_count_a_batch_once_it_is_published(duck: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    staged, go = _held_while_running(monkeypatch, fail=False)
    customers = _customers(tmp_path / "cis" / "cis_customer_20260105.dat", range(1, 21))
    customers.write_text(customers.read_text() + "|I|P|NO ID|||||||||||\n")  # no partner id: quarantined
    job, results = _background(lambda: batch.load_file(duck, customers))
    try:
        assert staged.wait(60), "the load never reached its last transaction"
        assert _scalar(duck, "SELECT COUNT(*) FROM quarantine") == 1  # committed, but the batch is `running`
        while_running = _scalar(duck, "SELECT COUNT(*) FROM v_dq_quarantine_reasons")
    finally:
        go.set()
        job.join(60)
    assert results[0].status == "loaded", results[0].message
    assert while_running == 0
    assert _scalar(duck, "SELECT SUM(rows_quarantined) FROM v_dq_quarantine_reasons") == 1


def _cis_premises_change_while_gis_publishes(duck: Engine, tmp_path: Path, staged: threading.Event,
                                             go: threading.Event) -> batch.BatchResult:
    """Premises published from CIS ('Old St'); a CIS update ('New St') loads in a worker thread and is held
    (see the `staged`/`go` holder); meanwhile GIS publishes the same premises; then the update is released.
    Returns the update's result."""
    assert batch.load_file(duck, _premises(tmp_path / "cis" / "cis_premise_20260105.dat", "Old St")).status == "loaded"
    return _gis_publishes_while_cis_loads(duck, tmp_path, staged, go)


def _gis_publishes_while_cis_loads(duck: Engine, tmp_path: Path, staged: threading.Event,
                                   go: threading.Event) -> batch.BatchResult:
    """A CIS premise file ('New St') loads in a worker thread and is held; GIS publishes the same premises
    meanwhile; then the CIS load is released. Returns its result."""
    new = _premises(tmp_path / "cis" / "cis_premise_20260106.dat", "New St")
    job, results = _background(lambda: batch.load_file(duck, new))
    try:
        assert staged.wait(60)
        gis = batch.load_file(duck, _gis(tmp_path / "gis" / "gis_premise_20260106_full.csv"))
        assert gis.status == "loaded", gis.message
    finally:
        go.set()
        job.join(60)
    return results[0]


def test_a_publish_does_not_take_attributes_from_a_batch_still_loading(duck: Engine, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    staged, go = _held_while_running(monkeypatch)
    assert _cis_premises_change_while_gis_publishes(duck, tmp_path, staged, go).status == "failed"
    # the GIS publish re-reads CIS's latest premise rows: the published ones, not the batch still loading
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE is_current AND address_std LIKE '%NEW%'") == 0
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE is_current AND address_std LIKE '%OLD%'") == 5


def test_versions_start_when_published_not_when_the_load_began(duck: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A long CIS load that began before a GIS load but publishes after it: its premise versions must start
    after the GIS ones (stamped with the load's start they would end before they began)."""
    monkeypatch.setattr(batch, "STREAM_BYTES", -1)
    staged, go = threading.Event(), threading.Event()
    cleanse_staged = batch.cleanse_staged  # premises are cleansed in SQL (rows_sql._address)

    def hold(*a: object, **k: object) -> object:  # the CIS load's chunk is staged; its cleansing waits
        if threading.current_thread() is not threading.main_thread():
            staged.set()
            go.wait(30)
        return cleanse_staged(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "cleanse_staged", hold)
    result = _cis_premises_change_while_gis_publishes(duck, tmp_path, staged, go)
    assert result.status == "loaded", result.message
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE is_current AND address_std LIKE '%NEW%'") == 5
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE effective_to < effective_from") == 0
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise a JOIN dim_premise b ON a.premise_id = b.premise_id "
                         "AND a.premise_sk < b.premise_sk AND a.effective_from < COALESCE(b.effective_to, "
                         "TIMESTAMP '9999-12-31') AND b.effective_from < COALESCE(a.effective_to, "
                         "TIMESTAMP '9999-12-31')") == 0  # no two versions of a premise overlap


def test_a_batch_refused_for_a_write_conflict_runs_again(duck: Engine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB refuses the commit of a transaction that updates rows another transaction changed since it
    began (here: the CIS premise file's last transaction, open while a GIS batch publishes the same
    premises). The refused batch kept nothing, so it is loaded again and publishes."""
    staged, go = _held_while_running(monkeypatch, fail=False)
    result = _cis_premises_change_while_gis_publishes(duck, tmp_path, staged, go)
    assert result.status == "loaded", result.message
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE is_current AND address_std LIKE '%NEW%'") == 5
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_batch WHERE feed = 'cis_premise'") == 2  # no failed attempt
    assert _scalar(duck, "SELECT COUNT(*) FROM cln_cis_premise") == 10


KILLED_CHILD = """
import os, sys
from loaders import batch
from warehouse.engine import create_engine
batch.STREAM_BYTES, batch.CHUNK_ROWS = -1, 5
batch._check_conservation = lambda *a, **k: os._exit(9)  # killed after its chunks were committed
batch.load_file(create_engine("duckdb:///" + sys.argv[1]), sys.argv[2])
"""


@pytest.fixture
def killed_load(tmp_path: Path) -> Path:
    """A DuckDB file whose chunked customer load was killed after its chunks committed."""
    db = tmp_path / "w.duckdb"
    engine = create_engine(f"duckdb:///{db}")
    migrate(engine)
    engine.dispose()
    killed = _customers(tmp_path / "drop" / "cis" / "cis_customer_20260105.dat", range(1, 21))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", KILLED_CHILD, str(db), str(killed)], env=env,
                          cwd=ROOT).returncode == 9
    return db


def test_the_scheduler_removes_a_killed_load_before_its_first_job(killed_load: Path, tmp_path: Path) -> None:
    from monitor.schedule_config import JobConfig, ScheduleConfig
    from monitor.scheduler import JobSteps, run_once
    from monitor.settings import Settings

    db = killed_load
    engine = create_engine(f"duckdb:///{db}")
    assert _scalar(engine, "SELECT status FROM dim_batch") == "running"
    assert _scalar(engine, "SELECT COUNT(*) FROM cln_cis_customer") == 20

    empty = tmp_path / "drop" / "nothing"
    empty.mkdir()
    job = JobConfig(name="cis", source="cis", drop_folder=empty, cron="0 6 * * *")
    run_once(Settings(), config=ScheduleConfig(jobs=(job,), lock_dir=str(tmp_path)),
             steps=JobSteps(load=lambda *_a: None, check=lambda *_a: None),
             now=datetime(2026, 3, 2, 7, 0, tzinfo=UTC), engine=engine)
    assert _scalar(engine, "SELECT status FROM dim_batch") == "failed"
    assert _scalar(engine, "SELECT COUNT(*) FROM cln_cis_customer") == 0
    assert _scalar(engine, "SELECT COUNT(*) FROM stg_cis_customer") == 0
    engine.dispose()


def test_the_check_step_waits_for_a_chunked_load_in_another_job(duck: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler runs jobs in threads: a check step (matching, checks reading other datasets) starting
    while another job's large file is mid-way waits for it, then matches what it published."""
    from monitor.pipeline import check_step
    from monitor.settings import Settings

    staged, go = _held_while_running(monkeypatch, fail=False)
    customers = _customers(tmp_path / "cis" / "cis_customer_20260105.dat", range(1, 21))
    job, _ = _background(lambda: batch.load_file(duck, customers))
    checked = threading.Event()
    assert staged.wait(60)
    assert not live.wait_for_chunked_loads(timeout=0.2)
    monkeypatch.setattr("monitor.scoring.shipped_suites", lambda: [])
    checker = threading.Thread(target=lambda: (check_step(duck, [1], Settings()), checked.set()))
    checker.start()
    try:
        assert not checked.wait(1.0), "the check step ran while a chunked load was mid-way"
    finally:
        go.set()
        job.join(60)
        checker.join(60)
    assert checked.is_set() and live.wait_for_chunked_loads(timeout=0)
    assert _scalar(duck, "SELECT COUNT(*) FROM customer_xref WHERE is_current") == 20


def test_check_removes_a_killed_load_before_scoring(killed_load: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    db = killed_load
    suite = tmp_path / "customers.cleansed.yml"
    suite.write_text("dataset: cln_cis_customer\nstage: cleansed\nchecks:\n  - {id: rows, type: row_count, min: 1}\n")
    result = CliRunner().invoke(cli, ["check", "--suite", str(suite), "--warehouse", f"duckdb:///{db}"])
    assert "left half-loaded by a killed load" in result.output, result.output
    engine = create_engine(f"duckdb:///{db}")
    assert _scalar(engine, "SELECT status FROM dim_batch") == "failed"
    assert _scalar(engine, "SELECT COUNT(*) FROM cln_cis_customer") == 0
    assert _scalar(engine, "SELECT COUNT(*) FROM fact_data_quality") == 0  # nothing scored: the batch is gone
    engine.dispose()


def test_a_key_only_a_batch_still_loading_has_is_not_read(duck: Engine, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The held CIS batch has the only CIS rows of these premises: the GIS publish must find no CIS row for
    them (the running rows are ranked last and then dropped, see loaders.star._newest_first)."""
    staged, go = _held_while_running(monkeypatch)
    assert _gis_publishes_while_cis_loads(duck, tmp_path, staged, go).status == "failed"
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE is_current AND in_gis AND NOT in_cis") == 5
    assert _scalar(duck, "SELECT COUNT(*) FROM dim_premise WHERE address_std LIKE '%NEW%' OR in_cis "
                         "OR premise_type IS NOT NULL") == 0
