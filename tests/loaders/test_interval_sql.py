"""The interval feed cleansed in DuckDB SQL (`loaders.cleanse.interval_sql`) gives exactly what the pandas
cleanse gives: every staged, cleansed, quarantined and fact row and the audit counts are compared, on
generated deliveries across the fall-back day and on a hand-made file with one row per rule and edge case."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from loaders.batch import load_file
from loaders.cleanse import feeds, staged
from loaders.run import load_directory
from warehouse.engine import create_engine
from warehouse.migrate import migrate

from .test_streamed import content, force_streaming

synth = pytest.importorskip("loaders.synth.generator")
params_mod = pytest.importorskip("loaders.synth.params")

HEADER = ("service_point_id,meter_serial,channel,interval_end_local,utc_offset,interval_minutes,value,unit,"
          "quality_code,received_at")


def _engine(path: Path) -> Engine:
    engine = create_engine(f"duckdb:///{path}")
    migrate(engine)
    return engine


def _both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load) -> tuple[dict, dict]:  # noqa: ANN001
    """content() after loading with the SQL cleanse and with the pandas cleanse."""
    assert "mdm_interval" in staged.SQL_CLEANSE
    in_sql = _engine(tmp_path / "sql.duckdb")
    load(in_sql)
    with monkeypatch.context() as m:
        m.setattr(staged, "SQL_CLEANSE", {})
        in_pandas = _engine(tmp_path / "pandas.duckdb")
        load(in_pandas)
    return content(in_sql), content(in_pandas)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "out"
    # the fall-back day: repeated local hour, re-sent duplicates, unit mix-ups, start-of-interval days
    synth.generate(params_mod.GenerateParams(customers=60, days=3, start=date(2026, 10, 31), seed=5, out=out))
    return out


@pytest.mark.parametrize("streamed", [False, True], ids=["in_memory", "streamed"])
def test_generated_deliveries_equal(generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   streamed: bool) -> None:
    if streamed:
        force_streaming(monkeypatch)
    got, expected = _both_ways(tmp_path, monkeypatch, lambda e: load_directory(e, generated))
    assert len(expected["cln_mdm_interval"]) > 1000
    for table in expected:
        assert got[table] == expected[table], table


def _row(sp: str = "SP1", local: str = "2026-03-02T00:15:00", offset: str = "-06:00", value: str = "0.5",
         unit: str = "KWH", channel: str = "1", minutes: str = "15", quality: str = "0",
         received: str = "2026-03-03T02:00:00", serial: str = "E1") -> str:
    return ",".join([sp, serial, channel, local, offset, minutes, value, unit, quality, received])


def _day(sp: str, day: str, offset: str, **kw: str) -> list[str]:
    """A meter-day of 15-minute interval ENDS 00:15 .. 24:00 (24:00 written as the next day's 00:00)."""
    rows = []
    for i in range(1, 97):
        h, m = divmod(i * 15, 60)
        stamp = f"{day}T{h:02d}:{m:02d}:00" if h < 24 else f"{_next(day)}T00:00:00"
        rows.append(_row(sp=sp, local=stamp, offset=offset, **kw))
    return rows


def _next(day: str) -> str:
    d = date.fromisoformat(day)
    return date.fromordinal(d.toordinal() + 1).isoformat()


def _edge_rows() -> list[str]:
    rows = [
        # one failing rule each, in cleanse's order, and two at once (the first wins)
        _row(sp=""), _row(sp="  "), _row(sp="\u00a0"), _row(minutes="abc"), _row(minutes="15.5"), _row(minutes="1e3"),
        _row(minutes="40000"),  # beyond the SMALLINT interval_minutes_std
        _row(received="yesterday"), _row(value="n/a"), _row(value="inf"), _row(value="1e20"), _row(value=""),
        _row(unit="BTU"), _row(unit=""), _row(local="2026-13-01T00:15:00"), _row(local=""),
        _row(sp="", value="n/a"), _row(value="n/a", unit="BTU"),
        # spring-forward: 02:30 does not exist locally (no offset to settle it)
        _row(sp="SPG", local="2026-03-08T02:30:00", offset=""), _row(sp="SPG", local="2026-03-08T03:15:00", offset=""),
        # fall-back without offsets: first 01:30 is daylight time, the second standard, a third a re-send
        *[_row(sp="SPF", local="2026-11-01T01:30:00", offset="", value=v) for v in ("1.0", "2.0", "3.0")],
        # ... and with offsets, in any order; a malformed offset falls back to the order rule
        _row(sp="SPO", local="2026-11-01T01:30:00", offset="-06:00"), _row(sp="SPO", local="2026-11-01T01:30:00",
                                                                            offset="-05:00"),
        _row(sp="SPO", local="2026-11-01T01:45:00", offset="+5"), _row(sp="SPO", local="2026-11-01T01:45:00",
                                                                        offset="Z"),
        # ids, units and channels as people type them
        _row(sp=" sp2 ", unit="kwh"), _row(sp="SP2", unit=" KWH ", local="2026-03-02T00:30:00"),
        _row(unit="WH", value="1500", local="2026-03-02T00:45:00"), _row(unit="therms", value="1,5"),
        _row(unit="GAL", value="748", channel="3"),
        # negative reads: repaired on the delivered channel (stripped '1'), kept on a received channel
        _row(sp="SPN", value="-0.4"), _row(sp="SPN", value="-0.4", channel="2"),
        _row(sp="SPN", value="-0.4", channel=" 1\u00a0", local="2026-03-02T00:30:00"),
        # quality codes of estimated reads
        _row(sp="SPQ", quality="E"), _row(sp="SPQ", quality="est", local="2026-03-02T00:30:00"),
        _row(sp="SPQ", quality="9", local="2026-03-02T00:45:00"),
        _row(sp="SPQ", quality="", local="2026-03-02T01:00:00"),
        # exact re-sends fold; a later row with the same key and another value is quarantined
        _row(sp="SPD"), _row(sp="SPD"), _row(sp="SPD", value="0.7"), _row(sp="SPD", value="0.7"),
        _row(sp="SPD", local="2026-03-02T00:30:00", minutes=""),
    ]
    # a meter-day stamped with interval starts (00:00 .. 23:45) is shifted to ends
    starts = _day("SPS", "2026-03-02", "-06:00")
    rows += [r.replace("2026-03-03T00:00:00", "2026-03-02T00:00:00") for r in starts]
    # a meter-day delivered in Wh while labelled kWh (median above 50 kWh per 15 minutes), one value unreadable
    rows += _day("SPW", "2026-03-04", "-06:00", value="812.25")[:-1] + [_row(sp="SPW", local="2026-03-05T00:00:00",
                                                                               value="x")]
    rows += _day("SPW", "2026-03-05", "-06:00", value="12.5", unit="kWh")
    # an hourly gas meter-day (the start-of-interval test reads each row's own minutes)
    rows += [_row(sp="SPH", local=f"2026-03-06T{h:02d}:00:00", minutes="60", unit="CCF") for h in range(24)]
    return rows


@pytest.mark.parametrize("streamed", [False, True], ids=["in_memory", "streamed"])
def test_every_rule_and_edge_case_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool) -> None:
    path = tmp_path / "in" / "mdm" / "mdm_interval_20260302.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([HEADER, *_edge_rows(), "SPX,E9,1"]) + "\n", encoding="utf-8")  # last: too few fields
    if streamed:
        force_streaming(monkeypatch, chunk_rows=7)
    results = []

    def load(engine: Engine) -> None:
        results.append(load_file(engine, path))

    got, expected = _both_ways(tmp_path, monkeypatch, load)
    in_sql, in_pandas = results
    assert in_sql.status == in_pandas.status == "loaded", in_sql.message
    assert (in_sql.rows_loaded, in_sql.rows_quarantined, in_sql.rows_merged, in_sql.quarantined_by_reason) == \
        (in_pandas.rows_loaded, in_pandas.rows_quarantined, in_pandas.rows_merged, in_pandas.quarantined_by_reason)
    reasons = in_sql.quarantined_by_reason
    for code in ("missing_key", "invalid_number", "invalid_timestamp", "unknown_unit", "nonexistent_local_time",
                 "conflicting_duplicate", "wrong_field_count"):
        assert reasons.get(code), (code, reasons)
    assert in_sql.rows_merged >= 2
    repairs = " ".join(r for r in got["cln_mdm_interval"])
    for repair in ("start_of_interval", "wh_as_kwh", "negative_delivered"):
        assert repair in repairs
    for table in expected:
        assert got[table] == expected[table], table


