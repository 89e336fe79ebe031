"""Great Expectations expectation suites (GX 1.x JSON; 0.x `expectation_type` form too) -> native checks.

Pure translation: each expectation becomes one native check (a plain dict, exactly what a suite file
would say) keeping GX's semantics:

- `mostly` -> `pass_rate: {fail: mostly}` (GX: success when the share of unexpected among non-missing
  values is at most 1 - mostly; the native pass rate has the same denominator);
- missing values: GX ignores NULLs in column-map expectations and treats '' as a value, so every
  translated value check sets `blank_is_null: false`;
- `strict_min`/`strict_max`, `ignore_row_if`, `match_on`, `exact_match` as GX defines them;
- the "unexpected" rows are the native failed rows (unique: every row of a duplicated value, as GX).

What cannot be translated is never dropped: `translate()` returns it as a `Refusal` naming the expectation
and the reason; the suite-file form turns it into an `external` check that GX itself runs where GX supports
the warehouse (PostgreSQL), and that errors with the same message elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

IGNORED_KWARGS = {"result_format", "catch_exceptions", "include_config", "meta", "batch_id", "notes", "description"}
SEVERITIES = {"critical": "critical", "warning": "warning", "info": "info"}


class GxSuiteError(ValueError):
    """The file is not a GX expectation suite (names the file and what is wrong)."""


@dataclass(frozen=True)
class Refusal:
    """An expectation without a native translation: its position, type, arguments and why."""

    index: int
    expectation_type: str
    kwargs: dict[str, Any]
    reason: str
    check_id: str

    def message(self) -> str:
        return f"expectation #{self.index + 1} {self.expectation_type}: {self.reason}"


@dataclass
class Translation:
    """Native check dicts (suite-file form) and the refused expectations, in suite order."""

    name: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class _Refuse(Exception):
    pass


def load_gx_suite(path: str | Path) -> dict[str, Any]:
    """Read a GX expectation suite JSON file; GxSuiteError naming the file otherwise."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise GxSuiteError(f"{p}: cannot read: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise GxSuiteError(f"{p}:{e.lineno}: not valid JSON: {e.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        raise GxSuiteError(f"{p}: not a GX expectation suite (no 'expectations' list)")
    return doc


def translate(doc: dict[str, Any], *, prefix: str = "gx") -> Translation:
    """Translate a parsed GX suite document; never raises for a single expectation (see Refusal)."""
    out = Translation(name=str(doc.get("name") or doc.get("expectation_suite_name") or "gx_suite"))
    for i, exp in enumerate(doc["expectations"]):
        etype = str(exp.get("type") or exp.get("expectation_type") or "")
        kwargs = dict(exp.get("kwargs") or {})
        column = kwargs.get("column") or kwargs.get("column_A") or ""
        cid = check_id(prefix, i, etype, column)
        try:
            check = translate_expectation(etype, kwargs)
        except _Refuse as e:
            out.refused.append(Refusal(i, etype, kwargs, str(e), cid))
            continue
        severity = exp.get("severity") or (exp.get("meta") or {}).get("severity")
        head: dict[str, Any] = {"id": cid}
        if severity in SEVERITIES:
            head["severity"] = SEVERITIES[severity]
        out.checks.append({**head, **check})
    return out


def check_id(prefix: str, i: int, etype: str, column: str) -> str:
    """A stable, readable id: gx.<position>.<expectation>.<column>."""
    short = re.sub(r"^expect_(column_values_to_|column_|table_|compound_columns_to_|multicolumn_)?", "", etype)
    col = re.sub(r"[^A-Za-z0-9_]", "_", str(column))
    return ".".join(p for p in (prefix, f"{i + 1:02d}", short or "unknown", col) if p)


def translate_expectation(etype: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """One expectation -> one native check dict (without id); _Refuse with the reason otherwise."""
    fn = _TRANSLATORS.get(etype)
    if fn is None:
        raise _Refuse("no native translation for this expectation type")
    args = {k: v for k, v in kwargs.items() if k not in IGNORED_KWARGS}
    where = row_condition(args.pop("row_condition", None), args.pop("condition_parser", None))
    mostly = args.pop("mostly", None)
    check = fn(args)
    if where is not None:
        if check["type"] in ("unique", "row_count", "schema"):
            raise _Refuse(f"row_condition on {etype} (a {check['type']} check) is not translated")
        check["where"] = where
    unknown = sorted(set(args) - _USED.get(etype, set()))
    if unknown:
        raise _Refuse(f"argument(s) {', '.join(unknown)} not supported by the translation")
    if mostly is not None:
        if not isinstance(mostly, int | float) or isinstance(mostly, bool) or not 0 <= mostly <= 1:
            raise _Refuse(f"mostly {mostly!r} must be a number between 0 and 1")
        check["pass_rate"] = {"fail": float(mostly)}
    return check


# --- row conditions -----------------------------------------------------------------------------

_GX_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_VALUE = r"(?P<value>-?[0-9]+(?:\.[0-9]+)?|\"[^\"]*\"|'[^']*')"
_PANDAS_TERM = re.compile(r"^\s*(?P<col>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>==|!=|<=|>=|<|>)\s*" + _VALUE + r"\s*$")
_GX_TERM = re.compile(
    r"^\s*col\(\s*[\"'](?P<col>[A-Za-z_][A-Za-z0-9_]*)[\"']\s*\)\s*(?P<op>==|!=|<=|>=|<|>)\s*" + _VALUE + r"\s*$"
)


def row_condition(condition: Any, parser: Any) -> dict[str, Any] | None:
    """GX's row_condition (1.x structured form, `great_expectations` or `pandas` strings) as a native
    `where:`; _Refuse for anything not expressible (GX then runs it on PostgreSQL)."""
    if condition in (None, "", {}):
        return None
    if isinstance(condition, dict):
        return _structured(condition)
    if not isinstance(condition, str):
        raise _Refuse(f"row_condition {condition!r} is not translated")
    term = _GX_TERM if parser in ("great_expectations", "great_expectations__experimental__") else _PANDAS_TERM
    if parser not in ("pandas", "great_expectations", "great_expectations__experimental__"):
        raise _Refuse(f"condition_parser {parser!r} is not translated")
    for joiner, key in (("&", "all"), ("|", "any")):
        if joiner in condition and ("&" in condition) != ("|" in condition):
            return {key: [_term(term, part, condition) for part in condition.split(joiner)]}
    if "&" in condition or "|" in condition:
        raise _Refuse(f"row_condition {condition!r} mixes & and |: not translated")
    return _term(term, condition, condition)


def _term(pattern: re.Pattern[str], text: str, whole: str) -> dict[str, Any]:
    m = pattern.match(text)
    if not m:
        raise _Refuse(f"row_condition {whole!r} is not translated (simple comparisons joined by & or | only)")
    raw = m.group("value")
    value: Any = raw[1:-1] if raw[0] in "\"'" else (float(raw) if "." in raw else int(raw))
    return {"column": m.group("col"), "op": _GX_OPS[m.group("op")], "value": value}


def _structured(c: dict[str, Any]) -> dict[str, Any]:
    kind = c.get("type")
    if kind in ("and", "or"):
        return {"all" if kind == "and" else "any": [_structured(x) for x in c.get("conditions") or []]}
    column = (c.get("column") or {}).get("name") if isinstance(c.get("column"), dict) else c.get("column")
    if not isinstance(column, str):
        raise _Refuse(f"row_condition {c!r} is not translated")
    if kind == "nullity":
        return {"column": column, "is_null": bool(c.get("is_null"))}
    if kind == "comparison":
        op, param = c.get("operator"), c.get("parameter")
        if op == "IN":
            return {"column": column, "in": list(param or [])}
        if op == "NOT_IN":
            return {"not": {"column": column, "in": list(param or [])}}
        if op in _GX_OPS and isinstance(param, int | float | str) and not isinstance(param, bool):
            return {"column": column, "op": _GX_OPS[op], "value": param}
    raise _Refuse(f"row_condition {c!r} is not translated")


# --- translators -----------------------------------------------------------------------------------


def _column(a: dict[str, Any]) -> str:
    c = a.get("column")
    if not isinstance(c, str) or not c:
        raise _Refuse("needs 'column'")
    return c


def _number(v: Any, what: str) -> float | int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Refuse(f"{what} {v!r} is not a number")
    return v


def _bounds(a: dict[str, Any], *, allow_dates: bool) -> tuple[Any, Any, str | None]:
    lo: Any = a.get("min_value")
    hi: Any = a.get("max_value")
    if lo is None and hi is None:
        raise _Refuse("min_value and max_value are both missing")
    if isinstance(a.get("min_value"), dict) or isinstance(a.get("max_value"), dict):
        raise _Refuse("evaluation parameters ($PARAMETER) in bounds are not supported")
    as_type = None
    if any(isinstance(b, str) for b in (lo, hi)) and allow_dates:
        try:
            lo, hi = (None if b is None else datetime.fromisoformat(str(b)) for b in (lo, hi))
        except ValueError:
            raise _Refuse(f"bounds {lo!r}, {hi!r} are neither numbers nor ISO dates") from None
        as_type = "timestamp"
    else:
        lo, hi = _number(lo, "min_value"), _number(hi, "max_value")
    if lo is not None and hi is not None and lo > hi:
        raise _Refuse(f"min_value {lo} is greater than max_value {hi} (GX raises an error)")
    return lo, hi, as_type


def _range(of: str) -> Any:
    def tr(a: dict[str, Any]) -> dict[str, Any]:
        lo, hi, as_type = _bounds(a, allow_dates=of in ("value", "min", "max"))
        out: dict[str, Any] = {"type": "range", "column": _column(a)}
        if of != "value":
            out["of"] = of
        if lo is not None:
            out["min"] = lo
        if hi is not None:
            out["max"] = hi
        for k in ("strict_min", "strict_max"):
            if a.get(k):
                out[k] = True
        if as_type:
            out["as_type"] = as_type
        if of == "value":
            out["blank_is_null"] = False
        return out

    return tr


def _not_null(a: dict[str, Any]) -> dict[str, Any]:
    return {"type": "not_null", "column": _column(a), "blank_is_null": False}


def _null(a: dict[str, Any]) -> dict[str, Any]:
    return {"type": "is_null", "column": _column(a), "blank_is_null": False}


def _unique(a: dict[str, Any]) -> dict[str, Any]:
    return {"type": "unique", "column": _column(a), "ignore_missing": "all"}  # GX: '' is a value


def _compound_unique(a: dict[str, Any]) -> dict[str, Any]:
    cols = a.get("column_list")
    if not isinstance(cols, list) or len(cols) < 1:
        raise _Refuse("needs 'column_list'")
    ignore = a.get("ignore_row_if", "all_values_are_missing")
    if ignore not in ("all_values_are_missing", "any_value_is_missing"):
        raise _Refuse(f"ignore_row_if {ignore!r} is not translated (rows with every key part missing are never judged)")
    out: dict[str, Any] = {"type": "unique", "columns": [str(c) for c in cols]}
    if ignore == "all_values_are_missing":
        out["ignore_missing"] = "all"
    return out


def _value_set(a: dict[str, Any]) -> list[Any]:
    values = a.get("value_set")
    if isinstance(values, dict):
        raise _Refuse("evaluation parameters ($PARAMETER) in value_set are not supported")
    if not isinstance(values, list | tuple | set):
        raise _Refuse("needs 'value_set' (a list)")
    return list(values)


def _in_set(a: dict[str, Any]) -> dict[str, Any]:
    values, col = _value_set(a), _column(a)
    if not values:  # GX: every present value is unexpected
        return {"type": "is_null", "column": col, "blank_is_null": False}
    return {"type": "accepted_values", "column": col, "values": values, "blank_is_null": False}


def _not_in_set(a: dict[str, Any]) -> dict[str, Any]:
    values = _value_set(a)
    if not values:
        raise _Refuse("an empty value_set can never fail")
    return {"type": "forbidden_values", "column": _column(a), "values": values, "blank_is_null": False}


def _regex(a: dict[str, Any]) -> dict[str, Any]:
    regex = a.get("regex")
    if not isinstance(regex, str):
        raise _Refuse("needs 'regex'")
    return {"type": "pattern", "column": _column(a), "regex": regex, "blank_is_null": False}


def _matches(key: str, kind: str, negate: bool, listed: bool) -> Any:
    def tr(a: dict[str, Any]) -> dict[str, Any]:
        value = a.get(key)
        values = value if listed else [value]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise _Refuse(f"needs '{key}'")
        out: dict[str, Any] = {"type": "matches", "column": _column(a), kind: values, "blank_is_null": False}
        if negate:
            out["negate"] = True
        elif listed:
            match_on = a.get("match_on", "any")
            if match_on not in ("any", "all"):
                raise _Refuse(f"match_on {match_on!r} must be any or all")
            out["match_on"] = match_on
        return out

    return tr


def _lengths_between(a: dict[str, Any]) -> dict[str, Any]:
    col = _column(a)
    lo, hi = a.get("min_value"), a.get("max_value")
    for what, v in (("min_value", lo), ("max_value", hi)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise _Refuse(f"{what} {v!r} is not a whole number (GX raises an error)")
    if lo is None and hi is None:
        raise _Refuse("min_value and max_value are both missing (GX raises an error)")
    if lo is not None and hi is not None and lo > hi:  # GX: no length qualifies, every value is unexpected
        return {"type": "is_null", "column": col, "blank_is_null": False}
    out: dict[str, Any] = {"type": "length", "column": col, "blank_is_null": False}
    if lo is not None:
        out["min"] = lo
    if hi is not None:
        out["max"] = hi
    return out


def _lengths_equal(a: dict[str, Any]) -> dict[str, Any]:
    n = a.get("value")
    if isinstance(n, bool) or not isinstance(n, int):
        raise _Refuse(f"value {n!r} is not a whole number")
    return {"type": "length", "column": _column(a), "min": n, "max": n, "blank_is_null": False}


def _row_count_between(a: dict[str, Any]) -> dict[str, Any]:
    lo, hi = _number(a.get("min_value"), "min_value"), _number(a.get("max_value"), "max_value")
    if lo is not None and hi is not None and lo > hi:
        raise _Refuse(f"min_value {lo} is greater than max_value {hi} (GX raises an error)")
    return {"type": "row_count", "min": lo, "max": hi}


def _row_count_equal(a: dict[str, Any]) -> dict[str, Any]:
    n = _number(a.get("value"), "value")
    if n is None:
        raise _Refuse("needs 'value'")
    return {"type": "row_count", "min": n, "max": n}


def _column_exists(a: dict[str, Any]) -> dict[str, Any]:
    if a.get("column_index") is not None:
        raise _Refuse("column_index is not translated")
    return {"type": "schema", "expected": {_column(a): "any"}}


def _columns_match_set(a: dict[str, Any]) -> dict[str, Any]:
    cols = a.get("column_set")
    if not isinstance(cols, list | tuple | set) or not cols:
        raise _Refuse("needs 'column_set'")
    exact = a.get("exact_match", True)
    return {"type": "schema", "expected": {str(c): "any" for c in cols}, "allow_extra": not exact}


def _columns_ordered(a: dict[str, Any]) -> dict[str, Any]:
    cols = a.get("column_list")
    if not isinstance(cols, list) or not cols:
        raise _Refuse("needs 'column_list'")
    return {"type": "schema", "expected": {str(c): "any" for c in cols}, "allow_extra": False, "ordered": True}


_PAIR_IGNORE = {"both_values_are_missing": "both", "either_value_is_missing": "either", "neither": "none"}


def _pair(op: str | None) -> Any:
    def tr(a: dict[str, Any]) -> dict[str, Any]:
        ca, cb = a.get("column_A"), a.get("column_B")
        if not isinstance(ca, str) or not isinstance(cb, str):
            raise _Refuse("needs 'column_A' and 'column_B'")
        ignore = a.get("ignore_row_if", "both_values_are_missing")
        if ignore not in _PAIR_IGNORE:
            raise _Refuse(f"ignore_row_if {ignore!r} is not one of {', '.join(_PAIR_IGNORE)}")
        the_op = op or (">=" if a.get("or_equal") else ">")
        if a.get("parse_strings_as_datetimes"):
            raise _Refuse("parse_strings_as_datetimes is not translated")
        as_type = "number" if op is None else "text"
        out = {"type": "column_compare", "column": ca, "op": the_op, "other": cb, "as_type": as_type}
        if _PAIR_IGNORE[ignore] != "both":
            out["ignore"] = _PAIR_IGNORE[ignore]
        return out

    return tr


def _multicolumn_sum(a: dict[str, Any]) -> dict[str, Any]:
    cols, total = a.get("column_list"), _number(a.get("sum_total"), "sum_total")
    if not isinstance(cols, list) or len(cols) < 2 or total is None:
        raise _Refuse("needs 'column_list' (two or more) and 'sum_total'")
    if a.get("ignore_row_if", "all_values_are_missing") != "all_values_are_missing":
        raise _Refuse(f"ignore_row_if {a.get('ignore_row_if')!r} is not translated")
    return {"type": "row_sum", "columns": [str(c) for c in cols], "total": total}


_TRANSLATORS: dict[str, Any] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_values_to_be_between": _range("value"),
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_values_to_not_match_regex": _matches("regex", "regexes", True, False),
    "expect_column_values_to_match_regex_list": _matches("regex_list", "regexes", False, True),
    "expect_column_values_to_not_match_regex_list": _matches("regex_list", "regexes", True, True),
    "expect_column_values_to_match_like_pattern": _matches("like_pattern", "likes", False, False),
    "expect_column_values_to_not_match_like_pattern": _matches("like_pattern", "likes", True, False),
    "expect_column_values_to_match_like_pattern_list": _matches("like_pattern_list", "likes", False, True),
    "expect_column_values_to_not_match_like_pattern_list": _matches("like_pattern_list", "likes", True, True),
    "expect_column_value_lengths_to_be_between": _lengths_between,
    "expect_column_value_lengths_to_equal": _lengths_equal,
    "expect_table_row_count_to_be_between": _row_count_between,
    "expect_table_row_count_to_equal": _row_count_equal,
    "expect_column_to_exist": _column_exists,
    "expect_table_columns_to_match_set": _columns_match_set,
    "expect_table_columns_to_match_ordered_list": _columns_ordered,
    "expect_column_min_to_be_between": _range("min"),
    "expect_column_max_to_be_between": _range("max"),
    "expect_column_mean_to_be_between": _range("mean"),
    "expect_column_median_to_be_between": _range("median"),
    "expect_column_sum_to_be_between": _range("sum"),
    "expect_column_stdev_to_be_between": _range("stdev"),
    "expect_column_unique_value_count_to_be_between": _range("distinct_count"),
    "expect_column_proportion_of_unique_values_to_be_between": _range("distinct_proportion"),
    "expect_column_pair_values_a_to_be_greater_than_b": _pair(None),
    "expect_column_pair_values_A_to_be_greater_than_B": _pair(None),
    "expect_column_pair_values_to_be_equal": _pair("="),
    "expect_multicolumn_sum_to_equal": _multicolumn_sum,
}

_BETWEEN = {"column", "min_value", "max_value", "strict_min", "strict_max"}
_USED: dict[str, set[str]] = {
    **{t: _BETWEEN for t in _TRANSLATORS if t.endswith("_to_be_between") and "row_count" not in t},
    "expect_column_value_lengths_to_be_between": {"column", "min_value", "max_value"},
    "expect_table_row_count_to_be_between": {"min_value", "max_value"},
    "expect_table_row_count_to_equal": {"value"},
    "expect_column_value_lengths_to_equal": {"column", "value"},
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_null": {"column"},
    "expect_column_values_to_be_unique": {"column"},
    "expect_compound_columns_to_be_unique": {"column_list", "ignore_row_if"},
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_not_be_in_set": {"column", "value_set"},
    "expect_column_values_to_match_regex": {"column", "regex"},
    "expect_column_values_to_not_match_regex": {"column", "regex"},
    "expect_column_values_to_match_regex_list": {"column", "regex_list", "match_on"},
    "expect_column_values_to_not_match_regex_list": {"column", "regex_list"},
    "expect_column_values_to_match_like_pattern": {"column", "like_pattern"},
    "expect_column_values_to_not_match_like_pattern": {"column", "like_pattern"},
    "expect_column_values_to_match_like_pattern_list": {"column", "like_pattern_list", "match_on"},
    "expect_column_values_to_not_match_like_pattern_list": {"column", "like_pattern_list"},
    "expect_column_to_exist": {"column", "column_index"},
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
    "expect_table_columns_to_match_ordered_list": {"column_list"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal", "ignore_row_if"},
    "expect_column_pair_values_A_to_be_greater_than_B": {"column_A", "column_B", "or_equal", "ignore_row_if"},
    "expect_column_pair_values_to_be_equal": {"column_A", "column_B", "ignore_row_if"},
    "expect_multicolumn_sum_to_equal": {"column_list", "sum_total", "ignore_row_if"},
}
