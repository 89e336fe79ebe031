"""A small hand-made delivery set covering all six sources and the common defects (until the generator lands)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DAY = "20260105"

CIS = {
    "cis_tariff": ["tariff_code|commodity|description|unit_rate|fixed_charge|effective_date",
                   "RES-E|ELECTRIC|Residential electric|0.142100|12.50|20250101",
                   "RES-G|GAS|Residential gas|1.050000|9.00|20250101"],
    "cis_premise": ["premise_id|record_action|street|unit|city|state|zip|premise_type|created_on",
                    "0000000101|I|123 North Main Street|Apt 4|Springfield|IL|62701-1234|RES|20200101",
                    "0000000102|I|45 Oak Avenue||Springfield|IL|62702|RES|20200101",
                    "103|I|9 Elm Road||Springfield|IL|62703|RES|20200101"],
    "cis_customer": [
        "partner_id|record_action|customer_type|full_name|email|phone|mail_street|mail_unit|mail_city|mail_state|"
        "mail_zip|birth_date|move_in_date|created_on|changed_on",
        "0000000001|I|P|SMITH JOHN|John.Smith@Mail.com|(217) 555-0134|123 N Main St|#4|Springfield|IL|62701|"
        "19800215|20200101|20200101|00000000",
        "0000000002|I|P|DOE JANE|jane.doe@mail.com|217-555-0199|45 Oak Ave||Springfield|IL|62702|19751231|"
        "20200101|20200101|00000000",
        "0000000003|I|P|SMITH JOHN|jsmith@work.com|2175550134|123 NORTH MAIN STREET|APT 4|Springfield|IL|62701|"
        "19800215|20230601|20230601|00000000",
        "0000000004|I|P|ESTATE OF ALICE BROWN|none@none.com|000-000-0000|9 Elm Rd||Springfield|IL|62703|"
        "00000000|20200101|20200101|00000000",
        "5|I|O|ACME WIDGETS LLC|billing@acme.example.net|217 555 0100|1 Industrial Pkwy||Springfield|IL|62704|"
        "00000000|20261305|20200101|00000000",
        "0000000006|I|P|GREEN TOM|tom@green.net|2175550111|7 Pine Ct||Springfield|IL|62705|20261332|20200101|"
        "20200101|00000000",
    ],
    "cis_account": ["contract_account|record_action|partner_id|premise_id|account_status|tariff_code|bill_cycle|"
                    "open_date|close_date",
                    "000000001001|I|0000000001|0000000101|ACTIVE|RES-E|01|20200101|00000000",
                    "000000001002|I|0000000002|0000000102|ACTIVE|RES-E|01|20200101|00000000",
                    "1003|I|3|0000000101|ACTIVE|RES-G|02|20230601|00000000"],
    "cis_service_point": ["service_point_id|record_action|premise_id|commodity|meter_serial|meter_multiplier|"
                          "meter_unit|meter_dials|interval_minutes|install_date|remove_date|meter_status",
                          "SP0001|I|0000000101|ELECTRIC|M0001|1|KWH|5|15|20200101|00000000|ACTIVE",
                          "SP0002|I|0000000102|GAS|G0002|1|CCF|4|60|20200101|00000000|ACTIVE"],
    "cis_bill": ["bill_id|contract_account|bill_date|period_start|period_end|bill_type|original_bill_id|"
                 "total_amount|consumption|consumption_unit|estimated_flag",
                 "B0001|000000001001|20260104|20251201|20251231|N||98.40|612.5|KWH|N",
                 "B0002|1002|20260104|20251201|20251231|N||45.10|25000|WH|Y"],
    "cis_bill_line": ["bill_id|line_no|charge_code|description|quantity|unit|rate|amount",
                      "B0001|1|ENERGY|Energy charge|612.5|KWH|0.1421|87.04",
                      "B0001|2|FIXED|Customer charge|1||12.50|12.50",
                      "B0002|1|ENERGY|Energy charge|25000|WH|0.1421|3.55",
                      "B0002|2|FIXED|Customer charge|1||12.50|twelve"],
}

MDM_INTERVAL = ["service_point_id,meter_serial,channel,interval_end_local,utc_offset,interval_minutes,value,unit,"
                "quality_code,"
                "received_at",
                "SP0001,M0001,1,2026-01-05T00:15:00,-06:00,15,0.25,KWH,0,2026-01-06T02:00:00Z",
                "SP0001,M0001,1,2026-01-05T00:30:00,-06:00,15,250,WH,0,2026-01-06T02:00:00Z",
                "SP0001,M0001,1,2026-01-05T00:30:00,-06:00,15,250,WH,0,2026-01-06T02:00:00Z",
                "SP0001,M0001,1,2026-01-05T00:45:00,-06:00,15,0.31,KWH,9,2026-01-06T02:00:00Z",
                "SP0001,M0001,1,2026-01-05T01:00:00,-06:00,15,abc,KWH,0,2026-01-06T02:00:00Z",
                "SP0001,M0001,1,2026-01-05T01:15:00,-06:00,15,0.2,BTU,0,2026-01-06T02:00:00Z"]


def write_delivery(root: Path, day: str = DAY) -> Path:
    """Write one delivery day of every feed under root/<source>/ and return root."""
    for feed, lines in CIS.items():
        _write(root / "cis" / f"{feed}_{day}.dat", lines)
    _write(root / "mdm" / f"mdm_interval_{day}.csv", MDM_INTERVAL)
    _write(root / "mdm" / f"mdm_register_{day}.csv", [
        "service_point_id,meter_serial,read_date,read_time_local,register_value,unit,dials,multiplier,read_type",
        "SP0001,M0001,20260105,23:59:00,12345.6,KWH,5,1,ACTUAL"])
    (root / "mdm" / f"mdm_espi_{day}.xml").write_text(ESPI, encoding="utf-8")
    _jsonl(root / "crm" / f"crm_contact_{day}.jsonl", [
        dict(contact_id="C-001", first_name="John", last_name="Smith", email="john.smith@mail.com",
             phone="+1 217 555 0134", account_text="0000-0000-1001", street="123 N. Main St.", city="Springfield",
             state="IL", zip="62701", created_at="2026-01-05T09:00:00Z", channel="phone"),
        dict(contact_id="C-002", first_name="Jane", last_name="Doe", email="JANE.DOE@mail.com", phone=None,
             account_text=None, street="45 Oak Avenue", city="Springfield", state="IL", zip="62702",
             created_at="2026-01-05T09:10:00-06:00", channel="web"),
        dict(contact_id="C-003", first_name="Pat", last_name="Quinn", email="pat@quinn.org", phone="2175550177",
             account_text="n/a", street="1 Lake Dr", city="Springfield", state="IL", zip="62706",
             created_at="2026-01-05 10:00:00", channel="web"),
    ], broken='{"contact_id": "C-004", "first_name": ')
    _jsonl(root / "crm" / f"crm_case_{day}.jsonl", [
        dict(case_id="K-1", contact_id="C-001", account_text="1001", case_type="billing", status="open",
             opened_at="2026-01-05T09:01:00Z", closed_at=None)])
    _jsonl(root / "crm" / f"crm_interaction_{day}.jsonl", [
        dict(interaction_id="I-1", contact_id="C-001", case_id="K-1", account_text="000000001001", channel="phone",
             started_at="2026-01-05T09:00:00Z", duration_seconds=240, reason="high bill"),
        dict(interaction_id="I-2", contact_id="C-003", case_id=None, account_text=None, channel="chat",
             started_at="2026-01-05T10:00:00Z", duration_seconds=60, reason="move in")])
    _write(root / "payments" / f"payments_lockbox_{day}.txt", lockbox([("000000001001", 9840), ("1002", 4510)]))
    _write(root / "payments" / f"payments_card_{day}.csv", [
        "transaction_id,account_number,amount,currency,paid_at,method,status,return_code,original_transaction_id",
        "T-1,000000001001,98.40,USD,2026-01-05T12:00:00Z,card,SETTLED,,",
        "T-2,000000009999,10.00,USD,2026-01-05T12:05:00Z,ach,SETTLED,,",
        "T-3,000000001002,45.10,USD,2026-01-05T12:10:00Z,ach,RETURNED,R01,T-0"])
    _jsonl(root / "workorders" / f"workorders_order_{day}.jsonl", [
        dict(order_no="WO-1", order_type="METER_EXCHANGE", status="COMPLETED", service_point_id="SP0001",
             premise_id="101", meter_serial="M0001", created_at="2026-01-05T08:00:00", scheduled_date="20260105",
             completed_at="2026-01-05T11:30:00", crew="C7")])
    _jsonl(root / "workorders" / f"workorders_outage_{day}.jsonl", [
        dict(outage_id="O-1", feeder_id="F1", transformer_id="T1", cause="storm", started_at="2026-01-05T03:00:00Z",
             restored_at="2026-01-05T05:00:00Z", customers_affected=2, interruptions=[
                 dict(service_point_id="SP0001", premise_id="0000000101", interrupted_at="2026-01-05T03:00:00Z",
                      restored_at="2026-01-05T05:00:00Z"),
                 dict(service_point_id="SP0002", premise_id="0000000102", interrupted_at="2026-01-05T03:05:00Z",
                      restored_at=None)])])
    _write(root / "gis" / f"gis_premise_{day}.csv", [
        "gis_facility_id,premise_id,street,unit,city,state,zip,transformer_id,feeder_id,geometry_wkt",
        'GP-1,0000000101,123 N MAIN ST,4,Springfield,IL,62701,T1,F1,"POINT (-89.65 39.78)"',
        'GP-2,102,45 OAK AVE,,Springfield,IL,62702,T1,F1,"POINT (39.79 -89.66)"',
        'GP-3,0000000199,77 Ghost Ln,,Springfield,IL,62709,T2,F1,"POINT (0 0)"'])
    _write(root / "gis" / f"gis_service_point_{day}.csv", [
        "gis_facility_id,service_point_id,premise_id,transformer_id,feeder_id,geometry_wkt",
        'GS-1,SP0001,0000000101,T1,F1,"POINT (-89.65 39.78)"',
        'GS-2,SP0002,0000000102,T1,F1,"POINT (-89.66 39.79)"'])
    return root


ESPI = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
  <entry><title>SP0001</title><content><espi:UsagePoint><espi:ServiceCategory><espi:kind>0</espi:kind>
  </espi:ServiceCategory></espi:UsagePoint></content></entry>
  <entry><content><espi:ReadingType><espi:uom>72</espi:uom><espi:powerOfTenMultiplier>0</espi:powerOfTenMultiplier>
  </espi:ReadingType></content></entry>
  <entry><content><espi:IntervalBlock>
    <espi:IntervalReading><espi:timePeriod><espi:duration>900</espi:duration><espi:start>1767589200</espi:start>
    </espi:timePeriod><espi:value>250</espi:value></espi:IntervalReading>
    <espi:IntervalReading><espi:timePeriod><espi:duration>900</espi:duration><espi:start>1767590100</espi:start>
    </espi:timePeriod><espi:value>310</espi:value><espi:ReadingQuality><espi:quality>8</espi:quality>
    </espi:ReadingQuality></espi:IntervalReading>
  </espi:IntervalBlock></content></entry>
</feed>
"""


