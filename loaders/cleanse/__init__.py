"""Standardisers: ids, dates, names, addresses, phones, emails, units. Raw values are never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd


def map_distinct(raw: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply a per-value Python function to the DISTINCT non-null values only, then map back.

    Contact data repeats heavily (and `fn` is usually cached across batches too), so the library call
    count is the number of distinct values, not rows.
    """
    values = raw.dropna().unique()
    table = {v: fn(v) for v in values}
    return none_for_null(raw.map(table, na_action="ignore"))


def none_for_null(values: pd.Series) -> pd.Series:
    """An object Series whose missing values (NaN, NA, NaT) are all Python None, as the warehouse expects."""
    out = values.astype(object)
    return out.where(values.notna(), None)
