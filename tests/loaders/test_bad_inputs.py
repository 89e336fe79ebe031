"""The bad-input corpus: every malformed delivery is loaded correctly, quarantined with the right reason,
or refused with one message naming the file, the line and the problem — and a refusal changes nothing."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.batch import load_file
from warehouse.engine import create_engine
from warehouse.migrate import migrate

from .conftest import CIS, ESPI, lockbox
from .helpers import batches, snapshot

CUSTOMER_HEADER = CIS["cis_customer"][0]
CUSTOMER_ROW = CIS["cis_customer"][1]
GIS_HEADER = "gis_facility_id,premise_id,street,unit,city,state,zip,transformer_id,feeder_id,geometry_wkt"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "w.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def wh(template: Path, tmp_path: Path) -> Engine:
    target = tmp_path / "w.duckdb"
    shutil.copy(template, target)
    return create_engine(f"duckdb:///{target}")


def put(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def lines(*rows: str, nl: str = "\n") -> str:
    return nl.join(rows) + nl


# (id, file name, content, expected fragment of the one-line message, line named or None)
REFUSED: list[tuple[str, str, bytes | str, str, int | None]] = [
    ("empty", "cis/cis_customer_20260105.dat", b"", "file is empty", 1),
    ("blank_xml", "mdm/mdm_espi_20260105.xml", b"  ", "file is empty", 1),
    ("wrong_delimiter", "cis/cis_customer_20260105.dat", lines(CUSTOMER_HEADER.replace("|", ","),
                                                               CUSTOMER_ROW.replace("|", ",")),
     "the file looks ','-delimited", 1),
    ("missing_column", "cis/cis_customer_20260105.dat",
     lines(CUSTOMER_HEADER.replace("|email", ""), "1|I|P|X|p|s|u|c|st|z|b|m|c|c"),
     "missing required column(s) email", 1),
    ("extra_column", "cis/cis_customer_20260105.dat", lines(CUSTOMER_HEADER + "|ssn", CUSTOMER_ROW + "|123"),
     "unexpected column(s) ssn", 1),
    ("unterminated_quote", "gis/gis_premise_20260105.csv",
     lines(GIS_HEADER, 'GP-1,0000000101,"123 Main St,4,Springfield,IL,62701,T1,F1,POINT (1 2)'),
     "unterminated quote", 2),
    ("utf16", "cis/cis_customer_20260105.dat", lines(CUSTOMER_HEADER, CUSTOMER_ROW).encode("utf-16"), "UTF-16", 1),
    ("nul_byte", "cis/cis_customer_20260105.dat",
     lines(CUSTOMER_HEADER, CUSTOMER_ROW[:20] + "\x00" + CUSTOMER_ROW[20:]),
     "NUL byte", 2),
    ("truncated_gzip", "cis/cis_customer_20260105.dat.gz",
     gzip.compress(lines(CUSTOMER_HEADER, CUSTOMER_ROW).encode())[:-12], "gzip archive is truncated", None),
    ("utf16_jsonl", "crm/crm_contact_20260105.jsonl", (json.dumps(dict(contact_id="C1")) + "\n").encode("utf-16"),
     "UTF-16", 1),
    ("nul_byte_jsonl", "crm/crm_contact_20260105.jsonl",
     lines(json.dumps(dict(contact_id="C1")), '{"contact_id": "C\x002"}'), "NUL byte", 2),
    ("truncated_gzip_jsonl", "crm/crm_case_20260105.jsonl.gz",
     gzip.compress(lines(json.dumps(dict(case_id="K1")), json.dumps(dict(case_id="K2"))).encode())[:-12],
     "gzip archive is truncated", None),
    ("xml_not_well_formed", "mdm/mdm_espi_20260105.xml", ESPI.replace("</feed>", "</fed>"), "not well-formed", 14),
    ("xml_bomb", "mdm/mdm_espi_20260105.xml",
     '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
     "<feed>&lol2;</feed>", "XML refused", None),
    ("lockbox_trailer_count", "payments/payments_lockbox_20260105.txt",
     lines(*lockbox([("000000001001", 100)], trailer_count=3)), "trailer says 3 records, the file has 5", 5),
    ("lockbox_truncated", "payments/payments_lockbox_20260105.txt",
     lines(*lockbox([("000000001001", 100), ("000000001002", 200)])[:4]), "no file trailer", 4),
    ("lockbox_bad_record_type", "payments/payments_lockbox_20260105.txt",
     lines(*lockbox([("000000001001", 100)])[:2], "X" + " " * 79), "unknown record type 'X'", 3),
    ("unknown_feed", "cis/cis_custmer_20260105.dat", lines(CUSTOMER_HEADER, CUSTOMER_ROW),
     "file name is not a known delivery", None),
    ("bad_date_in_name", "cis/cis_customer_20261340.dat", lines(CUSTOMER_HEADER, CUSTOMER_ROW),
     "is not a calendar date", None),
]


@pytest.mark.parametrize(("case", "name", "content", "fragment", "line"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_one_clear_message_and_nothing_changed(wh: Engine, tmp_path: Path, case: str, name: str,
                                                            content: bytes | str, fragment: str,
                                                            line: int | None) -> None:
    before = snapshot(wh)
    path = put(tmp_path / "in", name, content)
    result = load_file(wh, path)
    assert result.status == "failed"
    assert fragment in result.message, result.message
    assert path.name in result.message and "\n" not in result.message and "Traceback" not in result.message
    if line:
        assert f"line {line}:" in result.message, result.message
    assert snapshot(wh) == before
    if case not in ("unknown_feed", "bad_date_in_name"):  # a refused delivery is audited as failed
        assert [b["status"] for b in batches(wh)] == ["failed"]


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


Check = Callable[[Engine], None]

LOADED: list[tuple[str, str, bytes | str, dict, Check | None]] = [
    ("header_only", "cis/cis_customer_20260105.dat", lines(CUSTOMER_HEADER), dict(read=0, loaded=0), None),
    ("empty_jsonl_is_zero_records", "crm/crm_contact_20260105.jsonl", b"", dict(read=0, loaded=0), None),
    ("no_trailing_newline", "cis/cis_customer_20260105.dat", CUSTOMER_HEADER + "\n" + CUSTOMER_ROW,
     dict(read=1, loaded=1), None),
    ("utf8_bom", "cis/cis_customer_20260105.dat", b"\xef\xbb\xbf" + lines(CUSTOMER_HEADER, CUSTOMER_ROW).encode(),
     dict(read=1, loaded=1, encoding="utf-8-sig"),
     lambda e: _eq(e, "SELECT partner_id FROM stg_cis_customer", [("0000000001",)])),
    ("latin1_accents", "cis/cis_customer_20260105.dat",
     lines(CUSTOMER_HEADER, CUSTOMER_ROW.replace("SMITH JOHN", "MUÑOZ JOSÉ")).encode("latin-1"),
     dict(read=1, loaded=1, encoding="latin-1"),
     lambda e: _eq(e, "SELECT full_name, last_name_std, first_name_std FROM cln_cis_customer",
                   [("MUÑOZ JOSÉ", "muñoz", "josé")])),
    ("crlf", "cis/cis_customer_20260105.dat", lines(CUSTOMER_HEADER, CUSTOMER_ROW, nl="\r\n"),
     dict(read=1, loaded=1), lambda e: _eq(e, "SELECT changed_on FROM stg_cis_customer", [("00000000",)])),
    ("mixed_line_endings", "cis/cis_customer_20260105.dat",
     CUSTOMER_HEADER + "\r\n" + CUSTOMER_ROW + "\n" + CUSTOMER_ROW.replace("0000000001", "0000000002") + "\r\n",
     dict(read=2, loaded=2), None),
    ("quoted_delimiter_and_newline", "gis/gis_premise_20260105.csv",
     lines(GIS_HEADER,
           'GP-1,0000000101,"123 Main St, Rear\nBuilding",4,Springfield,IL,62701,T1,F1,"POINT (-89.6 39.7)"'),
     dict(read=1, loaded=1),
     lambda e: _eq(e, "SELECT street FROM stg_gis_premise", [("123 Main St, Rear\nBuilding",)])),
    ("columns_in_another_order", "cis/cis_tariff_20260105.dat",
     lines("commodity|tariff_code|unit_rate|description|fixed_charge|effective_date",
           "ELECTRIC|RES-E|0.14|Residential|12.50|20250101"),
     dict(read=1, loaded=1),
     lambda e: _eq(e, "SELECT tariff_code, commodity FROM dim_tariff", [("RES-E", "electric")])),
    ("formula_injection_cells_kept_as_text", "cis/cis_customer_20260105.dat",
     lines(CUSTOMER_HEADER, CUSTOMER_ROW.replace("SMITH JOHN", "=HYPERLINK(1)").replace("#4", "+4")),
     dict(read=1, loaded=1), lambda e: _eq(e, "SELECT full_name, mail_unit FROM stg_cis_customer",
                                          [("=HYPERLINK(1)", "+4")])),
    ("ten_mb_field", "crm/crm_interaction_20260105.jsonl",
     json.dumps(dict(interaction_id="I-1", contact_id="C", channel="chat", started_at="2026-01-05T00:00:00Z",
                     reason="x" * 10_000_000)) + "\n", dict(read=1, loaded=1),
     lambda e: _eq(e, "SELECT length(reason) FROM stg_crm_interaction", [(10_000_000,)])),
]


def _eq(engine: Engine, sql: str, expected: list[tuple]) -> None:
    assert _rows(engine, sql) == expected


@pytest.mark.parametrize(("case", "name", "content", "expect", "check"), LOADED, ids=[r[0] for r in LOADED])
def test_loaded_correctly(wh: Engine, tmp_path: Path, case: str, name: str, content: bytes | str, expect: dict,
                          check: Check | None) -> None:
    result = load_file(wh, put(tmp_path / "in", name, content))
    assert result.status == "loaded", result.message
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (expect["read"], expect["loaded"], 0)
    if "encoding" in expect:
        assert result.encoding == expect["encoding"]
        assert _rows(wh, "SELECT encoding FROM dim_batch") == [(expect["encoding"],)]
    if check:
        check(wh)


QUARANTINED: list[tuple[str, str, bytes | str, dict[int, str]]] = [
    ("truncated_last_record", "cis/cis_customer_20260105.dat", lines(CUSTOMER_HEADER, CUSTOMER_ROW, CUSTOMER_ROW[:30]),
     {2: "wrong_field_count"}),
    ("json_broken_line", "crm/crm_case_20260105.jsonl",
     lines(json.dumps(dict(case_id="K1", contact_id="C")), '{"case_id": "K2", ', "[1, 2]"),
     {2: "malformed_json", 3: "malformed_json"}),
    ("lockbox_batch_total_disagrees", "payments/payments_lockbox_20260105.txt",
     lines(*lockbox([("000000001001", 100), ("000000001002", 250)], batch_total=999)),
     {5: "batch_total_mismatch"}),
    ("bad_dates", "cis/cis_customer_20260105.dat",
     lines(CUSTOMER_HEADER, CUSTOMER_ROW,
           CUSTOMER_ROW.replace("0000000001", "0000000002").replace("19800215", "20261332"),
           CUSTOMER_ROW.replace("0000000001", "0000000003").replace("19800215", "31/02/2026")),
     {2: "invalid_date", 3: "invalid_date"}),
    ("missing_key", "crm/crm_contact_20260105.jsonl",
     lines(json.dumps(dict(contact_id="C1", last_name="X")), json.dumps(dict(contact_id="  ", last_name="Y"))),
     {2: "missing_key"}),
    ("negative_and_absurd_readings_kept_for_vee", "mdm/mdm_interval_20260105.csv",
     lines("service_point_id,meter_serial,channel,interval_end_local,utc_offset,interval_minutes,value,unit,"
           "quality_code,received_at", "SP1,M1,1,2026-01-05T00:15:00,-06:00,15,-3.5,KWH,0,",
           "SP1,M1,1,2026-01-05T00:30:00,-06:00,15,1e12,KWH,0,", "SP1,M1,1,2026-01-05T00:45:00,-06:00,15,NaNx,KWH,0,"),
     {3: "invalid_number"}),
    # Python's regex reads Arabic-Indic digits as digits and pandas then refused the number; a missing or
    # unreadable point made pandas 3 raise on NA: the whole batch used to fail, now only the bad rows are out
    ("points_missing_unreadable_or_in_non_ascii_digits", "gis/gis_premise_20260105.csv",
     lines(GIS_HEADER, "GP-1,0000000101,1 Elm St,,Springfield,IL,62701,T1,F1,POINT (-89.6 39.7)",
           "GP-2,0000000102,2 Elm St,,Springfield,IL,62701,T1,F1,POINT (-\u0668\u0669.6 39.7)",
           "GP-3,0000000103,3 Elm St,,Springfield,IL,62701,T1,F1,",
           "GP-4,0000000104,4 Elm St,,Springfield,IL,62701,T1,F1,POINT (a b)"),
     {2: "invalid_geometry", 4: "invalid_geometry"}),
]


@pytest.mark.parametrize(("case", "name", "content", "reasons"), QUARANTINED, ids=[q[0] for q in QUARANTINED])
def test_quarantined_with_the_right_reason(wh: Engine, tmp_path: Path, case: str, name: str, content: bytes | str,
                                           reasons: dict[int, str]) -> None:
    result = load_file(wh, put(tmp_path / "in", name, content))
    assert result.status == "loaded", result.message
    got = dict(_rows(wh, "SELECT source_row_number, reason_code FROM quarantine"))
    assert got == reasons
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_merged
    assert all(r[0] for r in _rows(wh, "SELECT raw_record FROM quarantine"))  # original text kept


def test_a_payment_file_delivered_twice_is_skipped_and_recorded(wh: Engine, tmp_path: Path) -> None:
    content = lines(*lockbox([("000000001001", 100)]))
    first = load_file(wh, put(tmp_path / "in", "payments/payments_lockbox_20260105.txt", content))
    before = snapshot(wh)
    second = load_file(wh, put(tmp_path / "in", "payments/payments_lockbox_20260105_resend.txt", content))
    assert first.status == "loaded" and second.status == "skipped"
    assert second.duplicate_of_batch_id == first.batch_id and "already loaded as batch" in second.message
    assert snapshot(wh) == before
    assert [(b["status"], b["duplicate_of_batch_id"]) for b in batches(wh)] == [("loaded", None),
                                                                                ("skipped", first.batch_id)]


@pytest.mark.parametrize(("case", "name", "content", "fragment", "line"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_file_staged_ahead_leaves_nothing_and_its_turn_reports_it(wh: Engine, tmp_path: Path, case: str,
                                                                             name: str, content: bytes | str,
                                                                             fragment: str, line: int | None) -> None:
    """A run stages files over `AHEAD_BYTES` ahead of their turn (chunked, or read whole). A bad one is refused
    there without a trace (no `running` batch, no rows), and the load at its turn reports the one clear
    message a load of the file alone gives."""
    from loaders import live
    from loaders.batch import stage_ahead

    path = put(tmp_path / "in", name, content)
    alone = load_file(wh, path)
    fresh = put(tmp_path / "again", name, content)
    with wh.begin() as conn:  # the same warehouse as before that load
        conn.execute(sa.text("DELETE FROM dim_batch"))
    before = snapshot(wh)
    if case not in ("unknown_feed", "bad_date_in_name"):  # a name that does not parse is never staged ahead
        assert stage_ahead(wh, fresh) is None
    assert snapshot(wh) == before and not batches(wh) and not live._LIVE
    at_turn = load_file(wh, fresh)
    assert at_turn.status == "failed" and at_turn.message == alone.message.replace(str(path), str(fresh))
