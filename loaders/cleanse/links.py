"""Repairs that need another feed's rows: a batch's cleansed rows filled in from rows already published.

A CRM interaction logged without an account (S3: 15-30% of them) is about its case's account, or else its
contact's: `account_number_std` takes the case's, else the contact's, from their newest loaded rows. The raw
`account_text` stays as delivered (NULL or unreadable), so a linked row is one whose `account_number_std` is
set while its `account_text` does not give it. Runs in the batch's last transaction, before the star publish,
so the link is published with the batch or not at all.
"""

from __future__ import annotations

import sqlalchemy as sa

# The newest loaded row with an account per key of a CRM feed, for the keys in `need` (the batch's rows that lack one).
_NEWEST_ACCOUNT = """
    SELECT link_key, account_number_std FROM (
        SELECT trim(x.{key}) AS link_key, x.account_number_std,
               ROW_NUMBER() OVER (PARTITION BY trim(x.{key}) ORDER BY x.batch_id DESC, x.source_row_number DESC) AS rn
        FROM {table} x
        WHERE x.account_number_std IS NOT NULL
          AND x.batch_id IN (SELECT batch_id FROM dim_batch WHERE status = 'loaded')
          AND trim(x.{key}) IN (SELECT {key} FROM need)
    ) ranked WHERE rn = 1"""

INTERACTION_ACCOUNTS = f"""
UPDATE cln_crm_interaction SET account_number_std = linked.account_number_std
FROM (
    WITH need AS (
        SELECT source_row_number, trim(case_id) AS case_id, trim(contact_id) AS contact_id
        FROM cln_crm_interaction WHERE batch_id = :b AND account_number_std IS NULL
    ), by_case AS ({_NEWEST_ACCOUNT.format(key="case_id", table="cln_crm_case")}
    ), by_contact AS ({_NEWEST_ACCOUNT.format(key="contact_id", table="cln_crm_contact")}
    )
    SELECT need.source_row_number, COALESCE(by_case.account_number_std, by_contact.account_number_std)
        AS account_number_std
    FROM need
    LEFT JOIN by_case ON by_case.link_key = need.case_id
    LEFT JOIN by_contact ON by_contact.link_key = need.contact_id
    WHERE COALESCE(by_case.account_number_std, by_contact.account_number_std) IS NOT NULL
) linked
WHERE cln_crm_interaction.batch_id = :b AND cln_crm_interaction.source_row_number = linked.source_row_number"""

LINKS = {"crm_interaction": INTERACTION_ACCOUNTS}


def link(conn: sa.Connection, feed: str, batch_id: int) -> int:
    """Fill in what the batch's cleansed rows of `feed` lack from other feeds; the number of rows repaired."""
    sql = LINKS.get(feed)
    if sql is None:
        return 0
    return int(conn.execute(sa.text(sql), {"b": batch_id}).rowcount or 0)
