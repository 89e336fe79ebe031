"""Measure the shipped checks against the generator's ground truth: recall and precision per defect class.

For every defect class of the manifest, `checks/defect_coverage.yml` names the checks that catch it.
Truth re-runs each of those checks' failure as an UNBOUNDED row query (`checks.truthsql`), batch by batch
(each batch is one delivered file), so a failed row is identified exactly as the manifest identifies an
instance: (delivered file, 1-based source row number). Samples in the mart are bounded; this is an
evaluation tool, not the hot path.

- recall = instances of the class flagged by one of its checks / instances with a row in a file
- precision = flagged rows that are instances of the class / flagged rows
- precision_any = flagged rows that are an instance of ANY class / flagged rows (a flag on another
  class's defect is not a false alarm on clean data)

Classes listed with an `exception` in the coverage file (no row grain, rows absent from the file, partly
invisible by construction) are reported with their reason, and with figures where their checks have a row
grain; only the other classes are held to the target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from checks.spec import CheckSpec, Suite
from checks.suite import load_suites
from checks.truthsql import failing_rows_sql
from monitor.errors import ConfigError
from monitor.runner import table_columns, table_exists

SUITES_DIR = Path(__file__).parents[1] / "checks" / "suites"
COVERAGE_FILE = Path(__file__).parents[1] / "checks" / "defect_coverage.yml"

Row = tuple[str, int]  # (delivered file as in the manifest, source row number)


@dataclass
class ClassTruth:
    """Recall and precision of one defect class."""

    name: str
    checks: tuple[str, ...]
    instances: int = 0  # instances with a row in a delivered file
    instances_total: int = 0
    flagged: int = 0
    true_positives: int = 0
    flagged_any_defect: int = 0
    exception: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.instances if self.instances else None

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def precision_any(self) -> float | None:
        return self.flagged_any_defect / self.flagged if self.flagged else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recall": _r(self.recall),
            "precision": _r(self.precision),
            "precision_any": _r(self.precision_any),
            "instances": self.instances,
            "instances_total": self.instances_total,
            "flagged": self.flagged,
            "true_positives": self.true_positives,
            "checks": list(self.checks),
        }
        if self.exception:
            out["exception"] = self.exception
        if self.problems:
            out["problems"] = self.problems
        return out


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def load_coverage(path: Path = COVERAGE_FILE) -> dict[str, dict[str, Any]]:
    """The class -> {checks, exception?} table."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(data["classes"])


