"""A real local HTTP server standing in for Slack (webhook and Web API), recording every request.

slack-sdk itself is not mocked: its clients talk HTTP to this server on 127.0.0.1, so retries, the
Retry-After header and error handling run for real. Responses can be scripted per path (a 429, a 500).
At teardown every payload the test produced — requests the server received and `dq_alert_log` rows —
is scanned for the PII the tests plant.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

# PII planted in the test data: none of it may appear in any payload.
PLANTED_PII = ("jane.doe@example.com", "Jane Doe", "Doe", "555-867-5309", "5558675309", "867 5309",
               "742 Evergreen Terrace", "Evergreen", "robert.smith@utility.example", "Robert Smith")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(self.body)
        from urllib.parse import parse_qs

        return {k: v[0] for k, v in parse_qs(self.body).items()}


@dataclass
class SlackServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    ts_counter: int = 0

    def respond(self, path: str, *responses: tuple[int, dict[str, str], str]) -> None:
        """Queue responses for a path; when the queue is empty the server answers success."""
        self.script.setdefault(path, []).extend(responses)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    server_state: SlackServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode("utf-8")
            server_state.requests.append(Recorded(self.path, dict(self.headers), body))
            queue = server_state.script.get(self.path) or []
            if queue:
                status, headers, text = queue.pop(0)
            elif self.path.startswith("/api/"):
                server_state.ts_counter += 1
                payload = json.loads(body) if body.startswith("{") else {}
                status, headers, text = 200, {"Content-Type": "application/json"}, json.dumps({
                    "ok": True, "channel": payload.get("channel", "C1"),
                    "ts": payload.get("ts") or f"1700000000.{server_state.ts_counter:06d}"})
            else:
                status, headers, text = 200, {"Content-Type": "text/plain"}, "ok"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            data = text.encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state = SlackServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()
    for request in server_state.requests:
        assert_no_pii(request.body, f"request to {request.path}")


def assert_no_pii(text: str, where: str) -> None:
    """Fail if planted PII or an unmasked email is in `text`."""
    decoded = json.dumps(json.loads(text)) if text.startswith("{") else text
    for value in PLANTED_PII:
        assert value.lower() not in text.lower() and value.lower() not in decoded.lower(), f"PII {value!r} in {where}"
    assert not EMAIL.search(text.replace("***@***", "")), f"unmasked email in {where}: {EMAIL.search(text)}"


@pytest.fixture(autouse=True)
def _scan_every_stored_payload(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every alert test that used a warehouse, scan every stored alert payload for PII."""
    engines = [request.getfixturevalue(n).engine for n in ("mart", "duck_mart") if n in request.fixturenames]
    yield
    for engine in engines:
        with engine.connect() as conn:
            for (payload,) in conn.execute(sa.text("SELECT payload_json FROM dq_alert_log")):
                assert_no_pii(payload, "dq_alert_log.payload_json")


@pytest.fixture
def scan_alert_log():
    """Call with an engine at the end of a test: every stored payload is scanned for PII."""
    def scan(engine: sa.Engine) -> int:
        with engine.connect() as conn:
            payloads = [r[0] for r in conn.execute(sa.text("SELECT payload_json FROM dq_alert_log"))]
        for p in payloads:
            assert_no_pii(p, "dq_alert_log.payload_json")
        return len(payloads)
    return scan
