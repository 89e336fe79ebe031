"""The suite-file form of imported suites: `gx_suite:` / `sodacl:` keys of a UtilityFlow suite.

    dataset: stg_cis_customer
    stage: raw
    owner: billing-data
    severity: warning          # for the imported checks (else the expectation's own, else warning)
    dimension: validity        # for the imported checks (else the check type's default)
    gx_suite: expectations/customer.json         # or {file: ..., engine: native | gx}
    sodacl: soda/customer.yml                    # or {file: ..., engine: native | soda}

Paths are relative to the suite file. `engine: native` (default) translates what has a translation and
hands the rest to the peer as `external` checks; `engine: gx` / `engine: soda` hands every check to the
peer (the peer then scans the data itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checks.adapters import gx, sodacl

ENGINES = {"gx_suite": ("native", "gx"), "sodacl": ("native", "soda")}


def imported_checks(r: Any, key: str, value: Any, line: int, dataset: str) -> Iterator[tuple[dict[str, Any], str]]:
    """(check dict, source file) for every check of the referenced file; problems go to the reader `r`."""
    spec = value if isinstance(value, dict) else {"file": value}
    engine = spec.get("engine", "native")
    if sorted(set(spec) - {"file", "engine"}) or not isinstance(spec.get("file"), str):
        r.add("bad_import", f"{key}: give a file path, or {{file: PATH, engine: {'|'.join(ENGINES[key])}}}", line)
        return
    if engine not in ENGINES[key]:
        r.add("bad_import", f"{key}: engine {engine!r} must be one of {', '.join(ENGINES[key])}", line)
        return
    base = Path(r.file).parent if r.file else Path.cwd()
    path = Path(spec["file"]) if Path(spec["file"]).is_absolute() else (base / spec["file"]).resolve()
    try:
        checks, external = (
            _gx(path, native=engine == "native")
            if key == "gx_suite"
            else _soda(path, dataset, native=engine == "native")
        )
    except (gx.GxSuiteError, sodacl.SodaClError) as e:
        r.add("bad_import", f"{key}: {e}", line)
        return
    yield from ((c, str(path)) for c in checks)
    yield from ((c, str(path)) for c in external)


def external_check(check_id: str, engine: str, definition: str, reason: str) -> dict[str, Any]:
    """The suite-file form of a check the peer engine runs."""
    return {"id": check_id, "type": "external", "engine": engine, "definition": definition, "reason": reason}


def _gx(path: Path, *, native: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    doc = gx.load_gx_suite(path)
    if not native:  # every expectation through GX: a translation that refuses everything
        doc = {**doc, "expectations": doc["expectations"]}
        t = gx.Translation(name="gx")
        for i, e in enumerate(doc["expectations"]):
            etype = str(e.get("type") or e.get("expectation_type") or "")
            kwargs = dict(e.get("kwargs") or {})
            cid = gx.check_id("gx", i, etype, kwargs.get("column") or kwargs.get("column_A") or "")
            t.refused.append(gx.Refusal(i, etype, kwargs, "engine: gx", cid))
    else:
        t = gx.translate(doc)
    external = [
        external_check(x.check_id, "gx", json.dumps({"type": x.expectation_type, "kwargs": x.kwargs}), x.reason)
        for x in t.refused
    ]
    return t.checks, external


def _soda(path: Path, dataset: str, *, native: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sections = sodacl.load_sodacl(path)
    t = sodacl.translate(sections, dataset, translate=native)
    external = [external_check(x.check_id, "soda", x.check, x.reason) for x in t.refused]
    return t.checks, external
