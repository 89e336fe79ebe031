"""JSON lines, strictly: one JSON object per line; a broken line is kept (staged empty) and quarantined.

An empty file is a valid delivery of zero records (JSON lines have no header to lose).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from loaders.sources.delivery import Parsed
from warehouse.schema.staging import FEEDS, Feed


def _text(value: object) -> str | None:
    """A JSON value as the text it was delivered as (numbers keep their spelling; objects as JSON)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True)


def read_jsonl(path: Path, text: str, encoding: str, feed: Feed, nested: tuple[str, str] | None = None) -> Parsed:
    """Parse JSON lines into `feed`; `nested=(key, child_feed)` flattens a list of child objects."""
    parsed = Parsed(encoding)
    rows: list[list[str | None]] = []
    rejects: list[tuple[int, str, str, str]] = []
    child_rows: list[list[str | None]] = []
    child = FEEDS[nested[1]] if nested else None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        n = len(rows) + 1
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError(f"a JSON {type(obj).__name__}, not an object")
        except ValueError as e:
            rows.append([None] * len(feed.columns))
            rejects.append((n, "malformed_json", f"line {lineno}: {str(e)[:200]}", line[:4000]))
            continue
        rows.append([_text(obj.get(c)) for c in feed.columns])
        if nested and child is not None:
            kids = obj.get(nested[0]) or []
            if not isinstance(kids, list):
                kids = []
            for kid in kids:
                if isinstance(kid, dict):
                    base = {c: obj.get(c) for c in child.columns if c in obj and c not in kid}
                    child_rows.append([_text(kid.get(c, base.get(c))) for c in child.columns])
    df = pd.DataFrame(rows, columns=list(feed.columns), dtype=object)
    df.insert(0, "source_row_number", range(1, len(df) + 1))
    parsed.rows[feed.name] = df
    parsed.rejects[feed.name] = rejects
    if child is not None:
        cdf = pd.DataFrame(child_rows, columns=list(child.columns), dtype=object)
        cdf.insert(0, "source_row_number", range(1, len(cdf) + 1))
        parsed.rows[child.name] = cdf
        parsed.rejects[child.name] = []
    return parsed
