"""Cleanse one staged batch (or one partition of it): standardised rows into `cln_<feed>`, failures into
`quarantine` with their raw text, exact re-sends counted as merged. `loaders.batch` stages the rows, calls these,
then checks conservation and publishes.

A feed in `SQL_CLEANSE` is cleansed where its rows are (DuckDB SQL); the others come back as DataFrames for
`feeds.cleanse`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
import sqlalchemy as sa

from loaders.audit import now
from loaders.bulk import insert_frame
from loaders.cleanse import feeds, interval_sql, rows_sql
from loaders.cleanse.feeds import SUPERSEDE_KEYS, cleanse
from warehouse.engine import driver_connection
from warehouse.schema.staging import FEEDS

# Feeds cleansed as set-based SQL where the warehouse is DuckDB (the staged rows never come back to Python);
# each gives exactly what `cleanse` gives (tests/loaders/test_interval_sql.py).
# (conn, batch id, source rows' SQL, tz) -> (rows loaded, failed rows, rows merged)
SqlCleanse = Callable[[sa.Connection, int, str, str], tuple[int, pd.DataFrame, int]]
SQL_CLEANSE: dict[str, SqlCleanse] = {
    "mdm_interval": interval_sql.cleanse_in_sql,
    **{feed: partial(rows_sql.cleanse_in_sql, feed=feed) for feed in rows_sql.PER_ROW},
}


def read_part(conn: sa.Connection, table: str, cols: list[str], batch_id: int, part: int) -> pd.DataFrame:
    """One partition of a staged batch in file order, as the parser gives it: text or None per field."""
    sql = (f"SELECT {', '.join('s.' + c for c in cols)} FROM {table} s JOIN uf_part u ON u.source_row_number = "
           "s.source_row_number WHERE s.batch_id = {b} AND u.part = {p} ORDER BY s.source_row_number")
    if conn.engine.dialect.name == "duckdb":  # a columnar fetch; row tuples cost more than the cleanse itself
        df = driver_connection(conn).execute(sql.format(b="?", p="?"), [batch_id, part]).df()
        rows = pd.DataFrame({c: df[c].to_numpy(dtype=object, na_value=None) for c in cols[1:]}, dtype=object)
        rows.insert(0, cols[0], df[cols[0]].to_numpy(dtype="int64"))
        return rows
    fetched = conn.execute(sa.text(sql.format(b=":b", p=":p")), {"b": batch_id, "p": part}).fetchall()
    rows = pd.DataFrame(fetched, columns=cols, dtype=object)
    rows[cols[0]] = rows[cols[0]].astype("int64")
    return rows


@dataclass
class Counts:
    loaded: int = 0
    quarantined: int = 0
    merged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def cleanse_rows(conn: sa.Connection, batch_id: int, feed_name: str, good: pd.DataFrame, rows: pd.DataFrame,
                  rejects: list[tuple[int, str, str, str]], tz: str, counts: Counts) -> None:
    """Cleanse `good` (staged, splittable rows), quarantine its failures and `rejects`, insert the clean rows.

    Everything that compares rows (duplicates, superseded keys, meter-day repairs) compares rows within
    `good`, so a caller may split a feed only along a key those comparisons share (see `_load_streamed`)."""
    clean, bad = cleanse(feed_name, good, tz)
    clean, dup_count, superseded = _fold_duplicates(feed_name, clean)
    _quarantine(conn, batch_id, feed_name, rejects, pd.concat([bad, superseded], ignore_index=True), rows, counts)
    clean = clean.copy()
    clean.insert(0, "batch_id", batch_id)
    insert_frame(conn, f"cln_{feed_name}", clean)
    counts.loaded += len(clean)
    counts.merged += dup_count


def in_sql(conn: sa.Connection, feed_name: str) -> bool:
    return feed_name in SQL_CLEANSE and conn.engine.dialect.name == "duckdb"


def cleanse_staged(conn: sa.Connection, batch_id: int, feed_name: str, part: int | None, rejected: set[int],
                    rejects: list[tuple[int, str, str, str]], tz: str, counts: Counts,
                    row_span: tuple[int, int] | None = None) -> None:
    """`cleanse_rows` for a feed cleansed in SQL: its staged rows (of one partition, or the first..last
    source row numbers of one chunk, `row_span`; see `_stage_and_cleanse`) that split into fields are cleansed
    where they are; only the failed ones come back."""
    cols = ", ".join(f"s.{c}" for c in FEEDS[feed_name].columns)
    source = f"SELECT s.source_row_number, {cols} FROM stg_{feed_name} s"
    if part is not None:
        source += f" JOIN uf_part u ON u.source_row_number = s.source_row_number AND u.part = {int(part)}"
    source += f" WHERE s.batch_id = {int(batch_id)}"
    if row_span is not None:
        source += f" AND s.source_row_number BETWEEN {int(row_span[0])} AND {int(row_span[1])}"
    if rejected:
        conn.execute(sa.text("CREATE OR REPLACE TEMPORARY TABLE uf_rejected (source_row_number BIGINT)"))
        insert_frame(conn, "uf_rejected", pd.DataFrame({"source_row_number": sorted(rejected)}, dtype="int64"))
        source += " AND s.source_row_number NOT IN (SELECT source_row_number FROM uf_rejected)"
    loaded, failed, merged = SQL_CLEANSE[feed_name](conn, batch_id, source, tz)
    if rejected:
        conn.execute(sa.text("DROP TABLE uf_rejected"))
    _quarantine(conn, batch_id, feed_name, rejects, failed, failed, counts)
    counts.loaded += loaded
    counts.merged += merged


def _quarantine(conn: sa.Connection, batch_id: int, feed_name: str, rejects: list[tuple[int, str, str, str]],
                failed: pd.DataFrame, rows: pd.DataFrame, counts: Counts) -> None:
    """Insert records that did not split into fields (`rejects`) and rows that failed (`failed`: source_row_number,
    reason_code, column_name, detail), with their raw text looked up in `rows`."""
    q = pd.concat([pd.DataFrame(rejects, columns=["source_row_number", "reason_code", "detail", "raw_line"]),
                   failed[["source_row_number", "reason_code", "column_name", "detail"]].assign(raw_line=None)],
                  ignore_index=True)
    if q.empty:
        return
    q = _with_raw(q, rows, feed_name, batch_id)
    insert_frame(conn, "quarantine", q)
    for code, n in q["reason_code"].value_counts().items():
        counts.reasons[str(code)] = counts.reasons.get(str(code), 0) + int(n)
    counts.quarantined += len(q)


def fold_across_chunks(conn: sa.Connection, batch_id: int, feed_name: str, counts: Counts) -> None:
    """Fold the exact re-sends among a batch's clean rows that `_fold_duplicates` could not see because they
    were cleansed in different chunks: every clean row equal in all raw columns (NULL equal to NULL, as
    `DataFrame.duplicated` compares) to an earlier one is deleted and counted as merged instead of loaded.
    The first column narrows the search (exact copies agree on it; NULL and '' share a candidate group,
    which only widens it), so only rows whose first value repeats are numbered."""
    raw = FEEDS[feed_name].columns
    table, first = f"cln_{feed_name}", f"COALESCE({raw[0]}, '')"
    conn.execute(sa.text("DROP TABLE IF EXISTS uf_resent"))
    conn.execute(sa.text(
        f"CREATE TEMPORARY TABLE uf_resent AS SELECT source_row_number FROM (SELECT source_row_number, "
        f"ROW_NUMBER() OVER (PARTITION BY {', '.join(raw)} ORDER BY source_row_number) AS copy FROM {table} "
        f"WHERE batch_id = :b AND {first} IN (SELECT {first} FROM {table} WHERE batch_id = :b GROUP BY {first} "
        "HAVING COUNT(*) > 1)) c WHERE c.copy > 1"), {"b": batch_id})
    resent = int(conn.execute(sa.text("SELECT COUNT(*) FROM uf_resent")).scalar_one())
    if resent:
        conn.execute(sa.text(f"DELETE FROM {table} WHERE batch_id = :b AND source_row_number IN "
                             "(SELECT source_row_number FROM uf_resent)"), {"b": batch_id})
    conn.execute(sa.text("DROP TABLE uf_resent"))
    counts.loaded -= resent
    counts.merged += resent


def _fold_duplicates(feed: str, clean: pd.DataFrame) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Fold exact re-sent duplicates (counted as merged); for MDM keys keep the first copy and quarantine
    later conflicting ones as `conflicting_duplicate`."""
    raw_cols = list(FEEDS[feed].columns)
    # exact copies agree on the first column: compare whole rows only where that column repeats
    maybe = clean.duplicated(subset=raw_cols[:1], keep=False)
    exact = pd.Series(False, index=clean.index)
    if maybe.any():
        exact[maybe] = clean.loc[maybe].duplicated(subset=raw_cols, keep="first")
    clean = clean[~exact]
    superseded = pd.DataFrame(columns=["source_row_number", "reason_code", "column_name", "detail"])
    keys = SUPERSEDE_KEYS.get(feed)
    if keys and len(clean):
        # within one file the first copy stands: a re-send later in the same file (same received_at)
        # that disagrees is the suspect one; across files, the later batch supersedes (back-fills)
        later = clean.duplicated(subset=list(keys), keep="first")
        if later.any():
            superseded = feeds.superseded(feed, clean.loc[later, "source_row_number"])
            clean = clean[~later]
    return clean, int(exact.sum()), superseded


def _with_raw(q: pd.DataFrame, rows: pd.DataFrame, feed: str, batch_id: int) -> pd.DataFrame:
    cols = list(FEEDS[feed].columns)
    by_row = rows.set_index("source_row_number")[cols]
    records = [raw if isinstance(raw, str) else json.dumps({c: by_row.at[n, c] for c in cols}, ensure_ascii=False)
               for n, raw in zip(q["source_row_number"], q["raw_line"], strict=True)]
    return pd.DataFrame({"batch_id": batch_id, "feed": feed, "source_row_number": q["source_row_number"].astype(int),
                         "reason_code": q["reason_code"], "column_name": q.get("column_name"),
                         "detail": q["detail"].astype(str).str[:1000], "raw_record": records,
                         "quarantined_at": now()})
