"""Load deliveries: a whole generator output directory in delivery order, or given files; then match.

    from loaders.run import load_directory
    summary = load_directory(engine, "out/", on_progress=lambda event: ...)

`on_progress` receives a `Progress` event before and after every file (the CLI draws one bar per source).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from loaders.ahead import StageAhead
from loaders.batch import BatchResult
from loaders.errors import LoaderError
from loaders.live import discard_interrupted
from loaders.match import MatchSummary, is_stale, match_customers
from loaders.sources.delivery import NAME, parse_name
from warehouse.schema.staging import FEEDS, SOURCES

# Within one delivery day: reference data and dimensions before the facts that point at them.
FEED_ORDER = ("cis_tariff", "cis_premise", "gis_premise", "cis_customer", "cis_account", "cis_service_point",
              "gis_service_point", "cis_bill", "cis_bill_line", "mdm_register", "mdm_interval", "mdm_espi",
              "crm_contact", "crm_case", "crm_interaction", "payments_lockbox", "payments_card",
              "workorders_order", "workorders_outage")
assert set(FEED_ORDER) | {"workorders_interruption"} == set(FEEDS)


DUCKDB_MEMORY_LIMIT = "1GB"
DUCKDB_CHECKPOINT_WAL = "1GB"


@dataclass
class Progress:
    source: str
    file: str
    index: int  # 1-based position among the source's files
    total: int  # the source's file count
    result: BatchResult | None = None  # None before the file is loaded


@dataclass
class LoadSummary:
    batches: list[BatchResult] = field(default_factory=list)
    match: MatchSummary | None = None

    def count(self, status: str) -> int:
        return sum(1 for b in self.batches if b.status == status)

    @property
    def quarantined_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.batches:
            for k, v in b.quarantined_by_reason.items():
                out[k] = out.get(k, 0) + v
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def by_source(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for b in self.batches:
            s = out.setdefault(b.source, dict(batches=0, loaded=0, skipped=0, failed=0, rows_read=0, rows_loaded=0,
                                              rows_quarantined=0, rows_merged=0))
            s["batches"] += 1
            s[b.status] = s.get(b.status, 0) + 1
            for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_merged"):
                s[k] += getattr(b, k)
        return out

    def to_dict(self) -> dict:
        return {
            "batches": [asdict(b) for b in self.batches],
            "by_source": self.by_source(),
            "quarantined_by_reason": self.quarantined_by_reason,
            "loaded": self.count("loaded"), "skipped": self.count("skipped"), "failed": self.count("failed"),
            "golden_customers": self.match.golden_customers if self.match else None,
            "match_rate": round(self.match.match_rate, 4) if self.match else None,
            "links_by_rule": self.match.links_by_rule if self.match else {},
        }


def read_manifest(root: Path) -> dict | None:
    """The generator's manifest.json of an output folder, or None when there is none."""
    path = Path(root) / "manifest.json"
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise LoaderError(f"{path}: not valid JSON ({e}); regenerate the folder or remove the manifest") from None
    return doc if isinstance(doc, dict) else None


def delivery_files(root: Path) -> list[Path]:
    """Every delivery file under `root` in delivery order.

    With a generator manifest, its `deliveries` list (by `seq`) is the order. Otherwise every file inside
    a folder named after its source, by delivery day, then feed order, then name. Anything else (notes,
    the `_truth/` folder) is ignored.
    """
    root = Path(root)
    if not root.is_dir():
        raise LoaderError(f"{root}: not a directory; give the generator's output folder (utilityflow generate --out)")
    manifest = read_manifest(root)
    if manifest and isinstance(manifest.get("deliveries"), list):
        listed = sorted(manifest["deliveries"], key=lambda d: d.get("seq", 0))
        paths = [root / d["path"] for d in listed if isinstance(d, dict) and d.get("path")]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise LoaderError(f"{root}: the manifest lists {len(missing)} file(s) that are not there, e.g. "
                              f"{missing[0].relative_to(root)}; copy the whole output folder")
        return paths
    found = [p for p in root.rglob("*") if p.is_file() and p.parent.name in SOURCES and NAME.match(p.name)]

    def order(p: Path) -> tuple:
        n = parse_name(p)
        return (n.day, FEED_ORDER.index(n.feed.name) if n.feed.name in FEED_ORDER else 99, n.suffix or "", str(p))
    return sorted(found, key=order)


