"""UtilityFlow against its peers on the same data in the same run: the hand-written single scan (the floor),
the native engine, Soda Core 3 (samples on and off) and Great Expectations 1.x, on DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/bench_peers.py [--rows 2000000] [--runs 3] \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--soda-duckdb-venv]

The table is benchmarks/bench_checks.py's customer-shaped table (ids with duplicates, emails, phones, zips,
account numbers, states, tariffs, kWh, timestamps; injected defects) and the suite its 13 checks, written
once per engine: native YAML, SodaCL, a GX expectation suite (same regexes everywhere). Each engine runs
once to warm up, then `--runs` times; the median is printed with the statements issued, the ratios
native/floor, native/Soda, native/GX, and every engine's defect count per check, compared.

Where a peer cannot run a case the row says why: GX 1.x's SQL datasource returns empty results on DuckDB
(GX on pandas is timed instead, for scale, with the DataFrame load not counted); Soda Core 3 on DuckDB needs
soda-core-duckdb, which pins duckdb<1.1 and so cannot live in the project's environment — with
`--soda-duckdb-venv` the script builds a venv of its own under ~/.cache/utilityflow/bench/ and runs Soda
there on a Parquet export of the same table (the DuckDB 1.0 file is built outside the timing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_checks import BUILD, FLOOR, SUITE  # noqa: E402

from checks.patterns import PATTERNS  # noqa: E402
from checks.suite import parse_suite  # noqa: E402
from monitor.runner import run_suite  # noqa: E402

RX = {n: PATTERNS[n].regex for n in ("email", "phone_e164", "zip5", "cis_contract_account")}
STATES, TARIFFS = ["TX", "OK", "LA", "NM", "AR"], ["RES1", "RES2", "COM1"]
# check id -> (what the floor column / each peer's count means) in suite order
CHECKS = [
    "email_present",
    "id_unique",
    "email_valid",
    "phone_valid",
    "zip_valid",
    "account_valid",
    "state_valid",
    "tariff_valid",
    "kwh_range",
    "zip_len",
    "not_future",
    "phone_missing_rate",
    "kwh_mean",
]


def sodacl(now: str, samples: bool = True) -> str:
    """The 13 checks in SodaCL; `samples=False` adds `samples limit: 0` to the checks Soda samples."""
    checks = [
        ("missing_count(email) = 0", "email_present", {}),
        ("duplicate_count(customer_id) = 0", "id_unique", {}),
        ("invalid_count(email) = 0", "email_valid", {"valid regex": RX["email"]}),
        ("invalid_count(phone) = 0", "phone_valid", {"valid regex": RX["phone_e164"]}),
        ("invalid_count(zip) = 0", "zip_valid", {"valid regex": RX["zip5"]}),
        ("invalid_count(account_number) = 0", "account_valid", {"valid regex": RX["cis_contract_account"]}),
        ("invalid_count(state) = 0", "state_valid", {"valid values": STATES}),
        ("invalid_count(tariff) = 0", "tariff_valid", {"valid values": TARIFFS}),
        ("invalid_count(kwh) = 0", "kwh_range", {"valid min": 0, "valid max": 5000}),
        ("invalid_count(zip) = 0", "zip_len", {"valid length": 5}),
        (
            "future_count = 0",
            "not_future",
            {"future_count expression": f"SUM(CASE WHEN created_at > TIMESTAMP '{now}' THEN 1 ELSE 0 END)"},
        ),
        ("missing_percent(phone)", "phone_missing_rate", {"warn": "when > 1%", "fail": "when > 5%"}),
        ("avg(kwh) between 100 and 2000", "kwh_mean", {}),
    ]
    import yaml

    items = []
    for line, name, config in checks:
        extra = {"samples limit": 0} if not samples and line.startswith(("missing", "invalid", "duplicate")) else {}
        items.append({line: {"name": name, **config, **extra}})
    return yaml.safe_dump({"checks for bench_customer": items}, sort_keys=False)


def gx_expectations(now: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("email_present", "expect_column_values_to_not_be_null", {"column": "email"}),
        ("id_unique", "expect_column_values_to_be_unique", {"column": "customer_id"}),
        ("email_valid", "expect_column_values_to_match_regex", {"column": "email", "regex": RX["email"]}),
        ("phone_valid", "expect_column_values_to_match_regex", {"column": "phone", "regex": RX["phone_e164"]}),
        ("zip_valid", "expect_column_values_to_match_regex", {"column": "zip", "regex": RX["zip5"]}),
        (
            "account_valid",
            "expect_column_values_to_match_regex",
            {"column": "account_number", "regex": RX["cis_contract_account"]},
        ),
        ("state_valid", "expect_column_values_to_be_in_set", {"column": "state", "value_set": STATES}),
        ("tariff_valid", "expect_column_values_to_be_in_set", {"column": "tariff", "value_set": TARIFFS}),
        ("kwh_range", "expect_column_values_to_be_between", {"column": "kwh", "min_value": 0, "max_value": 5000}),
        ("zip_len", "expect_column_value_lengths_to_equal", {"column": "zip", "value": 5}),
        ("not_future", "expect_column_values_to_be_between", {"column": "created_at", "max_value": now}),
        ("phone_missing_rate", "expect_column_values_to_not_be_null", {"column": "phone", "mostly": 0.95}),
        ("kwh_mean", "expect_column_mean_to_be_between", {"column": "kwh", "min_value": 100, "max_value": 2000}),
    ]


class Row:
    """One engine's line of the table."""

    SHORT = {
        "floor": "floor",
        "UtilityFlow": "native",
        "Soda Core 3 (samples on)": "soda+samples",
        "Soda Core 3 (samples off)": "soda-samples",
        "GX 1.x (SQL": "gx-sql",
        "GX 1.x (pandas": "gx-pandas",
    }

    def __init__(self, engine: str, seconds: float | None, statements: Any, counts: dict[str, Any], note: str = ""):
        self.engine, self.seconds, self.statements, self.counts, self.note = engine, seconds, statements, counts, note

    @property
    def short(self) -> str:
        return next((v for k, v in self.SHORT.items() if self.engine.startswith(k)), self.engine)


