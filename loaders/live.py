"""The batches this process is loading, and the leftovers of a load that was killed.

A large file on DuckDB is staged in committed chunks under a `running` audit row (`loaders.batch`), so a
`running` batch is either one this process is loading now (`live`, `hold`/`release`), which cross-table
work waits for (`wait_for_chunked_loads`), or one a killed process left, which the next writer undoes
(`discard_interrupted`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.audit import now
from warehouse.engine import connect_checked
from warehouse.schema.staging import FEEDS

# Batches this process is loading right now (their `running` rows are not an interrupted load's leftovers).
_LIVE: set[int] = set()
_LIVE_CHANGED = threading.Condition()


def hold(batch_id: int) -> None:
    with _LIVE_CHANGED:
        _LIVE.add(batch_id)


def release(*batch_ids: int) -> None:
    with _LIVE_CHANGED:
        _LIVE.difference_update(batch_ids)
        _LIVE_CHANGED.notify_all()


@contextmanager
def live() -> Iterator[Callable[[int], None]]:
    """Batch ids registered inside stay live until the block ends, however it ends (a waiting check step
    must never wait for a load that is gone)."""
    mine: list[int] = []

    def register(batch_id: int) -> None:
        hold(batch_id)
        mine.append(batch_id)

    try:
        yield register
    finally:
        release(*mine)


def wait_for_chunked_loads(timeout: float | None = None) -> bool:
    """Block until no chunked load of this process is mid-way (False on timeout). Cross-table work —
    matching, checks that read other datasets — waits here, so it never sees half a batch."""
    with _LIVE_CHANGED:
        return _LIVE_CHANGED.wait_for(lambda: not _LIVE, timeout)


def discard_rows(conn: sa.Connection, feed: str, batch_id: int) -> None:
    """Delete what a not-published batch wrote (staging, cleansed, quarantine); the star is untouched."""
    for table in (f"stg_{feed}", f"cln_{feed}"):
        conn.execute(sa.text(f"DELETE FROM {table} WHERE batch_id = :b"), {"b": batch_id})
    conn.execute(sa.text("DELETE FROM quarantine WHERE batch_id = :b"), {"b": batch_id})


def discard_interrupted(engine: Engine) -> list[int]:
    """Undo batches a killed load left `running` (DuckDB's chunked batches; see `loaders.batch._load_streamed`): their
    rows are deleted and the audit row says `failed`, so the file loads again on the next run. Returns the
    batch ids. Only one process can open a DuckDB file for writing, so a `running` batch this process is
    not loading belongs to no one. Called where a process starts writing (`load_files`, `utilityflow
    check`, the scheduler), before any load of its own; until then readers skip `running` batches
    (`loaders.star._newest_first`, matching, scoring)."""
    if engine.dialect.name != "duckdb":
        return []
    with connect_checked(engine) as conn, conn.begin():
        stale = [(int(b), str(f)) for b, f in conn.execute(sa.text(
            "SELECT batch_id, feed FROM dim_batch WHERE status = 'running'")) if int(b) not in _LIVE]
        for batch_id, feed in stale:
            if feed in FEEDS:
                discard_rows(conn, feed, batch_id)
            conn.execute(sa.text(
                "UPDATE dim_batch SET status = 'failed', finished_at = :f, message = :m WHERE batch_id = :b"),
                {"f": now(), "b": batch_id,
                 "m": "interrupted mid-load (the process was killed); its partial rows were removed, the file "
                      "loads again on the next run"})
    return [b for b, _ in stale]
