"""A small, realistic DQ mart and star, inserted row by row, for the report and Power BI tests.

Three months (2026-08 .. 2026-10) of batches from three sources, each checked raw and cleansed, quality
improving month on month; one check re-run (the later run wins), one check that errored, one rule that
changed version; incidents opened, acknowledged and resolved; golden customers, cross-references and
premises with SCD2 history; daily AMI usage, bills and payments. `Seed` keeps every row inserted so the
tests compute the expected numbers from the rows themselves, independently of the views.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.engine import create_engine
from warehouse.migrate import migrate

Row = dict[str, Any]

SOURCES = {"cis": "cis_customer", "mdm": "mdm_interval", "payments": "payments_lockbox"}
OWNERS = {"cis": "billing-data", "mdm": "meter-data", "payments": "cash-office"}
# (check suffix, dimension, severity, base failure rate in August)
CHECKS = (
    ("not_null_key", "completeness", "critical", 0.02),
    ("email_valid", "validity", "warning", 0.12),
    ("unique_key", "uniqueness", "warning", 0.06),
    ("fresh", "timeliness", "info", 0.0),
)
BATCH_DAYS = (5, 15, 25)
MONTHS = ((2026, 8), (2026, 9), (2026, 10))
PII = ("Jane Quintessa Public", "jane.public@example.com", "+15555550123", "17 Larkspur Lane")


@dataclass
class Seed:
    """Everything inserted, by table."""

    tables: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        self.tables.setdefault(table, []).append(row)

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])


def date_key(d: date | datetime) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def build_seed() -> Seed:
    """The rows, deterministic (seeded)."""
    rng = random.Random(9)
    seed = Seed()
    _mart(seed, rng)
    _star(seed, rng)
    return seed


def _mart(seed: Seed, rng: random.Random) -> None:
    check_key = 0
    keys: dict[tuple[str, str, int], int] = {}
    for source, dataset in SOURCES.items():
        for suffix, dimension, severity, _ in CHECKS:
            for stage in ("raw", "cleansed"):
                versions = (1, 2) if (source, suffix) == ("cis", "email_valid") else (1,)
                for version in versions:
                    check_key += 1
                    check_id = f"{source}.{suffix}"
                    keys[(f"{check_id}|{stage}", dataset, version)] = check_key
                    start = datetime(2026, 7, 1) if version == 1 else datetime(2026, 9, 20)
                    current = version == versions[-1]
                    seed.add("dim_check", dict(
                        check_key=check_key, check_id=check_id, version=version, dataset_name=dataset,
                        stage=stage, check_type="pattern", column_name="col", dimension_name=dimension,
                        severity=severity, owner=OWNERS[source] if version == 1 else "crm-data",
                        definition_json="{}", definition_hash=f"h{check_key}", suite_file="suite.yml",
                        effective_from=start, effective_to=None if current else datetime(2026, 9, 20),
                        is_current=current,
                    ))
    run_id = 0
    batch_id = 0
    for month_index, (year, month) in enumerate(MONTHS):
        for day in BATCH_DAYS:
            when = datetime(year, month, day, 6, 0)
            run_id += 1
            seed.add("dq_run", dict(run_id=run_id, started_at=when, finished_at=when + timedelta(minutes=3),
                                    trigger="schedule", statements=12, checks_run=24, status="done",
                                    code_version="abc123"))
            for source, dataset in SOURCES.items():
                batch_id += 1
                seed.add("dim_batch", dict(
                    batch_id=batch_id, source=source, feed="daily", file_name=f"{source}_{year}{month:02d}{day}.csv",
                    file_sha256=f"{batch_id:064d}", file_size_bytes=1000, encoding="utf-8", received_at=when,
                    rows_read=1000, rows_loaded=990, rows_quarantined=6, rows_merged=4, started_at=when,
                    finished_at=when + timedelta(minutes=1), status="loaded",
                ))
                for suffix, dimension, severity, base in CHECKS:
                    for stage in ("raw", "cleansed"):
                        changed = (source, suffix) == ("cis", "email_valid") and when >= datetime(2026, 9, 20)
                        version = 2 if changed else 1
                        key = keys[(f"{source}.{suffix}|{stage}", dataset, version)]
                        rate = base * (1 - 0.3 * month_index) * (0.4 if stage == "cleansed" else 1.0)
                        failed = int(1000 * rate) + rng.randint(0, 5) if base else 0
                        status, score = _grade(failed, 1000)
                        if (source, suffix, stage, day, month) == ("mdm", "fresh", "raw", 15, 9):
                            status, score, failed = "error", None, 0
                        row = dict(
                            run_id=run_id, check_key=key, check_id=f"{source}.{suffix}", dataset_key=None,
                            dataset_name=dataset, stage=stage, batch_id=batch_id, source=source,
                            dimension_key=None, dimension_name=dimension, severity=severity,
                            date_key=date_key(when), rows_evaluated=1000, rows_failed=failed,
                            observed_value=None if score is None else 1 - failed / 1000, threshold_warn=0.98,
                            threshold_fail=0.95, expected_low=None, expected_high=None, status=status,
                            score=score, message=None, execution_ms=12, measured_at=when,
                        )
                        seed.add("fact_data_quality", row)
            if (month, day) == (10, 15):
                # A re-run of the CIS batch: the result of run 100 replaces run `run_id` for that batch.
                rerun = dict(run_id=100, started_at=when + timedelta(hours=2), finished_at=None, trigger="cli",
                             statements=3, checks_run=1, status="done", code_version="abc123")
                seed.add("dq_run", rerun)
                original = next(r for r in seed.rows("fact_data_quality")
                                if r["run_id"] == run_id and r["check_id"] == "cis.email_valid"
                                and r["stage"] == "cleansed")
                failed = 400
                status, score = _grade(failed, 1000)
                seed.add("fact_data_quality", {**original, "run_id": 100, "rows_failed": failed, "status": status,
                                               "score": score, "observed_value": score,
                                               "measured_at": when + timedelta(hours=2)})
    incidents = (
        # (check id, dataset, severity, opened, acknowledged, resolved)
        ("cis.email_valid", "cis_customer", "warning", datetime(2026, 8, 5, 7), datetime(2026, 8, 5, 9),
         datetime(2026, 8, 7, 7)),
        ("cis.unique_key", "cis_customer", "warning", datetime(2026, 9, 5, 7), None, datetime(2026, 9, 6, 1)),
        ("payments.email_valid", "payments_lockbox", "warning", datetime(2026, 9, 25, 7),
         datetime(2026, 9, 26, 7), datetime(2026, 10, 2, 19)),
        ("mdm.email_valid", "mdm_interval", "warning", datetime(2026, 10, 5, 7), None, datetime(2026, 10, 5, 19)),
        ("cis.email_valid", "cis_customer", "warning", datetime(2026, 10, 15, 8), datetime(2026, 10, 16, 8), None),
        ("mdm.not_null_key", "mdm_interval", "critical", datetime(2026, 10, 25, 7), None, None),
    )
    for i, (check_id, dataset, severity, opened, acked, resolved) in enumerate(incidents, 1):
        seed.add("dq_incident", dict(
            incident_id=i, dedup_key=f"{dataset}|{check_id}", dataset_name=dataset, check_id=check_id,
            severity=severity, status="resolved" if resolved else ("acknowledged" if acked else "open"),
            opened_at=opened, first_run_id=1, last_run_id=2, failing_runs=2,
            acknowledged_by="Jane Quintessa Public" if acked else None, acknowledged_at=acked,
            ack_note=None, resolved_by="jane.public@example.com" if resolved else None, resolved_at=resolved,
            resolve_reason=None,
        ))


def _grade(failed: int, evaluated: int) -> tuple[str, float]:
    rate = 1 - failed / evaluated
    return ("pass" if rate >= 0.98 else "warn" if rate >= 0.95 else "fail"), rate


def _scd2(seed: Seed, table: str, key: str, versions: list[tuple[datetime, Row]], sk: list[int]) -> None:
    """Insert a member's versions, closing each when the next starts."""
    for i, (start, attrs) in enumerate(versions):
        sk[0] += 1
        end = versions[i + 1][0] if i + 1 < len(versions) else None
        seed.add(table, {key: sk[0], **attrs, "row_hash": f"{sk[0]:064d}", "effective_from": start,
                         "effective_to": end, "is_current": end is None, "is_inferred": False, "batch_id": 1})


