"""How long the executive report and the Power BI export take on a year of a mid-size mart (DuckDB).

    .venv/bin/python benchmarks/bench_report.py [customers]

Fills a scratch DuckDB file with 365 days x 6 sources x 40 checks x 2 stages of results (175,200 rows),
`customers` golden customers (default 200,000) with a second SCD2 version for a tenth of them, 20,000 premises,
daily usage for 2,000 service points, bills and payments; then times `gather` + render (HTML) and the PBIP
export. Prints one line per step.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from monitor.powerbi.export import export
from monitor.report import write_report
from monitor.report.period import parse_period
from warehouse.engine import create_engine
from warehouse.migrate import migrate

FILL = """
INSERT INTO fact_data_quality (run_id, check_key, check_id, dataset_name, stage, batch_id, source, dimension_name,
    severity, date_key, rows_evaluated, rows_failed, status, score, measured_at)
SELECT d, c * 2 + st, 'chk' || c, 'ds' || (c % 6), CASE st WHEN 0 THEN 'raw' ELSE 'cleansed' END, d * 10 + c % 6,
       ['cis','mdm','crm','payments','workorders','gis'][c % 6 + 1],
       ['completeness','uniqueness','validity','accuracy','consistency','timeliness'][c % 6 + 1],
       CASE WHEN c % 5 = 0 THEN 'critical' ELSE 'warning' END,
       CAST(strftime(DATE '2025-11-01' + CAST(d AS INTEGER), '%Y%m%d') AS INTEGER), 10000, f,
       CASE WHEN f > 500 THEN 'fail' WHEN f > 200 THEN 'warn' ELSE 'pass' END, 1 - f / 10000.0,
       CAST(DATE '2025-11-01' + CAST(d AS INTEGER) AS TIMESTAMP)
FROM (SELECT d, c, st, CAST(abs(hash(d, c, st)) % (800 - st * 500) AS INTEGER) AS f
      FROM range(365) r(d), range(240) k(c), range(2) s(st))
"""
CUSTOMERS = """
INSERT INTO dim_customer (customer_sk, golden_customer_id, row_hash, effective_from, effective_to, is_current,
    has_valid_email, has_valid_phone, has_standard_address)
SELECT i, 'G' || i, 'h', TIMESTAMP '2025-11-02', CASE WHEN i % 10 = 0 THEN TIMESTAMP '2026-05-01' END,
       i % 10 <> 0, i % 4 <> 0, i % 3 <> 0, i % 5 <> 0 FROM range({n}) t(i)
UNION ALL
SELECT {n} + i, 'G' || i, 'h2', TIMESTAMP '2026-05-01', NULL, TRUE, TRUE, i % 3 <> 0, TRUE
FROM range({n}) t(i) WHERE i % 10 = 0
"""
OTHERS = (
    "INSERT INTO dim_batch (batch_id, source, feed, file_name, file_sha256, started_at, status) "
    "SELECT i, 'cis', 'f', 'f', 'x', TIMESTAMP '2025-11-01' + i * INTERVAL 1 DAY, 'loaded' FROM range(365) t(i)",
    "INSERT INTO dim_premise (premise_sk, premise_id, row_hash, effective_from, is_current, in_cis, in_gis) "
    "SELECT i, CAST(i AS VARCHAR), 'h', TIMESTAMP '2025-11-02', TRUE, TRUE, i % 7 <> 0 FROM range(20000) t(i)",
    "INSERT INTO fact_daily_usage (service_point_id, usage_date_key, channel, intervals_expected, "
    "intervals_received, intervals_estimated, batch_id) SELECT 'SP' || s, "
    "CAST(strftime(DATE '2025-11-01' + CAST(d AS INTEGER), '%Y%m%d') AS INTEGER), 'kwh', 96, "
    "96 - (s + d) % 4, (s + d) % 4, 1 "
    "FROM range(365) a(d), range(2000) b(s)",
    "INSERT INTO fact_billing_line (bill_id, line_no, bill_date_key, is_estimated, batch_id) SELECT 'B' || i, 1, "
    "CAST(strftime(DATE '2025-11-01' + CAST(i % 365 AS INTEGER), '%Y%m%d') AS INTEGER), i % 40 = 0, 1 "
    "FROM range(150000) t(i)",
    "INSERT INTO fact_payment (payment_id, payment_date_key, amount, is_unapplied, is_returned, batch_id) "
    "SELECT 'P' || i, CAST(strftime(DATE '2025-11-01' + CAST(i % 365 AS INTEGER), '%Y%m%d') AS INTEGER), 100, "
    "i % 90 = 0, FALSE, 1 "
    "FROM range(150000) t(i)",
)


def main(customers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"duckdb:///{Path(tmp) / 'bench.duckdb'}")
        t = time.perf_counter()
        migrate(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql(FILL)
            conn.exec_driver_sql(CUSTOMERS.format(n=customers))
            for sql in OTHERS:
                conn.exec_driver_sql(sql)
            rows = conn.execute(sa.text("SELECT COUNT(*) FROM fact_data_quality")).scalar_one()
        print(f"fill: {rows:,} results, {customers:,} customers in {time.perf_counter() - t:.1f} s")
        for label, period in (("month 2026-10", parse_period("2026-10", None, None)), ("everything", None)):
            t = time.perf_counter()
            out = write_report(engine, period, Path(tmp) / "r.html")
            print(f"report ({label}): {time.perf_counter() - t:.2f} s, {out.html.stat().st_size / 1e6:.1f} MB HTML, "
                  f"score {out.data.headline.score * 100:.1f}")  # type: ignore[union-attr]
        t = time.perf_counter()
        files = export("s.sql.azuresynapse.net", "dw", Path(tmp) / "pbi")
        print(f"powerbi export: {len(files)} files in {time.perf_counter() - t:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
