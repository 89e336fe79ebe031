"""The golden customer into the star: survivorship of its matched records -> `dim_customer` (SCD2), and the
customer keys of the accounts and facts (`loaders.match` runs it after writing the xref rows it reads).

Survivorship follows one order of preference: CIS before CRM, newest batch first (then the source key, so
there are no ties). The name and kind come from the best record; email, phone and address from the best
record that has one (an address with a zip5 before one without).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from loaders import star

# One window over the order of preference: a record holds the first email when it has one and no record before
# it does (its running count is 1); likewise phone and zip5. One sort instead of four.
# The order has no ties (a record is one source and key), so the default frame counts exactly the records
# before and at each one; an explicit ROWS frame would not transpile to T-SQL with the NULL ordering.
# With no zip5 anywhere in the cluster the best record's address stands (zip5 is then NULL either way).
_BEST_FIRST = ("OVER (PARTITION BY x.golden_customer_id ORDER BY CASE r.source WHEN 'cis' THEN 0 ELSE 1 END, "
               "r.batch_id DESC, r.source_key)")
_SURVIVOR = f"""
SELECT g.golden_customer_id,
  MAX(CASE WHEN g.rk = 1 THEN g.kind END) AS customer_type,
  MAX(CASE WHEN g.rk = 1 THEN g.display_name END) AS display_name,
  MAX(CASE WHEN g.rk = 1 THEN g.first_name_std END) AS first_name_std,
  MAX(CASE WHEN g.rk = 1 THEN g.last_name_std END) AS last_name_std,
  MAX(CASE WHEN g.rk = 1 THEN g.organisation_std END) AS organisation_std,
  MAX(CASE WHEN g.email_std IS NOT NULL AND g.n_email = 1 THEN g.email_std END) AS email_std,
  MAX(CASE WHEN g.phone_e164 IS NOT NULL AND g.n_phone = 1 THEN g.phone_e164 END) AS phone_e164,
  CASE WHEN COUNT(g.zip5) > 0 THEN MAX(CASE WHEN g.zip5 IS NOT NULL AND g.n_zip = 1 THEN g.address_std END)
       ELSE MAX(CASE WHEN g.rk = 1 THEN g.address_std END) END AS address_std,
  MAX(CASE WHEN g.zip5 IS NOT NULL AND g.n_zip = 1 THEN g.zip5 END) AS zip5,
  MAX(CASE WHEN g.email_std IS NOT NULL THEN 1 ELSE 0 END) = 1 AS has_valid_email,
  MAX(CASE WHEN g.phone_e164 IS NOT NULL THEN 1 ELSE 0 END) = 1 AS has_valid_phone,
  MAX(CASE WHEN g.address_std IS NOT NULL AND g.zip5 IS NOT NULL THEN 1 ELSE 0 END) = 1 AS has_standard_address,
  CAST(COUNT(*) AS INTEGER) AS source_record_count
FROM (
  SELECT x.golden_customer_id, r.*,
    CASE WHEN r.organisation_std IS NOT NULL THEN 'organisation' WHEN r.last_name_std IS NULL THEN 'placeholder'
         ELSE 'person' END AS kind,
    COALESCE(r.organisation_std, trim(COALESCE(r.first_name_std, '') || ' ' || COALESCE(r.last_name_std, '')))
      AS display_name,
    SUBSTRING(r.address_key, 1, POSITION('|' IN r.address_key) - 1) AS address_std,
    ROW_NUMBER() {_BEST_FIRST} AS rk, COUNT(r.email_std) {_BEST_FIRST} AS n_email,
    COUNT(r.phone_e164) {_BEST_FIRST} AS n_phone, COUNT(r.zip5) {_BEST_FIRST} AS n_zip
  FROM match_record r JOIN customer_xref x ON x.source = r.source AND x.source_key = r.source_key AND x.is_current
) g GROUP BY g.golden_customer_id
"""

CUSTOMER_ATTRS = ["customer_type", "display_name", "first_name_std", "last_name_std", "organisation_std",
                  "email_std", "phone_e164", "address_std", "zip5", "has_valid_email", "has_valid_phone",
                  "has_standard_address", "source_record_count"]

_LINK_FACTS = (
    "UPDATE dim_account SET golden_customer_id = (SELECT x.golden_customer_id FROM customer_xref x WHERE "
    "x.source = 'cis' AND x.source_key = dim_account.partner_id AND x.is_current) WHERE is_current AND "
    "partner_id IS NOT NULL",
    "UPDATE fact_billing_line SET customer_sk = (SELECT c.customer_sk FROM dim_account a JOIN dim_customer c ON "
    "c.golden_customer_id = a.golden_customer_id AND c.is_current WHERE a.account_sk = fact_billing_line.account_sk)"
    " WHERE customer_sk IS NULL AND account_sk IS NOT NULL",
    "UPDATE fact_payment SET customer_sk = (SELECT c.customer_sk FROM dim_account a JOIN dim_customer c ON "
    "c.golden_customer_id = a.golden_customer_id AND c.is_current WHERE a.account_sk = fact_payment.account_sk) "
    "WHERE customer_sk IS NULL AND account_sk IS NOT NULL",
    "UPDATE fact_interaction SET customer_sk = (SELECT c.customer_sk FROM cln_crm_interaction i JOIN customer_xref x "
    "ON x.source = 'crm' AND x.source_key = trim(i.contact_id) AND x.is_current JOIN dim_customer c ON "
    "c.golden_customer_id = x.golden_customer_id AND c.is_current WHERE trim(i.interaction_id) = "
    "fact_interaction.interaction_id AND i.batch_id = fact_interaction.batch_id) WHERE customer_sk IS NULL",
)


def publish_customers(conn: sa.Connection, ts: datetime, batch_id: int | None) -> None:
    """Survivorship of every current golden id into `dim_customer` (SCD2), then the customer keys of the facts
    and accounts that point at it."""
    star.scd2(conn, "dim_customer", "golden_customer_id", CUSTOMER_ATTRS, _SURVIVOR, batch_id or 0, ts)
    for sql in _LINK_FACTS:
        conn.execute(sa.text(sql))
