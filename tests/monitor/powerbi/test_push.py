"""`powerbi push` against a real local HTTP server that records every request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from monitor.cli import cli
from monitor.powerbi.push import (
    COLUMNS,
    MAX_ROWS_PER_REQUEST,
    PushClient,
    PushError,
    RateLimiter,
    push_new_batch_scores,
)

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"


def test_push_creates_the_dataset_then_posts_only_new_batch_scores(
    filled: tuple[Engine, Any], powerbi_server: Any, tmp_path: Path
) -> None:
    engine, seed = filled
    state = tmp_path / "state.json"
    client = PushClient(powerbi_server.url, TOKEN)
    first = push_new_batch_scores(engine, client, state)
    created = [r for r in powerbi_server.requests if r.method == "POST" and "/datasets?" in r.path]
    assert len(created) == 1 and created[0].path.endswith("/datasets?defaultRetentionPolicy=basicFIFO")
    table = created[0].body["tables"][0]
    assert created[0].body["defaultMode"] == "Push"
    assert [(c["name"], c["dataType"]) for c in table["columns"]] == list(COLUMNS)
    [rows_req] = powerbi_server.rows_requests()
    assert rows_req.path == f"/v1.0/myorg/datasets/{first.dataset_id}/tables/BatchScore/rows"
    assert rows_req.headers["Authorization"] == f"Bearer {TOKEN}"
    pushed = rows_req.body["rows"]
    with engine.connect() as conn:
        expected = conn.execute(sa.text("SELECT batch_id, stage, score FROM v_dq_batch_score")).all()
    assert sorted((r["batch_id"], r["stage"], round(r["score"], 9)) for r in pushed) == sorted(
        (int(b), s, round(float(sc), 9)) for b, s, sc in expected)
    assert len(pushed) == 2 * len(seed.rows("dim_batch")) == first.rows
    assert pushed[0]["business_date"].startswith("2026-08-05T")
    # nothing new: the dataset is found by name, no rows are posted
    second = push_new_batch_scores(engine, client, state)
    assert (second.dataset_id, second.rows, second.requests) == (first.dataset_id, 0, 0)
    assert len(powerbi_server.rows_requests()) == 1
    assert sum(1 for r in powerbi_server.requests if "/datasets?" in r.path) == 1
    # a new batch scored: only it is pushed
    new = dict(seed.rows("fact_data_quality")[0], run_id=500, batch_id=999, date_key=20261101)
    with engine.begin() as conn:
        cols = list(new)
        conn.execute(sa.text(f"INSERT INTO fact_data_quality ({', '.join(cols)}) "
                             f"VALUES ({', '.join(':' + c for c in cols)})"), new)
    third = push_new_batch_scores(engine, client, state)
    assert third.rows == 1 and third.last_batch_id == 999
    assert [r["batch_id"] for r in powerbi_server.rows_requests()[-1].body["rows"]] == [999]


def test_rows_go_in_requests_of_at_most_10000(powerbi_server: Any) -> None:
    client = PushClient(powerbi_server.url, TOKEN)
    rows = [{"batch_id": i, "score": 1.0} for i in range(2 * MAX_ROWS_PER_REQUEST + 1)]
    assert client.post_rows("ds-x", rows) == 3
    sizes = [len(r.body["rows"]) for r in powerbi_server.rows_requests()]
    assert sizes == [10_000, 10_000, 1]
    assert [row["batch_id"] for r in powerbi_server.rows_requests() for row in r.body["rows"]] == list(range(20_001))


def test_the_limiter_never_allows_more_than_120_requests_a_minute() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(clock=lambda: now[0], sleep=sleep)
    times = []
    for i in range(300):
        now[0] += 0.1 if i % 50 else 0.0  # bursts and trickles
        limiter.acquire()
        times.append(now[0])
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t - start < 60.0) <= 120
    assert slept, "300 requests in well under a minute must wait"
    assert times[-1] >= 120.0  # the 241st request cannot go before two full windows have passed


def test_posting_is_spaced_by_the_limiter_against_the_real_server(powerbi_server: Any) -> None:
    limiter = RateLimiter(limit=3, window=0.3)
    client = PushClient(powerbi_server.url, TOKEN, limiter=limiter)
    start = time.monotonic()
    admitted = []
    for _ in range(7):
        client.post_rows("ds-x", [{"batch_id": 1}])
        admitted.append(limiter.calls[-1])  # when the limiter let this request go, by its own clock
    assert time.monotonic() - start >= 0.6
    assert len(powerbi_server.rows_requests()) == 7
    # judged by send times: on a loaded machine the server's arrival stamps can bunch up in transit
    for i, t in enumerate(admitted):
        assert sum(1 for u in admitted[i:] if u - t < 0.3) <= 3


def test_429_is_retried_after_retry_after_and_other_errors_are_reported(powerbi_server: Any) -> None:
    slept: list[float] = []
    client = PushClient(powerbi_server.url, TOKEN, sleep=slept.append)
    powerbi_server.fail_rows_with.append((429, {"Retry-After": "2"}))
    assert client.post_rows("ds-x", [{"batch_id": 1}]) == 1
    assert slept == [2.0] and len(powerbi_server.rows_requests()) == 2
    powerbi_server.fail_rows_with.append((403, {}))
    with pytest.raises(PushError, match="answered 403") as info:
        client.post_rows("ds-x", [{"batch_id": 1}])
    assert TOKEN not in str(info.value)


def test_unreachable_api_is_one_clear_error() -> None:
    client = PushClient("http://127.0.0.1:9/v1.0/myorg", TOKEN, timeout=2)
    with pytest.raises(PushError, match="cannot reach the Power BI API"):
        client.ensure_dataset()


def test_cli_push_needs_a_token_then_pushes(duckdb_file: str, powerbi_server: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UTILITYFLOW_POWERBI_TOKEN", raising=False)
    args = ["powerbi", "push", "--api-url", powerbi_server.url, "--state", str(tmp_path / "s.json"),
            "--warehouse", duckdb_file]
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "UTILITYFLOW_POWERBI_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 2
    assert "error [config_error]: no Power BI token: set UTILITYFLOW_POWERBI_TOKEN" in done.stderr
    monkeypatch.setenv("UTILITYFLOW_POWERBI_TOKEN", TOKEN)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "pushed 54 batch scores in 1 requests to dataset ds-1 (up to batch 27)" in result.output
    assert TOKEN not in result.output
