"""Vectorised text building (pyarrow compute) and the file sinks that hash and count what they write.

Every delivered line is built column-wise: no Python object per row on the large feeds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Col: TypeAlias = "pa.Array | pa.ChunkedArray | str"


def as_str(values: Any) -> pa.Array:
    """Any array-like (numpy, list, pyarrow) as a pyarrow string array; nulls become ''."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = pc.cast(arr, pa.string())
    return pc.fill_null(arr, "")


def take(vocab: pa.Array, idx: np.ndarray) -> pa.Array:
    """vocab[idx] for a string vocabulary."""
    return vocab.take(pa.array(np.asarray(idx, dtype=np.int64)))


def zpad(ints: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings of non-negative integers."""
    return pc.utf8_lpad(as_str(np.asarray(ints, dtype=np.int64)), width, "0")


def decimal(milli: np.ndarray, places: int = 3) -> pa.Array:
    """Fixed-point strings of integers scaled by 10**places (-1234 -> '-1.234')."""
    m = np.asarray(milli, dtype=np.int64)
    scale = 10**places
    a = np.abs(m)
    body = cat(as_str(a // scale), ".", zpad(a % scale, places))
    return pc.if_else(pa.array(m < 0), cat("-", body), body)


def yyyymmdd(days: np.ndarray) -> pa.Array:
    """numpy datetime64[D] -> 'YYYYMMDD'; NaT -> '00000000' (the CIS null date)."""
    d = np.asarray(days, dtype="datetime64[D]")
    s = np.datetime_as_string(d, unit="D")
    s = np.where(np.isnat(d), "0000-00-00", s)
    return pc.replace_substring(pa.array(s), "-", "")


def iso_date(days: np.ndarray) -> pa.Array:
    """numpy datetime64[D] -> 'YYYY-MM-DD'."""
    return pa.array(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D"))


def iso_minutes(ts: np.ndarray) -> pa.Array:
    """numpy datetime64 (naive local) -> 'YYYY-MM-DDTHH:MM:SS'; NaT -> null."""
    t = np.asarray(ts, dtype="datetime64[s]")
    s = pa.array(np.datetime_as_string(t, unit="s"))
    return pc.if_else(pa.array(np.isnat(t)), pa.scalar(None, pa.string()), s)


def cat(*parts: Col, sep: str = "") -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    args = [pa.scalar(p) if isinstance(p, str) else p for p in parts]
    if not any(not isinstance(p, pa.Scalar) for p in args):
        raise ValueError("cat() needs at least one array")
    out = pc.binary_join_element_wise(*args, pa.scalar(sep))
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def json_lines(fields: Sequence[tuple[str, Col | None, bool]], n: int) -> pa.Array:
    """One JSON object per element: fields are (key, values, raw); raw values are emitted unquoted.

    A null value (or a None column) is emitted as JSON null. Keys keep the given order.
    """
    parts: list[Col] = ["{"]
    for i, (key, values, raw) in enumerate(fields):
        parts.append(("" if i == 0 else ", ") + f'"{key}": ')
        if values is None:
            parts.append(pa.array(["null"] * n))
            continue
        arr = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
        if raw:
            parts.append(pc.fill_null(arr, "null"))
        else:
            esc = pc.replace_substring(pc.replace_substring(arr, "\\", "\\\\"), '"', '\\"')
            parts.append(pc.fill_null(cat('"', esc, '"'), "null"))
    parts.append("}")
    return cat(*parts)


def fixed(value: Col, width: int, *, right: bool = False, fill: str = " ") -> pa.Array | str:
    """A fixed-width field: left-justified text, or right-justified numbers (fill '0')."""
    if isinstance(value, str):
        return value.rjust(width, fill)[:width] if right else value.ljust(width, fill)[:width]
    v = pc.utf8_slice_codeunits(value, 0, width)
    return pc.utf8_lpad(v, width, fill) if right else pc.utf8_rpad(v, width, fill)


def payload(lines: pa.Array) -> bytes:
    """The bytes of `lines`, each followed by a newline."""
    if len(lines) == 0:
        return b""
    joined = cat(lines, "\n")
    offsets = np.frombuffer(
        joined.buffers()[1], dtype=np.int32, count=len(joined) + 1, offset=joined.offset * 4
    )
    return joined.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()


@dataclass(frozen=True)
class Delivery:
    """One delivered file, as listed in the manifest."""

    path: str
    source: str
    feed: str
    day: date
    kind: str
    rows: int
    bytes: int
    sha256: str

    def as_dict(self, seq: int) -> dict[str, Any]:
        """The manifest entry for this delivery."""
        return {
            "seq": seq,
            "path": self.path,
            "source": self.source,
            "feed": self.feed,
            "date": self.day.isoformat(),
            "kind": self.kind,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


class Sink:
    """A delivery file being written: counts records, hashes bytes, registers itself when closed."""

    def __init__(self, registry: Deliveries, rel: str, source: str, feed: str, day: date, kind: str) -> None:
        self._registry = registry
        self.rel = rel
        self._meta = (source, feed, day, kind)
        self._fh = (registry.out / rel).open("wb")
        self._hash = hashlib.sha256()
        self.rows = 0
        self._bytes = 0

    def raw(self, data: bytes, records: int = 0) -> None:
        """Write bytes verbatim, counting `records` of them as records."""
        self._fh.write(data)
        self._hash.update(data)
        self._bytes += len(data)
        self.rows += records

    def header(self, columns: Sequence[str], sep: str) -> None:
        """Write the header row (not counted as a record)."""
        self.raw((sep.join(columns) + "\n").encode())

    def lines(self, lines: pa.Array) -> None:
        """Write one record per element (each gets a trailing newline)."""
        self.raw(payload(lines), len(lines))

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._fh.close()
        if et is None:
            source, feed, day, kind = self._meta
            self._registry.items.append(
                Delivery(self.rel, source, feed, day, kind, self.rows, self._bytes, self._hash.hexdigest())
            )


class Deliveries:
    """The delivered files in load order."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.items: list[Delivery] = []

    @staticmethod
    def name(source: str, feed: str, day: date, ext: str, suffix: str | None = None) -> str:
        """`<source>/<feed>_<YYYYMMDD>[_<suffix>].<ext>`, relative to the output folder."""
        tail = f"_{suffix}" if suffix else ""
        return f"{source}/{feed}_{day:%Y%m%d}{tail}.{ext}"

    def open(
        self, source: str, feed: str, day: date, ext: str, *, suffix: str | None = None, kind: str = "daily"
    ) -> Sink:
        """Open the delivery file for (feed, day[, suffix]) for writing."""
        rel = self.name(source, feed, day, ext, suffix)
        (self.out / source).mkdir(parents=True, exist_ok=True)
        return Sink(self, rel, source, feed, day, kind)

    def copy(self, original: str, suffix: str, kind: str) -> str:
        """Deliver a byte-identical copy of an already written file under another suffix."""
        src = next(d for d in self.items if d.path == original)
        stem, ext = original.rsplit(".", 1)
        rel = f"{stem}_{suffix}.{ext}"
        data = (self.out / original).read_bytes()
        (self.out / rel).write_bytes(data)
        self.items.append(Delivery(rel, src.source, src.feed, src.day, kind, src.rows, src.bytes, src.sha256))
        return rel
