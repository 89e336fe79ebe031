"""`loaders.bulk.insert_frame` on DuckDB: what an append leaves in the table's row groups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from loaders.bulk import insert_frame

ROW_GROUP = 122_880  # DuckDB's


def _group_sizes(conn: sa.Connection, table: str) -> list[int]:
    return [int(n) for (n,) in conn.execute(sa.text(
        f"SELECT MAX(count) FROM pragma_storage_info('{table}') WHERE column_id = 0 AND segment_type <> 'VALIDITY' "
        "GROUP BY row_group_id ORDER BY row_group_id"))]


def test_a_frame_of_arrow_chunks_appends_whole_row_groups(tmp_path: Path) -> None:
    """A frame joined from the plain reader's blocks has Arrow columns in several chunks, and DuckDB starts a
    row group at each chunk; those partial groups would be merged (rewritten) by the next checkpoint. Two
    row groups' worth of rows in chunks of 200,000 and 45,760 are appended as two whole row groups."""
    n = 2 * ROW_GROUP
    text = pa.chunked_array([pa.array([f"v{i % 97}" for i in range(0, 200_000)]),
                             pa.array([f"v{i % 97}" for i in range(200_000, n)])])
    df = pd.DataFrame({"n": range(n), "text": pd.arrays.ArrowExtensionArray(text)})
    assert df["text"].array.__arrow_array__().num_chunks == 2
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (n BIGINT, text VARCHAR)"))
        assert insert_frame(conn, "t", df) == n
    with engine.connect() as conn:
        assert _group_sizes(conn, "t") == [ROW_GROUP, ROW_GROUP]
        assert conn.execute(sa.text("SELECT COUNT(*), MIN(n), MAX(n), COUNT(DISTINCT text) FROM t")).one() == (
            n, 0, n - 1, 97)
        assert conn.execute(sa.text("SELECT text FROM t WHERE n = 200000")).scalar() == f"v{200_000 % 97}"