@pytest.mark.parametrize("in_sql", [True, False], ids=["sql", "pandas"])
def test_a_failing_batch_reports_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_sql: bool) -> None:
    """A batch whose insert fails (nothing kept) reports the insert's error, not DuckDB's later "Current
    transaction is aborted" from cleaning up a registered frame. The cleanse quarantines an interval length
    beyond the warehouse's SMALLINT; with that range check taken away, such a value reaches the insert."""
    path = tmp_path / "in" / "mdm" / "mdm_interval_20260302.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([HEADER, _row(minutes="40000")]) + "\n", encoding="utf-8")
    unchecked = tuple(replace(r, limit=10**9) if r.kind == "int" else r for r in feeds.SPECS["mdm_interval"])
    monkeypatch.setitem(feeds.SPECS, "mdm_interval", unchecked)
    if not in_sql:
        monkeypatch.setattr(staged, "SQL_CLEANSE", {})
    engine = _engine(tmp_path / "w.duckdb")
    result = load_file(engine, path)
    assert result.status == "failed"
    assert "40000" in result.message and "minutes_std" in result.message
    assert "transaction is aborted" not in result.message
    assert all(not rows for table, rows in content(engine).items() if table != "dim_batch")


CUSTOMER_HEADER = ("partner_id|record_action|customer_type|full_name|email|phone|mail_street|mail_unit|mail_city|"
                   "mail_state|mail_zip|birth_date|move_in_date|created_on|changed_on")


