"""Loading the hand-made six-source delivery on DuckDB and the real PostgreSQL: conservation, repairs,
idempotency, atomicity, stable golden customers."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.batch import load_file
from loaders.match import match_customers
from loaders.run import load_directory

from .helpers import batches, snapshot


def _q(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_every_batch_conserves_rows_and_is_audited(loaded: tuple) -> None:
    migrated, _, summary = loaded
    assert summary.count("failed") == 0 and summary.count("loaded") == 19
    for b in batches(migrated):
        assert b["status"] == "loaded", b["message"]
        assert b["rows_read"] == b["rows_loaded"] + b["rows_quarantined"] + b["rows_merged"], b
        assert len(b["file_sha256"]) == 64 and b["code_version"] and b["finished_at"] >= b["started_at"]
        feed = b["feed"]
        staged = _q(migrated, f"SELECT COUNT(*) FROM stg_{feed} WHERE batch_id = {b['batch_id']}")[0][0]
        if feed == "workorders_outage":  # the outage file also stages its nested interruptions
            staged += _q(migrated, "SELECT COUNT(*) FROM stg_workorders_interruption WHERE batch_id = "
                         f"{b['batch_id']}")[0][0]
        assert staged == b["rows_read"]
    # what was quarantined, and why (first failing rule wins)
    reasons = sorted(_q(migrated, "SELECT feed, source_row_number, reason_code, column_name FROM quarantine"))
    assert reasons == [("cis_bill_line", 4, "invalid_number", "amount"),
                       ("cis_customer", 6, "invalid_date", "birth_date"),
                       ("crm_contact", 4, "malformed_json", None),
                       ("mdm_interval", 5, "invalid_number", "value"),
                       ("mdm_interval", 6, "unknown_unit", "unit")]
    raw = _q(migrated, "SELECT raw_record FROM quarantine WHERE feed = 'crm_contact'")[0][0]
    assert raw == '{"contact_id": "C-004", "first_name": '  # the original text, as delivered
    merged = _q(migrated, "SELECT rows_merged FROM dim_batch WHERE feed = 'mdm_interval'")[0][0]
    assert merged == 1  # the re-sent identical interval was folded


def test_repairs_land_beside_the_raw_values(loaded: tuple) -> None:
    migrated = loaded[0]
    row = _q(migrated, "SELECT partner_id, partner_id_std, move_in_date, move_in_date_std, date_repairs, "
                       "organisation_std FROM cln_cis_customer WHERE partner_id_std = '0000000005'")[0]
    assert row[0] == "5" and row[2] == "20261305" and str(row[3]) == "2026-05-13" and row[4] == "move_in_date"
    assert row[5] == "acme widgets llc"
    fake = _q(migrated, "SELECT email, email_std, email_status, phone_status, name_kind FROM cln_cis_customer "
                        "WHERE partner_id_std = '0000000004'")[0]
    assert fake == ("none@none.com", None, "placeholder", "placeholder", "estate")
    assert _q(migrated, "SELECT value, unit, value_std, unit_std FROM cln_mdm_interval WHERE source_row_number = 2") \
        == [("250", "WH", 0.25, "kWh")]
    usage = _q(migrated, "SELECT usage_value, intervals_expected, intervals_received, intervals_estimated, vee_status "
                         "FROM fact_daily_usage")
    assert [(float(u[0]), *u[1:]) for u in usage] == [(0.81, 96, 3, 1, "failed")]
    pays = dict(_q(migrated, "SELECT payment_id, is_unapplied FROM fact_payment"))
    assert pays["T-2"] is True and pays["T-1"] is False and len(pays) == 5
    assert _q(migrated, "SELECT is_returned, return_code FROM fact_payment WHERE payment_id = 'T-3'") == [(True, "R01")]
    gis = _q(migrated, "SELECT premise_id_std, latitude, longitude, coord_status FROM cln_gis_premise ORDER BY 1")
    assert gis == [("0000000101", 39.78, -89.65, "ok"), ("0000000102", 39.79, -89.66, "swapped"),
                   ("0000000199", None, None, "zero")]
    lines = _q(migrated, "SELECT bill_id, line_no, quantity, unit, customer_sk IS NOT NULL FROM fact_billing_line "
                         "ORDER BY 1, 2")
    assert [(b, n, float(q) if q is not None else None, u, c) for b, n, q, u, c in lines] == [
        ("B0001", 1, 612.5, "kWh", True), ("B0001", 2, None, None, True), ("B0002", 1, 25.0, "kWh", True)]


def test_golden_customers_and_xref(loaded: tuple) -> None:
    migrated, _, summary = loaded
    clusters = _q(migrated, "SELECT golden_customer_id, source || ':' || source_key FROM customer_xref "
                            "WHERE is_current")
    groups: dict[str, set[str]] = {}
    for g, node in clusters:
        groups.setdefault(g, set()).add(node)
    assert sorted(map(sorted, groups.values())) == sorted(map(sorted, [
        {"cis:0000000001", "cis:0000000003", "crm:C-001"}, {"cis:0000000002", "crm:C-002"}, {"cis:0000000004"},
        {"cis:0000000005"}, {"crm:C-003"}]))
    assert summary.match is not None and summary.match.golden_customers == 5
    assert _q(migrated, "SELECT COUNT(*) FROM dim_customer WHERE is_current") == [(5,)]
    john = _q(migrated, "SELECT c.display_name, c.email_std, c.phone_e164, c.source_record_count FROM dim_customer c "
                        "JOIN customer_xref x ON x.golden_customer_id = c.golden_customer_id WHERE x.source_key = "
                        "'0000000001' AND c.is_current")
    assert john == [("john smith", "john.smith@mail.com", "+12175550134", 3)]


def test_loading_twice_changes_nothing(migrated: Engine, delivery: Path) -> None:
    load_directory(migrated, delivery)
    before = snapshot(migrated)
    again = load_directory(migrated, delivery)
    assert again.count("skipped") == 19 and again.count("loaded") == 0
    assert snapshot(migrated) == before
    skipped = [b for b in batches(migrated) if b["status"] == "skipped"]
    assert len(skipped) == 19 and all(b["duplicate_of_batch_id"] for b in skipped)
    # re-running the matcher on unchanged data changes no golden id, xref row or customer version
    match_customers(migrated)
    assert snapshot(migrated) == before


def test_a_batch_that_fails_after_staging_leaves_no_trace(migrated: Engine, delivery: Path) -> None:
    load_directory(migrated, delivery)
    before = snapshot(migrated)
    n_batches = len(batches(migrated))
    late = delivery / "cis" / "cis_customer_20260106.dat"
    late.write_text("partner_id|record_action|customer_type|full_name|email|phone|mail_street|mail_unit|mail_city|"
                    "mail_state|mail_zip|birth_date|move_in_date|created_on|changed_on\n"
                    "0000000009|I|P|LEE ANN|ann@lee.net|2175550150|5 Birch Ln||Springfield|IL|62707|00000000|"
                    "20260106|20260106|00000000\n", encoding="utf-8")
    result = load_file(migrated, late, fail_after_staging=True)
    assert result.status == "failed" and "on purpose" in result.message
    assert snapshot(migrated) == before
    audit = batches(migrated)
    assert len(audit) == n_batches + 1 and audit[-1]["status"] == "failed"
    # and the same file loads cleanly afterwards (a failed batch never blocks its re-delivery)
    assert load_file(migrated, late).status == "loaded"


INTERVAL_HEADER = "service_point_id,meter_serial,channel,interval_end_local,utc_offset,interval_minutes,value,unit," \
                  "quality_code,received_at"


def _reads(*rows: tuple[str, str, str, str]) -> str:
    """Interval CSV text: (service point, channel, local interval end on 2026-01-05, value) per read."""
    return "\n".join([INTERVAL_HEADER, *(f"{sp},M{sp[-4:]},{ch},2026-01-05T{t}:00,-06:00,15,{v},KWH,0,"
                                          "2026-01-06T02:00:00Z" for sp, ch, t, v in rows)]) + "\n"


def test_daily_usage_takes_each_reads_latest_delivery(migrated: Engine, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A day's usage sums the latest delivery of each read across batches. The first file alone holds its days'
    reads, so its usage skips the latest-row window; the second re-sends a read of the same day with another
    value (a back-fill: it wins) and adds one, so it needs the window. (An empty channel is a channel.)"""
    from loaders import star

    took_shortcut: list[bool] = []
    real = star._only_batch_reads

    def spy(conn: sa.Connection, b: int, touched: str) -> bool:
        took_shortcut.append(real(conn, b, touched))
        return took_shortcut[-1]
    monkeypatch.setattr(star, "_only_batch_reads", spy)
    first, second = tmp_path / "mdm" / "mdm_interval_20260105.csv", tmp_path / "mdm" / "mdm_interval_20260106.csv"
    first.parent.mkdir(parents=True)
    first.write_text(_reads(("SP0001", "1", "00:15", "0.1"), ("SP0001", "1", "00:30", "0.2"),
                            ("SP0001", "1", "00:45", "0.3"), ("SP0002", "1", "00:15", "1.0"),
                            ("SP0003", "", "00:15", "9.0")))
    second.write_text(_reads(("SP0001", "1", "00:30", "0.5"), ("SP0001", "1", "01:00", "0.4")))

    def usage() -> list[tuple]:
        return [(sp, float(v), n) for sp, v, n in _q(migrated, "SELECT service_point_id, usage_value, "
                                                     "intervals_received FROM fact_daily_usage ORDER BY 1")]
    assert load_file(migrated, first).status == "loaded"
    assert usage() == [("SP0001", 0.6, 3), ("SP0002", 1.0, 1), ("SP0003", 9.0, 1)]
    assert load_file(migrated, second).status == "loaded"
    assert usage() == [("SP0001", 1.3, 4), ("SP0002", 1.0, 1), ("SP0003", 9.0, 1)]
    assert took_shortcut == [True, False]
