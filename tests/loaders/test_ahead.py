"""Large files staged ahead of their turn (`loaders.ahead`) leave the warehouse a one-at-a-time run leaves.

Every delimited file is made "large" here (`force_streaming`), so each one is staged ahead: by the worker
thread, or by the run itself while it waits for the worker. The warehouse must come out identical to a run
that stages nothing early — every staged, cleansed, quarantined and fact row, the audit rows, and the batch
ids (drawn in delivery order) — including re-deliveries, bad files and a run that stops part-way.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders import ahead, batch, live
from loaders.run import load_directory
from warehouse.engine import create_engine
from warehouse.migrate import migrate

from .conftest import write_delivery
from .test_bad_inputs import CUSTOMER_HEADER, CUSTOMER_ROW, lines, put
from .test_streamed import content, force_streaming


def _engine(path: Path) -> Engine:
    engine = create_engine(f"duckdb:///{path}")
    migrate(engine)
    return engine


def _deliveries(root: Path) -> Path:
    """Two delivery days; the second re-sends every day-1 file unchanged (same sha256: skipped at its turn),
    and a bad CIS customer file stands between the good ones."""
    out = write_delivery(root / "out")
    write_delivery(out, day="20260106")
    put(out, "cis/cis_customer_20260107.dat",
        lines(CUSTOMER_HEADER.replace("|email", ""), "1|I|P|X|p|s|u|c|st|z|b|m|c|c"))
    write_delivery(out, day="20260108")
    return out


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(file name, thread name) of every `stage_ahead` call."""
    calls: list[tuple[str, str]] = []
    real = ahead.stage_ahead

    def recording(engine: Engine, path: Path, **kw: object) -> batch.Staged | None:
        calls.append((Path(path).name, threading.current_thread().name))
        return real(engine, path, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(ahead, "stage_ahead", recording)
    return calls


def _one_at_a_time(out: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    with monkeypatch.context() as m:
        m.setattr(ahead, "stages_ahead", lambda engine, path: False)
        engine = _engine(db)
        load_directory(engine, out)
    return content(engine)


def _no_running_batch(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM dim_batch WHERE status = 'running'")).scalar() == 0
    assert not live._LIVE


def test_staged_ahead_equals_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           spy: list[tuple[str, str]]) -> None:
    out = _deliveries(tmp_path)
    force_streaming(monkeypatch)
    expected = _one_at_a_time(out, tmp_path / "serial.duckdb", monkeypatch)
    assert not spy
    engine = _engine(tmp_path / "ahead.duckdb")
    summary = load_directory(engine, out)
    assert [b.status for b in summary.batches].count("skipped") >= 10  # the re-sent day
    failed = [b.message for b in summary.batches if b.status == "failed"]
    assert len(failed) == 1 and "missing required column(s) email" in failed[0]
    assert any(thread.startswith("stage-ahead") for _, thread in spy), spy
    got = content(engine)
    assert sum(len(v) for k, v in expected.items() if k.startswith("cln_")) > 20
    for table in expected:
        if table != "dim_batch":
            assert got[table] == expected[table], table
    # one difference: a failed file staged ahead keeps its drawn id, where a one-at-a-time run numbers its
    # `running` row and then its `failed` row; the audit rows are otherwise the same, in the same id order
    assert _audit(engine) == _audit(create_engine(f"duckdb:///{tmp_path / 'serial.duckdb'}"))
    _no_running_batch(engine)


def _audit(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT file_name, status, rows_read, rows_loaded, rows_quarantined, rows_merged, message, "
            "duplicate_of_batch_id FROM dim_batch ORDER BY batch_id"))]


