"""The shipped suites measured against the generator's manifest, on generated data loaded into DuckDB and
PostgreSQL: every suite runs without `error` on every batch, every manifest class maps to checks, and every
class with a row grain reaches >= 0.99 recall AND precision. The classes that cannot be measured per row
are named below with the reason, and must match `checks/defect_coverage.yml` exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from checks.results import Outcome
from checks.suite import load_suites
from checks.truthsql import failing_rows_sql
from loaders.run import load_directory
from loaders.synth import generator, params
from loaders.synth.defects import DEFECTS as CLASSES
from monitor.runner import run_suite, table_columns
from monitor.truth import COVERAGE_FILE, SUITES_DIR, load_coverage, load_manifest, measure, report
from tests.conftest import PG_URL
from warehouse.engine import create_engine
from warehouse.migrate import migrate

TARGET = 0.99

# Named exceptions: class -> why it has no row-grain figure at the target (the full reason is in the coverage file).
EXCEPTIONS = {
    "cis.duplicate_customer": "identity resolution, golden-customer grain",
    "crm.duplicate_signup": "identity resolution, golden-customer grain",
    "crm.utc_timestamp": "invisible by construction: a valid local time",
    "gis.wrong_transformer": "invisible in GIS alone by construction",
    "mdm.gap": "rows absent from the file",
    "gis.premise_only_in_cis": "rows absent from the file",
    "payments.file_redelivered": "skipped by the loader, nothing staged",
    "mdm.unit_mixup": "therms vs CCF differ by 3.7%, within the spread of real reads",
    "payments.miskeyed_account": "a mis-key onto another real account is a valid account",
    "crm.contact_conflict": "a conflict beside a fake/empty CIS value has nothing to compare with",
    "workorders.stale_transformer_map": "GIS, the only other map, is itself wrong for some premises",
}


def _generate(out: Path, customers: int, days: int, scale: float) -> None:
    # 2026-10-31 .. 11-02 spans the fall-back day (100 quarter-hours, a repeated 01:xx hour)
    generator.generate(params.GenerateParams(customers=customers, days=days, start=date(2026, 10, 31), seed=7,
                                             defect_rate_scale=scale, out=out))


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    root = tmp_path_factory.mktemp("truth")
    # defect rates x10 so that (nearly) every class has instances in a small world
    _generate(root / "out", 300, 3, 10.0)
    engine = create_engine(f"duckdb:///{root / 'w.duckdb'}")
    migrate(engine)
    load_directory(engine, root / "out")
    yield engine, root / "out" / "manifest.json"
    engine.dispose()


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory, pg_admin: Engine) -> Iterator[tuple[Engine, Path]]:
    root = tmp_path_factory.mktemp("truth_pg")
    _generate(root / "out", 300, 3, 10.0)  # the same world as on DuckDB: the figures must be identical
    schema = f"uf_truth_{uuid.uuid4().hex[:8]}"
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = create_engine(PG_URL, schema=schema)
    migrate(engine)
    load_directory(engine, root / "out")
    yield engine, root / "out" / "manifest.json"
    engine.dispose()
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def test_every_manifest_class_maps_to_shipped_checks() -> None:
    coverage = load_coverage()
    assert set(coverage) == set(CLASSES), sorted(set(coverage) ^ set(CLASSES))
    ids = {spec.id for suite in load_suites(SUITES_DIR) for spec in suite.checks}
    for name, entry in coverage.items():
        assert entry["checks"], name
        assert set(entry["checks"]) <= ids, (name, sorted(set(entry["checks"]) - ids))


def test_exceptions_are_exactly_the_named_ones() -> None:
    named = {name for name, entry in load_coverage().items() if entry.get("exception")}
    assert named == set(EXCEPTIONS), f"coverage file {COVERAGE_FILE.name}: {sorted(named ^ set(EXCEPTIONS))}"


def _measured(engine: Engine, manifest_file: Path) -> dict:
    out = report(measure(engine, load_manifest(manifest_file)))
    for name, c in out["classes"].items():
        assert not c.get("problems"), (name, c["problems"])
    return out["classes"]


def _assert_at_target(classes: dict, minimum_measured: int) -> None:
    below = {
        name: (c["recall"], c["precision"], c["instances"], c["flagged"])
        for name, c in classes.items()
        if name not in EXCEPTIONS and c["instances"] and (c["recall"] < TARGET or c["precision"] < TARGET)
    }
    assert not below, below
    measured = [n for n, c in classes.items() if n not in EXCEPTIONS and c["instances"]]
    assert len(measured) >= minimum_measured, measured


def test_recall_and_precision_per_class_duckdb(duck: tuple[Engine, Path]) -> None:
    classes = _measured(*duck)
    # every class outside the exceptions has instances at this scale and seed
    _assert_at_target(classes, minimum_measured=len(CLASSES) - len(EXCEPTIONS))


@pytest.mark.postgres
def test_recall_and_precision_per_class_postgres(pg: tuple[Engine, Path], duck: tuple[Engine, Path]) -> None:
    classes = _measured(*pg)
    _assert_at_target(classes, minimum_measured=len(CLASSES) - len(EXCEPTIONS))
    assert classes == _measured(*duck)


def _run_every_suite(engine: Engine, *, compare_rows: bool) -> int:
    """Run every shipped suite on (up to) two batches of its dataset: no check may end in `error`. With
    `compare_rows`, the truth relation of each check must list exactly as many rows as the check itself
    counts on that batch (duplicate_interval: its reported excess rows), so truth measures the shipped
    checks, not a copy of them. Returns the number of (check, batch) comparisons made."""
    compared = 0
    for suite in load_suites(SUITES_DIR):
        with engine.connect() as conn:
            columns = table_columns(conn, suite.dataset, None)
            batches = (
                [b for (b,) in conn.execute(sa.text(f"SELECT DISTINCT batch_id FROM {suite.dataset} ORDER BY 1"))]
                if "batch_id" in columns else []
            )
        for batch in batches[:2] or [None]:
            run = run_suite(engine, suite, batch_id=batch)
            errors = {r.check_id: r.message for r in run.results if r.status is Outcome.ERROR}
            assert not errors, (suite.dataset, suite.stage, batch, errors)
            if not compare_rows or batch is None or "source_row_number" not in columns:
                continue
            by_id = {r.check_id: r for r in run.results}
            for spec in suite.checks:
                sql = failing_rows_sql(suite, spec, "duckdb", columns)
                if sql is None:
                    continue
                with engine.connect() as conn:
                    rows = [r[0] for r in conn.execute(sa.text(sql), {"batch_id": batch})]
                result = by_id[spec.id]
                expected = result.metrics["excess_rows"] if spec.type == "duplicate_interval" else result.rows_failed
                assert len(rows) == expected, (spec.id, batch, len(rows), expected)
                assert len(set(rows)) == len(rows), (spec.id, "a row listed twice")
                compared += 1
    return compared


def test_every_suite_runs_and_truth_lists_what_each_check_counts_duckdb(duck: tuple[Engine, Path]) -> None:
    assert _run_every_suite(duck[0], compare_rows=True) >= 100


@pytest.mark.postgres
def test_every_suite_runs_on_loaded_data_postgres(pg: tuple[Engine, Path]) -> None:
    _run_every_suite(pg[0], compare_rows=False)
