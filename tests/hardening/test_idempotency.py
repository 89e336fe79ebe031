"""Idempotency: loading and checking the same deliveries a second time changes no row of any table — the
only new rows are the audit rows that record each re-delivery as skipped."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from warehouse.engine import create_engine

from .conftest import cli, table_hashes


def _batches(url: str) -> list[tuple]:
    engine = create_engine(url, read_only=True)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(
            "SELECT batch_id, status, file_name, duplicate_of_batch_id FROM dim_batch ORDER BY batch_id"))]
    engine.dispose()
    return rows


def test_loading_and_checking_twice_changes_nothing(loaded_copy: str, generated: Path) -> None:
    first = cli("check", "--warehouse", loaded_copy)
    assert first.code in (0, 1), first.text
    engine = create_engine(loaded_copy)
    before = table_hashes(engine, exclude=frozenset({"dim_batch"}))
    engine.dispose()
    batches_before = _batches(loaded_copy)
    assert before["fact_data_quality"][0] > 0 and before["dim_customer"][0] > 0

    again = cli("load", "--from", str(generated), "--warehouse", loaded_copy)
    assert again.code == 0, again.text
    checked = cli("check", "--warehouse", loaded_copy)
    assert checked.code == 0 and "nothing to check" in checked.err, checked.text

    engine = create_engine(loaded_copy)
    after = table_hashes(engine, exclude=frozenset({"dim_batch"}))
    engine.dispose()
    changed = sorted(t for t in before if before[t] != after[t])
    assert changed == [] and set(after) == set(before), changed
    batches_after = _batches(loaded_copy)
    assert batches_after[: len(batches_before)] == batches_before  # audit rows of the first load untouched
    skipped = batches_after[len(batches_before):]
    loaded_files = [b for b in batches_before if b[1] == "loaded"]
    assert len(skipped) == len(loaded_files) and all(b[1] == "skipped" and b[3] is not None for b in skipped)
