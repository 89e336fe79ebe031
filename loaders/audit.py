"""A batch's audit row in `dim_batch`: what is recorded about each delivery file, and its batch id.

`loaders.batch` writes the row as a load goes (`running`, then `loaded`, `skipped` or `failed`); a file
whose content (sha256) was already loaded is a re-delivery (`prior_load`). Ids come from the table's
sequence; `reserve_batch_ids` draws them ahead, in delivery order, for a run that stages files early
(`loaders.ahead`).
"""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.sources.delivery import DeliveryName
from warehouse.engine import connect_checked


def now() -> datetime:
    """UTC now, as the warehouse's naive timestamps hold it."""
    return datetime.now(UTC).replace(tzinfo=None)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the running code, or the package version outside a checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=5, check=False)
        if out.returncode == 0:
            return out.stdout.strip()
    except OSError:
        pass
    return "utilityflow-0.1.0"


def file_sha256(path: Path) -> tuple[str, int]:
    """(sha256 hex digest, size in bytes) of a delivery file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest(), path.stat().st_size


_AUDIT_COLUMNS = (
    "source, feed, file_name, file_sha256, file_size_bytes, encoding, received_at, extract_from, extract_to, "
    "code_version, rows_read, rows_loaded, rows_quarantined, rows_merged, started_at, finished_at, status, message, "
    "duplicate_of_batch_id")
_AUDIT_VALUES = (
    ":source, :feed, :file_name, :sha, :size, :encoding, :received_at, :extract_from, :extract_to, :code_version, "
    ":rows_read, :rows_loaded, :rows_quarantined, :rows_merged, :started_at, :finished_at, :status, :message, :dup")
_BATCH_INSERT = sa.text(f"INSERT INTO dim_batch ({_AUDIT_COLUMNS}) VALUES ({_AUDIT_VALUES}) RETURNING batch_id")
# the same with a batch id drawn beforehand (`reserve_batch_ids`)
_BATCH_INSERT_AS = sa.text(
    f"INSERT INTO dim_batch (batch_id, {_AUDIT_COLUMNS}) VALUES (:batch_id, {_AUDIT_VALUES}) RETURNING batch_id")


def insert_audit(conn: sa.Connection, audit: dict, **values: Any) -> int:
    """Insert the batch's audit row; `audit` carries its reserved `batch_id` when it has one."""
    row = {**audit, **values}
    return int(conn.execute(_BATCH_INSERT_AS if row.get("batch_id") is not None else _BATCH_INSERT,
                            row).scalar_one())


def reserve_batch_ids(engine: Engine, count: int) -> list[int]:
    """Draw `count` batch ids from dim_batch's sequence (DuckDB), in order. A loader that stages a later file
    ahead of earlier ones (`stage_ahead`) gives every file its id in delivery order this way, so ids still
    say which delivery came later (`loaders.star` takes a key's latest row by batch id)."""
    # committed, not rolled back: DuckDB writes a sequence's use to its log at commit, and a killed run's next
    # start must not hand out an id this one gave a batch
    with connect_checked(engine) as conn, conn.begin():
        return [int(conn.execute(sa.text("SELECT nextval('seq_dim_batch_batch_id')")).scalar_one())
                for _ in range(count)]


def prior_load(conn: sa.Connection, sha: str, path: Path) -> int | None:
    """The batch that already loaded this file's content (a re-delivery is skipped), if any."""
    prior = conn.execute(sa.text(
        "SELECT MIN(batch_id) FROM dim_batch WHERE file_sha256 = :sha AND status = 'loaded' AND (rows_read > 0 "
        "OR file_name = :name)"), {"sha": sha, "name": display_name(path)}).scalar()
    return None if prior is None else int(prior)


def new_audit(path: Path, name: DeliveryName, sha: str, size: int, started: datetime, code: str | None,
              batch_id: int | None) -> dict:
    """The audit row's values known before loading (`insert_audit` adds status, counts and message)."""
    extract = datetime.combine(name.day, datetime.min.time())
    return dict(source=name.feed.source, feed=name.feed.name, file_name=display_name(path), sha=sha, size=size,
                received_at=datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None),
                extract_from=extract, extract_to=extract + pd.Timedelta(days=1),
                code_version=code or code_version(), started_at=started, encoding=None, rows_read=None,
                rows_loaded=None, rows_quarantined=None, rows_merged=None, finished_at=None, message=None, dup=None,
                batch_id=batch_id)


def display_name(path: Path) -> str:
    """A file as the audit names it: its source folder and file name."""
    return f"{path.parent.name}/{path.name}"
