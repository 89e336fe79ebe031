"""YAML suites -> `Suite` of `CheckSpec`s. Every problem is reported at once, each with file, line and
a suggestion for unknown names ("unknown check type 'not_nul'; did you mean 'not_null'?").

    dataset: stg_cis_customer
    stage: raw
    owner: billing-data
    slack_channel: "#dq-billing"
    keys: [source_row_number]
    pii: {email: email, phone: phone, full_name: name, mail_street: address}
    checks:
      - id: cis.customer.email_valid
        type: pattern
        column: email
        pattern: email
        dimension: validity
        severity: warning
        pass_rate: {warn: 0.98, fail: 0.95}
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from checks import registry
from checks.errors import Problem, SuiteError
from checks.registry import DIMENSIONS, SEVERITIES, suggest
from checks.spec import STAGES, CheckSpec, Suite, Threshold
from checks.sqlexpr import IDENTIFIER
from checks.types.reconciliation import Side

SUITE_KEYS = (
    "dataset",
    "stage",
    "schema",
    "owner",
    "slack_channel",
    "keys",
    "pii",
    "batch_column",
    "sample_limit",
    "checks",
    "description",
    "gx_suite",
    "sodacl",
    "dimension",
    "severity",
)
CHECK_KEYS = (
    "id",
    "type",
    "dimension",
    "severity",
    "pass_rate",
    "max_failed",
    "sample_limit",
    "description",
    "where",
)
PII_KINDS = ("email", "phone", "name", "address")


class _Reader:
    """Turns a composed YAML node tree into Python values while remembering line numbers."""

    def __init__(self, text: str, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []
        # libyaml's loader where PyYAML was built with it: same nodes and marks, ~10x faster to compose
        self._loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)

    def root(self) -> yaml.Node | None:
        try:
            return self._loader.get_single_node()
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            self.add("yaml_syntax", f"not valid YAML: {getattr(e, 'problem', e)}", mark.line + 1 if mark else None)
            return None

    def value(self, node: yaml.Node) -> Any:
        return self._loader.construct_object(node, deep=True)

    def add(self, code: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(code, message, self.file, line))

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, int]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.add("not_a_mapping", f"{what} must be a mapping", _line(node))
            return None
        out: dict[str, tuple[yaml.Node, int]] = {}
        for k, v in node.value:
            key = str(self.value(k))
            if key in out:
                self.add("duplicate_key", f"key {key!r} appears twice in {what}", _line(k))
            out[key] = (v, _line(k))
        return out


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def load_suite(path: str | Path) -> Suite:
    """Read and parse one suite file; SuiteError lists every problem with file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise SuiteError([Problem("unreadable", f"cannot read suite: {e.strerror}", str(p))]) from None
    return parse_suite(text, file=str(p))


def load_suites(folder: str | Path) -> list[Suite]:
    """Every `*.yml` suite in a folder, sorted by file name; problems of all files reported together."""
    suites, problems = [], []
    for f in sorted(Path(folder).glob("*.yml")):
        try:
            suites.append(load_suite(f))
        except SuiteError as e:
            problems.extend(e.problems)
    if problems:
        raise SuiteError(problems)
    return suites


def parse_suite(text: str, file: str | None = None) -> Suite:
    """Parse suite YAML text (see the module docstring for the shape)."""
    r = _Reader(text, file)
    node = r.root()
    top = r.mapping(node, "the suite") if node is not None else None
    if top is None:
        if not r.problems:
            r.add("empty_suite", "the suite is empty", 1)
        raise SuiteError(r.problems)
    for key, (_, line) in top.items():
        if key not in SUITE_KEYS:
            r.add("unknown_key", f"unknown suite key {key!r}{suggest(key, SUITE_KEYS)}", line)
    dataset = _scalar(r, top, "dataset", required=True)
    if dataset and not all(IDENTIFIER.match(part) for part in str(dataset).split(".")):
        r.add("bad_identifier", f"dataset {dataset!r} is not a plain table name", top["dataset"][1])
    stage = _scalar(r, top, "stage", required=True)
    if stage is not None and stage not in STAGES:
        r.add(
            "unknown_stage",
            f"unknown stage {stage!r}{suggest(stage, STAGES)} (one of {', '.join(STAGES)})",
            top["stage"][1],
        )
    keys = tuple(_names(r, top, "keys"))
    batch_column = _names(r, top, "batch_column")
    pii = _pii(r, top)
    sample_limit = _scalar(r, top, "sample_limit") or 20
    checks: list[CheckSpec] = []
    imported = "gx_suite" in top or "sodacl" in top
    if "checks" not in top and not imported:
        r.add("missing_key", "the suite has no 'checks' list (nor gx_suite / sodacl)", 1)
    elif "checks" in top:
        seq, line = top["checks"]
        if not isinstance(seq, yaml.SequenceNode):
            r.add("not_a_list", "'checks' must be a list", line)
        else:
            seen: dict[str, int] = {}
            for item in seq.value:
                spec = _check(r, item, int(sample_limit))
                if spec is None:
                    continue
                if spec.id in seen:
                    r.add(
                        "duplicate_check_id",
                        f"check id {spec.id!r} already used on line {seen[spec.id]}",
                        spec.line,
                    )
                seen[spec.id] = spec.line or 0
                checks.append(spec)
    if imported:
        from checks.adapters.suite_form import imported_checks

        defaults: dict[str, Any] = {k: _scalar(r, top, k) for k in ("dimension", "severity") if k in top}
        for key in ("gx_suite", "sodacl"):
            if key in top and dataset:
                for d, source in imported_checks(r, key, r.value(top[key][0]), top[key][1], str(dataset)):
                    spec = _check_from_dict(r, {**d, **defaults}, source, int(sample_limit))
                    if spec is not None:
                        if spec.id in {c.id for c in checks}:
                            r.add("duplicate_check_id", f"check id {spec.id!r} is used twice", top[key][1])
                        checks.append(spec)
    if r.problems:
        raise SuiteError(r.problems)
    return Suite(
        dataset=str(dataset),
        stage=str(stage),
        checks=tuple(checks),
        schema=_scalar(r, top, "schema"),
        owner=_scalar(r, top, "owner"),
        slack_channel=_scalar(r, top, "slack_channel"),
        keys=keys,
        pii=pii,
        batch_column=batch_column[0] if batch_column else "batch_id",
        file=file,
    )


