"""The production job steps: the loaders and the check registry, as the scheduler calls them.

    load_step  one delivery file -> one atomic batch (a bad file is a terminal job error)
    check_step match customers if customer data changed, then score the new batches with the shipped
               suites (raw, cleansed and star) as ONE DQ run, whose id anomaly detection and alerts use
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from monitor.scheduler import Delivery, TerminalJobError
from monitor.settings import Settings


def load_step(engine: Engine, delivery: Delivery, settings: Settings) -> int | None:
    """Load one delivered file; the new batch id, or None when it was a re-delivery (skipped)."""
    from loaders.batch import load_file

    result = load_file(engine, delivery.path, tz=settings.utility_timezone)
    if result.status == "failed":
        raise TerminalJobError(result.message)
    return result.batch_id if result.status == "loaded" else None


def check_step(engine: Engine, batch_ids: list[int], settings: Settings) -> int | None:
    """Score the given batches; the DQ run id (None when no suite had anything to score)."""
    from loaders.live import wait_for_chunked_loads
    from loaders.match import is_stale, match_customers
    from monitor.scoring import score, shipped_suites

    # jobs run in threads: another job's large file may be mid-way (committed chunks, not yet published);
    # matching and the checks that read other datasets must not see half of it
    wait_for_chunked_loads()
    if batch_ids and is_stale(engine):
        match_customers(engine, max(batch_ids))
    return score(engine, shipped_suites(), only_batches=set(batch_ids), trigger="schedule").run_id
