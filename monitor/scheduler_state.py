"""The scheduler's durable state: the run ledger (one row per job and cron slot, in `ops_schedule_run`),
the delivery log (`ops_delivery`), and locks so two scheduler processes never run the same job at once.

Locks: a PostgreSQL advisory lock held on a dedicated session (released by the server if the process
dies); for the single-host DuckDB (and any other warehouse) an exclusive `flock` on a lock file, which
the kernel releases when the process exits, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor.errors import MonitorError

HOST = socket.gethostname()[:100]


class LockBusy(MonitorError):
    """Another scheduler process holds the lock."""

    code = "scheduler_locked"


@contextmanager
def exclusive(engine: Engine, name: str, lock_dir: str = "", wait_seconds: float = 0.0) -> Iterator[str]:
    """Hold the lock `name` (a job name, or 'scheduler') for the block; LockBusy if another process holds
    it after `wait_seconds`. Yields a description of the lock."""
    deadline = time.monotonic() + wait_seconds
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"utilityflow:{name}".encode()).digest()[:8], "big", signed=True)
        conn = engine.connect()
        try:
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another scheduler process holds the PostgreSQL advisory lock for {name!r}; "
                                   "stop it first, or start this one with --wait.")
                time.sleep(0.2)
            conn.commit()
            try:
                yield f"pg_advisory_lock({key})"
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        finally:
            conn.close()
        return
    path = lock_path(engine, name, lock_dir)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = Path(path).read_text(encoding="utf-8").strip() or "unknown"
                    raise LockBusy(f"another scheduler process ({holder}) holds {path}; stop it first, or start "
                                   "this one with --wait.") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {HOST}".encode())
        try:
            yield str(path)
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_path(engine: Engine, name: str, lock_dir: str = "") -> Path:
    """Lock file for `name`: in `lock_dir`, else next to the DuckDB file, else the working directory."""
    folder = Path(lock_dir) if lock_dir else None
    database = engine.url.database
    if folder is None and engine.dialect.name == "duckdb" and database not in (None, "", ":memory:"):
        folder = Path(str(database)).expanduser().resolve().parent
        stem = Path(str(database)).name
    else:
        stem = "utilityflow"
    folder = folder or Path.cwd()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return folder / f".{stem}.{safe}.lock"


def claim_slot(engine: Engine, job: str, slot: datetime, now: datetime) -> bool:
    """Record that `job` runs for `slot`. False if it already ran (or is running) for that slot — after a
    restart too. A slot left 'interrupted' by a shutdown, or 'running' by a dead process on this host, is
    taken over."""
    with engine.begin() as conn:
        row = conn.execute(sa.text(
            "SELECT status, host, pid FROM ops_schedule_run WHERE job_name = :j AND scheduled_for = :s"),
            {"j": job, "s": slot}).first()
        if row is None:
            conn.execute(sa.text(
                "INSERT INTO ops_schedule_run (job_name, scheduled_for, started_at, status, attempts, host, pid) "
                "VALUES (:j, :s, :now, 'running', 0, :h, :p)"), {"j": job, "s": slot, "now": now, "h": HOST,
                                                                "p": os.getpid()})
            return True
        stale = row.status == "running" and row.host == HOST and not _alive(row.pid)
        if row.status != "interrupted" and not stale:
            return False
        conn.execute(sa.text(
            "UPDATE ops_schedule_run SET status = 'running', started_at = :now, finished_at = NULL, host = :h, "
            "pid = :p, message = NULL WHERE job_name = :j AND scheduled_for = :s"),
            {"j": job, "s": slot, "now": now, "h": HOST, "p": os.getpid()})
        return True


def finish_slot(engine: Engine, job: str, slot: datetime, **values: Any) -> None:
    """Write the outcome of a job's run (status, attempts, deliveries, batches, run_id, error_kind, message)."""
    allowed = {"status", "attempts", "deliveries", "batches", "run_id", "error_kind", "message", "finished_at"}
    sets = ", ".join(f"{k} = :{k}" for k in values if k in allowed)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE ops_schedule_run SET {sets} WHERE job_name = :j AND scheduled_for = :s"),
                     {**{k: v for k, v in values.items() if k in allowed}, "j": job, "s": slot})


def seen_files(engine: Engine, job: str) -> set[str]:
    """sha256 of every file the job already picked up (loaded or failed)."""
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text(
            "SELECT file_sha256 FROM ops_delivery WHERE job_name = :j"), {"j": job})}


def record_delivery(engine: Engine, job: str, slot: datetime, path: Path, sha256: str, size: int, status: str,
                    *, batch_id: int | None = None, message: str | None = None, now: datetime) -> None:
    """One file picked up: loaded (with its batch) or failed (with the error)."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO ops_delivery (job_name, file_sha256, file_name, file_size_bytes, scheduled_for, status, "
            "batch_id, message, picked_at) VALUES (:j, :h, :f, :sz, :s, :st, :b, :m, :now)"),
            {"j": job, "h": sha256, "f": str(path)[-400:], "sz": size, "s": slot, "st": status, "b": batch_id,
             "m": message and message[:2000], "now": now})


def ledger(engine: Engine, job: str | None = None) -> list[sa.Row]:
    """Ledger rows, newest slot first."""
    where = "WHERE job_name = :j" if job else ""
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            f"SELECT * FROM ops_schedule_run {where} ORDER BY scheduled_for DESC, job_name"), {"j": job}))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
