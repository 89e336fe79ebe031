"""Standardisers: ids, dates, names, addresses, phones, emails, units. Raw values are never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def map_distinct(raw: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply a per-value Python function to the DISTINCT non-null values only, then map back.

    Contact data repeats heavily (and `fn` is usually cached across batches too), so the library call
    count is the number of distinct values, not rows.
    """
    values = raw.dropna().unique()
    table = {v: fn(v) for v in values}
    return none_for_null(raw.map(table, na_action="ignore"))


# Every character Python's `str.split()` splits on (`str.isspace`), as an RE2 class: Arrow's regular
# expressions run in C++ over Arrow strings, where `.str.split().str.join(" ")` calls Python per row.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# The same set inside an RE2 character class (`[` + this + `]`), and the part of it that is ASCII: RE2's own
# `\s` is only [\t\n\f\r ], where Python's also has \v, \x1c-\x1f and the Unicode spaces.
WHITESPACE_RE2 = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)
ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def arrow_strings(values: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (missing -> null), whatever string storage pandas uses: Arrow's
    compute functions (and their RE2 regular expressions) then run on it directly."""
    return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def extracted(parts: pa.StructArray, name: str) -> pa.Array:
    """A group of `pc.extract_regex`'s result, null where the value did not match (the field alone reads '')."""
    return pc.if_else(parts.is_valid(), parts.field(name), pa.scalar(None, pa.string()))


def collapse_spaces(text: pd.Series) -> pd.Series:
    """Runs of whitespace -> one space, none at either end: `.str.split().str.join(" ")` for a string column."""
    arrow = pc.replace_substring_regex(arrow_strings(text), f"[{WHITESPACE_RE2}]+", " ")
    return pd.Series(pd.array(pc.replace_substring_regex(arrow, "^ | $", ""), dtype="string"), index=text.index)


def none_for_null(values: pd.Series) -> pd.Series:
    """An object Series whose missing values (NaN, NA, NaT) are all Python None, as the warehouse expects."""
    out = values.astype(object)
    return out.where(values.notna(), None)


def on_distinct(raw: pd.Series, fn: Callable[[pd.Series], Any], *, per_value: bool = False) -> Any:
    """Run a vectorised standardiser on the distinct values only and spread the result back to every row.

    Dates, timestamps, offsets and units repeat massively (a day of interval reads has 96 distinct
    timestamps), so this turns millions of parses into hundreds. `fn` returns a Series or a tuple of them.
    `per_value`: `fn` calls Python once per value, so the distinct values only are never slower, however many.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if not per_value and len(uniques) > 0.5 * len(raw):  # mostly distinct: spreading back costs more than it saves
        return fn(raw)
    values = pd.Series(uniques, dtype=object)
    result = fn(pd.concat([values, pd.Series([None], dtype=object)], ignore_index=True))
    take = np.where(codes < 0, len(uniques), codes)

    def spread(col: pd.Series) -> pd.Series:
        return pd.Series(col.to_numpy()[take], index=raw.index, dtype=col.dtype)
    return tuple(spread(c) for c in result) if isinstance(result, tuple) else spread(result)
