"""SodaCL (Soda Core 3 check files) -> native checks, so SodaCL runs on any warehouse the native engine
supports (DuckDB included, without soda-core-duckdb, which pins duckdb < 1.1).

Translated, with Soda's semantics: `row_count`, `missing_count`/`missing_percent` (missing = NULL and the
`missing values` listed; a blank string is a value, as in Soda), `invalid_count` with `valid format`
(Soda's own regexes for email, phone number, uuid, ip address), `valid values`, `valid regex`,
`valid min`/`valid max`, `valid length`/`valid min length`/`valid max length`; `duplicate_count` (Soda
counts distinct duplicated values: the native `duplicate_keys`); `freshness`; `min`/`max`/`avg`/`sum`;
`values in (a) must exist in t (b)` (reference). Thresholds: the check line's condition or `warn:`/`fail:`
`when ...` clauses. Everything else is returned as a `Refusal` with the reason; the suite-file form runs
it through Soda Core where Soda supports the warehouse, and reports it as an error elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Soda Core 3's own format regexes (soda/execution/data_source.py), so a translated check means the same.
SODA_FORMATS = {
    "email": r"^[a-zA-ZÀ-ÿĀ-ſƀ-ȳ0-9.\-_%+]+@[a-zA-ZÀ-ÿĀ-ſƀ-ȳ0-9.\-_%]+\.[A-Za-z]{2,4}$",
    "phone number": r"^((\+[0-9]{1,2}\s)?\(?[0-9]{3}\)?[\s.-])?[0-9]{3}[\s.-][0-9]{4}$",
    "uuid": r"^[0-9a-fA-F]{8}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{12}$",
    "ip address": r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$",
    "ipv4 address": r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$",
}
_LINE = re.compile(r"^\s*(?P<metric>[a-z_]+)\s*(\((?P<args>[^)]*)\))?\s*(?P<cond>.*?)\s*$")
_COND = re.compile(r"^(?P<op><=|>=|!=|=|<|>)\s*(?P<value>-?[0-9.]+)\s*(?P<pct>%)?$")
_BETWEEN = re.compile(r"^between\s+(?P<lo>-?[0-9.]+)\s*(%)?\s+and\s+(?P<hi>-?[0-9.]+)\s*(%)?$")
_REFERENCE = re.compile(
    r"^values in \((?P<cols>[^)]+)\) must exist in (?P<table>[A-Za-z_][A-Za-z0-9_.]*) \((?P<to>[^)]+)\)$"
)
_EPS = 1e-12  # turns the native "rate < p" into Soda's "percent >= q" at the exact boundary


class SodaClError(ValueError):
    """The file is not SodaCL (names the file and what is wrong)."""


@dataclass(frozen=True)
class Refusal:
    index: int
    check: str  # the SodaCL check as written (YAML)
    reason: str
    check_id: str

    def message(self) -> str:
        return f"SodaCL check #{self.index + 1} {self.check.splitlines()[0][:80]!r}: {self.reason}"


@dataclass
class Translation:
    dataset: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class _Refuse(Exception):
    pass


def load_sodacl(path: str | Path) -> dict[str, list[Any]]:
    """Read a SodaCL file: `checks for <table>` -> list of checks; SodaClError naming the file otherwise."""
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise SodaClError(f"{p}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise SodaClError(f"{p}: not valid YAML: {e}") from None
    sections = {}
    for key, value in (doc or {}).items() if isinstance(doc, dict) else []:
        m = re.match(r"^checks for ([A-Za-z_][A-Za-z0-9_.]*)\s*(\[.*\])?$", str(key))
        if m:
            if m.group(2):
                raise SodaClError(f"{p}: '{key}': filtered sections are not supported; refer to a view instead")
            if not isinstance(value, list):
                raise SodaClError(f"{p}: '{key}' must be a list of checks")
            sections[m.group(1)] = value
    if not sections:
        raise SodaClError(f"{p}: no 'checks for <table>' section")
    return sections


def translate(
    sections: dict[str, list[Any]], dataset: str, *, prefix: str = "soda", translate: bool = True
) -> Translation:
    """Translate the `checks for <dataset>` section; SodaClError if the file has no such section.
    `translate=False` refuses every check (all of them run through Soda)."""
    if dataset not in sections:
        raise SodaClError(f"no 'checks for {dataset}' section (found: {', '.join(sections)})")
    out = Translation(dataset)
    for i, item in enumerate(sections[dataset]):
        if isinstance(item, dict) and len(item) == 1:
            line, config = next(iter(item.items()))
            config = config or {}
        else:
            line, config = item, {}
        text = yaml.safe_dump(item, sort_keys=False, allow_unicode=True).strip()
        check_id = _check_id(prefix, i, str(line), config)
        try:
            if not translate:
                raise _Refuse("engine: soda")
            if not isinstance(line, str) or not isinstance(config, dict):
                raise _Refuse("not a check line")
            check = translate_check(line, config)
        except _Refuse as e:
            out.refused.append(Refusal(i, text, str(e), check_id))
            continue
        out.checks.append({"id": check_id, **check})
    return out


def _check_id(prefix: str, i: int, line: str, config: Any) -> str:
    ref = _REFERENCE.match(line.strip())
    if ref:
        cols = re.sub(r"[^A-Za-z0-9_]+", "_", ref.group("cols")).strip("_")
        return f"{prefix}.{i + 1:02d}.reference.{cols}"
    m = _LINE.match(line)
    metric = m.group("metric") if m else "check"
    args = re.sub(r"[^A-Za-z0-9_]+", "_", (m.group("args") or "") if m else "").strip("_")
    return ".".join(p for p in (prefix, f"{i + 1:02d}", metric, args) if p)


def translate_check(line: str, config: dict[str, Any]) -> dict[str, Any]:
    """One SodaCL check (line + config) -> one native check dict without id; _Refuse otherwise."""
    ref = _REFERENCE.match(line.strip())
    if ref:
        cols = [c.strip() for c in ref.group("cols").split(",")]
        to = [c.strip() for c in ref.group("to").split(",")]
        out: dict[str, Any] = {"type": "references", "to": ref.group("table")}
        out.update({"column": cols[0]} if len(cols) == 1 else {"columns": cols})
        if to != cols:
            out["to_columns"] = to
        return _described(out, config, {"name"})
    m = _LINE.match(line)
    if not m:
        raise _Refuse("not a check line")
    metric, args, cond = m.group("metric"), (m.group("args") or "").strip(), m.group("cond")
    handler = _METRICS.get(metric)
    if handler is None:
        raise _Refuse(f"'{metric}' checks are not translated")
    return handler(args, cond, dict(config))


def _described(out: dict[str, Any], config: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(config) - allowed - {"name"})
    if unknown:
        raise _Refuse(f"configuration {', '.join(unknown)} is not translated")
    if config.get("name"):
        out["description"] = str(config["name"])
    return out


def _one_column(args: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", args):
        raise _Refuse(f"argument {args!r} is not one column")
    return args


def _num(text: str) -> float | int:
    v = float(text)
    return int(v) if v.is_integer() else v


def _count_threshold(cond: str, config: dict[str, Any]) -> dict[str, Any]:
    """A count metric's condition (`= 0`, `< 5`, `<= 5`) or `warn:/fail: when > n` as max_failed."""
    levels = {}
    if cond:
        levels["fail"] = _pass_condition_as_max(cond)
    for level in ("warn", "fail"):
        if level in config:
            levels[level] = _fail_when_as_max(config.pop(level))
    if not levels:
        raise _Refuse("no threshold")
    return {"max_failed": levels}