def test_the_run_stages_the_next_large_file_while_the_worker_finishes(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow worker: the run does not sit idle waiting for it, it stages later files itself; same result."""
    out = write_delivery(tmp_path / "out")
    force_streaming(monkeypatch)
    expected = _one_at_a_time(out, tmp_path / "serial.duckdb", monkeypatch)
    real = ahead.stage_ahead
    threads: list[str] = []

    def slow_in_worker(engine: Engine, path: Path, **kw: object) -> batch.Staged | None:
        threads.append(threading.current_thread().name)
        if threads[-1].startswith("stage-ahead"):
            threading.Event().wait(1.0)
        return real(engine, path, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(ahead, "stage_ahead", slow_in_worker)
    engine = _engine(tmp_path / "ahead.duckdb")
    load_directory(engine, out)
    assert "MainThread" in threads and any(t.startswith("stage-ahead") for t in threads), threads
    got = content(engine)
    for table in expected:
        assert got[table] == expected[table], table
    _no_running_batch(engine)


def test_a_run_that_stops_part_way_discards_what_it_staged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           spy: list[tuple[str, str]]) -> None:
    out = write_delivery(tmp_path / "out")
    force_streaming(monkeypatch)
    expected = _one_at_a_time(out, tmp_path / "serial.duckdb", monkeypatch)
    engine = _engine(tmp_path / "ahead.duckdb")

    def stop_after_three(event: object) -> None:
        if getattr(event, "result", None) is not None and event.index >= 3:  # type: ignore[attr-defined]
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load_directory(engine, out, on_progress=stop_after_three)
    assert len(spy) > 3, "too little was staged ahead for the stop to land among staged files"
    _no_running_batch(engine)
    with engine.connect() as conn:
        loaded = {r[0] for r in conn.execute(sa.text("SELECT batch_id FROM dim_batch WHERE status = 'loaded'"))}
        assert 0 < len(loaded) < len(expected["dim_batch"])
        for table in expected:
            if table.startswith(("stg_", "cln_", "fact_")) or table == "quarantine":
                ids = {r[0] for r in conn.execute(sa.text(f"SELECT DISTINCT batch_id FROM {table}"))}
                assert ids <= loaded, f"{table} holds rows of batches that were not published: {ids - loaded}"
    load_directory(engine, out)  # the next run loads the rest (and skips what the first one loaded)
    got = content(engine)
    for table in expected:
        if table != "dim_batch":  # the second run's files have other ids; their rows must be the same rows
            assert len(got[table]) == len(expected[table]), table
    _no_running_batch(engine)


def test_a_stopping_run_gives_up_the_file_the_worker_is_staging(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C does not wait for the worker to stage the rest of a long file (the 2 M month's interval file
    takes minutes): the worker gives it up before its next committed chunk, and nothing of it is left."""
    out = write_delivery(tmp_path / "out")
    big = put(out, "cis/cis_customer_20260106.dat", lines(CUSTOMER_HEADER, *[CUSTOMER_ROW] * 400))
    force_streaming(monkeypatch)  # 40 records a chunk: the big file is ten or so committed chunks
    engine = _engine(tmp_path / "ahead.duckdb")
    # the first file is one no worker takes (small XML): the worker's file is the big one
    run = ahead.StageAhead(engine, [out / "mdm/mdm_espi_20260105.xml", big], "America/Chicago")
    assert run.stageable == [1]
    mid_file = threading.Event()
    worker_chunks: list[int] = []
    real = batch._stage_rows

    def staging(conn: sa.Connection, batch_id: int, *a: object, **kw: object) -> None:
        real(conn, batch_id, *a, **kw)  # type: ignore[arg-type]
        if threading.current_thread().name == "stage-ahead":
            worker_chunks.append(batch_id)
            mid_file.set()
            run.stopping.wait(10)  # the run stops while this chunk is being staged
    monkeypatch.setattr(batch, "_stage_rows", staging)
    try:
        run.load(0)  # the worker starts on the big file meanwhile
        assert mid_file.wait(10), "the worker never started the big file"
    finally:
        run.close()
    assert len(worker_chunks) == 1, "the worker went on staging the file after the run stopped"
    assert run.staged == {}
    _no_running_batch(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM stg_cis_customer")).scalar() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM cln_cis_customer")).scalar() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM dim_batch WHERE file_name LIKE 'cis_customer%'")
                            ).scalar() == 0


def test_files_over_ahead_bytes_stage_ahead_and_equal_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     spy: list[tuple[str, str]]) -> None:
    """The shipped configuration, with AHEAD_BYTES made small: the files over it are staged ahead (in committed
    chunks, or read whole where the format cannot be chunked), the rest and every file of the one-at-a-time run
    are loaded in one transaction each at their turn, and the warehouse is the same row for row."""
    out = _deliveries(tmp_path)
    # the corpus files are 150-1000 bytes: the customer, contact and interval files (chunked), the lockbox and
    # ESPI files (read whole) are over it; the outage file (nesting its interruptions) too, but it is not staged
    limit = 400
    monkeypatch.setattr(batch, "AHEAD_BYTES", limit)
    expected = _one_at_a_time(out, tmp_path / "serial.duckdb", monkeypatch)
    engine = _engine(tmp_path / "ahead.duckdb")
    load_directory(engine, out)
    sizes = {p.name: p.stat().st_size for p in out.rglob("*") if p.is_file()}
    staged = {name for name, _ in spy}
    assert staged and all(sizes[name] > limit for name in staged), staged
    assert {n for n in staged if n.startswith(("payments_lockbox", "mdm_espi"))} and not any(
        n.startswith("workorders_outage") for n in staged), staged
    assert any(size <= limit for name, size in sizes.items() if name not in staged)
    got = content(engine)
    for table in expected:
        if table != "dim_batch":
            assert got[table] == expected[table], table
    assert _audit(engine) == _audit(create_engine(f"duckdb:///{tmp_path / 'serial.duckdb'}"))
    _no_running_batch(engine)


