"""Metric definitions: what to measure, as data. Identified by a stable hash of the definition.

A metric never holds SQL. `checks.compile` turns metrics into SQL per dialect; two checks asking for
the same measurement share one metric (same definition -> same id -> measured once).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal

# Families decide how a metric is computed: `aggregate` metrics share the one scan of the dataset;
# each other family is at most one extra statement per dataset and batch.
Family = Literal["aggregate", "duplicates", "references", "lookup", "vee", "reconciliation", "custom_sql", "schema"]
AsType = Literal["text", "number", "date", "timestamp"]


# --- row predicates (a failed row is one where the predicate holds) --------------------------------


@dataclass(frozen=True)
class IsMissing:
    """NULL, or (for text) blank or one of `null_values` such as CIS's '00000000'."""

    column: str
    null_values: tuple[str, ...] = ()
    blank: bool = True


@dataclass(frozen=True)
class NotInSet:
    """Present and not one of `values` (missing values are not judged)."""

    column: str
    values: tuple[Any, ...]
    blank: bool = True  # a blank text value is missing (not judged); False: judged like any value (GX)


@dataclass(frozen=True)
class OutOfRange:
    """Present and outside [min, max] (bounds open when strict); unparseable values fail."""

    column: str
    min: Any = None
    max: Any = None
    strict_min: bool = False
    strict_max: bool = False
    as_type: AsType = "number"
    blank: bool = True


@dataclass(frozen=True)
class NoMatch:
    """Present and not matching a named pattern or a raw regex (search semantics, anchor with ^ $)."""

    column: str
    pattern: str
    named: bool
    null_values: tuple[str, ...] = ()
    blank: bool = True


@dataclass(frozen=True)
class BadLength:
    """Present and with a length outside [min, max]."""

    column: str
    min: int | None = None
    max: int | None = None
    blank: bool = True


@dataclass(frozen=True)
class ColumnCompare:
    """`column op other` does not hold (op: < <= > >= = <>), both read as `as_type`. `ignore` says which
    rows are not judged: `both` (both values missing), `either` (any missing) or `none`; a judged row
    with a missing side fails."""

    column: str
    op: str
    other: str
    as_type: AsType = "number"
    ignore: str = "both"


@dataclass(frozen=True)
class RowSumNot:
    """The sum of `columns` (missing counts as 0) differs from `total`; rows with all parts missing are
    not judged."""

    columns: tuple[str, ...]
    total: float


@dataclass(frozen=True)
class Compare:
    """`column op value` on the column read as `as_type` (op: < <= > >= = <>)."""

    column: str
    op: str
    value: Any
    as_type: AsType = "number"


@dataclass(frozen=True)
class InSet:
    column: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Predicate, ...]


@dataclass(frozen=True)
class Negate:
    part: Predicate


Predicate = (
    IsMissing
    | NotInSet
    | OutOfRange
    | NoMatch
    | BadLength
    | Compare
    | InSet
    | AllOf
    | Negate
    | ColumnCompare
    | RowSumNot
)


def predicate_columns(p: Predicate) -> tuple[str, ...]:
    if isinstance(p, ColumnCompare):
        return (p.column, p.other)
    if isinstance(p, RowSumNot):
        return tuple(p.columns)
    if isinstance(p, AllOf):
        return tuple(c for part in p.parts for c in predicate_columns(part))
    if isinstance(p, Negate):
        return predicate_columns(p.part)
    return (p.column,)


# --- metrics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One measurement.

    `kind` for the aggregate family: row_count, count_if (rows where `predicate` holds), count_present
    (non-missing `column`), min, max, sum, avg, median, stddev (sample), count_distinct (of `column` read
    as `as_type`). Other families define
    their own kinds and read `options` (a sorted tuple of pairs, so the hash is stable).
    """

    family: Family
    kind: str
    column: str | None = None
    predicate: Predicate | None = None
    as_type: AsType | None = None
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def id(self) -> str:
        try:
            return _metric_id(self)
        except TypeError:  # an unhashable option value: hash the definition each time
            return definition_hash(self)[:16]

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


@lru_cache(maxsize=4096)
def _metric_id(m: Metric) -> str:
    """A metric's id is a pure function of its (frozen, hashable) definition: hashed once per process."""
    return definition_hash(m)[:16]


def metric(family: Family, kind: str, **kw: Any) -> Metric:
    """Build a metric; keyword arguments not among Metric's fields become sorted `options`."""
    fields = {f.name for f in dataclasses.fields(Metric)}
    direct = {k: v for k, v in kw.items() if k in fields}
    options = tuple(sorted((k, _freeze(v)) for k, v in kw.items() if k not in fields))
    return Metric(family=family, kind=kind, options=options, **direct)


def present_metric(column: str, blank: bool = True) -> Metric:
    """Rows with a value in `column`; `blank=False` counts blank text as a value (GX semantics)."""
    if blank:
        return metric("aggregate", "count_present", column=column)
    return metric("aggregate", "count_if", predicate=Negate(IsMissing(column, blank=False)))


def _freeze(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return v


def _canon(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # Fields left at their default are omitted, so adding an optional field to a check type or a
        # metric later does not change existing hashes (and history stays comparable).
        return {
            "@": type(obj).__name__,
            **{
                f.name: _canon(getattr(obj, f.name))
                for f in dataclasses.fields(obj)
                if f.default is dataclasses.MISSING or getattr(obj, f.name) != f.default
            },
        }
    if isinstance(obj, list | tuple):
        return [_canon(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _canon(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, datetime | date):
        return {"@": type(obj).__name__, "v": obj.isoformat()}
    return obj


def canonical_json(obj: Any) -> str:
    """A canonical JSON form of a (nested) dataclass definition: same definition, same text."""
    return json.dumps(_canon(obj), sort_keys=True, separators=(",", ":"), default=str)


def definition_hash(obj: Any) -> str:
    """sha256 of the canonical JSON form: stable across runs and processes."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()
