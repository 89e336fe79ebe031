"""`loaders.star._replace_fact` on both engines: a batch's rows replace the fact rows with the same key, and a
batch that repeats a key is refused with nothing written (DuckDB enforces no key on the large star tables,
warehouse.schema.star.KEYED_BY_CONSTRUCTION; PostgreSQL's key would refuse it too)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders import star

COLS = ["order_no", "order_type", "status", "batch_id"]


def _orders(*rows: tuple[str, str]) -> str:
    return " UNION ALL ".join(f"SELECT '{no}' AS order_no, 'METER' AS order_type, '{status}' AS status, :b AS batch_id"
                              for no, status in rows)


def _facts(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT order_no, status, batch_id FROM fact_service_order ORDER BY order_no"))]


def test_rows_replace_their_key_and_a_repeated_key_is_refused(migrated: Engine) -> None:
    with migrated.begin() as conn:
        star._replace_fact(conn, "fact_service_order", ["order_no"], _orders(("O1", "OPEN"), ("O2", "OPEN")), COLS, 1)
    with migrated.begin() as conn:  # O2 re-delivered: latest wins
        star._replace_fact(conn, "fact_service_order", ["order_no"], _orders(("O2", "DONE"), ("O3", "OPEN")), COLS, 2)
    expected = [("O1", "OPEN", 1), ("O2", "DONE", 2), ("O3", "OPEN", 2)]
    assert _facts(migrated) == expected
    with pytest.raises(star.RepeatedFactKey, match=r"fact_service_order: the batch has more than one row for "
                                                   r"order_no = 'O4'"), migrated.begin() as conn:
        star._replace_fact(conn, "fact_service_order", ["order_no"],
                           _orders(("O3", "DONE"), ("O4", "OPEN"), ("O4", "DONE")), COLS, 3)
    assert _facts(migrated) == expected  # rolled back: O3 not replaced, no O4
