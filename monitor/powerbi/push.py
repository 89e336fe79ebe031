"""Real-time tiles: post new batch scores to a Power BI push dataset through the REST API.

    POST {base}/datasets?defaultRetentionPolicy=basicFIFO      create the dataset (once; found by name after)
    POST {base}/datasets/{id}/tables/{table}/rows              {"rows": [...]}, at most 10,000 rows a request

Power BI accepts at most 120 POST rows requests per minute per dataset: a sliding-window limiter spaces the
requests, and a 429 answer is retried after its Retry-After. Microsoft stops the creation of new push and
streaming datasets in October 2027, so the views and the semantic model are the primary path; this is an
optional extra for live tiles.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor.errors import EXIT_USAGE, MonitorError
from monitor.masking import scrub
from warehouse.engine import connect_checked

MAX_ROWS_PER_REQUEST = 10_000
MAX_REQUESTS_PER_MINUTE = 120
DATASET = "UtilityFlow DQ"
TABLE = "BatchScore"
COLUMNS = (
    ("batch_id", "Int64"), ("dataset_name", "string"), ("stage", "string"), ("source", "string"),
    ("business_date", "DateTime"), ("score", "Double"), ("uncapped_score", "Double"),
    ("critical_failed", "Bool"), ("dimensions_scored", "Int64"),
)


class PushError(MonitorError):
    """The Power BI REST API refused or could not be reached."""

    code = "powerbi_push"


class RateLimiter:
    """At most `limit` calls in any `window` seconds (a sliding window over the last calls)."""

    def __init__(self, limit: int = MAX_REQUESTS_PER_MINUTE, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit, self.window, self.clock, self.sleep = limit, window, clock, sleep
        self.calls: deque[float] = deque()

    def acquire(self) -> None:
        """Wait until one more call fits in the window, then count it."""
        while True:
            now = self.clock()
            while self.calls and now - self.calls[0] >= self.window:
                self.calls.popleft()
            if len(self.calls) < self.limit:
                self.calls.append(now)
                return
            # at least a millisecond: float rounding must not leave us one tick short, spinning
            self.sleep(max(self.window - (now - self.calls[0]), 0.001))


@dataclass
class PushClient:
    """A small client of the Power BI push-dataset REST API."""

    base_url: str
    token: str
    limiter: RateLimiter = field(default_factory=RateLimiter)
    timeout: float = 30.0
    max_retries: int = 3
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        url = self.base_url.rstrip("/") + path
        data = None if body is None else json.dumps(body, default=str).encode("utf-8")
        for attempt in range(self.max_retries + 1):
            if method == "POST" and "/rows" in path:
                self.limiter.acquire()
            req = urllib.request.Request(url, data=data, method=method, headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            self.requests += 1
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (configured URL)
                    text = resp.read().decode("utf-8")
                    return json.loads(text) if text.strip() else {}
            except urllib.error.HTTPError as e:
                if e.code == 429 and attempt < self.max_retries:
                    self.sleep(float(e.headers.get("Retry-After") or 1))
                    continue
                detail = e.read().decode("utf-8", "replace")[:300]
                raise PushError(f"Power BI API {method} {path} answered {e.code}: {scrub(detail)}") from None
            except urllib.error.URLError as e:
                raise PushError(f"cannot reach the Power BI API at {self.base_url}: {e.reason}") from None
        raise PushError(f"Power BI API {method} {path}: still rate-limited after {self.max_retries} retries")

    def ensure_dataset(self, name: str = DATASET) -> str:
        """The id of the push dataset called `name`, created with the BatchScore table if missing."""
        listed = self._call("GET", "/datasets")
        for ds in listed.get("value", []):
            if ds.get("name") == name:
                return str(ds["id"])
        created = self._call("POST", "/datasets?defaultRetentionPolicy=basicFIFO", {
            "name": name, "defaultMode": "Push",
            "tables": [{"name": TABLE, "columns": [{"name": n, "dataType": t} for n, t in COLUMNS]}],
        })
        return str(created["id"])

    def post_rows(self, dataset_id: str, rows: list[dict[str, Any]], table: str = TABLE) -> int:
        """Post rows in chunks of at most 10,000; returns the number of requests made."""
        count = 0
        for chunk in chunks(rows, MAX_ROWS_PER_REQUEST):
            self._call("POST", f"/datasets/{urllib.parse.quote(dataset_id)}/tables/{urllib.parse.quote(table)}/rows",
                       {"rows": chunk})
            count += 1
        return count


def chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def batch_score_rows(engine: Engine, after_batch_id: int) -> list[dict[str, Any]]:
    """Batch scores of batches newer than `after_batch_id`, shaped for the push table."""
    with connect_checked(engine) as conn:
        result = conn.execute(sa.text(
            "SELECT batch_id, dataset_name, stage, source, date_key, score, uncapped_score, critical_failed, "
            "dimensions_scored FROM v_dq_batch_score WHERE batch_id > :after ORDER BY batch_id, dataset_name, stage"
        ), {"after": after_batch_id}).mappings().all()
    return [_row(r) for r in result]


def _row(r: Any) -> dict[str, Any]:
    key = int(r["date_key"])
    return {
        "batch_id": int(r["batch_id"]), "dataset_name": r["dataset_name"], "stage": r["stage"],
        "source": r["source"], "business_date": datetime(key // 10000, key // 100 % 100, key % 100).isoformat(),
        "score": float(r["score"]), "uncapped_score": float(r["uncapped_score"]),
        "critical_failed": bool(r["critical_failed"]), "dimensions_scored": int(r["dimensions_scored"]),
    }


@dataclass(frozen=True)
class PushOutcome:
    dataset_id: str
    rows: int
    requests: int
    last_batch_id: int


def push_new_batch_scores(engine: Engine, client: PushClient, state_file: Path) -> PushOutcome:
    """Post the scores of batches not pushed yet; the highest pushed batch id is kept in `state_file`."""
    state = _read_state(state_file)
    dataset_id = client.ensure_dataset()
    after = int(state.get(dataset_id, 0))
    rows = batch_score_rows(engine, after)
    requests = client.post_rows(dataset_id, rows) if rows else 0
    last = max((r["batch_id"] for r in rows), default=after)
    state[dataset_id] = last
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    return PushOutcome(dataset_id, len(rows), requests, last)


def _read_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise MonitorError(f"{path}: push state is not valid JSON ({e}); delete it to push every batch again.",
                           code="powerbi_push_state", exit_code=EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise MonitorError(f"{path}: push state must be a JSON object; delete it to start over.",
                           code="powerbi_push_state", exit_code=EXIT_USAGE)
    return data
