"""Crash safety: a load killed with SIGKILL at a random moment leaves every batch either fully there or not
there at all, and re-running the load completes it to the same warehouse an uninterrupted run gives."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from loaders.run import load_directory
from warehouse.engine import create_engine
from warehouse.migrate import migrate
from warehouse.schema import all_tables

from .conftest import CIS, write_delivery

TRIALS = 20
CHILD = """
import sys
from loaders.run import load_directory
from warehouse.engine import create_engine
load_directory(create_engine("duckdb:///" + sys.argv[1]), sys.argv[2])
"""


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {t: int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()) for t in sorted(all_tables())
               if t not in ("dim_batch",)}
    engine.dispose()
    return out


def _assert_consistent(url: str) -> None:
    """No half batch: every row in a batch-keyed table belongs to a committed `loaded` batch whose row
    counts it matches, and no batch is left `running`."""
    engine = create_engine(url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT batch_id, status FROM dim_batch")).all())
        assert "running" not in statuses.values()
        loaded = {b for b, s in statuses.items() if s == "loaded"}
        for name in all_tables():
            if name.startswith(("stg_", "cln_")) or name == "quarantine":
                ids = {r[0] for r in conn.execute(sa.text(f"SELECT DISTINCT batch_id FROM {name}"))}
                assert ids <= loaded, f"{name} holds rows of uncommitted batches {ids - loaded}"
        for b, read, ld, q, m in conn.execute(sa.text(
                "SELECT batch_id, rows_read, rows_loaded, rows_quarantined, rows_merged FROM dim_batch "
                "WHERE status = 'loaded'")):
            assert read == ld + q + m, b
    engine.dispose()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("crash")
    out = write_delivery(root / "out")
    # a bigger customer file so kills land inside batches, not only between them
    rows = [CIS["cis_customer"][0]] + [
        f"{2000000 + i:010d}|I|1|LAST{i % 97} FIRST{i}|p{i}@mail{i % 13}.com|(512) 555-{i % 10000:04d}|"
        f"{i} N MAIN ST||AUSTIN|TX|787{i % 100:02d}|19800101|20200101|20200101|00000000" for i in range(3000)]
    (out / "cis" / "cis_customer_20260105_extra.dat").write_text("\n".join(rows) + "\n", encoding="utf-8")
    template = root / "template.duckdb"
    engine = create_engine(f"duckdb:///{template}")
    migrate(engine)
    engine.dispose()
    reference = root / "reference.duckdb"
    shutil.copy(template, reference)
    ref_engine = create_engine(f"duckdb:///{reference}")
    load_directory(ref_engine, out)
    ref_engine.dispose()
    return out, template, _counts(f"duckdb:///{reference}")


@pytest.mark.slow
def test_sigkill_at_random_points_never_leaves_half_a_batch(corpus: tuple[Path, Path, dict[str, int]],
                                                            tmp_path: Path) -> None:
    out, template, expected = corpus
    rng = random.Random(20261125)
    for trial in range(TRIALS):
        db = tmp_path / f"t{trial}.duckdb"
        shutil.copy(template, db)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(out)], cwd=Path(__file__).parents[2])
        time.sleep(rng.uniform(0.8, 4.0))  # python + imports take ~0.8 s; the load ~2-4 s
        child.send_signal(signal.SIGKILL)
        child.wait()
        url = f"duckdb:///{db}"
        _assert_consistent(url)
        engine = create_engine(url)
        summary = load_directory(engine, out)  # re-running completes it
        engine.dispose()
        assert summary.count("failed") == 0
        _assert_consistent(url)
        assert _counts(url) == expected, f"trial {trial}"


STREAMED_CHILD = """
import sys
from loaders import batch
from loaders.run import load_directory
from warehouse.engine import create_engine
batch.STREAM_BYTES, batch.CHUNK_ROWS, batch.PART_BYTES = -1, 500, 1 << 14  # every file chunked, many commits
insert_frame = batch.insert_frame

def staging_said(conn, table, df):  # tells the test each time a chunk is staged, so it can kill mid-batch
    n = insert_frame(conn, table, df)
    if table.startswith("stg_"):
        print("staged", flush=True)
    return n

batch.insert_frame = staging_said
load_directory(create_engine("duckdb:///" + sys.argv[1]), sys.argv[2])
"""


@pytest.mark.slow
def test_sigkill_during_a_chunked_batch_is_undone_before_the_next_load(
        corpus: tuple[Path, Path, dict[str, int]], tmp_path: Path) -> None:
    """On DuckDB a large file commits chunk by chunk under a `running` batch. Killed mid-way, its rows are
    there but the batch is `running`; the next load (or scheduler) removes them first, and then completes the
    load to the same warehouse an uninterrupted run gives."""
    from loaders.live import discard_interrupted

    out, template, expected = corpus
    rng = random.Random(7)
    interrupted = 0
    for trial in range(6):
        db = tmp_path / f"s{trial}.duckdb"
        shutil.copy(template, db)
        child = subprocess.Popen([sys.executable, "-c", STREAMED_CHILD, str(db), str(out)],
                                 cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, text=True)
        # a kill shortly after the k-th staged chunk, whatever the machine's speed (a fixed delay missed
        # every batch on a fast machine): inside a chunked batch, or just after one committed
        assert child.stdout is not None
        for _ in range(rng.randint(1, 15)):
            if not child.stdout.readline():
                break  # the load ended first
        time.sleep(rng.uniform(0.0, 0.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        url = f"duckdb:///{db}"
        engine = create_engine(url)
        interrupted += len(discard_interrupted(engine))
        _assert_consistent(url)
        summary = load_directory(engine, out)
        engine.dispose()
        assert summary.count("failed") == 0
        _assert_consistent(url)
        assert _counts(url) == expected, f"trial {trial}"
    assert interrupted > 0, "no kill landed inside a chunked batch; the test proved nothing"


def test_a_failing_chunked_batch_deletes_what_it_committed(corpus: tuple[Path, Path, dict[str, int]],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from loaders import batch

    out, template, _ = corpus
    db = tmp_path / "fail.duckdb"
    shutil.copy(template, db)
    url = f"duckdb:///{db}"
    before = _counts(url)
    monkeypatch.setattr(batch, "STREAM_BYTES", -1)
    monkeypatch.setattr(batch, "CHUNK_ROWS", 500)
    engine = create_engine(url)
    result = batch.load_file(engine, out / "cis" / "cis_customer_20260105_extra.dat", fail_after_staging=True)
    engine.dispose()
    assert result.status == "failed" and "on purpose" in result.message
    assert _counts(url) == before
    _assert_consistent(url)
