"""The ground truth: the identity of every customer-like record, and the manifest JSON itself."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from loaders.synth import formats as F
from loaders.synth.defects import DefectLog
from loaders.synth.formats import Deliveries
from loaders.synth.params import GenerateParams

MANIFEST_VERSION = 1
IDENTITY_FILE = "_truth/identity.csv"
IDENTITY_COLUMNS = ("source", "feed", "file", "row", "record_key", "person_id", "contract_account")


class Truth:
    """Who every customer-like record really is, streamed to `_truth/identity.csv` while files are written."""

    def __init__(self, out: Path) -> None:
        path = out / IDENTITY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("wb")
        self._hash = hashlib.sha256()
        self.rows = 0
        self._write((",".join(IDENTITY_COLUMNS) + "\n").encode())

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._hash.update(data)

    def add(
        self,
        source: str,
        feed: str,
        file: str,
        rows: np.ndarray,
        keys: pa.Array,
        person_ids: pa.Array,
        accounts: pa.Array | None = None,
    ) -> None:
        """Record that row `rows[i]` of `file` (natural key `keys[i]`) is person `person_ids[i]`."""
        n = len(rows)
        if n == 0:
            return
        acc = accounts if accounts is not None else pa.array([""] * n)
        self._write(
            F.payload(F.cat(source, feed, file, F.as_str(np.asarray(rows)), keys, person_ids, acc, sep=","))
        )
        self.rows += n

    def close(self) -> dict[str, Any]:
        """Close the identity file; returns its manifest entry (path, sha256, rows, columns)."""
        self._fh.close()
        return {
            "path": IDENTITY_FILE,
            "sha256": self._hash.hexdigest(),
            "rows": self.rows,
            "columns": list(IDENTITY_COLUMNS),
        }


def write_manifest(
    params: GenerateParams,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
    truth_extra: dict[str, Any],
    profile_notes: list[str],
) -> Path:
    """Write `<out>/manifest.json` (schema: loaders/synth/MANIFEST.md) and return its path."""
    identity = truth.close()
    doc = {
        "manifest_version": MANIFEST_VERSION,
        "generator": "loaders.synth",
        "parameters": params.as_dict(),
        "profile_notes": profile_notes,
        "load_order": "deliveries are listed in load order: by date, then CIS, MDM, CRM, payments, "
        "workorders, GIS; within a source in the listed order (seq)",
        "deliveries": [d.as_dict(i + 1) for i, d in enumerate(deliveries.items)],
        "truth": {"identity": identity, **truth_extra},
        "defects": log.to_manifest(params),
    }
    path = params.out / "manifest.json"
    path.write_text(_dumps(doc))
    return path


def _dumps(doc: dict[str, Any]) -> str:
    """Compact JSON with one line per top-level key, per delivery and per defect class.

    Fully indented, the instance lists of a utility-scale run would be several times larger; this keeps
    the file small and still readable (and greppable by class name).
    """

    def one(v: Any) -> str:
        return json.dumps(v, separators=(",", ":"))

    lines = []
    for key, value in doc.items():
        if key == "deliveries":
            body = ",\n".join(one(d) for d in value)
            lines.append(f"{one(key)}:[\n{body}\n]")
        elif key == "defects":
            body = ",\n".join(f"{one(k)}:{one(v)}" for k, v in value.items())
            lines.append(f"{one(key)}:{{\n{body}\n}}")
        else:
            lines.append(f"{one(key)}:{one(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
