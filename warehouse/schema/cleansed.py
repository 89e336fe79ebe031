"""Cleansed: one typed `cln_<feed>` table per staging feed, standardised `*_std` columns beside the raw text.

A cleansed row keeps every raw field exactly as staged (so nothing is ever overwritten) and adds typed,
standardised columns produced by `loaders.cleanse`. Rows that could not be repaired are in `quarantine`
instead; exact duplicates folded within a batch are counted in `dim_batch.rows_merged`.

`match_record` is the customer-matching input (every CIS customer and CRM/web contact in one standardised
shape), `match_pair` the pairs the latest run linked, with rule and score, and `match_run` the high-water
batch each run saw (so a load interrupted between its batches and its match re-matches on the next run).
"""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.schema.staging import FEEDS

C = Column


def _cols(spec: str) -> tuple[Column, ...]:
    """`name:type[:length]` words -> columns; `str` needs a length, `decimal` uses (18,4)."""
    out = []
    for word in spec.split():
        name, typ, *rest = word.split(":")
        out.append(C(name, typ, length=int(rest[0]) if rest else None))  # type: ignore[arg-type]
    return tuple(out)


_CUSTOMER = (
    "first_name_std:str:100 last_name_std:str:100 second_person_std:str:200 organisation_std:str:200 "
    "name_kind:str:16 email_std:str:254 email_status:str:16 phone_e164:str:20 phone_status:str:16 "
)
_ADDRESS = "address_std:str:300 unit_std:str:20 city_std:str:100 state_std:str:2 zip5:str:5 zip4:str:4 "

# Standardised columns per feed (beside the feed's raw text columns).
STD: dict[str, str] = {
    "cis_customer": "partner_id_std:str:10 " + _CUSTOMER + _ADDRESS.replace("address_std", "mail_address_std")
    + "birth_date_std:date move_in_date_std:date created_on_std:date changed_on_std:date date_repairs:str:100",
    "cis_premise": "premise_id_std:str:10 " + _ADDRESS + "created_on_std:date",
    "cis_account": "contract_account_std:str:12 partner_id_std:str:10 premise_id_std:str:10 "
                   "open_date_std:date close_date_std:date",
    "cis_service_point": "service_point_id_std:str:32 premise_id_std:str:10 meter_serial_std:str:32 "
                         "commodity_std:str:16 multiplier_std:decimal dials_std:smallint "
                         "interval_minutes_std:smallint unit_std:str:16 install_date_std:date remove_date_std:date",
    "cis_tariff": "tariff_code_std:str:16 unit_rate_std:decimal fixed_charge_std:decimal effective_date_std:date",
    "cis_bill": "bill_id_std:str:20 contract_account_std:str:12 bill_date_std:date period_start_std:date "
                "period_end_std:date total_amount_std:decimal consumption_std:decimal unit_std:str:16 "
                "is_estimated:bool",
    "cis_bill_line": "bill_id_std:str:20 line_no_std:int quantity_std:decimal unit_std:str:16 amount_std:decimal",
    "mdm_interval": "service_point_id_std:str:32 interval_end_utc:timestamp interval_minutes_std:smallint "
                    "value_std:decimal unit_std:str:16 is_estimated:bool received_at_utc:timestamp repairs:str:64",
    "mdm_register": "service_point_id_std:str:32 read_date_std:date register_value_std:decimal unit_std:str:16 "
                    "dials_std:smallint multiplier_std:decimal",
    "mdm_espi": "service_point_id_std:str:32 interval_end_utc:timestamp duration_seconds_std:int "
                "value_std:decimal unit_std:str:16",
    "crm_contact": "account_number_std:str:12 " + _CUSTOMER + _ADDRESS + "created_at_utc:timestamp",
    "crm_case": "account_number_std:str:12 opened_at_utc:timestamp closed_at_utc:timestamp",
    "crm_interaction": "account_number_std:str:12 started_at_utc:timestamp duration_seconds_std:int",
    "payments_lockbox": "account_number_std:str:12 amount_std:decimal deposit_date_std:date",
    "payments_card": "account_number_std:str:12 amount_std:decimal paid_at_utc:timestamp",
    "workorders_order": "service_point_id_std:str:32 premise_id_std:str:10 created_at_utc:timestamp "
                        "completed_at_utc:timestamp",
    "workorders_outage": "started_at_utc:timestamp restored_at_utc:timestamp customers_affected_std:int",
    "workorders_interruption": "service_point_id_std:str:32 premise_id_std:str:10 "
                               "interrupted_at_utc:timestamp restored_at_utc:timestamp",
    "gis_premise": "premise_id_std:str:10 " + _ADDRESS + "latitude:double longitude:double coord_status:str:16",
    "gis_service_point": "service_point_id_std:str:32 premise_id_std:str:10 latitude:double longitude:double "
                         "coord_status:str:16",
}


def _cleansed_table(feed_name: str) -> Table:
    feed = FEEDS[feed_name]
    return Table(
        name=f"cln_{feed_name}",
        kind="staging",
        columns=(
            C("batch_id", "bigint", nullable=False),
            C("source_row_number", "bigint", nullable=False),
        ) + tuple(C(c, "text") for c in feed.columns) + _cols(STD[feed_name]),
        primary_key=("batch_id", "source_row_number"),
        distribution="ROUND_ROBIN",
        heap=True,
        doc=f"{feed.doc} Cleansed: raw text plus standardised columns.",
    )


MATCH_RECORD = Table(
    "match_record", "staging",
    (
        C("source", "str", nullable=False, length=16),
        C("source_key", "str", nullable=False, length=64),
        C("account_number_std", "str", length=12),
        C("first_name_std", "str", length=100),
        C("last_name_std", "str", length=100),
        C("organisation_std", "str", length=200),
        C("email_std", "str", length=254),
        C("phone_e164", "str", length=20),
        C("address_key", "str", length=300),
        C("zip5", "str", length=5),
        C("batch_id", "bigint"),
    ),
    primary_key=("source", "source_key"), distribution="ROUND_ROBIN",
    doc="Latest standardised identity of every customer-bearing source record (matching input).",
)

MATCH_PAIR = Table(
    "match_pair", "staging",
    (
        C("source_a", "str", nullable=False, length=16),
        C("key_a", "str", nullable=False, length=64),
        C("source_b", "str", nullable=False, length=16),
        C("key_b", "str", nullable=False, length=64),
        C("match_rule", "str", nullable=False, length=64),
        C("match_score", "double"),
    ),
    primary_key=("source_a", "key_a", "source_b", "key_b"), distribution="ROUND_ROBIN",
    doc="Record pairs linked by the latest match run, with the first rule that linked them.",
)

MATCH_RUN = Table(
    "match_run", "staging",
    (
        C("high_water_batch_id", "bigint", nullable=False, doc="the newest customer-bearing batch it saw"),
        C("matched_at", "timestamp", nullable=False),
        C("records", "int"),
        C("golden_customers", "int"),
        C("xref_changes", "int"),
    ),
    primary_key=("high_water_batch_id",), distribution="ROUND_ROBIN",
    doc="One row per match run that saw new customer data; a load re-matches when a newer batch exists.",
)

TABLES: tuple[Table, ...] = tuple(_cleansed_table(f) for f in FEEDS) + (MATCH_RECORD, MATCH_PAIR, MATCH_RUN)
