"""The conformed Kimball star: SCD2 dimensions keyed by surrogate keys, facts at their natural grain.

Customer is the golden (matched) customer: `golden_customer_id` is stable across runs and
`customer_xref` records which source records it was built from, with merges and splits as history.
"""

from __future__ import annotations

from warehouse.schema import Column, Table

C = Column


def _scd2(*cols: Column) -> tuple[Column, ...]:
    """SCD2 housekeeping columns: a row hash to detect change, validity interval and current flag."""
    return cols + (
        C("row_hash", "str", nullable=False, length=64, doc="sha256 of the tracked attributes"),
        C("effective_from", "timestamp", nullable=False),
        C("effective_to", "timestamp", doc="NULL while current"),
        C("is_current", "bool", nullable=False),
        C("is_inferred", "bool", nullable=False, default="FALSE",
          doc="late-arriving member created from a fact before its dimension row arrived"),
        C("batch_id", "bigint", doc="batch that created this version"),
    )


DIM_DATE = Table(
    "dim_date", "dimension",
    (
        C("date_key", "int", nullable=False, doc="YYYYMMDD"),
        C("full_date", "date", nullable=False),
        C("year", "smallint", nullable=False),
        C("quarter", "smallint", nullable=False),
        C("month", "smallint", nullable=False),
        C("month_name", "str", nullable=False, length=12),
        C("year_month", "str", nullable=False, length=7, doc="YYYY-MM"),
        C("day_of_month", "smallint", nullable=False),
        C("day_of_week", "smallint", nullable=False, doc="ISO: 1 Monday .. 7 Sunday"),
        C("day_name", "str", nullable=False, length=12),
        C("is_weekend", "bool", nullable=False),
    ),
    primary_key=("date_key",), distribution="REPLICATE",
    doc="Calendar, one row per day; filled by `utilityflow init` for 2000-2040.",
)

DIM_CUSTOMER = Table(
    "dim_customer", "dimension",
    _scd2(
        C("customer_sk", "bigint", nullable=False, identity=True),
        C("golden_customer_id", "str", nullable=False, length=32),
        C("customer_type", "str", length=16, doc="person | organisation | estate | placeholder"),
        C("display_name", "str", length=200),
        C("first_name_std", "str", length=100),
        C("last_name_std", "str", length=100),
        C("organisation_std", "str", length=200),
        C("email_std", "str", length=254),
        C("phone_e164", "str", length=20),
        C("address_std", "str", length=300),
        C("zip5", "str", length=5),
        C("has_valid_email", "bool"),
        C("has_valid_phone", "bool"),
        C("has_standard_address", "bool"),
        C("source_record_count", "int"),
    ),
    primary_key=("customer_sk",), distribution="REPLICATE",
    doc="Golden customer, SCD2.",
)

CUSTOMER_XREF = Table(
    "customer_xref", "bridge",
    (
        C("source", "str", nullable=False, length=16),
        C("source_key", "str", nullable=False, length=64),
        C("golden_customer_id", "str", nullable=False, length=32),
        C("match_rule", "str", length=64, doc="account_number | email_last_name | phone_last_name | "
                                                "address_name | probabilistic | seed"),
        C("match_score", "double"),
        C("valid_from", "timestamp", nullable=False),
        C("valid_to", "timestamp"),
        C("is_current", "bool", nullable=False),
        C("batch_id", "bigint"),
    ),
    primary_key=("source", "source_key", "valid_from"), distribution="HASH", hash_column="source_key",
    doc="Source record -> golden customer, with history of merges and splits.",
)

DIM_ACCOUNT = Table(
    "dim_account", "dimension",
    _scd2(
        C("account_sk", "bigint", nullable=False, identity=True),
        C("account_number", "str", nullable=False, length=12),
        C("golden_customer_id", "str", length=32),
        C("partner_id", "str", length=10),
        C("premise_id", "str", length=10),
        C("account_status", "str", length=16),
        C("tariff_code", "str", length=16),
        C("bill_cycle", "str", length=4),
        C("open_date", "date"),
        C("close_date", "date"),
    ),
    primary_key=("account_sk",), distribution="REPLICATE",
)

