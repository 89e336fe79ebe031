"""S4 Payments: the bank lockbox fixed-width file (BAI2-style) and the card/ACH processor CSV.

Lockbox layout (80-character lines, positions 1-based inclusive; numbers zero-filled, text space-filled),
as the bank (and `loaders.synth.payments`) writes it:

| record         | fields (positions)                                                                  |
|----------------|-------------------------------------------------------------------------------------|
| 1 file header  | bank_id 2-10, lockbox_no 11-17, deposit_date 18-25                                  |
| 5 batch header | bank_id 2-10, lockbox_no 11-17, batch_no 18-22, deposit_date 23-30                  |
| 6 detail       | ... batch_no 18-22, item_seq 23-27, account_number 28-47, amount_cents 48-59,       |
|                | check_number 60-69, deposit_date 70-77                                              |
| 7 batch total  | ... batch_no 18-22, record_count 23-28, total_amount_cents 29-42                    |
| 9 file trailer | ... record_count 18-25 (every record in the file), total_amount_cents 26-41         |

Verification: a batch total record (7) whose count or amount disagrees with its details is quarantined
(`batch_total_mismatch`) — the details are the bank's items and stay loaded; a missing or disagreeing
trailer means the file is truncated or corrupt, and the whole file is refused.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from loaders.errors import DeliveryError
from loaders.sources.delivery import DeliveryName, Parsed, read_delimited, take_rejects

LAYOUT: dict[str, dict[str, tuple[int, int]]] = {
    "1": {"bank_id": (2, 10), "lockbox_no": (11, 17), "deposit_date": (18, 25)},
    "5": {"bank_id": (2, 10), "lockbox_no": (11, 17), "batch_no": (18, 22), "deposit_date": (23, 30)},
    "6": {"bank_id": (2, 10), "lockbox_no": (11, 17), "batch_no": (18, 22), "item_seq": (23, 27),
          "account_number": (28, 47), "amount_cents": (48, 59), "check_number": (60, 69), "deposit_date": (70, 77)},
    "7": {"bank_id": (2, 10), "lockbox_no": (11, 17), "batch_no": (18, 22), "record_count": (23, 28),
          "total_amount_cents": (29, 42)},
    "9": {"bank_id": (2, 10), "lockbox_no": (11, 17), "record_count": (18, 25), "total_amount_cents": (26, 41)},
}
COLUMNS = ["record_type", "bank_id", "lockbox_no", "batch_no", "item_seq", "account_number", "amount_cents",
           "check_number", "deposit_date", "record_count", "total_amount_cents", "raw_line"]


def _int(path: Path, line: int, field: str, text: str | None) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise DeliveryError(str(path), f"{field} {text!r} is not a number", line=line,
                            code="bad_lockbox") from None


def parse_lockbox(path: Path, text: str, encoding: str, feed_name: str) -> Parsed:
    """Split the records by type and verify batch totals and the trailer."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise DeliveryError(str(path), "file is empty; expected lockbox records 1,5,6,7,9", line=1,
                            code="empty_file")
    rows: list[dict[str, str | None]] = []
    for n, line in enumerate(lines, 1):
        kind = line[:1]
        if kind not in LAYOUT:
            raise DeliveryError(str(path), f"unknown record type {kind!r}; expected one of 1,5,6,7,9", line=n,
                                code="bad_lockbox")
        row: dict[str, str | None] = dict.fromkeys(COLUMNS)
        row["record_type"] = kind
        for field, (a, b) in LAYOUT[kind].items():
            row[field] = line[a - 1:b].strip()
        row["raw_line"] = line
        rows.append(row)
    if rows[0]["record_type"] != "1":
        raise DeliveryError(str(path), "first record is not a file header (type 1)", line=1, code="bad_lockbox")
    if rows[-1]["record_type"] != "9":
        raise DeliveryError(str(path), "no file trailer (type 9) at the end: the file is truncated", line=len(rows),
                            code="truncated_file")
    mismatched: list[int] = []  # line numbers of batch total records that disagree
    batch_items: dict[str, list[int]] = {}
    for n, row in enumerate(rows, 1):
        if row["record_type"] == "6":
            batch_items.setdefault(row["batch_no"] or "", []).append(_int(path, n, "amount_cents", row["amount_cents"]))
        elif row["record_type"] == "7":
            items = batch_items.get(row["batch_no"] or "", [])
            count = _int(path, n, "record_count", row["record_count"])
            total = _int(path, n, "total_amount_cents", row["total_amount_cents"])
            if count != len(items) or total != sum(items):
                mismatched.append(n)
    details = [a for items in batch_items.values() for a in items]
    n_trailer = len(rows)
    count = _int(path, n_trailer, "trailer record_count", rows[-1]["record_count"])
    total = _int(path, n_trailer, "trailer total_amount_cents", rows[-1]["total_amount_cents"])
    if count != len(rows):
        raise DeliveryError(str(path), f"trailer says {count} records, the file has {len(rows)}: truncated or "
                            "corrupt; ask the bank to re-send it", line=n_trailer, code="trailer_mismatch")
    if total != sum(details):
        raise DeliveryError(str(path), f"trailer total {total} cents != sum of the details {sum(details)} cents; "
                            "ask the bank to re-send it", line=n_trailer, code="trailer_mismatch")
    df = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    df.insert(0, "source_row_number", range(1, len(df) + 1))
    parsed = Parsed(encoding)
    parsed.rows[feed_name] = df
    parsed.rejects[feed_name] = [
        (n, "batch_total_mismatch", f"batch {rows[n - 1]['batch_no']}: total record disagrees with its details "
         f"({len(batch_items.get(rows[n - 1]['batch_no'] or '', []))} items, "
         f"{sum(batch_items.get(rows[n - 1]['batch_no'] or '', []))} cents)", str(rows[n - 1]["raw_line"]))
        for n in mismatched
    ]
    return parsed


def parse(path: Path, name: DeliveryName, text: str, encoding: str) -> Parsed:
    """Parse one payments delivery (lockbox or processor CSV)."""
    if name.feed.format == "lockbox":
        return parse_lockbox(path, text, encoding, name.feed.name)
    df = read_delimited(path, text, name.feed, ",")
    parsed = Parsed(encoding)
    parsed.rejects[name.feed.name] = take_rejects(df, "wrong_field_count")
    parsed.rows[name.feed.name] = df
    return parsed