def median(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    fn()  # warm-up
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), last


# --- engines -----------------------------------------------------------------------------------------


def floor_row(engine: sa.Engine, runs: int) -> Row:
    import re

    name = engine.dialect.name
    sql = FLOOR.replace("REGEXP_OP(", "regexp_matches(" if name == "duckdb" else "__PG__(")
    if name != "duckdb":
        sql = re.sub(r"__PG__\((\w+), ('[^']*')\)", r"(\1 ~ \2)", sql)
    sql = sql.replace("{{", "{").replace("}}", "}")

    def run() -> Any:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).one()

    s, r = median(run, runs)
    keys = ["rows", "email_present", "id_unique", "email_valid", "phone_valid", "zip_valid", "account_valid"]
    keys += ["state_valid", "tariff_valid", "kwh_range", "zip_len", "not_future", "phone_missing_rate", "kwh_mean"]
    counts = dict(zip(keys, r, strict=True))
    counts["id_unique"] = f"{counts['id_unique']} excess rows"
    counts["kwh_mean"] = round(float(counts["kwh_mean"]), 3)
    return Row("floor (hand-written single scan)", s, 1, counts)


def native_row(engine: sa.Engine, runs: int) -> Row:
    suite = parse_suite(SUITE)
    s, run = median(lambda: run_suite(engine, suite), runs)
    counts: dict[str, Any] = {}
    for r in run.results:
        if r.check_id == "id_unique":
            m = r.metrics
            counts[r.check_id] = f"{m['duplicate_rows']} rows / {m['duplicate_keys']} keys / {m['excess_rows']} excess"
        elif r.check_id == "kwh_mean":
            counts[r.check_id] = round(float(r.observed), 3)
        else:
            counts[r.check_id] = r.rows_failed
    return Row("UtilityFlow native (samples on)", s, run.statements, counts)


