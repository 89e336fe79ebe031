"""The interval feed (`mdm_interval`) cleansed as set-based DuckDB SQL, with exactly `feeds.cleanse`'s result.

Interval reads are ~40% of a utility's rows and nearly all of them are clean, so converting them row by row
through pandas object columns (staging -> DataFrame -> cleanse -> DataFrame -> warehouse) cost more than the
rules. Here the rows never leave DuckDB:

- every rule that depends on one raw value (the service point code, the minutes, received_at, the value in
  its unit, the local timestamp, the offset, the channel) runs in Python, through the very functions the
  pandas path uses, on the DISTINCT raw values only (a day of reads has ~100 timestamps and a few thousand
  value/unit pairs), and comes back as a small mapping table joined on the raw value;
- every rule that compares rows (the fall-back hour resolved by order, start-of-interval days, the
  Wh-labelled-kWh meter-day median, exact re-sends folded, conflicting re-sends quarantined) is an aggregate
  over the partition's groups, joined back to the rows.

Only quarantined rows (a few per hundred thousand) come back to Python, for their detail text.
`tests/loaders/test_interval_sql.py` loads the same deliveries both ways and compares every row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from loaders.cleanse import dates, feeds, rows_sql
from loaders.cleanse.rows_sql import Mappings
from warehouse.schema.staging import FEEDS

FEED = "mdm_interval"
RAW = FEEDS[FEED].columns


def cleanse_in_sql(conn: sa.Connection, batch_id: int, source: str, tz: str) -> tuple[int, pd.DataFrame, int]:
    """Cleanse the staged rows `source` selects (source_row_number and the raw columns of `stg_mdm_interval`)
    into `cln_mdm_interval`; see `rows_sql.run` for the result."""
    return rows_sql.run(conn, FEED, batch_id, source, lambda m: _cleansed_sql(m, tz))


def _readings(pairs: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Distinct (value, unit) pairs -> canonical value and unit, whether the label is kWh as the Wh-as-kWh
    repair reads it (upper-cased, not stripped), and the issues of `feeds.reading` as flags f0, f1, ..."""
    out = pd.DataFrame(index=pairs.index)
    issues: list[feeds.Issue] = []
    feeds.reading(pairs, out, "value", "value_std", issues)
    flags, described = feeds.issue_flags(issues)
    return pd.DataFrame({
        "value": pairs["value"], "unit": pairs["unit"],
        "value_std": pd.to_numeric(out["value_std"], errors="coerce").astype(float),
        "unit_std": out["unit_std"],
        "kwh_label": (pairs["unit"].astype("string").str.upper() == "KWH").fillna(False).astype(bool).to_numpy(),
        **flags,
    }), described


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
        return dates.offset_minutes(offsets)
    return pd.Series(np.nan, index=offsets.index, dtype=float)


