"""How `utilityflow check` prints runs: a plain table, one JSON object, or JUnit XML for CI."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from checks.results import Outcome
from monitor.runner import RunResult


def as_json(runs: list[RunResult], run_ids: list[int | None]) -> str:
    """One object: every result (with dataset, stage, batch), each run's scores, the statement count."""
    results, scores = [], []
    for run in runs:
        d = run.to_dict()
        results.extend(d["results"])
        scores.append({"dataset": run.dataset, "stage": run.stage, "batch_id": run.batch_id, **d["scores"]})
    doc: dict[str, Any] = {
        "results": results,
        "scores": scores,
        "statements": sum(r.statements for r in runs),
        "runs": [
            {
                "dataset": r.dataset,
                "stage": r.stage,
                "batch_id": r.batch_id,
                "statements": r.statements,
                "duration_ms": round(r.duration_ms, 1),
                "run_id": rid,
            }
            for r, rid in zip(runs, run_ids, strict=True)
        ],
    }
    return json.dumps(doc, indent=2, default=str)


def as_table(runs: list[RunResult]) -> str:
    lines = []
    for run in runs:
        batch = "whole table" if run.batch_id is None else f"batch {run.batch_id}"
        score = "n/a" if run.scores.batch is None else f"{run.scores.batch:.3f}"
        cap = " (capped: a critical check failed)" if run.scores.capped else ""
        lines.append(
            f"{run.dataset} [{run.stage}] {batch}: score {score}{cap}, "
            f"{run.statements} statements, {run.duration_ms:.0f} ms"
        )
        width = max((len(r.check_id) for r in run.results), default=8)
        for r in run.results:
            counts = f"{r.rows_failed}/{r.rows_evaluated}" if r.rows_evaluated is not None else ""
            lines.append(f"  {r.status.value:<7} {r.check_id:<{width}}  {r.severity:<8} {counts:>12}  {r.message}")
        dims = ", ".join(f"{d} {s:.3f}" for d, s in run.scores.dimensions.items() if s is not None)
        lines.append(
            f"  dimensions: {dims or 'none scored'}; coverage {len(run.scores.coverage.dimensions)}/6 dimensions"
        )
    return "\n".join(lines)


def as_junit(runs: list[RunResult], fail_on: str) -> str:
    """One testsuite per dataset/stage/batch, one testcase per check (error = could not run)."""
    root = ET.Element("testsuites", name="utilityflow")
    for run in runs:
        suite = ET.SubElement(
            root, "testsuite", name=f"{run.dataset}.{run.stage}.{run.batch_id or 'all'}", tests=str(len(run.results))
        )
        counts = {"failures": 0, "errors": 0, "skipped": 0}
        for r in run.results:
            case = ET.SubElement(suite, "testcase", classname=f"{run.dataset}.{run.stage}", name=r.check_id)
            failing = r.status is Outcome.FAIL or (fail_on == "warn" and r.status is Outcome.WARN)
            if failing:
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=r.message, type=r.status.value)
            elif r.status is Outcome.ERROR:
                counts["errors"] += 1
                ET.SubElement(case, "error", message=r.message)
            elif r.status is Outcome.SKIPPED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=r.message)
        suite.attrib.update({k: str(v) for k, v in counts.items()})
    return ET.tostring(root, encoding="unicode")