def _customer(pid: str = "0000000001", name: str = "SMITH JOHN", email: str = "John.Smith@Mail.com",
              phone: str = "(217) 555-0134", street: str = "123 N Main St", unit: str = "", city: str = "Springfield",
              state: str = "IL", zip_: str = "62701", birth: str = "19800215", move_in: str = "20200101",
              created: str = "20200101", changed: str = "00000000") -> str:
    return "|".join([pid, "I", "P", name, email, phone, street, unit, city, state, zip_, birth, move_in, created,
                     changed])


def _contact(cid: str = "C1", first: str | None = "John", last: str | None = "Smith", email: str | None = "j@x.com",
             phone: str | None = "217-555-0134", street: str | None = "123 North Main Street Apt 4",
             account: str | None = "acct 1001", created: str | None = "2026-03-02T10:00:00Z") -> str:
    import json

    return json.dumps({"contact_id": cid, "first_name": first, "last_name": last, "email": email, "phone": phone,
                       "street": street, "city": "Springfield", "state": "IL", "zip": "62701-1234",
                       "account_text": account, "created_at": created}, ensure_ascii=False)


def _contact_edge_files(root: Path) -> list[Path]:
    customers = [
        _customer(),
        # dates: day-month swapped (repaired), invalid, null, and a move-in swapped against created_on
        _customer(pid="2", birth="19801302", move_in="20261305"), _customer(pid="3", birth="19801332"),
        _customer(pid="4", move_in="20200304", created="20200403"),  # move-in swapped: takes created_on
        _customer(pid="5", move_in=" 20200304 ", created="20200403"),  # the same, padded
        _customer(pid="6", move_in="20200304", created="20200405"),  # no swap explains it: kept
        _customer(pid="7", move_in="20200304", created=""), _customer(pid="8", move_in="", created="20200403"),
        _customer(pid="9", birth="19801302", move_in="20200304", created="20200403", changed="20261302"),
        _customer(pid="10", move_in="2020034", created="2020043"), _customer(pid="21", birth="19801302"),
        # keys: missing, unreadable, padded
        _customer(pid=""), _customer(pid="12a"), _customer(pid=" 13 "),
        # names, contacts and addresses as people type them
        _customer(pid="14", name="ESTATE OF ALICE BROWN", email="none@none.com", phone="000-000-0000"),
        _customer(pid="15", name="ACME WIDGETS LLC", email="billing@acme.example.net", phone="+44 20 7946 0958"),
        _customer(pid="16", name="SMITH JOHN & JANE", email="  José@Exämple.com ", phone="555"),
        _customer(pid="17", name="", email="", phone="", street="", unit="", city="", state="", zip_=""),
        _customer(pid="18", name="O'NEIL MARY-KATE", street="45 Oak Ave Apt 4", unit="#5", zip_="627011234"),
        _customer(pid="19", street="9 Elm Rd Unit 2", unit="", city="springfield", state="il", zip_="6270"),
        _customer(pid="20", street="\u00a07 W Park\u00a0", email="x@y", phone="217.555.0134 x12"),
        _customer(), _customer(),  # exact re-sends fold
    ]
    contacts = [
        _contact(), _contact(cid="C2", first=None, last=None, email=None, phone=None, street=None, account=None),
        _contact(cid="C3", first="  mary ann ", last="O'Neil Jr.", email="MARY@EXAMPLE.ORG", account="1001"),
        _contact(cid="C4", last="", account="acct no. 000000001002 ", created="yesterday"),
        _contact(cid="", first="Nobody"), _contact(cid="C6", first="Zoë", last="Çelik", email="zoë@exämple.com",
                                                   street="12 Rue de l'Église", phone="+33 1 42 68 53 00"),
        _contact(cid="C7", street="1 Industrial Pkwy Ste 200", phone="(217) 555-0100"), _contact(), _contact(),
    ]
    cis = root / "in" / "cis" / "cis_customer_20260302_full.dat"
    crm = root / "in" / "crm" / "crm_contact_20260302.jsonl"
    for path, lines in ((cis, [CUSTOMER_HEADER, *customers]), (crm, contacts)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [cis, crm]


@pytest.mark.parametrize("streamed", [False, True], ids=["in_memory", "streamed"])
def test_contact_feeds_every_rule_and_edge_case_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     streamed: bool) -> None:
    """CIS customers and CRM contacts (names, emails, phones, addresses, date swaps, the move-in repair) cleansed
    in SQL (`rows_sql._contact`) give exactly the pandas cleanse's rows."""
    files = _contact_edge_files(tmp_path)
    if streamed:
        force_streaming(monkeypatch, chunk_rows=4)
    results = []

    def load(engine: Engine) -> None:
        results.append([load_file(engine, f) for f in files])

    assert {"cis_customer", "crm_contact"} <= set(staged.SQL_CLEANSE)
    got, expected = _both_ways(tmp_path, monkeypatch, load)
    for in_sql, in_pandas in zip(*results, strict=True):
        assert in_sql.status == in_pandas.status == "loaded", in_sql.message
        assert (in_sql.rows_loaded, in_sql.rows_quarantined, in_sql.rows_merged, in_sql.quarantined_by_reason) == \
            (in_pandas.rows_loaded, in_pandas.rows_quarantined, in_pandas.rows_merged,
             in_pandas.quarantined_by_reason)
    repairs = " ".join(got["cln_cis_customer"])
    for repaired in ("'birth_date'", "'move_in_date'", "'birth_date,move_in_date'",
                     "'birth_date,move_in_date,changed_on'"):
        assert repaired in repairs, repaired
    for table in expected:
        assert got[table] == expected[table], table
