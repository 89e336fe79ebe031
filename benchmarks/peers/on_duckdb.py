"""DuckDB: Soda Core 3 in a venv of its own on a Parquet export of the same table; GX's SQL datasource
is not run (it returns empty results on DuckDB and has no regex there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from peers.common import _soda_counts
from peers.suite import sodacl
from peers.table import Row

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


def peer_rows(engine: sa.Engine, runs: int, now: str, soda_venv: bool) -> list[Row]:
    rows = soda_duckdb_rows(engine, runs, now, soda_venv)
    reason = "not run: GX 1.x's SQL datasource returns empty results on DuckDB (and has no regex there)"
    rows.append(Row("GX 1.x (SQL datasource)", None, None, {}, reason))
    return rows
