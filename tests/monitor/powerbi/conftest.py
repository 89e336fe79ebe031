"""Fixtures for the Power BI tests: the report tests' seeded mart, and a recording HTTP server.

The seed lives in tests/monitor/report/conftest.py; it is loaded here by path (tests are not a package under
pytest's importlib mode) so both folders test against the same rows.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

_path = Path(__file__).parents[1] / "report" / "conftest.py"
_spec = importlib.util.spec_from_file_location("uf_report_seed", _path)
assert _spec and _spec.loader
seed_module = importlib.util.module_from_spec(_spec)
sys.modules["uf_report_seed"] = seed_module
_spec.loader.exec_module(seed_module)
seed = seed_module.seed
filled = seed_module.filled
duckdb_file = seed_module.duckdb_file
seeded_duckdb_template = seed_module.seeded_duckdb_template


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class FakePowerBI:
    """What the server answers, and every request it received."""

    url: str = ""
    datasets: list[dict[str, str]] = field(default_factory=list)
    fail_rows_with: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # queued (status, headers)
    requests: list[Recorded] = field(default_factory=list)

    def rows_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/rows")]


@pytest.fixture
def powerbi_server() -> Iterator[FakePowerBI]:
    """A real HTTP server on 127.0.0.1 speaking the parts of the Power BI push API we use."""
    state = FakePowerBI()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _record(self) -> Recorded:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            rec = Recorded(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None,
                           time.monotonic())
            with lock:
                state.requests.append(rec)
            return rec

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            rec = self._record()
            if rec.path.endswith("/datasets"):
                self._send(200, {"value": state.datasets})
            else:
                self._send(404, {"error": {"code": "NotFound"}})

        def do_POST(self) -> None:  # noqa: N802
            rec = self._record()
            if "/datasets?" in rec.path:
                ds = {"id": f"ds-{len(state.datasets) + 1}", "name": rec.body["name"]}
                state.datasets.append(ds)
                self._send(201, ds)
            elif rec.path.endswith("/rows"):
                if state.fail_rows_with:
                    status, headers = state.fail_rows_with.pop(0)
                    self._send(status, {"error": {"code": "Failed", "message": f"status {status}"}}, headers)
                else:
                    self._send(200, {})
            else:
                self._send(404, {"error": {"code": "NotFound"}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1.0/myorg"
    yield state
    server.shutdown()
    server.server_close()