def soda_rows(engine: sa.Engine, runs: int, now: str) -> list[Row]:
    from monitor.engines.soda_engine import data_source_config, telemetry_off

    telemetry_off()
    from soda.scan import Scan

    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    out = []
    for samples in (True, False):
        source = data_source_config(engine, schema)
        if not samples:
            source["sampler"] = {"disable_samples": True}
        text = sodacl(now, samples)

        def run(source: dict[str, Any] = source, text: str = text) -> Any:
            import yaml

            scan = Scan()
            scan.set_data_source_name("uf")
            scan.add_configuration_yaml_str(yaml.safe_dump({"data_source uf": source}))
            scan.add_sodacl_yaml_str(text)
            try:
                scan.execute()
            finally:
                scan._data_source_manager.get_data_source("uf").disconnect()
            return scan

        s, scan = median(run, runs)
        results = {c["name"]: c for c in scan.get_scan_results()["checks"]}
        counts = _soda_counts(results)
        statements = len(scan._queries)
        label = f"Soda Core 3 (samples {'on' if samples else 'off'})"
        out.append(Row(label, s, statements, counts))
    return out


def _soda_counts(results: dict[str, Any]) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for cid in CHECKS:
        v = (results.get(cid) or {}).get("diagnostics", {}).get("value")
        if cid == "id_unique":
            counts[cid] = f"{v} keys"
        elif cid == "kwh_mean":
            counts[cid] = round(float(v), 3) if v is not None else None
        elif cid == "phone_missing_rate":
            counts[cid] = f"{v}%"
        else:
            counts[cid] = int(v) if v is not None else None
    return counts


def gx_sql_row(engine: sa.Engine, runs: int, now: str) -> Row:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    ds = ctx.data_sources.add_postgres("uf", connection_string=engine.url.render_as_string(hide_password=False))
    batch = ds.add_table_asset("t", table_name="bench_customer", schema_name=schema)
    batch = batch.add_batch_definition_whole_table("all").get_batch()
    exps = gx_expectations(now)
    suite = gx.ExpectationSuite(
        name="bench",
        expectations=[
            ExpectationConfiguration(type=t, kwargs=k, meta={"uf_id": c}).to_domain_obj() for c, t, k in exps
        ],
    )
    statements = [0]

    def count(*_: Any, **__: Any) -> None:
        statements[0] += 1

    def run() -> Any:
        statements[0] = 0
        return batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20})

    # every SQLAlchemy engine: GX builds its own execution engine behind the datasource
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        s, res = median(run, runs)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    counts = _gx_counts(exps, res)
    ds.get_engine().dispose()
    return Row("GX 1.x (SQL datasource)", s, statements[0], counts, "context set-up not timed")


def gx_pandas_row(engine: sa.Engine, runs: int, now: str) -> Row:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    with engine.connect() as conn:
        df = pd.read_sql(sa.text("SELECT * FROM bench_customer"), conn)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = ctx.data_sources.add_pandas("pd").add_dataframe_asset("df")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": df})
    exps = gx_expectations(now)
    suite = gx.ExpectationSuite(
        name="bench_pd",
        expectations=[
            ExpectationConfiguration(type=t, kwargs=k, meta={"uf_id": c}).to_domain_obj() for c, t, k in exps
        ],
    )
    s, res = median(
        lambda: batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20}), runs
    )
    return Row("GX 1.x (pandas, for scale)", s, "n/a (in memory)", _gx_counts(exps, res), "DataFrame load not timed")


def _gx_counts(exps: list[tuple[str, str, dict[str, Any]]], res: Any) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for r in res.results:  # GX does not keep the suite's order: map back through meta
        cid = r.expectation_config.meta["uf_id"]
        result = dict(r.result or {})
        error = _gx_error(r)
        if error:
            counts[cid] = f"error: {error[:60]}"
        elif cid == "kwh_mean":
            v = result.get("observed_value")
            counts[cid] = round(float(v), 3) if v is not None else f"none: {str(r.exception_info)[:200]}"
        elif cid == "id_unique":
            counts[cid] = f"{result.get('unexpected_count')} rows"
        else:
            counts[cid] = result.get("unexpected_count")
    return counts


def _gx_error(r: Any) -> str | None:
    """GX 1.x reports exceptions either flat or per metric in exception_info."""
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for v in info.values():
        if isinstance(v, dict) and v.get("raised_exception"):
            return str(v.get("exception_message"))
    return None


