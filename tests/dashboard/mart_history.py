"""Fill the DQ mart with realistic history, as the check engine and loaders would write it.

Used by the console tests (a few days) and by `benchmarks/bench_console.py` (a year, 500 checks). Rows
follow the mart's contract: one batch per dataset and day with row conservation, checks with SCD2
versions, one result per check x batch x stage with raw scoring below cleansed and both improving over
time, failed-row samples carrying UNMASKED PII (the console must mask them itself), incidents in every
state, and alerts with delivery outcomes.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.migrate import migrate

DATASETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # dataset, source, owner, columns checked
    ("cis_customer", "cis", "billing-data", ("email", "phone", "customer_name", "service_address", "zip")),
    ("cis_bill", "cis", "billing-data", ("bill_id", "amount", "bill_date", "account_number")),
    ("mdm_interval", "mdm", "meter-data", ("service_point_id", "interval_end", "kwh", "channel")),
    ("mdm_register", "mdm", "meter-data", ("meter_serial", "read_value", "read_date")),
    ("crm_case", "crm", "customer-care", ("case_id", "account_ref", "opened_at", "contact_email")),
    ("crm_contact", "crm", "customer-care", ("contact_name", "contact_phone", "channel")),
    ("pay_lockbox", "payments", "finance-ops", ("account_number", "amount", "item_seq")),
    ("pay_ach_return", "payments", "finance-ops", ("account_number", "return_code", "amount")),
    ("wo_service_order", "workorders", "field-ops", ("order_no", "completed_at", "meter_serial")),
    ("wo_outage", "workorders", "field-ops", ("outage_id", "restored_at", "transformer_id")),
    ("gis_premise", "gis", "gis-team", ("premise_id", "geometry_wkt", "street", "unit")),
    ("gis_service_point", "gis", "gis-team", ("service_point_id", "premise_id", "transformer_id")),
)
DIMENSIONS = ("completeness", "uniqueness", "validity", "accuracy", "consistency", "timeliness")
DIM_KEYS = {d: i + 1 for i, d in enumerate(DIMENSIONS)}
TYPES = ("not_null", "unique", "pattern", "range", "references", "accepted_values", "freshness", "schema")
TABLE_LEVEL = {"freshness", "schema"}


@dataclass(frozen=True)
class HistorySummary:
    days: int
    checks: int
    batches: int
    results: int
    first_day: date
    last_day: date
    check_ids: tuple[str, ...]


def _insert(conn: sa.Connection, table: str, df: pd.DataFrame) -> None:
    if df.empty:
        return
    if conn.dialect.name == "duckdb":
        raw = conn.connection.driver_connection  # bulk path: DuckDB scans the DataFrame directly
        raw.register("_fill_df", df)
        raw.execute(f"INSERT INTO {table} ({', '.join(df.columns)}) SELECT {', '.join(df.columns)} FROM _fill_df")
        raw.unregister("_fill_df")
        return
    rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in df.astype(object).where(df.notna(), None).to_dict("records")]
    conn.execute(sa.table(table, *[sa.column(c) for c in df.columns]).insert(), rows)


def fill_history(
    engine: Engine, *, days: int = 14, checks: int = 48, end: date = date(2026, 11, 24), seed: int = 7,
    incidents: bool = True,
) -> HistorySummary:
    """Migrate the warehouse, then write `days` days of history for `checks` checks (half raw, half
    cleansed: `checks // 2` check ids in both stages) across the six sources' datasets."""
    migrate(engine)
    rng = np.random.default_rng(seed)
    first = end - timedelta(days=days - 1)
    n_ids = max(checks // 2, len(DATASETS))
    # --- check definitions (two stages each; some get a second version mid-history)
    defs = []
    for i in range(n_ids):
        dataset, source, owner, cols = DATASETS[i % len(DATASETS)]
        ctype = TYPES[i % len(TYPES)] if i >= len(DATASETS) else ("pattern" if "email" in cols[0] else TYPES[i % 6])
        column = None if ctype in TABLE_LEVEL else cols[(i // len(DATASETS)) % len(cols)]
        dim = {"not_null": "completeness", "unique": "uniqueness", "pattern": "validity", "range": "accuracy",
               "references": "consistency", "accepted_values": "validity", "freshness": "timeliness",
               "schema": "consistency"}[ctype]
        sev = ("critical", "warning", "warning", "info")[i % 4]
        defs.append((f"{dataset.replace('_', '.', 1)}.{column or ctype}_{ctype}_{i}", dataset, source, owner,
                     ctype, column, dim, sev))
    dim_rows, key = [], 0
    version_change = first + timedelta(days=days // 2)
    check_key: dict[tuple[str, str, int], int] = {}
    for cid, dataset, _source, owner, ctype, column, dim, sev in defs:
        for stage in ("raw", "cleansed"):
            versions = [(1, datetime.combine(first, datetime.min.time()))]
            if zlib.crc32(cid.encode()) % 7 == 0 and days > 4:
                versions.append((2, datetime.combine(version_change, datetime.min.time())))
            for n, (version, eff) in enumerate(versions):
                key += 1
                check_key[(cid, stage, version)] = key
                nxt = versions[n + 1][1] if n + 1 < len(versions) else None
                definition = {"id": cid, "type": ctype, "column": column, "pass_rate": {"warn": 0.98, "fail": 0.95},
                              "v": version}
                dim_rows.append(dict(
                    check_key=key, check_id=cid, version=version, dataset_name=dataset, stage=stage,
                    check_type=ctype, column_name=column, dimension_name=dim, severity=sev, owner=owner,
                    definition_json=json.dumps(definition),
                    definition_hash=f"{zlib.crc32(json.dumps(definition).encode()):08x}",
                    suite_file=f"checks/suites/{dataset}.{stage}.yml", effective_from=eff, effective_to=nxt,
                    is_current=nxt is None))
    # --- batches: one per dataset and day
    day_list = [first + timedelta(days=d) for d in range(days)]
    batch_rows, batch_of = [], {}
    bid = 0
    for d_i, day in enumerate(day_list):
        for dataset, source, _owner, _cols in DATASETS:
            bid += 1
            batch_of[(dataset, day)] = bid
            read_n = int(rng.integers(2_000, 50_000))
            quarantined = int(read_n * rng.uniform(0.001, 0.02))
            merged = int(read_n * rng.uniform(0, 0.005))
            started = datetime.combine(day, datetime.min.time()) + timedelta(hours=2, minutes=int(rng.integers(0, 50)))
            batch_rows.append(dict(
                batch_id=bid, source=source, feed=dataset, file_name=f"{source}/{dataset}_{day:%Y%m%d}.csv",
                file_sha256=f"{bid:064x}", file_size_bytes=read_n * 180, encoding="utf-8", received_at=started,
                rows_read=read_n, rows_loaded=read_n - quarantined - merged, rows_quarantined=quarantined,
                rows_merged=merged, started_at=started,
                finished_at=started + timedelta(seconds=float(rng.uniform(3, 90))),
                status="loaded", code_version="0.1.0", ruleset_version=f"r{1 + (d_i >= days // 2)}"))
    # --- results, vectorised over days for each check and stage
    frames = []
    progress = np.linspace(0.0, 1.0, days)  # quality improves over the history
    for cid, dataset, source, _owner, ctype, _column, dim, sev in defs:
        base_fail = float(rng.beta(1.2, 8.0))
        for stage in ("raw", "cleansed"):
            fail_rate = base_fail * (1.0 - 0.6 * progress) * (1.0 if stage == "raw" else 0.25)
            fail_rate = np.clip(fail_rate * rng.lognormal(0, 0.35, days), 0, 1)
            evaluated = rng.integers(2_000, 50_000, days)
            if ctype in TABLE_LEVEL:
                passed = rng.uniform(0, 1, days) > fail_rate * 3
                observed = np.where(passed, 1.0, 0.0)
                score = observed
                rows_eval = np.full(days, np.nan)
                rows_failed = np.full(days, np.nan)
                status = np.where(passed, "pass", "fail")
            else:
                rows_failed = np.round(evaluated * fail_rate)
                observed = 1.0 - rows_failed / evaluated
                score = observed
                rows_eval = evaluated.astype(float)
                status = np.where(observed >= 0.98, "pass", np.where(observed >= 0.95, "warn", "fail"))
            errored = rng.uniform(0, 1, days) < 0.004
            status = np.where(errored, "error", status)
            score = np.where(errored, np.nan, score)
            keys = [check_key.get((cid, stage, 2), check_key[(cid, stage, 1)]) if day >= version_change
                    else check_key[(cid, stage, 1)] for day in day_list]
            mean = float(np.nanmean(observed))
            frames.append(pd.DataFrame(dict(
                run_id=np.arange(1, days + 1), check_key=keys, check_id=cid, dataset_key=None,
                dataset_name=dataset, stage=stage, batch_id=[batch_of[(dataset, d)] for d in day_list],
                source=source, dimension_key=DIM_KEYS[dim], dimension_name=dim, severity=sev,
                date_key=[d.year * 10000 + d.month * 100 + d.day for d in day_list],
                rows_evaluated=rows_eval, rows_failed=rows_failed, observed_value=observed,
                threshold_warn=0.98, threshold_fail=0.95, expected_low=max(mean - 0.03, 0.0),
                expected_high=min(mean + 0.03, 1.0), status=status, score=score,
                message=np.where(status == "fail", f"{ctype} failed", None),
                execution_ms=rng.integers(5, 400, days),
                measured_at=[datetime.combine(d, datetime.min.time()) + timedelta(hours=3) for d in day_list])))
    facts = pd.concat(frames, ignore_index=True)
    facts["dataset_key"] = facts["dataset_key"].astype("Int64")
    runs = pd.DataFrame(dict(
        run_id=np.arange(1, days + 1),
        started_at=[datetime.combine(d, datetime.min.time()) + timedelta(hours=3) for d in day_list],
        finished_at=[datetime.combine(d, datetime.min.time()) + timedelta(hours=3, minutes=4) for d in day_list],
        trigger="schedule", statements=len(DATASETS) * 3, checks_run=len(defs) * 2, status="done",
        code_version="0.1.0"))
    with engine.begin() as conn:
        _insert(conn, "dim_check", pd.DataFrame(dim_rows))
        _insert(conn, "dim_batch", pd.DataFrame(batch_rows))
        _insert(conn, "dq_run", runs)
        _insert(conn, "fact_data_quality", facts)
        _insert(conn, "fact_dq_error_event", _samples(facts, day_list[-1]))
        _insert(conn, "quarantine", _quarantine(batch_rows[-len(DATASETS):]))
        if incidents:
            _insert(conn, "dq_incident", _incidents(facts, end))
            _insert(conn, "dq_alert_log", _alerts(end))
    return HistorySummary(days, len(defs) * 2, len(batch_rows), len(facts), first, end, tuple(d[0] for d in defs))


_PII = {"email": "john.smith@example.com", "contact_email": "mary.jones@utility-mail.org",
        "phone": "(555) 123-4567", "contact_phone": "+1 555 987 6543", "customer_name": "SMITH JOHN & MARY",
        "contact_name": "Mary Jones", "service_address": "123 North Main Street Apt 4", "street": "42 Elm Road",
        "zip": "94110"}


def _samples(facts: pd.DataFrame, last_day: date) -> pd.DataFrame:
    """3 samples for every result of the last day with failed rows, with unmasked PII in PII columns."""
    last_key = last_day.year * 10000 + last_day.month * 100 + last_day.day
    failing = facts[(facts["date_key"] == last_key) & (facts["rows_failed"].fillna(0) > 0)]
    rows = []
    for r in failing.itertuples():
        column = next((c for c in _PII if c in r.check_id), "account_number")
        for n in range(1, 4):
            rows.append(dict(run_id=r.run_id, check_key=r.check_key, check_id=r.check_id, batch_id=r.batch_id,
                             stage=r.stage, sample_no=n, row_key=f"{r.batch_id}:{100 + n}", column_name=column,
                             offending_value=_PII.get(column, f"{1234567 + n}"), measured_at=r.measured_at))
    return pd.DataFrame(rows)


def _quarantine(batches: list[dict]) -> pd.DataFrame:
    rows = []
    for b in batches:
        for n in range(int(b["rows_quarantined"])):
            reason = ("bad_date", "unparseable_amount", "missing_key")[n % 3]
            rows.append(dict(batch_id=b["batch_id"], feed=b["feed"], source_row_number=n + 1, reason_code=reason,
                             column_name={"bad_date": "bill_date", "unparseable_amount": "amount"}.get(reason, "id"),
                             detail=f"{reason} in row {n + 1}", raw_record="{}", quarantined_at=b["finished_at"]))
    return pd.DataFrame(rows)


def _incidents(facts: pd.DataFrame, end: date) -> pd.DataFrame:
    failing = facts[facts["status"] == "fail"].drop_duplicates("check_id").head(6)
    t0 = datetime.combine(end, datetime.min.time())
    rows = []
    for i, r in enumerate(failing.itertuples(), 1):
        status = ("open", "open", "acknowledged", "resolved", "resolved", "open")[i - 1]
        opened = t0 - timedelta(days=i, hours=i)
        rows.append(dict(
            incident_id=i, dedup_key=f"{r.dataset_name}:{r.check_id}", dataset_name=r.dataset_name,
            check_id=r.check_id, severity=r.severity, status=status, opened_at=opened, first_run_id=r.run_id,
            last_run_id=r.run_id, failing_runs=i,
            acknowledged_by="ana" if status != "open" else None,
            acknowledged_at=opened + timedelta(hours=2) if status != "open" else None,
            ack_note="looking into the feed" if status != "open" else None,
            resolved_by="ben" if status == "resolved" else None,
            resolved_at=opened + timedelta(hours=5 * i) if status == "resolved" else None,
            resolve_reason="vendor re-sent the file" if status == "resolved" else None))
    return pd.DataFrame(rows)


def _alerts(end: date) -> pd.DataFrame:
    t0 = datetime.combine(end, datetime.min.time())
    spec = [("new", "webhook", "#dq-billing", "sent"), ("still_failing", "bot", "#dq-meter", "sent"),
            ("new", "bot", "#dq-payments", "failed"), ("resolved", "log", None, "logged")]
    return pd.DataFrame([dict(
        alert_id=i, run_id=1, batch_id=1, dedup_key=f"key{i}", kind=k, destination=d, channel=c,
        payload_json="{}", status=s, attempts=1 if s != "failed" else 3,
        response="ok" if s == "sent" else ("rate limited" if s == "failed" else None), slack_ts=None,
        created_at=t0 - timedelta(hours=i), sent_at=t0 - timedelta(hours=i) if s == "sent" else None)
        for i, (k, d, c, s) in enumerate(spec, 1)])
