"""JSON lines, strictly: one JSON object per line; a broken line is kept (staged empty) and quarantined.

An empty file is a valid delivery of zero records (JSON lines have no header to lose). A large file of a
feed without nested records is read in chunks (`iter_jsonl`), with exactly `read_jsonl`'s rows.
"""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from loaders.sources.delivery import Parsed, bad_gzip, open_binary
from warehouse.schema.staging import FEEDS, Feed

# Feeds whose records nest child records of another feed: read whole (`read_jsonl(nested=)`), never in chunks
NESTED = {"workorders_outage": ("interruptions", "workorders_interruption")}


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
        obj = _record(line, lineno, len(rows) + 1, feed, rows, rejects)
        if obj is not None and nested and child is not None:
            kids = obj.get(nested[0]) or []
            if not isinstance(kids, list):
                kids = []
            for kid in kids:
                if isinstance(kid, dict):
                    base = {c: obj.get(c) for c in child.columns if c in obj and c not in kid}
                    child_rows.append([_text(kid.get(c, base.get(c))) for c in child.columns])
    parsed.rows[feed.name] = _frame(rows, feed, 1)
    parsed.rejects[feed.name] = rejects
    if child is not None:
        parsed.rows[child.name] = _frame(child_rows, child, 1)
        parsed.rejects[child.name] = []
    return parsed


def _record(line: str, lineno: int, n: int, feed: Feed, rows: list[list[str | None]],
            rejects: list[tuple[int, str, str, str]]) -> dict | None:
    """Append line `lineno` as record `n` (its fields, or empty fields and a reject); the object, if any."""
    try:
        obj = json.loads(line)
        if not isinstance(obj, dict):
            raise ValueError(f"a JSON {type(obj).__name__}, not an object")
    except ValueError as e:
        rows.append([None] * len(feed.columns))
        rejects.append((n, "malformed_json", f"line {lineno}: {str(e)[:200]}", line[:4000]))
        return None
    rows.append([_text(obj.get(c)) for c in feed.columns])
    return obj


def _frame(rows: list[list[str | None]], feed: Feed, first: int) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(feed.columns), dtype=object)
    df.insert(0, "source_row_number", range(first, first + len(df)))
    return df


# what str.splitlines() ends a line at; "\r" may be the first half of "\r\n" split across two blocks
_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def iter_jsonl(path: Path, feed: Feed, encoding: str, gzipped: bool, chunk_rows: int,
               block_bytes: int = 8 << 20) -> Iterator[tuple[pd.DataFrame, list[tuple[int, str, str, str]]]]:
    """`read_jsonl` of a feed without nested records, in frames of `chunk_rows` records with their rejects,
    read from the file in blocks (memory bounded by the chunk, not the file). Lines end where
    `str.splitlines` ends them, so line and record numbers are `read_jsonl`'s."""
    rows: list[list[str | None]] = []
    rejects: list[tuple[int, str, str, str]] = []
    first, lineno, carry = 1, 0, ""
    raw = open_binary(path, gzipped)
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        while True:
            data = raw.read(block_bytes)
            text = carry + decoder.decode(data, final=not data)
            lines = text.splitlines(keepends=True)
            carry = lines.pop() if data and lines and (lines[-1][-1] not in _BREAKS or lines[-1][-1] == "\r") else ""
            for line in lines:
                lineno += 1
                body = line[:-2] if line.endswith("\r\n") else line[:-1] if line[-1] in _BREAKS else line
                if not body.strip():
                    continue
                _record(body, lineno, first + len(rows), feed, rows, rejects)
                if len(rows) >= chunk_rows:
                    yield _frame(rows, feed, first), rejects
                    first, rows, rejects = first + len(rows), [], []
            if not data:
                break
    except (EOFError, zlib.error) as e:
        raise bad_gzip(path, e) from None
    finally:
        raw.close()
    if rows:
        yield _frame(rows, feed, first), rejects
