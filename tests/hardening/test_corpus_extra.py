"""The bad-input corpus, completed: the deliveries tests/loaders/test_bad_inputs.py does not already cover
(DST fall-back hours, `00000000` dates, a 10 MB delimited field, a compressed delivery, negative and absurd
readings) and bad configurations (settings file, environment, schedule, options). Each is loaded correctly,
quarantined with the right reason, or refused with one clear message naming the file/line/what to do —
with no traceback and the warehouse otherwise unchanged."""

from __future__ import annotations

import gzip
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.batch import load_file
from warehouse.engine import create_engine

from .conftest import cli, table_hashes

MDM_HEADER = ("service_point_id,meter_serial,channel,interval_end_local,utc_offset,interval_minutes,value,unit,"
              "quality_code,received_at")
CIS_HEADER = ("partner_id|record_action|customer_type|full_name|email|phone|mail_street|mail_unit|mail_city|"
              "mail_state|mail_zip|birth_date|move_in_date|created_on|changed_on")
CIS_ROW = ("0000000001|I|P|SMITH JOHN|john@mail.com|(217) 555-0134|123 N Main St|#4|Springfield|IL|62701|"
           "{birth}|20200101|20200101|00000000")


@pytest.fixture
def wh(migrated_template: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "w.duckdb"
    shutil.copy(migrated_template, path)
    engine = create_engine(f"duckdb:///{path}")
    yield engine
    engine.dispose()


def _put(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_dst_fall_back_repeated_hour_without_offset_loads_both_hours(wh: Engine, tmp_path: Path) -> None:
    """2026-11-01 01:00-01:59 happens twice in Chicago, so interval ends 01:00..01:45 are stamped twice; with
    no utc_offset the first occurrence is daylight time and the second standard time: nine distinct UTC
    intervals, nothing quarantined as a duplicate."""
    stamps = ["01:00", "01:15", "01:30", "01:45"] * 2 + ["02:00"]
    body = [f"SP1,M1,1,2026-11-01T{t}:00,,15,{0.1 * (i + 1):.1f},KWH,0," for i, t in enumerate(stamps)]
    result = load_file(wh, _put(tmp_path, "mdm/mdm_interval_20261101.csv", "\n".join([MDM_HEADER, *body]) + "\n"),
                       tz="America/Chicago")
    assert result.status == "loaded", result.message
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (9, 9, 0), \
        _rows(wh, "SELECT source_row_number, reason_code FROM quarantine")
    ends = [r[0] for r in _rows(wh, "SELECT interval_end_utc FROM cln_mdm_interval ORDER BY source_row_number")]
    assert ends == [datetime(2026, 11, 1, h, m) for h, m in
                    [(6, 0), (6, 15), (6, 30), (6, 45), (7, 0), (7, 15), (7, 30), (7, 45), (8, 0)]]


def test_zero_date_means_missing_and_loads(wh: Engine, tmp_path: Path) -> None:
    path = _put(tmp_path, "cis/cis_customer_20260105.dat", "\n".join([CIS_HEADER, CIS_ROW.format(birth="00000000")]))
    result = load_file(wh, path)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 0), result.message
    assert _rows(wh, "SELECT birth_date, birth_date_std FROM cln_cis_customer") == [("00000000", None)]


def test_gzip_delivery_loads_and_a_ten_mb_delimited_field_is_refused_clearly(wh: Engine, tmp_path: Path) -> None:
    """A compressed delivery loads like the plain file. A 10 MB field in a delimited file is beyond the
    parser's per-field limit (a runaway quote looks exactly like it): the file is refused with the file, the
    line and the reason, and nothing of it is kept. (The same field in a JSON-lines file loads: see
    tests/loaders/test_bad_inputs.py::ten_mb_field.)"""
    ok = gzip.compress(("\n".join([CIS_HEADER, CIS_ROW.format(birth="19800215")]) + "\n").encode())
    result = load_file(wh, _put(tmp_path, "cis/cis_customer_20260105.dat.gz", ok))
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.message
    before = table_hashes(wh, exclude=frozenset({"dim_batch"}))
    big = CIS_ROW.format(birth="19800215").replace("0000000001", "0000000002").replace("123 N Main St", "x" * 10**7)
    data = gzip.compress(("\n".join([CIS_HEADER, big]) + "\n").encode())
    result = load_file(wh, _put(tmp_path, "cis/cis_customer_20260106.dat.gz", data))
    assert result.status == "failed"
    assert "cis_customer_20260106.dat.gz, line 2:" in result.message and "field larger than" in result.message
    assert "\n" not in result.message and "Traceback" not in result.message
    assert table_hashes(wh, exclude=frozenset({"dim_batch"})) == before


def test_negative_and_absurd_readings_are_kept_for_vee_not_dropped(wh: Engine, tmp_path: Path) -> None:
    body = ["SP1,M1,1,2026-01-05T00:15:00,-06:00,15,-3.5,KWH,0,",      # negative on delivered channel 1
            "SP1,M1,1,2026-01-05T00:30:00,-06:00,15,999999999,KWH,0,",  # absurd: the spike check's job
            "SP1,M1,1,2026-01-05T00:45:00,-06:00,15,-1e300,KWH,0,",
            "SP1,M1,1,2026-01-05T01:00:00,-06:00,15,inf,KWH,0,"]
    result = load_file(wh, _put(tmp_path, "mdm/mdm_interval_20260105.csv", "\n".join([MDM_HEADER, *body]) + "\n"))
    assert result.status == "loaded", result.message
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_merged == 4
    kept = {r[0] for r in _rows(wh, "SELECT source_row_number FROM cln_mdm_interval")}
    quarantined = dict(_rows(wh, "SELECT source_row_number, reason_code FROM quarantine"))
    assert kept | set(quarantined) == {1, 2, 3, 4} and not kept & set(quarantined)  # every row accounted for
    assert {1, 2} <= kept
    assert set(quarantined.values()) <= {"invalid_number"}
    card = ("transaction_id,account_number,amount,currency,paid_at,method,status,return_code,original_transaction_id\n"
            "T-1,000000001001,1e30,USD,2026-01-05T12:00:00Z,card,SETTLED,,\n"
            "T-2,000000001001,12.50,USD,2026-01-05T12:00:00Z,card,SETTLED,,\n")
    result = load_file(wh, _put(tmp_path, "payments/payments_card_20260105.csv", card))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 1), result.message