DIM_PREMISE = Table(
    "dim_premise", "dimension",
    _scd2(
        C("premise_sk", "bigint", nullable=False, identity=True),
        C("premise_id", "str", nullable=False, length=10),
        C("gis_facility_id", "str", length=32),
        C("address_std", "str", length=300),
        C("unit_std", "str", length=20),
        C("city", "str", length=100),
        C("state", "str", length=2),
        C("zip5", "str", length=5),
        C("zip4", "str", length=4),
        C("premise_type", "str", length=32),
        C("latitude", "double"),
        C("longitude", "double"),
        C("transformer_id", "str", length=32),
        C("feeder_id", "str", length=32),
        C("in_cis", "bool"),
        C("in_gis", "bool"),
    ),
    primary_key=("premise_sk",), distribution="REPLICATE",
)

DIM_SERVICE_POINT = Table(
    "dim_service_point", "dimension",
    _scd2(
        C("service_point_sk", "bigint", nullable=False, identity=True),
        C("service_point_id", "str", nullable=False, length=32),
        C("premise_id", "str", length=10),
        C("commodity", "str", length=16, doc="electric | gas | water"),
        C("transformer_id", "str", length=32),
        C("feeder_id", "str", length=32),
        C("latitude", "double"),
        C("longitude", "double"),
    ),
    primary_key=("service_point_sk",), distribution="REPLICATE",
)

DIM_METER = Table(
    "dim_meter", "dimension",
    _scd2(
        C("meter_sk", "bigint", nullable=False, identity=True),
        C("meter_serial", "str", nullable=False, length=32),
        C("service_point_id", "str", length=32),
        C("commodity", "str", length=16),
        C("unit", "str", length=16, doc="kWh | CCF | therm | gal"),
        C("multiplier", "decimal", precision=12, scale=4),
        C("dials", "smallint"),
        C("interval_minutes", "smallint"),
        C("install_date", "date"),
        C("remove_date", "date"),
        C("meter_status", "str", length=16),
    ),
    primary_key=("meter_sk",), distribution="REPLICATE",
)

DIM_TARIFF = Table(
    "dim_tariff", "dimension",
    (
        C("tariff_sk", "bigint", nullable=False, identity=True),
        C("tariff_code", "str", nullable=False, length=16),
        C("commodity", "str", length=16),
        C("description", "str", length=200),
        C("unit_rate", "decimal", precision=12, scale=6),
        C("fixed_charge", "decimal", precision=12, scale=2),
        C("effective_date", "date"),
        C("row_hash", "str", nullable=False, length=64),
        C("batch_id", "bigint"),
    ),
    primary_key=("tariff_sk",), distribution="REPLICATE",
)

FACT_BILLING_LINE = Table(
    "fact_billing_line", "fact",
    (
        C("bill_id", "str", nullable=False, length=20),
        C("line_no", "int", nullable=False),
        C("account_sk", "bigint"),
        C("customer_sk", "bigint"),
        C("premise_sk", "bigint"),
        C("tariff_sk", "bigint"),
        C("bill_date_key", "int"),
        C("period_start_key", "int"),
        C("period_end_key", "int"),
        C("bill_type", "str", length=8, doc="normal | cancel | rebill"),
        C("charge_code", "str", length=16),
        C("quantity", "decimal", precision=18, scale=4),
        C("unit", "str", length=16),
        C("amount", "decimal", precision=18, scale=2),
        C("is_estimated", "bool"),
        C("batch_id", "bigint", nullable=False),
    ),
    primary_key=("bill_id", "line_no"), distribution="HASH", hash_column="account_sk",
)

FACT_DAILY_USAGE = Table(
    "fact_daily_usage", "fact",
    (
        C("service_point_sk", "bigint"),
        C("meter_sk", "bigint"),
        C("service_point_id", "str", nullable=False, length=32),
        C("usage_date_key", "int", nullable=False),
        C("channel", "str", nullable=False, length=16),
        C("unit", "str", length=16),
        C("usage_value", "decimal", precision=18, scale=4),
        C("intervals_expected", "smallint"),
        C("intervals_received", "smallint"),
        C("intervals_estimated", "smallint"),
        C("intervals_edited", "smallint"),
        C("vee_status", "str", length=16, doc="valid | edited | estimated | failed"),
        C("batch_id", "bigint", nullable=False),
    ),
    primary_key=("service_point_id", "usage_date_key", "channel"),
    distribution="HASH", hash_column="service_point_id",
    doc="Daily usage per service point and channel, with VEE counts of its intervals.",
)

