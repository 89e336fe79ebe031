"""Plain parsers for the generated files: csv, json, string slicing. They share no code with the generator."""

from __future__ import annotations

import csv
import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

# 2026-10-31 (a Saturday: no bills) to 2026-11-05: covers the fall-back DST day and a month start (GIS again).
# A high defect scale makes every class occur in a small world.
PARAMS: dict[str, Any] = dict(
    customers=800, days=6, start=date(2026, 10, 31), seed=11, defect_rate_scale=10.0
)


def read_delimited(path: Path, sep: str) -> tuple[list[str], list[list[str]]]:
    """Header and records of a pipe/CSV file, with the standard csv module."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh, delimiter=sep))
    return rows[0], rows[1:]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def files(manifest: dict[str, Any], feed: str) -> list[dict[str, Any]]:
    return [d for d in manifest["deliveries"] if d["feed"] == feed]


def records(out: Path, delivery: dict[str, Any]) -> list[dict[str, Any]]:
    """Records of a pipe/CSV/JSONL delivery as dicts, in file order (record i = source row i + 1).

    Parsed once per session (the lists are shared: do not modify them).
    """
    return _records(str(out / delivery["path"]))


@functools.cache
def _records(name: str) -> list[dict[str, Any]]:
    path = Path(name)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    header, rows = read_delimited(path, "|" if path.suffix == ".dat" else ",")
    return [dict(zip(header, r, strict=True)) for r in rows]


def all_records(out: Path, manifest: dict[str, Any], feed: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(file, row, record) for every record of every delivery of `feed` (re-sent copies excluded)."""
    result = []
    for d in files(manifest, feed):
        if d["kind"] == "resend":
            continue
        for i, rec in enumerate(records(out, d), start=1):
            result.append((d["path"], i, rec))
    return result


def instances(manifest: dict[str, Any], cls: str, feed: str | None = None) -> list[dict[str, Any]]:
    """Flat list of a defect class's instances, each with its group's file/feed/column."""
    flat = []
    for g in manifest["defects"][cls]["instances"]:
        if feed is not None and g["feed"] != feed:
            continue
        extra = [
            k
            for k in g
            if k not in ("file", "feed", "column", "key_fields", "rows", "keys", "delivered", "clean")
        ]
        for i in range(len(g["rows"])):
            item = {
                "file": g["file"],
                "feed": g["feed"],
                "column": g["column"],
                "row": g["rows"][i],
                "key": g["keys"][i],
                "delivered": g["delivered"][i],
                "clean": g["clean"][i],
            }
            item.update({k: g[k][i] for k in extra})
            flat.append(item)
    return flat