def _check_from_dict(r: _Reader, d: dict[str, Any], source: str, default_limit: int) -> CheckSpec | None:
    """A translated check (GX / SodaCL) parsed by the same code as a written one; problems name the
    source file and the check id instead of a line of text the user never wrote."""
    node = yaml.compose(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))
    assert node is not None  # a dict always dumps to a mapping
    before = len(r.problems)
    spec = _check(r, node, default_limit)
    r.problems[before:] = [
        Problem(p.code, f"{p.message} (translated from {source})", source, None) for p in r.problems[before:]
    ]
    return None if spec is None else dataclasses.replace(spec, file=source, line=None)


def _scalar(r: _Reader, m: dict[str, tuple[yaml.Node, int]], key: str, required: bool = False) -> Any:
    if key not in m:
        if required:
            r.add("missing_key", f"the suite needs {key!r}", 1)
        return None
    node, line = m[key]
    if not isinstance(node, yaml.ScalarNode):
        r.add("not_a_scalar", f"{key!r} must be a single value", line)
        return None
    return r.value(node)


def _names(r: _Reader, m: dict[str, tuple[yaml.Node, int]], key: str) -> list[str]:
    if key not in m:
        return []
    node, line = m[key]
    value = r.value(node)
    names = value if isinstance(value, list) else [value]
    bad = [n for n in names if not isinstance(n, str) or not IDENTIFIER.match(n)]
    if bad:
        r.add("bad_identifier", f"{key}: {bad} are not plain column names", line)
    return [n for n in names if n not in bad]


def _pii(r: _Reader, top: dict[str, tuple[yaml.Node, int]]) -> tuple[tuple[str, str], ...]:
    if "pii" not in top:
        return ()
    node, line = top["pii"]
    value = r.value(node)
    if not isinstance(value, dict):
        r.add("not_a_mapping", "pii maps column -> email|phone|name|address", line)
        return ()
    for c, kind in value.items():
        if kind not in PII_KINDS:
            r.add("unknown_pii_kind", f"pii kind {kind!r} for {c!r}{suggest(kind, PII_KINDS)}", line)
    return tuple((str(c), str(k)) for c, k in value.items())


def _check(r: _Reader, node: yaml.Node, default_limit: int) -> CheckSpec | None:
    m = r.mapping(node, "a check")
    if m is None:
        return None
    line = _line(node)
    before = len(r.problems)
    check_id = _scalar(r, m, "id")
    if not check_id:
        r.add("missing_key", "check has no 'id'", line)
        check_id = f"<check on line {line}>"
    type_name = _scalar(r, m, "type")
    cls = None
    if not type_name:
        r.add("missing_key", f"check {check_id!r} has no 'type'", line)
    elif type_name not in registry.names():
        r.add(
            "unknown_check_type",
            f"unknown check type {type_name!r}{suggest(type_name, registry.names())}",
            m["type"][1],
        )
    else:
        cls = registry.get(type_name)
    dimension = _choice(r, m, "dimension", DIMENSIONS, getattr(cls, "default_dimension", None))
    severity = _choice(r, m, "severity", SEVERITIES, "warning")
    threshold = _threshold(r, m)
    limit = _scalar(r, m, "sample_limit")
    check = _arguments(r, cls, m, str(check_id), line) if cls else None
    where = _where(r, m, check, str(check_id))
    if check is None or len(r.problems) > before:
        return None
    return CheckSpec(
        where=where,
        id=str(check_id),
        check=check,
        dimension=str(dimension),
        severity=str(severity),
        threshold=threshold,
        sample_limit=int(limit if limit is not None else default_limit),
        description=str(_scalar(r, m, "description") or ""),
        file=r.file,
        line=line,
    )