FACT_PAYMENT = Table(
    "fact_payment", "fact",
    (
        C("payment_id", "str", nullable=False, length=64),
        C("account_sk", "bigint", doc="NULL when the payment could not be applied"),
        C("customer_sk", "bigint"),
        C("account_number_raw", "str", length=32),
        C("payment_date_key", "int"),
        C("amount", "decimal", precision=18, scale=2),
        C("channel", "str", length=16, doc="lockbox | card | ach"),
        C("is_unapplied", "bool", nullable=False),
        C("is_returned", "bool", nullable=False),
        C("return_code", "str", length=8),
        C("batch_id", "bigint", nullable=False),
    ),
    primary_key=("payment_id",), distribution="HASH", hash_column="payment_id",
)

FACT_SERVICE_ORDER = Table(
    "fact_service_order", "fact",
    (
        C("order_no", "str", nullable=False, length=32),
        C("service_point_sk", "bigint"),
        C("meter_sk", "bigint"),
        C("premise_sk", "bigint"),
        C("order_type", "str", length=32),
        C("status", "str", length=16),
        C("created_date_key", "int"),
        C("completed_date_key", "int"),
        C("created_at_utc", "timestamp"),
        C("completed_at_utc", "timestamp"),
        C("hours_to_complete", "double"),
        C("batch_id", "bigint", nullable=False),
    ),
    primary_key=("order_no",), distribution="HASH", hash_column="order_no",
)

FACT_INTERACTION = Table(
    "fact_interaction", "fact",
    (
        C("interaction_id", "str", nullable=False, length=40),
        C("customer_sk", "bigint"),
        C("account_sk", "bigint"),
        C("channel", "str", length=16),
        C("reason", "str", length=64),
        C("started_date_key", "int"),
        C("started_at_utc", "timestamp"),
        C("duration_seconds", "int"),
        C("is_linked_to_account", "bool", nullable=False),
        C("batch_id", "bigint", nullable=False),
    ),
    primary_key=("interaction_id",), distribution="HASH", hash_column="interaction_id",
)

FACT_CUSTOMER_INTERRUPTION = Table(
    "fact_customer_interruption", "fact",
    (
        C("outage_id", "str", nullable=False, length=32),
        C("service_point_id", "str", nullable=False, length=32),
        C("service_point_sk", "bigint"),
        C("premise_sk", "bigint"),
        C("customer_sk", "bigint"),
        C("start_date_key", "int"),
        C("interrupted_at_utc", "timestamp"),
        C("restored_at_utc", "timestamp"),
        C("minutes_interrupted", "double"),
        C("cause", "str", length=64),
        C("transformer_id", "str", length=32),
        C("feeder_id", "str", length=32),
        C("batch_id", "bigint", nullable=False),
    ),
    primary_key=("outage_id", "service_point_id"), distribution="HASH", hash_column="service_point_id",
)

TABLES: tuple[Table, ...] = (
    DIM_DATE, DIM_CUSTOMER, CUSTOMER_XREF, DIM_ACCOUNT, DIM_PREMISE, DIM_SERVICE_POINT, DIM_METER,
    DIM_TARIFF, FACT_BILLING_LINE, FACT_DAILY_USAGE, FACT_PAYMENT, FACT_SERVICE_ORDER, FACT_INTERACTION,
    FACT_CUSTOMER_INTERRUPTION,
)

# The large star tables, appended to by every batch. Their keys are unique by construction: surrogate keys come
# from a sequence, a fact's rows replace the rows with the same key (loaders.star._replace_fact, which refuses
# a batch that repeats a key), an xref row opens at the run's time for a record whose golden id changed. On
# DuckDB an enforced key is an ART index that every insert updates and every checkpoint writes out, and which
# must fit in memory (a month of daily usage is ~60 M keys): it cost a billing-line publish a third of its time.
KEYED_BY_CONSTRUCTION: tuple[Table, ...] = (
    DIM_CUSTOMER, CUSTOMER_XREF, DIM_ACCOUNT, DIM_PREMISE, DIM_SERVICE_POINT, DIM_METER, FACT_BILLING_LINE,
    FACT_DAILY_USAGE, FACT_PAYMENT, FACT_SERVICE_ORDER, FACT_INTERACTION, FACT_CUSTOMER_INTERRUPTION,
)

# dim_date is filled by the migration runner (warehouse.calendar), which knows each dialect.
SEED: tuple[str, ...] = ()