def test_an_integer_beyond_its_column_type_is_quarantined_not_a_failed_batch(wh: Engine, tmp_path: Path) -> None:
    header = ("service_point_id|record_action|premise_id|commodity|meter_serial|meter_multiplier|meter_unit|"
              "meter_dials|interval_minutes|install_date|remove_date|meter_status")
    rows = ["SP1|I|0000000001|E|E1|1|KWH|5|15|20230729|00000000|A",
            "SP2|I|0000000001|E|E2|1|KWH|32767|15|20230729|00000000|A",       # smallint's largest: kept
            "SP3|I|0000000001|E|E3|1|KWH|32768|15|20230729|00000000|A",       # dials_std is a smallint
            "SP4|I|0000000001|E|E4|1|KWH|5|4000000000|20230729|00000000|A"]   # so is interval_minutes_std
    result = load_file(wh, _put(tmp_path, "cis/cis_service_point_20260105_full.dat", "\n".join([header, *rows]) + "\n"))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 2), result.message
    assert sorted(_rows(wh, "SELECT service_point_id_std, dials_std FROM cln_cis_service_point")) == [
        ("SP1", 5), ("SP2", 32767)]
    assert sorted(_rows(wh, "SELECT source_row_number, reason_code, column_name FROM quarantine")) == [
        (3, "invalid_number", "meter_dials"), (4, "invalid_number", "interval_minutes")]
    lines = ("bill_id|line_no|charge_code|description|quantity|unit|rate|amount\n"
             "B1|1|ENERGY|Energy|10|KWH|0.1|1.00\nB1|2147483648|ENERGY|Energy|10|KWH|0.1|1.00\n")  # line_no_std: int
    result = load_file(wh, _put(tmp_path, "cis/cis_bill_line_20260105.dat", lines))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 1), result.message


BAD_CONFIGS: list[tuple[str, dict[str, str], list[str], str]] = [
    # (id, files to write {name: text}, argv (FILE -> tmp path), expected fragment)
    ("toml_syntax_error", {"u.toml": "[utilityflow]\nsample_rows = = 3\n"}, ["config", "--config", "u.toml"],
     "line 2"),
    ("toml_unknown_setting", {"u.toml": "[utilityflow]\nsampel_rows = 3\n"}, ["config", "--config", "u.toml"],
     "sample_rows"),
    ("toml_wrong_type", {"u.toml": "[utilityflow]\nsample_rows = 'many'\n"}, ["config", "--config", "u.toml"],
     "sample_rows"),
    ("schedule_bad_cron", {"u.toml": "[schedule]\n[[schedule.jobs]]\nname='a'\nsource='cis'\ndrop_folder='d'\n"
                                     "cron='61 * * * *'\n"}, ["schedule", "--once", "--config", "u.toml"], "cron"),
    ("load_missing_folder", {}, ["load", "--from", "no_such_dir"], "no_such_dir"),
    ("load_bad_timezone", {"cis/cis_tariff_20260105.dat": "tariff_code|commodity|description|unit_rate|"
                           "fixed_charge|effective_date\n"}, ["load", "--from", "cis", "--timezone", "Mars/Base"],
     "Mars/Base"),
    ("check_suite_missing", {}, ["check", "--suite", "nope.yml"], "nope.yml"),
    ("check_bad_batch", {}, ["check", "--batch", "999999", "--dataset", "stg_cis_customer"], ""),
]


@pytest.mark.parametrize(("case", "files", "argv", "fragment"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_configuration_gets_one_clear_message(loaded_copy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  case: str, files: dict[str, str], argv: list[str],
                                                  fragment: str) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    engine = create_engine(loaded_copy)
    before = table_hashes(engine)
    engine.dispose()
    run = cli(*argv, "--warehouse", loaded_copy)
    engine = create_engine(loaded_copy)
    after = table_hashes(engine)
    engine.dispose()
    assert "Traceback" not in run.text
    if case == "check_bad_batch":  # a batch with no rows: the checks say so (row_count fails), nothing crashes
        assert run.code in (0, 1), run.text
        return
    assert run.code == 2, run.text
    assert fragment in run.err, run.err
    message = [ln for ln in run.err.strip().splitlines() if ln and not ln.startswith(("Usage:", "Try '"))]
    assert len(message) == 1, run.err  # one message (click's usage errors add their usage hint)
    assert after == before
