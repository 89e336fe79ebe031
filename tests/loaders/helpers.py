"""Test helpers: a content hash of every warehouse table, to prove loads change nothing (or only audit)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.schema import all_tables

AUDIT = {"dim_batch"}


def snapshot(engine: Engine, exclude: set[str] = AUDIT) -> dict[str, tuple[int, str]]:
    """table -> (row count, sha256 of its sorted rows) for every declared table but `exclude`."""
    out = {}
    with engine.connect() as conn:
        for name in sorted(all_tables()):
            if name in exclude:
                continue
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.text(f"SELECT * FROM {name}")))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def batches(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM dim_batch ORDER BY batch_id"))]
