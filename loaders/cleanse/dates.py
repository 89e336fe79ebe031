"""Dates and timestamps: YYYYMMDD (00000000 = null), day/month swaps where unambiguous, local -> UTC."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.cleanse import on_distinct

INVALID = "invalid"


def parse_yyyymmdd(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates, status) per value, computed once per distinct value; see `_parse_yyyymmdd`."""
    return on_distinct(raw, _parse_yyyymmdd)


def _parse_yyyymmdd(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates, status) per value; status is '' (ok), 'null', 'swapped' (repaired) or 'invalid'.

    `00000000` and blanks are null. A value whose month is 13-31 and whose day is 1-12 can only be a
    day/month swap, so it is repaired; when both readings are valid dates the value is taken as written.
    Also accepted: ISO `YYYY-MM-DD`.
    """
    s = raw.astype("string").str.strip().str.replace("-", "", regex=False)
    status = pd.Series("", index=raw.index, dtype=object)
    null = s.isna() | (s == "") | (s == "00000000")
    status[null] = "null"
    direct = pd.to_datetime(s.where(~null), format="%Y%m%d", errors="coerce")
    shaped = s.str.fullmatch(r"\d{8}").fillna(False)
    swapped_text = s.str[:4] + s.str[6:8] + s.str[4:6]
    swapped = pd.to_datetime(swapped_text.where(~null & shaped & direct.isna()), format="%Y%m%d", errors="coerce")
    result = direct.fillna(swapped)
    status[direct.isna() & swapped.notna()] = "swapped"
    status[~null & result.isna()] = INVALID
    return result.dt.date.astype(object).where(result.notna(), None), status


def parse_timestamp_utc(raw: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    """(naive UTC, status) per value, computed once per distinct value; see `_parse_timestamp_utc`."""
    return on_distinct(raw, lambda values: _parse_timestamp_utc(values, tz))


def _parse_timestamp_utc(raw: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    """ISO timestamps -> naive UTC. Values with an offset or Z are converted; naive ones are local `tz`.

    Status: '' ok, 'null', 'invalid', 'shifted' (a local time skipped by spring-forward, read as the
    wall clock an hour later). A naive time in the fall-back hour is taken as the first (daylight)
    occurrence; interval reads resolve the hour by order or by their UTC offset instead.
    """
    s = raw.astype("string").str.strip()
    status = pd.Series("", index=raw.index, dtype=object)
    null = s.isna() | (s == "")
    status[null] = "null"
    has_offset = s.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if has_offset.any():
        aware = pd.to_datetime(s.where(has_offset), errors="coerce", utc=True, format="ISO8601")
        out[has_offset] = aware[has_offset].dt.tz_localize(None)
    naive_mask = ~null & ~has_offset
    if naive_mask.any():
        naive = pd.to_datetime(s.where(naive_mask), errors="coerce", format="ISO8601")
        local = naive[naive_mask]
        utc = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT")
        gap = utc.isna() & local.notna()
        if gap.any():  # a wall-clock time skipped by spring-forward: what the clock shows an hour later
            utc[gap] = local[gap].dt.tz_localize(tz, ambiguous=np.ones(int(gap.sum()), dtype=bool),
                                                 nonexistent=pd.Timedelta(hours=1))
            status[gap[gap].index] = "shifted"
        out[naive_mask] = utc.dt.tz_convert("UTC").dt.tz_localize(None)
    status[~null & out.isna() & (status == "")] = INVALID
    return out.astype(object).where(out.notna(), None), status


def local_interval_to_utc(keys: pd.DataFrame, local_text: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    """Interval-end local timestamps -> naive UTC, resolving the fall-back hour by order of appearance.

    In the repeated hour the first occurrence of a (service point, channel, local time) is daylight time
    and the second standard time; a third is a re-sent duplicate of the second. Spring-forward times that
    do not exist locally get status 'nonexistent'.
    """
    naive = naive_local(local_text)
    status = pd.Series("", index=local_text.index, dtype=object)
    status[naive.isna()] = INVALID
    occurrence = pd.concat([keys, naive.rename("__t")], axis=1).groupby(
        list(keys.columns) + ["__t"], dropna=False, sort=False).cumcount()
    valid = naive.notna()
    is_dst = (occurrence == 0).to_numpy()[valid.to_numpy()]
    utc = naive[valid].dt.tz_localize(tz, ambiguous=is_dst, nonexistent="NaT")
    out = pd.Series(pd.NaT, index=local_text.index, dtype="datetime64[ns]")
    out[valid] = utc.dt.tz_convert("UTC").dt.tz_localize(None)
    status[valid & out.isna()] = "nonexistent"
    return out, status


def naive_local(text: pd.Series) -> pd.Series:
    """Local wall-clock ISO timestamps as naive datetimes (NaT where unreadable)."""
    return pd.to_datetime(text.astype("string").str.strip(), errors="coerce", format="ISO8601")


def with_offset(local_text: pd.Series, offset_text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(naive UTC, ok) from a local wall time and its delivered UTC offset (`-05:00`, `+0100`, `Z`)."""
    naive = on_distinct(local_text, naive_local)
    minutes = on_distinct(offset_text, offset_minutes)
    ok = naive.notna() & minutes.notna()
    utc = naive - pd.to_timedelta(minutes.fillna(0), unit="m")
    return utc.where(ok), ok.fillna(False).astype(bool)


def offset_minutes(offset_text: pd.Series) -> pd.Series:
    m = offset_text.astype("string").str.strip().str.extract(r"^(?:(Z)|([+-])(\d{2}):?(\d{2}))$")
    minutes = (pd.to_numeric(m[2], errors="coerce") * 60 + pd.to_numeric(m[3], errors="coerce"))
    return minutes.where(m[1] != "-", -minutes).where(m[0].isna(), 0).astype(float)