def _pass_condition_as_max(cond: str) -> int:
    m = _COND.match(cond)
    if not m or m.group("pct"):
        raise _Refuse(f"condition {cond!r} is not translated for a count")
    op, v = m.group("op"), _num(m.group("value"))
    if op == "=" and v == 0:
        return 0
    if op == "<" and isinstance(v, int):
        return v - 1
    if op == "<=" and isinstance(v, int):
        return v
    raise _Refuse(f"condition {cond!r} is not translated for a count")


def _fail_when_as_max(clause: Any) -> int:
    m = re.match(r"^when\s+(?P<op>>=|>)\s*(?P<v>[0-9]+)$", str(clause).strip())
    if not m:
        raise _Refuse(f"threshold {clause!r} is not translated (use 'when > n')")
    v = int(m.group("v"))
    return v if m.group("op") == ">" else v - 1


def _percent_threshold(cond: str, config: dict[str, Any]) -> dict[str, Any]:
    """A percent-of-rows metric (missing_percent) as a native pass rate over all rows."""
    levels = {}
    if cond:
        m = _COND.match(cond)
        if not m or m.group("op") not in ("<", "<="):
            raise _Refuse(f"condition {cond!r} is not translated for a percentage")
        levels["fail"] = _rate(m.group("op") == "<", float(m.group("value")))
    for level in ("warn", "fail"):
        if level in config:
            w = re.match(r"^when\s+(?P<op>>=|>)\s*(?P<v>[0-9.]+)\s*%?$", str(config.pop(level)).strip())
            if not w:
                raise _Refuse("threshold is not translated (use 'when > p%')")
            levels[level] = _rate(w.group("op") == ">=", float(w.group("v")))
    if not levels:
        raise _Refuse("no threshold")
    return {"pass_rate": levels}


def _rate(fail_at_equal: bool, pct: float) -> float:
    return min(1.0, 1 - pct / 100 + (_EPS if fail_at_equal else 0))


def _missing(percent: bool) -> Any:
    def tr(args: str, cond: str, config: dict[str, Any]) -> dict[str, Any]:
        col = _one_column(args)
        out: dict[str, Any] = {"type": "not_null", "column": col, "blank_is_null": False}
        values = config.pop("missing values", None)
        if values is not None:
            if not isinstance(values, list):
                raise _Refuse("'missing values' must be a list")
            if "" in values:
                out["blank_is_null"] = True
            if [v for v in values if v != ""]:
                out["null_values"] = [str(v) for v in values if v != ""]
        out.update(_percent_threshold(cond, config) if percent else _count_threshold(cond, config))
        return _described(out, config, set())

    return tr


