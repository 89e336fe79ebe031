"""One engine's row, the median timer, and the printed table (ratios, defect counts, agreement)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from peers.suite import CHECKS


class Row:
    """One engine's line of the table."""

    SHORT = {
        "floor": "floor",
        "UtilityFlow": "native",
        "Soda Core 3 (samples on)": "soda+samples",
        "Soda Core 3 (samples off)": "soda-samples",
        "GX 1.x (SQL": "gx-sql",
        "GX 1.x (pandas": "gx-pandas",
    }

    def __init__(self, engine: str, seconds: float | None, statements: Any, counts: dict[str, Any], note: str = ""):
        self.engine, self.seconds, self.statements, self.counts, self.note = engine, seconds, statements, counts, note

    @property
    def short(self) -> str:
        return next((v for k, v in self.SHORT.items() if self.engine.startswith(k)), self.engine)


def median(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    fn()  # warm-up
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), last


def medians(fns: list[Callable[[], Any]], runs: int) -> list[tuple[float, Any]]:
    """Like `median` for several engines at once, their runs alternated (a, b, a, b, ...): on a shared
    machine whose load drifts, each engine then sees the same conditions, and their ratio stays fair."""
    for fn in fns:
        fn()  # warm-up
    times: list[list[float]] = [[] for _ in fns]
    last: list[Any] = [None for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            last[i] = fn()
            times[i].append(time.perf_counter() - t0)
    return [(statistics.median(t), r) for t, r in zip(times, last, strict=True)]


def report(db: str, rows_n: int, runs: int, rows: list[Row]) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())  # the machine may be shared: say how busy it was
    print(
        f"\n== {db}: {rows_n:,} rows, 13 checks, median of {runs} runs; load average {load} ({os.cpu_count()} cores) =="
    )
    for r in rows:
        t = f"{r.seconds:8.3f} s" if r.seconds is not None else "       -  "
        print(f"  {r.engine:36s} {t}  statements: {r.statements!s:>16}  {r.note}")
    by = {r.engine: r for r in rows}
    native = by["UtilityFlow native (samples on)"].seconds
    for label, key in (
        ("native / floor", "floor (hand-written single scan)"),
        ("native / Soda (samples on)", "Soda Core 3 (samples on)"),
        ("native / Soda (samples off)", "Soda Core 3 (samples off)"),
        ("native / GX (SQL)", "GX 1.x (SQL datasource)"),
        ("native / GX (pandas)", "GX 1.x (pandas, for scale)"),
    ):
        other = by.get(key)
        if other is not None and other.seconds:
            print(f"  {label:36s} {native / other.seconds:6.2f}x")
        else:
            print(f"  {label:36s}    n/a  ({other.note if other else 'not run'})")
    print("  defect counts per check (id_unique: native reports all three meanings of 'duplicate count'):")
    counted = [r for r in rows if r.counts]
    print("    " + f"{'check':20s}" + "".join(f"{r.short:>36s}" for r in counted))
    for cid in CHECKS:
        print("    " + f"{cid:20s}" + "".join(f"{str(r.counts.get(cid)):>36s}" for r in counted))
    agree = _agreement(counted)
    print(f"  agreement: {agree}")


def _agreement(rows: list[Row]) -> str:
    """Plain counts must be equal across engines; the unique/rate/mean checks are reported in each engine's
    own unit (explained in the header) and compared through the native triple."""
    problems = []
    for cid in CHECKS:
        if cid in ("id_unique", "phone_missing_rate", "kwh_mean"):
            continue
        values = {r.engine: r.counts.get(cid) for r in rows if r.counts.get(cid) is not None}
        if len(set(map(str, values.values()))) > 1:
            problems.append(f"{cid}: {values}")
    native = next((r for r in rows if r.engine.startswith("UtilityFlow")), None)
    if native:
        rows_, keys_, excess_ = (int(x.split()[0]) for x in native.counts["id_unique"].split(" / "))
        for r in rows:
            if r is native:
                continue
            v = str(r.counts.get("id_unique", "")).split()  # "<n> <unit>..."
            n = int(v[0]) if v and v[0].isdigit() else None
            expected = {"excess": excess_, "keys": keys_, "rows": rows_}.get(v[1] if len(v) > 1 else "")
            if n is not None and expected is not None and n != expected:
                problems.append(f"id_unique {r.engine}: {' '.join(v)}, native says {expected}")
        means = {r.engine: r.counts.get("kwh_mean") for r in rows if r.counts.get("kwh_mean") is not None}
        if len({round(float(m), 2) for m in means.values()}) > 1:
            problems.append(f"kwh_mean: {means}")
    return "all engines found the same defects" if not problems else "DISAGREE: " + "; ".join(problems)