def load_manifest(path: str | Path) -> dict[str, Any]:
    """The generator's manifest; UsageError naming the file when it cannot be read."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read manifest {p}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"manifest {p} line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict) or "defects" not in data:
        raise ConfigError(f"manifest {p} has no 'defects': is it a `utilityflow generate` manifest.json?")
    data["_dir"] = str(p.parent)  # the delivered files sit beside it (interruption rows are read there)
    return data


def manifest_rows(manifest: dict[str, Any]) -> tuple[dict[str, set[Row]], dict[str, int]]:
    """Per class: the (file, row) of every instance that has a row; and the total instance count.

    An outage's interruptions are staged as their own rows, numbered 1.. through the whole file, while
    the manifest locates one by the outage's line and its `interruption_index`: the staged row number is
    worked out from the delivered file (the interruptions of the lines before, plus the index). An
    instance without an index (an interruption the outage missed) has no row."""
    rows: dict[str, set[Row]] = {}
    totals: dict[str, int] = {}
    offsets: dict[str, dict[int, int]] = {}
    for name, d in manifest["defects"].items():
        found: set[Row] = set()
        for g in d.get("instances", []):
            if "interruption_index" in g:
                first = offsets.get(g["file"])
                if first is None:
                    first = offsets[g["file"]] = _interruption_offsets(manifest, g["file"])
                found.update(
                    (g["file"], first[int(r)] + int(i))
                    for r, i in zip(g.get("rows", []), g["interruption_index"], strict=True)
                    if r is not None and i is not None
                )
                continue
            found.update((g["file"], int(r)) for r in g.get("rows", []) if r is not None)
        rows[name] = found
        totals[name] = int(d.get("count", 0))
    return rows, totals


def _interruption_offsets(manifest: dict[str, Any], file: str) -> dict[int, int]:
    """Outage line -> the staged interruption rows before it, read from the delivered outage file."""
    root = manifest.get("_dir")
    if root is None:
        raise ConfigError("interruption instances need the delivered files: load the manifest with load_manifest")
    path = Path(root) / file
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"cannot read delivered file {path}: {e.strerror}") from None
    out: dict[int, int] = {}
    seen = 0
    for n, line in enumerate((x for x in lines if x.strip()), 1):
        out[n] = seen
        try:
            kids = json.loads(line).get("interruptions") or []
        except (ValueError, AttributeError):
            kids = []  # the loader stages no interruption of a malformed line either
        seen += sum(1 for k in kids if isinstance(k, dict)) if isinstance(kids, list) else 0
    return out


def flagged_rows(engine: Engine, suite: Suite, spec: CheckSpec) -> set[Row] | None:
    """Every failing (file, source row) of one check over all batches of its dataset; None when the check
    has no row grain or its table has no batches/row numbers."""
    with engine.connect() as conn:
        if not table_exists(conn, suite.dataset, suite.schema):
            return set()
        columns = table_columns(conn, suite.dataset, suite.schema)
        if "source_row_number" not in columns or suite.batch_column not in columns:
            return None
        sql = failing_rows_sql(suite, spec, engine.dialect.name, columns)
        if sql is None:
            return None
        batches = conn.execute(
            sa.text(
                f"SELECT b.batch_id, b.file_name FROM dim_batch b WHERE b.batch_id IN "
                f"(SELECT DISTINCT {suite.batch_column} FROM {suite.dataset})"
            )
        ).fetchall()
        out: set[Row] = set()
        stmt = sa.text(sql)
        for batch_id, file_name in batches:
            out.update((str(file_name), int(rid)) for (rid,) in conn.execute(stmt, {"batch_id": batch_id}))
        return out


def measure(engine: Engine, manifest: dict[str, Any], suites_dir: Path = SUITES_DIR,
            coverage: dict[str, dict[str, Any]] | None = None) -> dict[str, ClassTruth]:
    """Recall and precision per defect class of the manifest, from the warehouse the manifest was loaded into."""
    coverage = coverage if coverage is not None else load_coverage()
    specs: dict[str, tuple[Suite, CheckSpec]] = {
        spec.id: (suite, spec) for suite in load_suites(suites_dir) for spec in suite.checks
    }
    truth, totals = manifest_rows(manifest)
    any_defect: set[Row] = set().union(*truth.values()) if truth else set()
    cache: dict[str, set[Row] | None] = {}
    out: dict[str, ClassTruth] = {}
    for name in manifest["defects"]:
        entry = coverage.get(name) or {}
        ct = ClassTruth(name, tuple(entry.get("checks", ())), exception=entry.get("exception"))
        ct.instances, ct.instances_total = len(truth[name]), totals[name]
        out[name] = ct
        if not entry:
            ct.problems.append("no checks mapped in the coverage file")
            continue
        # an exception is still measured where its checks have a row grain (reported, not held to the target)
        flagged: set[Row] = set()
        for cid in ct.checks:
            if cid not in specs:
                ct.problems.append(f"unknown check {cid!r}")
                continue
            if cid not in cache:
                cache[cid] = flagged_rows(engine, *specs[cid])
            rows = cache[cid]
            if rows is None:
                if not ct.exception:
                    ct.problems.append(f"check {cid!r} has no row grain")
                continue
            flagged |= rows
        ct.flagged = len(flagged)
        ct.true_positives = len(flagged & truth[name])
        ct.flagged_any_defect = len(flagged & any_defect)
    return out


def report(results: dict[str, ClassTruth]) -> dict[str, Any]:
    """The JSON shape: {"classes": {class: {recall, precision, ...}}, "summary": {...}}."""
    measured = [c for c in results.values() if not c.exception and c.instances]
    return {
        "classes": {name: c.to_dict() for name, c in results.items()},
        "summary": {
            "classes": len(results),
            "measured": len(measured),
            "exceptions": sum(1 for c in results.values() if c.exception),
            "at_target": sum(
                1 for c in measured if (c.recall or 0) >= 0.99 and (c.precision or 0) >= 0.99
            ),
        },
    }


__all__ = ["ClassTruth", "measure", "report", "load_manifest", "load_coverage", "flagged_rows", "manifest_rows"]