def _invalid(args: str, cond: str, config: dict[str, Any]) -> dict[str, Any]:
    col = _one_column(args)
    threshold = _count_threshold(cond, config)
    missing = config.pop("missing values", None)
    valid = {k: config.pop(k) for k in list(config) if k.startswith("valid ")}
    out: dict[str, Any] = {"column": col, "blank_is_null": False}
    keys = set(valid)
    if keys == {"valid format"}:
        fmt = str(valid["valid format"])
        if fmt not in SODA_FORMATS:
            raise _Refuse(f"valid format {fmt!r} is not translated")
        out.update(type="pattern", regex=SODA_FORMATS[fmt])
    elif keys == {"valid regex"}:
        out.update(type="pattern", regex=str(valid["valid regex"]))
    elif keys == {"valid values"}:
        out.update(type="accepted_values", values=list(valid["valid values"]))
    elif keys and keys <= {"valid min", "valid max"}:
        out.update(type="range")
        if "valid min" in valid:
            out["min"] = valid["valid min"]
        if "valid max" in valid:
            out["max"] = valid["valid max"]
    elif keys == {"valid length"}:
        out.update(type="length", min=valid["valid length"], max=valid["valid length"])
    elif keys and keys <= {"valid min length", "valid max length"}:
        out.update(type="length")
        if "valid min length" in valid:
            out["min"] = valid["valid min length"]
        if "valid max length" in valid:
            out["max"] = valid["valid max length"]
    else:
        raise _Refuse(f"validity configuration {', '.join(sorted(keys)) or '(none)'} is not translated")
    if missing is not None:
        if out["type"] != "pattern" or not isinstance(missing, list):
            raise _Refuse("'missing values' on an invalid check is translated for formats and regexes only")
        out["null_values"] = [str(v) for v in missing]
    return _described({**out, **threshold}, config, set())


def _duplicate(args: str, cond: str, config: dict[str, Any]) -> dict[str, Any]:
    cols = [c.strip() for c in args.split(",")]
    for c in cols:
        _one_column(c)
    out: dict[str, Any] = {"type": "unique", "failed_rows": "duplicate_keys"}
    out.update({"column": cols[0]} if len(cols) == 1 else {"columns": cols})
    out.update(_count_threshold(cond, config))
    return _described(out, config, set())


def _row_count(args: str, cond: str, config: dict[str, Any]) -> dict[str, Any]:
    if args:
        raise _Refuse("row_count takes no column")
    b = _BETWEEN.match(cond)
    if b:
        return _described({"type": "row_count", "min": _num(b.group("lo")), "max": _num(b.group("hi"))}, config, set())
    m = _COND.match(cond)
    if not m or m.group("pct"):
        raise _Refuse(f"condition {cond!r} is not translated")
    op, v = m.group("op"), _num(m.group("value"))
    if not isinstance(v, int):
        raise _Refuse("row counts are whole numbers")
    bounds = {"=": (v, v), ">": (v + 1, None), ">=": (v, None), "<": (None, v - 1), "<=": (None, v)}.get(op)
    if bounds is None:
        raise _Refuse(f"condition {cond!r} is not translated")
    return _described({"type": "row_count", "min": bounds[0], "max": bounds[1]}, config, set())


def _freshness(args: str, cond: str, config: dict[str, Any]) -> dict[str, Any]:
    m = re.match(r"^<\s*([0-9]+)([dhm])$", cond.strip())
    if not m:
        raise _Refuse(f"freshness condition {cond!r} is not translated (use '< 1d', '< 6h', '< 30m')")
    return _described(
        {"type": "freshness", "column": _one_column(args), "max_age": f"{m.group(1)}{m.group(2)}"}, config, set()
    )


def _aggregate(of: str) -> Any:
    def tr(args: str, cond: str, config: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "range", "column": _one_column(args), "of": of}
        b = _BETWEEN.match(cond)
        m = _COND.match(cond)
        if b:
            out.update(min=_num(b.group("lo")), max=_num(b.group("hi")))
        elif m and not m.group("pct") and m.group("op") != "!=":
            op, v = m.group("op"), _num(m.group("value"))
            if op in (">", ">="):
                out.update(min=v, strict_min=op == ">")
            elif op in ("<", "<="):
                out.update(max=v, strict_max=op == "<")
            else:
                out.update(min=v, max=v)
        else:
            raise _Refuse(f"condition {cond!r} is not translated")
        return _described({k: v for k, v in out.items() if v is not False}, config, set())

    return tr


_METRICS = {
    "missing_count": _missing(False),
    "missing_percent": _missing(True),
    "invalid_count": _invalid,
    "duplicate_count": _duplicate,
    "row_count": _row_count,
    "freshness": _freshness,
    "min": _aggregate("min"),
    "max": _aggregate("max"),
    "avg": _aggregate("mean"),
    "sum": _aggregate("sum"),
}