def _star(seed: Seed, rng: random.Random) -> None:
    aug, sep, octo = datetime(2026, 8, 3), datetime(2026, 9, 12), datetime(2026, 10, 9)
    sk = [0]
    for n in range(40):
        golden = f"G{n:06d}"
        email, phone, address = n % 4 != 0, n % 3 != 0, n % 5 != 0
        first = dict(golden_customer_id=golden, customer_type="person", display_name=PII[0] if n == 0 else f"C{n}",
                     first_name_std=None, last_name_std=None, organisation_std=None,
                     email_std=PII[1] if n == 0 else None, phone_e164=PII[2] if n == 0 else None,
                     address_std=PII[3] if n == 0 else None, zip5="12345", has_valid_email=email,
                     has_valid_phone=phone, has_standard_address=address, source_record_count=1)
        versions = [(aug, first)]
        if n % 4 == 0 and n < 20:  # cleansing repaired these emails in September
            versions.append((sep, {**first, "has_valid_email": True}))
        if n >= 36:  # new customers in October
            versions = [(octo, first)]
        _scd2(seed, "dim_customer", "customer_sk", versions, sk)
    for n in range(50):
        golden = f"G{n % 40:06d}"
        source = "cis" if n < 40 else "crm"
        start = aug if n < 45 else sep
        seed.add("customer_xref", dict(source=source, source_key=f"S{n}", golden_customer_id=golden,
                                       match_rule="seed", match_score=1.0, valid_from=start, valid_to=None,
                                       is_current=True, batch_id=1))
    # a duplicate CIS record, folded in August and split out again in October
    seed.add("customer_xref", dict(source="cis", source_key="S_dup", golden_customer_id="G000001",
                                   match_rule="probabilistic", match_score=0.91, valid_from=aug, valid_to=octo,
                                   is_current=False, batch_id=1))
    sk = [0]
    for n in range(30):
        attrs = dict(premise_id=f"{n:010d}", gis_facility_id=None, address_std=None, unit_std=None, city="X",
                     state="NY", zip5="12345", zip4=None, premise_type="res", latitude=None, longitude=None,
                     transformer_id=None, feeder_id=None, in_cis=True, in_gis=n % 3 != 0)
        versions = [(aug, attrs)]
        if n % 3 == 0 and n < 15:
            versions.append((octo, {**attrs, "in_gis": True}))
        _scd2(seed, "dim_premise", "premise_sk", versions, sk)
    day = date(2026, 8, 1)
    bill = 0
    while day <= date(2026, 10, 31):
        month_index = day.month - 8
        for sp in range(5):
            received = 96 - rng.randint(0, 6 - 2 * month_index)
            seed.add("fact_daily_usage", dict(
                service_point_sk=sp, meter_sk=sp, service_point_id=f"SP{sp}", usage_date_key=date_key(day),
                channel="kwh", unit="kWh", usage_value=12.5, intervals_expected=96, intervals_received=received,
                intervals_estimated=96 - received, intervals_edited=0, vee_status="valid", batch_id=1))
        if day.day % 2 == 0:
            for _ in range(3):
                bill += 1
                estimated = rng.random() < 0.08 - 0.02 * month_index
                for line in (1, 2):  # two lines per bill: the rate counts bills, not lines
                    seed.add("fact_billing_line", dict(
                        bill_id=f"B{bill}", line_no=line, account_sk=1, customer_sk=1, premise_sk=1, tariff_sk=1,
                        bill_date_key=date_key(day), period_start_key=None, period_end_key=None,
                        bill_type="normal", charge_code="E", quantity=10, unit="kWh", amount=50.25,
                        is_estimated=estimated, batch_id=1))
            for p in range(4):
                unapplied = rng.random() < 0.1 - 0.03 * month_index
                seed.add("fact_payment", dict(
                    payment_id=f"P{date_key(day)}{p}", account_sk=None if unapplied else 1, customer_sk=None,
                    account_number_raw="000123", payment_date_key=date_key(day), amount=100.0 + 10 * p,
                    channel="lockbox", is_unapplied=unapplied, is_returned=False, return_code=None, batch_id=1))
        day += timedelta(days=1)