# --- Soda on DuckDB in its own venv ------------------------------------------------------------------

_SODA_DUCKDB_CHILD = r"""
import json, statistics, sys, time, duckdb
from soda.common.config_helper import ConfigHelper
ConfigHelper.get_instance(sys.argv[4]).config["send_anonymous_usage_stats"] = False
from soda.scan import Scan
db, runs = sys.argv[1], int(sys.argv[3])
out = {}
for samples in (True, False):
    text = open(sys.argv[2] if samples else sys.argv[2].replace(".yml", "_nosamples.yml")).read()
    cfg = {"type": "duckdb", "path": db, "read_only": True}
    if not samples:
        cfg["sampler"] = {"disable_samples": True}
    def run():
        scan = Scan(); scan.set_data_source_name("uf")
        scan.add_configuration_yaml_str(json.dumps({"data_source uf": cfg})); scan.add_sodacl_yaml_str(text)
        scan.execute(); return scan
    run(); times = []
    for _ in range(runs):
        t0 = time.perf_counter(); scan = run(); times.append(time.perf_counter() - t0)
    res = {c["name"]: c.get("diagnostics", {}).get("value") for c in scan.get_scan_results()["checks"]}
    out["on" if samples else "off"] = {"seconds": statistics.median(times), "statements": len(scan._queries),
        "values": res, "duckdb": duckdb.__version__}
print(json.dumps(out, default=str))
"""


def soda_duckdb_rows(engine: sa.Engine, runs: int, now: str, build: bool) -> list[Row]:
    reason = "soda-core-duckdb pins duckdb<1.1: cannot share the project venv"
    if not build:
        return [Row("Soda Core 3 (samples on/off)", None, None, {}, f"not run: {reason}; pass --soda-duckdb-venv")]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "utilityflow" / "bench"
    venv = cache / "soda-duckdb-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "soda-core-duckdb>=3.5,<4"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "bench_customer.parquet"
        with engine.connect() as conn:
            conn.exec_driver_sql(f"COPY bench_customer TO '{parquet}' (FORMAT PARQUET)")
        db = Path(tmp) / "soda.duckdb"
        create = f"CREATE TABLE bench_customer AS SELECT * FROM '{parquet}'"
        make = f"import duckdb; duckdb.connect('{db}').execute({create!r})"
        subprocess.run([str(py), "-c", make], check=True)
        (Path(tmp) / "checks.yml").write_text(sodacl(now))
        (Path(tmp) / "checks_nosamples.yml").write_text(sodacl(now, samples=False))
        config = Path(tmp) / "soda_config.yml"
        config.write_text("send_anonymous_usage_stats: false\n")
        child = subprocess.run(
            [str(py), "-c", _SODA_DUCKDB_CHILD, str(db), str(Path(tmp) / "checks.yml"), str(runs), str(config)],
            capture_output=True,
            text=True,
        )
    if child.returncode != 0:
        tail = child.stderr.strip().splitlines()[-1:] or ["no output"]
        return [Row("Soda Core 3 (samples on/off)", None, None, {}, f"not run: Soda on DuckDB failed: {tail[0][:200]}")]
    data = json.loads(child.stdout.strip().splitlines()[-1])
    rows = []
    for key in ("on", "off"):
        d = data[key]
        results = {k: {"diagnostics": {"value": v}} for k, v in d["values"].items()}
        note = f"own venv, duckdb {d['duckdb']}"
        rows.append(Row(f"Soda Core 3 (samples {key})", d["seconds"], d["statements"], _soda_counts(results), note))
    return rows


# --- report ------------------------------------------------------------------------------------------


