"""Staging: every delivered row as text, exactly as received, plus its batch and source row number.

`FEEDS` is the contract between the six source systems' deliveries (what `loaders.synth` writes and
`loaders.sources` parses) and the warehouse: one feed per kind of delivery file, one `stg_<feed>` table
per feed (a nested JSON feed may stage to more than one table).

Delivery files are named `<source>/<feed>_<YYYYMMDD>[_<suffix>].<ext>` inside a delivery folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warehouse.schema import Column, Table

SOURCES: tuple[str, ...] = ("cis", "mdm", "crm", "payments", "workorders", "gis")

FileFormat = Literal["pipe", "csv", "jsonl", "espi_xml", "lockbox", "csv_wkt"]


@dataclass(frozen=True)
class Feed:
    """One kind of delivery file from one source system."""

    name: str  # also the staging table's suffix: stg_<name>
    source: str
    format: FileFormat
    extension: str
    columns: tuple[str, ...]  # raw fields, in delivered order
    natural_key: tuple[str, ...]
    doc: str

    @property
    def staging_table(self) -> str:
        return f"stg_{self.name}"


def _feed(name: str, source: str, fmt: FileFormat, ext: str, cols: str, key: str, doc: str) -> Feed:
    return Feed(name, source, fmt, ext, tuple(cols.split()), tuple(key.split()), doc)


FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        # S1 CIS / billing: pipe-delimited with a header row; ids zero-padded (partner 10, contract
        # account 12, premise 10); dates YYYYMMDD with 00000000 for null; record_action I/U/D in deltas.
        _feed("cis_customer", "cis", "pipe", "dat",
              "partner_id record_action customer_type full_name email phone mail_street mail_unit "
              "mail_city mail_state mail_zip birth_date move_in_date created_on changed_on",
              "partner_id", "Business partners (customers); full snapshot on day 1, deltas after."),
        _feed("cis_premise", "cis", "pipe", "dat",
              "premise_id record_action street unit city state zip premise_type created_on",
              "premise_id", "Premises (service addresses)."),
        _feed("cis_account", "cis", "pipe", "dat",
              "contract_account record_action partner_id premise_id account_status tariff_code "
              "bill_cycle open_date close_date",
              "contract_account", "Contract accounts linking a customer to a premise."),
        _feed("cis_service_point", "cis", "pipe", "dat",
              "service_point_id record_action premise_id commodity meter_serial meter_multiplier "
              "meter_unit meter_dials interval_minutes install_date remove_date meter_status",
              "service_point_id meter_serial", "Service points and the meter installed on each."),
        _feed("cis_tariff", "cis", "pipe", "dat",
              "tariff_code commodity description unit_rate fixed_charge effective_date",
              "tariff_code", "Rate codes."),
        _feed("cis_bill", "cis", "pipe", "dat",
              "bill_id contract_account bill_date period_start period_end bill_type original_bill_id "
              "total_amount consumption consumption_unit estimated_flag",
              "bill_id", "Bill headers; bill_type N normal, C cancel, R rebill."),
        _feed("cis_bill_line", "cis", "pipe", "dat",
              "bill_id line_no charge_code description quantity unit rate amount",
              "bill_id line_no", "Bill lines."),
        # S2 MDM / AMI: interval CSV (timestamp = END of interval, local time), register reads, ESPI XML.
        _feed("mdm_interval", "mdm", "csv", "csv",
              "service_point_id meter_serial channel interval_end_local utc_offset interval_minutes value "
              "unit quality_code received_at",
              "service_point_id channel interval_end_local utc_offset",
              "Interval reads (15 min electric, 60 min gas/water); utc_offset (-05:00/-06:00) of the "
              "interval end tells the two fall-back 01:xx hours apart."),
        _feed("mdm_register", "mdm", "csv", "csv",
              "service_point_id meter_serial read_date read_time_local register_value unit dials "
              "multiplier read_type",
              "service_point_id meter_serial read_date", "Daily register (cumulative) reads."),
        _feed("mdm_espi", "mdm", "espi_xml", "xml",
              "service_point_id uom power_of_ten_multiplier interval_start_epoch duration_seconds value "
              "quality",
              "service_point_id interval_start_epoch", "Green Button ESPI IntervalReadings (UTC epoch starts)."),
        # S3 CRM / contact centre / web: JSON lines; the CIS account is typed free-form.
        _feed("crm_contact", "crm", "jsonl", "jsonl",
              "contact_id first_name last_name email phone account_text street city state zip "
              "created_at channel",
              "contact_id", "CRM contacts and web sign-ups."),
        _feed("crm_case", "crm", "jsonl", "jsonl",
              "case_id contact_id account_text case_type status opened_at closed_at",
              "case_id", "Service cases."),
        _feed("crm_interaction", "crm", "jsonl", "jsonl",
              "interaction_id contact_id case_id account_text channel started_at duration_seconds reason",
              "interaction_id", "Calls, chats, emails and portal sessions."),
        # S4 Payments: lockbox fixed-width (1 header, 5 batch header, 6 detail, 7 batch total, 9 trailer)
        # staged one row per line; processor CSV with returns.
        _feed("payments_lockbox", "payments", "lockbox", "txt",
              "record_type bank_id lockbox_no batch_no item_seq account_number amount_cents check_number "
              "deposit_date record_count total_amount_cents raw_line",
              "batch_no item_seq", "Bank lockbox remittance file, one staged row per record."),
        _feed("payments_card", "payments", "csv", "csv",
              "transaction_id account_number amount currency paid_at method status return_code "
              "original_transaction_id",
              "transaction_id", "Card/ACH processor settlements and returns."),
        # S5 Work & outage management: JSON lines; outages carry their customer interruptions nested.
        _feed("workorders_order", "workorders", "jsonl", "jsonl",
              "order_no order_type status service_point_id premise_id meter_serial created_at "
              "scheduled_date completed_at crew",
              "order_no", "Service orders."),
        _feed("workorders_outage", "workorders", "jsonl", "jsonl",
              "outage_id feeder_id transformer_id cause started_at restored_at customers_affected",
              "outage_id", "Outage events; each line nests its interruptions."),
        _feed("workorders_interruption", "workorders", "jsonl", "jsonl",
              "outage_id service_point_id premise_id transformer_id interrupted_at restored_at",
              "outage_id service_point_id", "Customer interruptions, flattened from the outage file."),
        # S6 GIS: CSV with WKT point geometry; monthly full export.
        _feed("gis_premise", "gis", "csv_wkt", "csv",
              "gis_facility_id premise_id street unit city state zip transformer_id feeder_id geometry_wkt",
              "gis_facility_id", "Premises as mapped in GIS."),
        _feed("gis_service_point", "gis", "csv_wkt", "csv",
              "gis_facility_id service_point_id premise_id transformer_id feeder_id geometry_wkt",
              "gis_facility_id", "Service points as mapped in GIS."),
    )
}

_CONTROL = (
    Column("batch_id", "bigint", nullable=False, doc="dim_batch.batch_id of the delivery"),
    Column("source_row_number", "bigint", nullable=False, doc="1-based record number in the file"),
)


def _staging_table(feed: Feed) -> Table:
    return Table(
        name=feed.staging_table,
        kind="staging",
        columns=_CONTROL + tuple(Column(c, "text") for c in feed.columns),
        primary_key=("batch_id", "source_row_number"),
        distribution="ROUND_ROBIN",
        heap=True,  # staging is written once and scanned: HEAP loads fastest on Synapse
        doc=feed.doc,
    )


QUARANTINE = Table(
    name="quarantine",
    kind="staging",
    columns=(
        Column("batch_id", "bigint", nullable=False),
        Column("feed", "str", nullable=False, length=64),
        Column("source_row_number", "bigint", nullable=False),
        Column("reason_code", "str", nullable=False, length=64),
        Column("column_name", "str", length=128),
        Column("detail", "str", length=1000),
        Column("raw_record", "text", doc="the row as delivered, JSON object of its text fields"),
        Column("quarantined_at", "timestamp", nullable=False),
    ),
    primary_key=("batch_id", "feed", "source_row_number"),
    distribution="ROUND_ROBIN",
    heap=True,
    doc="Rows that could not be repaired, each with a reason code and the original text.",
)

TABLES: tuple[Table, ...] = tuple(_staging_table(f) for f in FEEDS.values()) + (QUARANTINE,)