def _cleansed_sql(m: Mappings, tz: str) -> str:
    """Every staged row with its standardised columns and its first failing issue (reason_code, column_name)."""
    rule_std = {}
    for i, rule in enumerate(feeds.SPECS[FEED]):  # service point, minutes, received_at: one raw value each
        rule_std[rule.std] = m.rule(f"r{i}", rule, tz)
    readings, issues = _readings(m.distinct("value", "unit"))
    m.join("v", readings, {"value": "value", "unit": "unit"})
    m.flags += [(f"v.f{j}", code, col) for j, (code, col) in enumerate(issues)]
    m.join("t", _local_times(m.distinct("interval_end_local")["interval_end_local"], tz), {"interval_end_local": "raw"})
    offsets = m.distinct("utc_offset")["utc_offset"]
    m.join("o", pd.DataFrame({"raw": offsets, "minutes": _minutes(offsets)}), {"utc_offset": "raw"})
    channels = m.distinct("channel")["channel"]
    delivered = (channels.astype("string").str.strip() == "1").fillna(False).astype(bool)
    m.join("c", pd.DataFrame({"raw": channels, "delivered": delivered}), {"channel": "raw"})
    # besides the standardised values, the rows carry only the raw text the steps below read (the channel,
    # the quality code) and what `rows_sql._fates` needs; the rest is joined back at insert (`rows_sql.run`)
    kept = {**rows_sql.carried(FEED), "quality_code": "s.quality_code"}
    raw, raw_cols = rows_sql.as_columns(kept), ", ".join(kept)
    minutes = "COALESCE(CAST(minutes_std AS DOUBLE), 15)"
    return f"""
WITH j AS MATERIALIZED (
    SELECT s.source_row_number, {raw}, {rule_std["service_point_id_std"]} AS service_point_id_std,
           {rule_std["interval_minutes_std"]} AS minutes_std, {rule_std["received_at_utc"]} AS received_at_utc,
           v.value_std AS value0, v.unit_std, v.kwh_label,
           CAST(t.naive AS TIMESTAMP) AS naive, CAST(t.utc_dst AS TIMESTAMP) AS utc_dst,
           CAST(t.utc_std AS TIMESTAMP) AS utc_std, o.minutes AS offset_minutes,
           COALESCE(c.delivered, FALSE) AS delivered, {m.reason("rule_reason", "rule_column")},
           (CAST(t.naive AS TIMESTAMP) IS NOT NULL AND o.minutes IS NOT NULL) AS offset_ok
    FROM {m.source()} s
    {" ".join(m.joins)}
), repeats AS (  -- local times delivered more than once without an offset: the first is the daylight-time one
    SELECT service_point_id_std, channel, naive, MIN(source_row_number) AS first_row FROM j WHERE NOT offset_ok
    GROUP BY service_point_id_std, channel, naive HAVING COUNT(*) > 1
), utc AS (  -- an explicit offset settles the instant; otherwise the n-th occurrence of a repeated local time
    SELECT j.*, COALESCE(j.source_row_number <> r.first_row, FALSE) AS repeated
    FROM j LEFT JOIN repeats r ON NOT j.offset_ok AND {rows_sql.same("j", "r", ("service_point_id_std", "channel",
                                                                                "naive"))}
), resolved AS MATERIALIZED (
    SELECT utc.*,
           CASE WHEN offset_ok THEN naive - to_minutes(CAST(offset_minutes AS BIGINT))
                WHEN NOT repeated THEN utc_dst ELSE utc_std END AS utc0,
           CASE WHEN offset_ok THEN '' WHEN naive IS NULL THEN 'invalid'
                WHEN (CASE WHEN NOT repeated THEN utc_dst ELSE utc_std END) IS NULL THEN 'nonexistent'
                ELSE '' END AS ts_status,
           CAST(naive - to_minutes(CAST({minutes} AS BIGINT)) AS DATE) AS meter_day,
           CAST(naive AS DATE) AS local_day,
           COALESCE(hour(naive) = 0 AND minute(naive) = 0, FALSE) AS midnight
    FROM utc
), local_days AS (  -- a meter-day stamped with interval starts runs 00:00 .. 23:45 instead of 00:15 .. 24:00
    SELECT service_point_id_std, channel, local_day, BOOL_OR(midnight) AS has_midnight, MAX(naive) AS latest
    FROM resolved GROUP BY service_point_id_std, channel, local_day
), meter_days AS (
    SELECT service_point_id_std, channel, meter_day, MEDIAN(value0) AS day_median
    FROM resolved GROUP BY service_point_id_std, channel, meter_day
), days AS (  -- (per-day values grouped and joined back: a window would sort the batch once per partitioning)
    SELECT resolved.*, d.has_midnight, d.latest, md.day_median
    FROM resolved
    LEFT JOIN local_days d ON {rows_sql.same("resolved", "d", ("service_point_id_std", "channel", "local_day"))}
    LEFT JOIN meter_days md ON {rows_sql.same("resolved", "md", ("service_point_id_std", "channel", "meter_day"))}
), repaired AS (
    SELECT days.*,
           COALESCE(has_midnight AND hour(latest) = 23 AND minute(latest) = 60 - LEAST({minutes}, 60), FALSE)
               AS shifted,
           COALESCE(kwh_label AND day_median > {feeds.WH_AS_KWH_MEDIAN}, FALSE) AS wh
    FROM days
), valued AS (  -- numpy's round(6): half to even at the sixth decimal
    SELECT repaired.*,
           CASE WHEN wh THEN round_even(value0 / 1000 * 1000000, 0) / 1000000 ELSE value0 END AS value1
    FROM repaired
), final AS (
    SELECT valued.*, COALESCE(value1 < 0 AND delivered, FALSE) AS negative
    FROM valued
)
SELECT source_row_number, {raw_cols}, service_point_id_std,
       CASE WHEN shifted THEN utc0 + to_minutes(CAST({minutes} AS BIGINT)) ELSE utc0 END AS interval_end_utc,
       CAST(minutes_std AS SMALLINT) AS interval_minutes_std,
       CASE WHEN negative THEN -value1 ELSE value1 END AS value_std, unit_std,
       COALESCE(quality_code IN {feeds.ESTIMATED_QUALITY}, FALSE) AS is_estimated, received_at_utc,
       NULLIF(concat_ws(',', CASE WHEN shifted THEN 'start_of_interval' END, CASE WHEN wh THEN 'wh_as_kwh' END,
                        CASE WHEN negative THEN 'negative_delivered' END), '') AS repairs,
       COALESCE(rule_reason, CASE WHEN ts_status = 'invalid' THEN 'invalid_timestamp'
                                  WHEN ts_status = 'nonexistent' THEN 'nonexistent_local_time' END) AS reason_code,
       COALESCE(rule_column, CASE WHEN ts_status <> '' THEN 'interval_end_local' END) AS column_name
FROM final
"""