@pytest.mark.parametrize(("name", "over", "expected"), [
    ("cis/cis_bill_line_20260105.dat", True, True),          # pipe-delimited
    ("payments/payments_card_20260105.csv", True, True),     # CSV
    ("crm/crm_interaction_20260105.jsonl", True, True),      # JSON lines
    ("cis/cis_bill_line_20260105.dat", False, False),        # not over AHEAD_BYTES: one transaction
    ("workorders/workorders_outage_20260105.jsonl", True, False),  # nests interruptions: loaded at its turn
    ("payments/payments_lockbox_20260105.txt", True, True),  # fixed-width with trailers: staged read whole
    ("mdm/mdm_espi_20260105.xml", True, True),               # XML: staged read whole
])
def test_which_files_stage_ahead(tmp_path: Path, name: str, over: bool, expected: bool) -> None:
    path = _sized(tmp_path, name, batch.AHEAD_BYTES + (1 if over else 0))
    assert batch.stages_ahead(_engine(tmp_path / "w.duckdb"), path) is expected


def test_nothing_stages_ahead_on_postgresql(tmp_path: Path) -> None:
    path = _sized(tmp_path, "cis/cis_bill_line_20260105.dat", batch.AHEAD_BYTES + 1)
    assert batch.stages_ahead(sa.create_engine("postgresql+psycopg://localhost/test"), path) is False


def _sized(root: Path, name: str, size: int) -> Path:
    """A file named like a delivery, of `size` bytes (`stages_ahead` reads only the name and the size)."""
    path = root / name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x" * size)
    return path


def test_files_the_run_staged_itself_do_not_hold_the_worker_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's backlog counts the files it staged, not those the run staged itself while it waited.

    The worker is slow on file 1; the run, waiting for it, stages files 2-6 itself (more than BACKLOG). Once the
    worker is done with file 1 it must go on with file 7 at once, while the run still holds 2-6 unpublished (on
    day 1 of the 2 M-customer month it sat idle for 32 s instead, until the run had published them)."""
    files = [Path(f"f{i}") for i in range(8)]
    assert len(files[2:7]) > ahead.BACKLOG
    worker_took_1, run_reached_6, worker_started_7 = threading.Event(), threading.Event(), threading.Event()
    staged_by: dict[str, str] = {}
    went_on: list[bool] = []  # whether the worker started file 7 while the run was staging file 6

    def stage(engine: object, path: Path, **kw: object) -> object:
        staged_by[path.name] = threading.current_thread().name
        if path.name == "f1":  # slow: done only once the run has staged 2-5 itself and is staging 6
            worker_took_1.set()
            assert run_reached_6.wait(10)
        elif path.name == "f6":
            run_reached_6.set()
            went_on.append(worker_started_7.wait(5))
        elif path.name == "f7":
            worker_started_7.set()
        return object()

    loaded: list[tuple[str, bool]] = []

    def load(engine: object, path: Path, *, staged: object = None, **kw: object) -> None:
        if path.name == "f0":  # the run moves on to file 1 only once the worker has it
            assert worker_took_1.wait(10)
        loaded.append((path.name, staged is not None))

    monkeypatch.setattr(ahead, "stages_ahead", lambda engine, path: path.name != "f0")
    monkeypatch.setattr(ahead, "reserve_batch_ids", lambda engine, n: range(1, n + 1))
    monkeypatch.setattr(ahead, "stage_ahead", stage)
    monkeypatch.setattr(ahead, "load_file", load)
    monkeypatch.setattr(ahead, "discard_staged", lambda engine, staged: None)
    run = ahead.StageAhead(None, files, "America/Chicago")  # type: ignore[arg-type]
    try:
        for i in range(len(files)):
            run.load(i)
    finally:
        run.close()
    assert went_on == [True], "the worker waited for the run to publish the files it had staged itself"
    assert staged_by["f1"] == staged_by["f7"] == "stage-ahead", staged_by
    assert all(staged_by[f"f{i}"] == "MainThread" for i in range(2, 7)), staged_by
    assert loaded == [("f0", False), *((f"f{i}", True) for i in range(1, 8))]