def load_files(engine: Engine, files: Iterable[Path], *, tz: str = "America/Chicago",
               on_progress: Callable[[Progress], None] | None = None, match: bool = True) -> LoadSummary:
    """Load files in the order given (each an atomic batch), then re-run customer matching if needed."""
    files = [Path(f) for f in files]
    totals: dict[str, int] = {}
    for f in files:
        totals[f.parent.name] = totals.get(f.parent.name, 0) + 1
    seen: dict[str, int] = {}
    summary = LoadSummary()
    with ExitStack() as stack:
        if engine.dialect.name == "duckdb":
            # DuckDB checkpoints and closes the database when its last connection closes; one idle
            # connection held for the run keeps the instance open between batches (each still commits).
            keepalive = stack.enter_context(engine.connect())
            # DuckDB's default buffer pool is 80% of RAM; a loader sharing the machine keeps to a budget
            # (spilling to disk beyond it) so the run's peak RSS stays bounded.
            keepalive.exec_driver_sql(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
            # Every batch commits; with the default 16 MB WAL threshold nearly every commit also checkpoints
            # (rewriting the tables it touched). Checkpointing every ~1 GB of WAL instead cut the loader's CPU
            # by 15-20% on 30 billing files (benchmarks/bench_load.py); the database checkpoints on close anyway.
            keepalive.exec_driver_sql(f"SET checkpoint_threshold = '{DUCKDB_CHECKPOINT_WAL}'")
        discard_interrupted(engine)
        _load_each(engine, files, totals, seen, summary, tz, on_progress)
        if match and is_stale(engine):
            last = max((b.batch_id for b in summary.batches if b.batch_id), default=None)
            summary.match = match_customers(engine, last)
        elif match:
            summary.match = _current_match(engine)
    return summary


def _load_each(engine: Engine, files: list[Path], totals: dict[str, int], seen: dict[str, int],
               summary: LoadSummary, tz: str, on_progress: Callable[[Progress], None] | None) -> None:
    ahead = StageAhead(engine, files, tz)  # large files are staged a turn early, on the second core
    try:
        for i, f in enumerate(files):
            src = f.parent.name
            seen[src] = seen.get(src, 0) + 1
            if on_progress:
                on_progress(Progress(src, f.name, seen[src], totals[src]))
            result = ahead.load(i)
            summary.batches.append(result)
            if on_progress:
                on_progress(Progress(src, f.name, seen[src], totals[src], result))
    finally:
        ahead.close()


def _current_match(engine: Engine) -> MatchSummary | None:
    import sqlalchemy as sa

    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*), COUNT(DISTINCT golden_customer_id) FROM customer_xref "
                                 "WHERE is_current")).one()
        singles = conn.execute(sa.text("SELECT COUNT(*) FROM (SELECT golden_customer_id FROM customer_xref WHERE "
                                       "is_current GROUP BY golden_customer_id HAVING COUNT(*) = 1) s")).scalar()
    if not n[0]:
        return None
    return MatchSummary(int(n[0]), int(n[1]), {}, 0, singletons=int(singles or 0))


def load_directory(engine: Engine, path: str | Path, *, tz: str = "America/Chicago",
                   on_progress: Callable[[Progress], None] | None = None) -> LoadSummary:
    """Load every delivery of a generator output directory, in delivery order, then match customers.

    The utility's time zone comes from the manifest's `parameters.timezone` when there is one."""
    manifest = read_manifest(Path(path))
    zone = (manifest or {}).get("parameters", {}).get("timezone") or tz
    return load_files(engine, delivery_files(Path(path)), tz=zone, on_progress=on_progress)