def report(db: str, rows_n: int, runs: int, rows: list[Row]) -> None:
    print(f"\n== {db}: {rows_n:,} rows, 13 checks, median of {runs} runs ==")
    for r in rows:
        t = f"{r.seconds:8.3f} s" if r.seconds is not None else "       -  "
        print(f"  {r.engine:36s} {t}  statements: {r.statements!s:>16}  {r.note}")
    by = {r.engine: r for r in rows}
    native = by["UtilityFlow native (samples on)"].seconds
    for label, key in (
        ("native / floor", "floor (hand-written single scan)"),
        ("native / Soda (samples on)", "Soda Core 3 (samples on)"),
        ("native / Soda (samples off)", "Soda Core 3 (samples off)"),
        ("native / GX (SQL)", "GX 1.x (SQL datasource)"),
        ("native / GX (pandas)", "GX 1.x (pandas, for scale)"),
    ):
        other = by.get(key)
        if other is not None and other.seconds:
            print(f"  {label:36s} {native / other.seconds:6.2f}x")
        else:
            print(f"  {label:36s}    n/a  ({other.note if other else 'not run'})")
    print("  defect counts per check (id_unique: native reports all three meanings of 'duplicate count'):")
    counted = [r for r in rows if r.counts]
    print("    " + f"{'check':20s}" + "".join(f"{r.short:>36s}" for r in counted))
    for cid in CHECKS:
        print("    " + f"{cid:20s}" + "".join(f"{str(r.counts.get(cid)):>36s}" for r in counted))
    agree = _agreement(counted)
    print(f"  agreement: {agree}")


def _agreement(rows: list[Row]) -> str:
    """Plain counts must be equal across engines; the unique/rate/mean checks are reported in each engine's
    own unit (explained in the header) and compared through the native triple."""
    problems = []
    for cid in CHECKS:
        if cid in ("id_unique", "phone_missing_rate", "kwh_mean"):
            continue
        values = {r.engine: r.counts.get(cid) for r in rows if r.counts.get(cid) is not None}
        if len(set(map(str, values.values()))) > 1:
            problems.append(f"{cid}: {values}")
    native = next((r for r in rows if r.engine.startswith("UtilityFlow")), None)
    if native:
        rows_, keys_, excess_ = (int(x.split()[0]) for x in native.counts["id_unique"].split(" / "))
        for r in rows:
            if r is native:
                continue
            v = str(r.counts.get("id_unique", "")).split()  # "<n> <unit>..."
            n = int(v[0]) if v and v[0].isdigit() else None
            expected = {"excess": excess_, "keys": keys_, "rows": rows_}.get(v[1] if len(v) > 1 else "")
            if n is not None and expected is not None and n != expected:
                problems.append(f"id_unique {r.engine}: {' '.join(v)}, native says {expected}")
        means = {r.engine: r.counts.get("kwh_mean") for r in rows if r.counts.get("kwh_mean") is not None}
        if len({round(float(m), 2) for m in means.values()}) > 1:
            problems.append(f"kwh_mean: {means}")
    return "all engines found the same defects" if not problems else "DISAGREE: " + "; ".join(problems)


def bench(engine: sa.Engine, rows_n: int, runs: int, soda_venv: bool) -> None:
    name = engine.dialect.name
    with engine.begin() as conn:
        for stmt in BUILD[name].format(rows=rows_n, ids=int(rows_n * 0.995)).split("; "):
            conn.execute(sa.text(stmt))
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    rows = [floor_row(engine, runs), native_row(engine, runs)]
    if name == "postgresql":
        rows += soda_rows(engine, runs, now)
        rows.append(gx_sql_row(engine, runs, now))
    else:
        rows += soda_duckdb_rows(engine, runs, now, soda_venv)
        rows.append(
            Row(
                "GX 1.x (SQL datasource)",
                None,
                None,
                {},
                "not run: GX 1.x's SQL datasource returns empty results on DuckDB (and has no regex there)",
            )
        )
    rows.append(gx_pandas_row(engine, max(1, min(runs, 3)), now))
    report("DuckDB" if name == "duckdb" else "PostgreSQL", rows_n, runs, rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--postgres", default=None, help="also run on this PostgreSQL URL (a schema of its own)")
    ap.add_argument("--soda-duckdb-venv", action="store_true", help="build a venv with soda-core-duckdb and run it")
    args = ap.parse_args()
    bench(
        sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.StaticPool),
        args.rows,
        args.runs,
        args.soda_duckdb_venv,
    )
    if args.postgres:
        from warehouse.engine import create_engine

        schema = f"uf_bench_{os.getpid()}"
        admin = sa.create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            bench(create_engine(args.postgres, schema=schema), args.rows, args.runs, False)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
