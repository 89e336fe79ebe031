"""Great Expectations' own test definitions, run through the GX importer and the native engine.

Every `*.json` test-definition file in tests/checks/conformance/gx/ (GX's format: expectation_type,
datasets with data/schemas/tests; see conformance/README.md) is loaded; each case that applies to a SQL
backend runs on DuckDB and on PostgreSQL and must give GX's `success` and the same unexpected values (as a
multiset), plus `observed_value` / `unexpected_count` where the case states them.

- A case GX expects to raise (an `out` without `success`, or a `traceback_substring`) passes when the
  importer refuses the expectation or the check ends in `error`.
- A case only for other backends (`only_for` without sqlalchemy/postgresql/duckdb, or
  `suppress_test_for` naming this backend) is reported as a skip with that reason.
- Deliberate differences are listed case by case in DEVIATIONS with the reason and run as strict xfail:
  if one starts to pass, the test says so.

Unexpected values of a passing check (`mostly` met) come from a second run without `mostly`: the failed
rows do not depend on the threshold, and samples are taken for failing checks only.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from checks.adapters import gx
from checks.errors import SuiteError
from checks.results import Outcome
from checks.suite import parse_suite
from monitor.runner import run_suite

FOLDER = Path(__file__).parent / "conformance" / "gx"
SQL_BACKENDS = {"duckdb": {"sqlalchemy", "duckdb"}, "postgres": {"sqlalchemy", "postgresql"}}
_EITHER = ("duckdb", "postgres")

# (expectation file stem, case title, backend or None for both) -> why UtilityFlow differs on purpose
DEVIATIONS: dict[tuple[str, str, str | None], str] = {
    **{
        ("expect_column_values_to_be_between", title, None): (
            "GX raises on a text column holding '1'..'9' and 'abc' compared with numbers; UtilityFlow reads text "
            "as numbers where it parses and counts 'abc' as a failed row (raw-stage data is all text)"
        )
        for title in (
            "error:_improperly_mixed_types",
            "error:_improperly_mixed_types_again",
            "error:_improperly_mixed_types_once_more",
        )
    },
    ("expect_column_values_to_be_between", "error_on_string-to-int_comparisons", None): (
        "the case's SQL schema makes `numeric` an INTEGER column, so there is no string to compare; GX's error "
        "comes from its pandas data (strings). UtilityFlow evaluates the integers and passes"
    ),
    ("expect_column_values_to_match_regex", "positive_test_column_name_has_space", None): (
        "UtilityFlow only accepts plain identifiers (letters, digits, underscore) as column names in suites; "
        "'column_name with space' is refused with a message (rename or expose it through a view)"
    ),
    ("expect_compound_columns_to_be_unique", "row_condition_with_ignore_if_any_are_missing", None): (
        "a row_condition on a uniqueness check is refused by the importer (the duplicates family has no per-check "
        "row filter); in a suite it becomes an external check that GX itself runs on PostgreSQL"
    ),
    ("expect_column_values_to_be_unique", "positive_integer_column_name", None): (
        "column name '0' starts with a digit: refused as not a plain identifier (see above)"
    ),
}


def _cases() -> list[Any]:
    out = []
    for f in sorted(FOLDER.glob("*.json")):
        doc = json.loads(f.read_text())
        for di, ds in enumerate(doc["datasets"]):
            for test in ds["tests"]:
                for backend in _EITHER:
                    cid = f"{f.stem}::{di}::{test['title']}::{backend}"
                    out.append(pytest.param(f.stem, doc["expectation_type"], ds, test, backend, id=cid))
    return out


def _not_applicable(test: dict[str, Any], backend: str) -> str | None:
    only = set(test.get("only_for") or [])
    if only == {"pandas"} and test["in"].get("condition_parser"):
        # GX marks its row_condition cases pandas-only (its SQL backends lacked the pandas parser); the
        # importer translates such conditions to SQL, so they apply here and run.
        return None
    if only and not only & SQL_BACKENDS[backend]:
        return f"only for {sorted(only)}"
    suppressed = set(test.get("suppress_test_for") or [])
    if suppressed & SQL_BACKENDS[backend]:
        return f"suppressed for {sorted(suppressed & SQL_BACKENDS[backend])}"
    return None


@pytest.mark.parametrize(("stem", "etype", "dataset", "test", "backend"), _cases())
def test_gx_case(
    stem: str, etype: str, dataset: dict[str, Any], test: dict[str, Any], backend: str, request: pytest.FixtureRequest
) -> None:
    reason = _not_applicable(test, backend)
    if reason:
        pytest.skip(f"not applicable to a SQL backend: {reason}")
    deviation = DEVIATIONS.get((stem, test["title"], None)) or DEVIATIONS.get((stem, test["title"], backend))
    if deviation:
        request.applymarker(pytest.mark.xfail(reason=deviation, strict=True))
    engine = request.getfixturevalue("duck" if backend == "duckdb" else "pg")
    _load(engine, dataset, backend)
    _run_case(engine, etype, test)


def _run_case(engine: Engine, etype: str, test: dict[str, Any]) -> None:
    out = test["out"]
    expects_error = "success" not in out or "traceback_substring" in out
    t = gx.translate({"expectations": [{"type": etype, "kwargs": test["in"]}]})
    if t.refused:
        assert expects_error, f"refused but GX succeeds/fails normally: {t.refused[0].message()}"
        return
    check = t.checks[0]
    try:
        suite = _suite(check)
        result = run_suite(engine, suite).results[0]
    except SuiteError as e:
        assert expects_error, f"the translated check was refused: {e}"
        return
    if expects_error:
        assert result.status is Outcome.ERROR, f"GX raises here; native gave {result.status}: {result.message}"
        return
    assert result.status is not Outcome.ERROR, result.message
    # skipped = nothing to judge (all values missing): GX's vacuous success
    success = result.status in (Outcome.PASS, Outcome.WARN, Outcome.SKIPPED)
    assert success == out["success"], f"success {success}, GX says {out['success']}: {result.message}"
    if "observed_value" in out:
        assert result.observed == out["observed_value"]
    expected_count = (out.get("result") or {}).get("unexpected_count")
    if expected_count is not None:
        assert (result.rows_failed or 0) == expected_count
    if "unexpected_list" in out:
        strict = {k: v for k, v in check.items() if k != "pass_rate"}
        rerun = run_suite(engine, _suite(strict)).results[0] if strict != check else result
        assert _multiset(_unexpected(rerun, check)) == _multiset(out["unexpected_list"])


def _suite(check: dict[str, Any]) -> Any:
    body = yaml.safe_dump({"dataset": "gx_case", "stage": "raw", "sample_limit": 1000, "checks": [check]})
    return parse_suite(body, "gx_case.yml")


def _unexpected(result: Any, check: dict[str, Any]) -> list[Any]:
    """Failed values as GX lists them: one entry per failed row (unique samples are per key: expand)."""
    if check["type"] == "unique":
        cols = check.get("columns") or [check["column"]]
        out: list[Any] = []
        for s in result.samples:
            parts = (s.key or "").split("|")
            value = dict(zip(cols, parts, strict=True)) if len(cols) > 1 else parts[0]
            out.extend([value] * int(s.value))
        return out
    return [s.value for s in result.samples]


def _norm(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x)) for k, x in v.items()))
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def _multiset(values: list[Any]) -> Counter[Any]:
    return Counter(_norm(v) for v in values)


# --- loading a GX dataset into a table --------------------------------------------------------------

_PG_TYPES = {"INTEGER": sa.BigInteger, "TEXT": sa.Text, "VARCHAR": sa.Text, "TIMESTAMP": sa.DateTime}


def _load(engine: Engine, dataset: dict[str, Any], backend: str) -> None:
    data: dict[str, list[Any]] = dataset["data"]
    declared = (dataset.get("schemas") or {}).get("postgresql") or {}
    md = sa.MetaData()
    types = {c: _PG_TYPES.get(str(declared.get(c, "")).upper()) or _infer(vals) for c, vals in data.items()}
    table = sa.Table("gx_case", md, *(sa.Column(c, t()) for c, t in types.items()))
    n = max((len(v) for v in data.values()), default=0)
    rows = [{c: _coerce(data[c][i], types[c]) for c in data} for i in range(n)]
    with engine.begin() as conn:
        conn.execute(sa.text('DROP TABLE IF EXISTS "gx_case"'))
        md.create_all(conn)
        if rows:
            conn.execute(table.insert(), rows)


def _infer(values: list[Any]) -> type:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return sa.BigInteger if len(present) == len(values) else sa.Float  # pandas: ints with NaN are floats
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return sa.Float
    return sa.Text


def _coerce(v: Any, t: type) -> Any:
    if v is None:
        return None
    if t is sa.Text:
        return str(v)
    if t is sa.DateTime:
        for fmt in ("%b %d %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                return datetime.strptime(str(v), fmt)
            except ValueError:
                continue
    if t is sa.BigInteger:
        return int(v)
    return float(v)


def test_every_deviation_names_a_real_case() -> None:
    titles = {
        (f.stem, t["title"])
        for f in FOLDER.glob("*.json")
        for d in json.loads(f.read_text())["datasets"]
        for t in d["tests"]
    }
    assert {(stem, title) for stem, title, _ in DEVIATIONS} <= titles
    assert all(len(reason) > 40 for reason in DEVIATIONS.values())


@pytest.mark.parametrize("wrong", [{"success": True}, {"success": False, "unexpected_list": ["b", "b"]}])
def test_harness_catches_a_wrong_answer(engine: Engine, wrong: dict[str, Any]) -> None:
    """The harness is not a rubber stamp: a wrong success or a wrong unexpected multiset fails it."""
    backend = "duckdb" if engine.dialect.name == "duckdb" else "postgres"
    _load(engine, {"data": {"s": ["a", "b", "c"]}}, backend)
    case = {"in": {"column": "s", "value_set": ["a", "c"]}, "out": wrong}
    with pytest.raises(AssertionError):
        _run_case(engine, "expect_column_values_to_be_in_set", case)