def _where(r: _Reader, m: dict[str, tuple[yaml.Node, int]], check: Any, check_id: str) -> Any:
    if "where" not in m or check is None:
        return None
    from checks.metrics import predicate_columns
    from checks.where import filtered, parse_where

    node, line = m["where"]
    try:
        where = parse_where(r.value(node))
        if getattr(check, "table_level", False) and not getattr(check, "row_level", False):
            raise ValueError(f"'where' is not supported for table checks ({check.type_name})")
        filtered(check.metrics(), where)
    except ValueError as e:
        r.add("bad_where", f"check {check_id!r}: {e}", line)
        return None
    for c in predicate_columns(where):
        if not IDENTIFIER.match(c):
            r.add("bad_identifier", f"check {check_id!r}: where: {c!r} is not a plain column name", line)
    return where


def _choice(
    r: _Reader, m: dict[str, tuple[yaml.Node, int]], key: str, choices: tuple[str, ...], default: str | None
) -> str | None:
    value = _scalar(r, m, key)
    if value is None:
        return default
    if value not in choices:
        r.add(
            f"unknown_{key}",
            f"unknown {key} {value!r}{suggest(value, choices)} (one of {', '.join(choices)})",
            m[key][1],
        )
    return str(value)


def _threshold(r: _Reader, m: dict[str, tuple[yaml.Node, int]]) -> Threshold:
    kw: dict[str, Any] = {}
    for key, lo, hi in (("pass_rate", 0.0, 1.0), ("max_failed", 0, None)):
        if key not in m:
            continue
        node, line = m[key]
        value = r.value(node)
        parts = value if isinstance(value, dict) else {"fail": value}
        for level, v in parts.items():
            if level not in ("warn", "fail"):
                r.add(
                    "bad_threshold",
                    f"{key} has {level!r}{suggest(level, ('warn', 'fail'))}; use warn and fail",
                    line,
                )
            elif not isinstance(v, int | float) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
                r.add("bad_threshold", f"{key}.{level} must be a number{' in [0, 1]' if hi else ' >= 0'}", line)
            else:
                kw[f"{key}_{level}"] = v
    if (
        kw.get("pass_rate_warn") is not None
        and kw.get("pass_rate_fail") is not None
        and kw["pass_rate_warn"] < kw["pass_rate_fail"]
    ):
        r.add("bad_threshold", "pass_rate.warn must be at least pass_rate.fail", m["pass_rate"][1])
    return Threshold(**kw)


def _field_for(key: str, fields: dict[str, dataclasses.Field[Any]]) -> str | None:
    # `columns` is also a method of every check type, so the field is spelled `columns_`
    return key if key in fields else (f"{key}_" if f"{key}_" in fields else None)


def _arguments(r: _Reader, cls: type, m: dict[str, tuple[yaml.Node, int]], check_id: str, line: int) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    public = [f.rstrip("_") for f in fields]
    kwargs: dict[str, Any] = {}
    for key, (node, kline) in m.items():
        if key in CHECK_KEYS:
            continue
        name = _field_for(key, fields)
        if name is None:
            r.add(
                "unknown_argument",
                f"check {check_id!r}: unknown argument {key!r} for type "
                f"{cls.type_name!r}{suggest(key, public + list(CHECK_KEYS))} "  # type: ignore[attr-defined]
                f"(arguments: {', '.join(public)})",
                kline,
            )
            continue
        try:
            kwargs[name] = _coerce(r.value(node), hints[name])
        except (TypeError, ValueError) as e:
            r.add("bad_argument", f"check {check_id!r}: {key}: {e}", kline)
    missing = [
        f.rstrip("_")
        for f, fd in fields.items()
        if f not in kwargs and fd.default is dataclasses.MISSING and fd.default_factory is dataclasses.MISSING
    ]
    if missing:
        r.add("missing_argument", f"check {check_id!r} ({cls.type_name}) needs {', '.join(missing)}", line)  # type: ignore[attr-defined]
        return None
    check = cls(**kwargs)
    for problem in getattr(check, "problems", list)():
        r.add("invalid_check", f"check {check_id!r}: {problem}", line)
    for c in check.columns():
        if not isinstance(c, str) or not IDENTIFIER.match(c):
            r.add("bad_identifier", f"check {check_id!r}: {c!r} is not a plain column name", line)
    return check


def _coerce(value: Any, hint: Any) -> Any:
    """YAML value -> the field's declared type (tuples from lists, mappings to sorted pairs, sides)."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0]) if len(args) == 1 else value
    if hint is Side:
        return Side.parse(value)
    if origin is tuple:
        if isinstance(value, dict):
            return tuple((str(k), str(v)) for k, v in value.items())
        items = value if isinstance(value, list) else [value]
        inner = typing.get_args(hint)[0]
        return tuple(str(x) for x in items) if inner is str else tuple(items)
    if hint is str:
        if isinstance(value, dict | list) or value is None:
            raise TypeError("expected a single value")
        return str(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {value!r}")
        if hint is int and not float(value).is_integer():
            raise TypeError(f"expected a whole number, got {value!r}")
        return hint(value)
    return value