def insert_seed(engine: Engine, seed: Seed) -> None:
    """Insert every row of the seed (the schema must exist)."""
    with engine.begin() as conn:
        for table, rows in seed.tables.items():
            cols = list(rows[0])
            sql = sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})")
            conn.execute(sql, rows)


@pytest.fixture(scope="session")
def seed() -> Seed:
    return build_seed()


@pytest.fixture(scope="session")
def seeded_duckdb_template(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One DuckDB file migrated and seeded per session; tests work on copies (inserting is the slow part)."""
    path = tmp_path_factory.mktemp("seeded") / "template.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    migrate(engine)
    insert_seed(engine, seed)
    engine.dispose()
    return path


@pytest.fixture(params=["duckdb", "postgres"])
def filled(request: pytest.FixtureRequest, seed: Seed, tmp_path: Path) -> Iterator[tuple[Engine, Seed]]:
    """A migrated warehouse holding the seed rows: a DuckDB file, then a fresh PostgreSQL schema."""
    if request.param == "duckdb":
        path = tmp_path / "filled.duckdb"
        shutil.copy(request.getfixturevalue("seeded_duckdb_template"), path)
        engine = create_engine(f"duckdb:///{path}")
        yield engine, seed
        engine.dispose()
        return
    engine = request.getfixturevalue("pg_engine")
    migrate(engine)
    insert_seed(engine, seed)
    yield engine, seed


@pytest.fixture
def pii() -> tuple[str, ...]:
    """The personal data planted in the star: none of it may reach a report."""
    return PII


@pytest.fixture
def duckdb_file(seeded_duckdb_template: Path, tmp_path: Path) -> str:
    """A DuckDB warehouse file holding the seed, closed (as the CLI finds it)."""
    path = tmp_path / "wh.duckdb"
    shutil.copy(seeded_duckdb_template, path)
    return f"duckdb:///{path}"
