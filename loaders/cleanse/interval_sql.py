"""The interval feed (`mdm_interval`) cleansed as set-based DuckDB SQL, with exactly `feeds.cleanse`'s result.

Interval reads are ~40% of a utility's rows and nearly all of them are clean, so converting them row by row
through pandas object columns (staging -> DataFrame -> cleanse -> DataFrame -> warehouse) cost more than the
rules. Here the rows never leave DuckDB:

- every rule that depends on one raw value (the service point code, the minutes, received_at, the value in
  its unit, the local timestamp, the offset, the channel) runs in Python, through the very functions the
  pandas path uses, on the DISTINCT raw values only (a day of reads has ~100 timestamps and a few thousand
  value/unit pairs), and comes back as a small mapping table joined on the raw value;
- every rule that compares rows (the fall-back hour resolved by order, start-of-interval days, the
  Wh-labelled-kWh meter-day median, exact re-sends folded, conflicting re-sends quarantined) is a window
  function over the partition.

Only quarantined rows (a few per hundred thousand) come back to Python, for their detail text.
`tests/loaders/test_interval_sql.py` loads the same deliveries both ways and compares every row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import sqlalchemy as sa

from loaders.cleanse import dates, feeds

FEED = "mdm_interval"
RAW = ("service_point_id", "meter_serial", "channel", "interval_end_local", "utc_offset", "interval_minutes",
       "value", "unit", "quality_code", "received_at")
SUPERSEDE = ("service_point_id_std", "channel", "interval_end_utc")
_RULES = {r.raw: r for r in feeds.SPECS[FEED]}


def cleanse_in_sql(conn: sa.Connection, batch_id: int, source: str, tz: str) -> tuple[int, pd.DataFrame, int]:
    """Cleanse the staged rows `source` selects (a query over `stg_mdm_interval` giving source_row_number and
    the raw columns) into `cln_mdm_interval` under `batch_id`.

    Returns (rows loaded, quarantine rows with the raw columns, rows merged as exact re-sends)."""
    raw = conn.connection.driver_connection
    raw.execute(f"CREATE OR REPLACE TEMPORARY TABLE uf_iv_src AS {source}")
    with _mappings(raw, tz) as (joins, flags):
        raw.execute(f"CREATE OR REPLACE TEMPORARY TABLE uf_iv AS {_cleansed_sql(joins, flags)}")
    raw.execute("DROP TABLE uf_iv_src")
    cols = ", ".join(["source_row_number", *RAW, *_std_columns()])
    loaded = raw.execute(
        f"INSERT INTO cln_{FEED} (batch_id, {cols}) SELECT ?, {cols} FROM uf_iv WHERE fate = 'clean' "
        "ORDER BY source_row_number", [batch_id]).fetchone()[0]
    merged = raw.execute("SELECT COUNT(*) FROM uf_iv WHERE fate = 'merged'").fetchone()[0]
    failed = raw.execute(
        f"SELECT source_row_number, {', '.join(RAW)}, reason_code, column_name, fate FROM uf_iv "
        "WHERE fate IN ('quarantined', 'superseded') ORDER BY source_row_number").df()
    raw.execute("DROP TABLE uf_iv")
    return int(loaded), _quarantine(failed), int(merged)


def _std_columns() -> list[str]:
    return feeds._std_columns(FEED)


def _quarantine(failed: pd.DataFrame) -> pd.DataFrame:
    """The failed rows as `feeds.cleanse` and `batch._fold_duplicates` describe them, raw columns kept."""
    failed = failed.astype(object).where(failed.notna(), None)
    failed["source_row_number"] = failed["source_row_number"].astype("int64")
    bad = failed[failed["fate"] == "quarantined"]
    later = failed[failed["fate"] == "superseded"]
    described = feeds.describe(bad, bad["reason_code"], bad["column_name"])
    superseded = pd.DataFrame({"source_row_number": later["source_row_number"], "reason_code": "conflicting_duplicate",
                               "column_name": ",".join(SUPERSEDE),
                               "detail": "an earlier row in the file has the same key and other values"})
    q = pd.concat([described, superseded], ignore_index=True)
    return q.merge(failed[["source_row_number", *RAW]], on="source_row_number", how="left")


@contextmanager
def _mappings(raw: object, tz: str) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """Register the per-distinct-value mapping tables; yields (their JOIN clauses, the per-row issue flags as
    (SQL flag, reason_code, column) in `feeds.cleanse`'s order)."""
    names: list[str] = []

    def register(frame: pd.DataFrame) -> str:
        name = f"uf_map_{uuid.uuid4().hex[:10]}"
        raw.register(name, frame)  # type: ignore[attr-defined]
        names.append(name)
        return name

    def distinct(*cols: str) -> pd.DataFrame:
        df = raw.execute(f"SELECT DISTINCT {', '.join(cols)} FROM uf_iv_src").df()  # type: ignore[attr-defined]
        return df.astype(object).where(df.notna(), None)

    joins: list[str] = []
    flags: list[tuple[str, str, str]] = []
    try:
        for i, column in enumerate(("service_point_id", "interval_minutes", "received_at")):
            table, issues = feeds.rule_table(_RULES[column], distinct(column)[column], tz)
            name = register(table)
            joins.append(f"LEFT JOIN {name} r{i} ON s.{column} IS NOT DISTINCT FROM r{i}.raw")
            flags += [(f"r{i}.f{j}", code, col) for j, (code, col) in enumerate(issues)]
        joins.append(f"LEFT JOIN {register(_readings(distinct('value', 'unit')))} v "
                     "ON s.value IS NOT DISTINCT FROM v.value AND s.unit IS NOT DISTINCT FROM v.unit")
        flags += [("v.invalid_number", "invalid_number", "value"), ("v.unknown_unit", "unknown_unit", "unit")]
        joins.append(f"LEFT JOIN {register(_local_times(distinct('interval_end_local')['interval_end_local'], tz))} "
                     "t ON s.interval_end_local IS NOT DISTINCT FROM t.raw")
        offsets = distinct("utc_offset")["utc_offset"]
        joins.append(f"LEFT JOIN {register(pd.DataFrame({'raw': offsets, 'minutes': _minutes(offsets)}))} o "
                     "ON s.utc_offset IS NOT DISTINCT FROM o.raw")
        channels = distinct("channel")["channel"]
        delivered = (channels.astype("string").str.strip() == "1").fillna(False).astype(bool)
        joins.append(f"LEFT JOIN {register(pd.DataFrame({'raw': channels, 'delivered': delivered}))} c "
                     "ON s.channel IS NOT DISTINCT FROM c.raw")
        yield "\n".join(joins), flags
    finally:
        for name in names:
            raw.unregister(name)  # type: ignore[attr-defined]


def _readings(pairs: pd.DataFrame) -> pd.DataFrame:
    """Distinct (value, unit) pairs -> canonical value and unit, the two issues, and whether the label is
    kWh as the Wh-as-kWh repair reads it (upper-cased, not stripped)."""
    out = pd.DataFrame(index=pairs.index)
    issues: list[feeds.Issue] = []
    feeds.reading(pairs, out, "value", "value_std", issues)
    return pd.DataFrame({
        "value": pairs["value"], "unit": pairs["unit"],
        "value_std": pd.to_numeric(out["value_std"], errors="coerce").astype(float),
        "unit_std": out["unit_std"],
        "invalid_number": issues[0][0].fillna(False).astype(bool).to_numpy(),
        "unknown_unit": issues[1][0].fillna(False).astype(bool).to_numpy(),
        "kwh_label": (pairs["unit"].astype("string").str.upper() == "KWH").fillna(False).astype(bool).to_numpy(),
    })


def _local_times(values: pd.Series, tz: str) -> pd.DataFrame:
    """Distinct local interval-end texts -> the naive wall time and its UTC instant read as daylight time
    (the first of a repeated fall-back hour) and as standard time (the second); NaT where it does not exist."""
    naive = dates.naive_local(values)
    utc = {}
    for name, dst in (("utc_dst", True), ("utc_std", False)):
        local = naive.dt.tz_localize(tz, ambiguous=np.full(len(naive), dst), nonexistent="NaT")
        utc[name] = local.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.DataFrame({"raw": values, "naive": naive, **utc})


def _minutes(offsets: pd.Series) -> pd.Series:
    if offsets.notna().any():
        return dates._offset_minutes(offsets)
    return pd.Series(np.nan, index=offsets.index, dtype=float)


def _cleansed_sql(joins: str, flags: list[tuple[str, str, str]]) -> str:
    """Every row of `uf_iv_src` with its standardised columns, first failing issue and fate
    (clean | quarantined | merged | superseded)."""
    raw = ", ".join(f"s.{c}" for c in RAW)
    raw_cols = ", ".join(RAW)
    minutes = "COALESCE(CAST(minutes_std AS DOUBLE), 15)"
    # SQL flags of the row rules come first (their order is `feeds.cleanse`'s), then the timestamp's
    reason = " ".join(f"WHEN {f} THEN '{code}'" for f, code, _ in flags)
    column = " ".join(f"WHEN {f} THEN '{col}'" for f, _, col in flags)
    ts_reason = "WHEN ts_status = 'invalid' THEN 'invalid_timestamp' WHEN ts_status = 'nonexistent' " \
                "THEN 'nonexistent_local_time'"
    return f"""
WITH j AS (
    SELECT s.source_row_number, {raw}, r0.std AS service_point_id_std, r1.std AS minutes_std,
           r2.std AS received_at_utc, v.value_std AS value0, v.unit_std, v.kwh_label,
           CAST(t.naive AS TIMESTAMP) AS naive, CAST(t.utc_dst AS TIMESTAMP) AS utc_dst,
           CAST(t.utc_std AS TIMESTAMP) AS utc_std, o.minutes AS offset_minutes,
           COALESCE(c.delivered, FALSE) AS delivered,
           CASE {reason} END AS rule_reason, CASE {column} END AS rule_column
    FROM uf_iv_src s
    {joins}
), utc AS (  -- an explicit offset settles the instant; otherwise the n-th occurrence of a repeated local time
    SELECT j.*, (naive IS NOT NULL AND offset_minutes IS NOT NULL) AS offset_ok,
           ROW_NUMBER() OVER (PARTITION BY (naive IS NOT NULL AND offset_minutes IS NOT NULL), service_point_id_std,
                              channel, naive ORDER BY source_row_number) AS occurrence
    FROM j
), resolved AS (
    SELECT utc.*,
           CASE WHEN offset_ok THEN naive - to_minutes(CAST(offset_minutes AS BIGINT))
                WHEN occurrence = 1 THEN utc_dst ELSE utc_std END AS utc0,
           CASE WHEN offset_ok THEN '' WHEN naive IS NULL THEN 'invalid'
                WHEN (CASE WHEN occurrence = 1 THEN utc_dst ELSE utc_std END) IS NULL THEN 'nonexistent'
                ELSE '' END AS ts_status,
           CAST(naive - to_minutes(CAST({minutes} AS BIGINT)) AS DATE) AS meter_day,
           COALESCE(hour(naive) = 0 AND minute(naive) = 0, FALSE) AS midnight
    FROM utc
), days AS (  -- a meter-day stamped with interval starts runs 00:00 .. 23:45 instead of 00:15 .. 24:00
    SELECT resolved.*,
           BOOL_OR(midnight) OVER (PARTITION BY service_point_id_std, channel, CAST(naive AS DATE)) AS has_midnight,
           MAX(naive) OVER (PARTITION BY service_point_id_std, channel, CAST(naive AS DATE)) AS latest,
           MEDIAN(value0) OVER (PARTITION BY service_point_id_std, channel, meter_day) AS day_median
    FROM resolved
), repaired AS (
    SELECT days.*,
           COALESCE(has_midnight AND hour(latest) = 23 AND minute(latest) = 60 - LEAST({minutes}, 60), FALSE)
               AS shifted,
           COALESCE(kwh_label AND day_median > {feeds.WH_AS_KWH_MEDIAN}, FALSE) AS wh
    FROM days
), valued AS (
    SELECT repaired.*,
           CASE WHEN wh THEN round_even(value0 / 1000 * 1000000, 0) / 1000000 ELSE value0 END AS value1
    FROM repaired
), final AS (
    SELECT valued.*,
           COALESCE(value1 < 0 AND delivered, FALSE) AS negative,
           CASE WHEN shifted THEN utc0 + to_minutes(CAST({minutes} AS BIGINT)) ELSE utc0 END AS interval_end_utc,
           COALESCE(rule_reason, CASE {ts_reason} END) AS reason_code,
           COALESCE(rule_column, CASE WHEN ts_status <> '' THEN 'interval_end_local' END) AS column_name
    FROM valued
), folded AS (  -- exact re-sends fold into the first copy; a later row with the same key and other values is suspect
    SELECT final.*,
           CASE WHEN reason_code IS NOT NULL THEN FALSE
                ELSE ROW_NUMBER() OVER (PARTITION BY reason_code IS NULL, {raw_cols}
                                        ORDER BY source_row_number) > 1 END AS exact
    FROM final
)
SELECT source_row_number, {raw_cols}, service_point_id_std, interval_end_utc,
       CAST(minutes_std AS SMALLINT) AS interval_minutes_std,
       CASE WHEN negative THEN -value1 ELSE value1 END AS value_std, unit_std,
       COALESCE(quality_code IN {feeds.ESTIMATED_QUALITY}, FALSE) AS is_estimated, received_at_utc,
       NULLIF(concat_ws(',', CASE WHEN shifted THEN 'start_of_interval' END, CASE WHEN wh THEN 'wh_as_kwh' END,
                        CASE WHEN negative THEN 'negative_delivered' END), '') AS repairs,
       reason_code, column_name,
       CASE WHEN reason_code IS NOT NULL THEN 'quarantined' WHEN exact THEN 'merged'
            WHEN ROW_NUMBER() OVER (PARTITION BY reason_code IS NULL AND NOT exact, {', '.join(SUPERSEDE)}
                                    ORDER BY source_row_number) > 1 THEN 'superseded'
            ELSE 'clean' END AS fate
FROM folded
"""