def lockbox(items: list[tuple[str, int]], batch_total: int | None = None,
            trailer_count: int | None = None) -> list[str]:
    """A lockbox file (the bank's layout, see loaders.sources.payments) with one batch of `items`
    (account, cents); totals correct unless overridden."""
    total = sum(c for _, c in items)
    head = "1" + "071000013" + "0045120"
    lines = [head + DAY, "5071000013" + "0045120" + "00001" + DAY]
    for i, (acct, cents) in enumerate(items, 1):
        lines.append("6071000013" + "0045120" + "00001" + f"{i:05d}" + f"{acct:<20}" + f"{cents:012d}"
                     + f"{1000 + i:010d}" + DAY)
    lines.append("7071000013" + "0045120" + "00001" + f"{len(items):06d}"
                 + f"{batch_total if batch_total is not None else total:014d}")
    count = trailer_count if trailer_count is not None else len(lines) + 1
    lines.append("9071000013" + "0045120" + f"{count:08d}" + f"{total:016d}")
    return [ln.ljust(80) for ln in lines]


def _write(path: Path, lines: list[str], newline: str = "\n", encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def _jsonl(path: Path, objs: list[dict], broken: str | None = None) -> Path:
    lines = [json.dumps(o) for o in objs] + ([broken] if broken else [])
    return _write(path, lines)


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    return write_delivery(tmp_path / "out")


@pytest.fixture
def migrated(warehouse):  # noqa: ANN001, ANN201
    from warehouse.migrate import migrate

    migrate(warehouse)
    return warehouse


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(engine, delivery dir): the hand-made delivery loaded once per module and backend, for read-only tests."""
    import uuid

    from loaders.run import load_directory
    from warehouse.engine import create_engine
    from warehouse.migrate import migrate

    root = tmp_path_factory.mktemp("loaded")
    out = write_delivery(root / "out")
    schema = None
    if request.param == "duckdb":
        engine = create_engine(f"duckdb:///{root / 'w.duckdb'}")
    else:
        admin = request.getfixturevalue("pg_admin")
        schema = f"uf_test_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        engine = create_engine(admin.url, schema=schema)
    migrate(engine)
    summary = load_directory(engine, out)
    yield engine, out, summary
    engine.dispose()
    if schema:
        with request.getfixturevalue("pg_admin").begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
