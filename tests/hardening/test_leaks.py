"""Nothing personal and nothing secret leaves the warehouse.

PII: one pipeline over generated customers (load -> check -> incidents -> Slack alerts -> report -> console)
gathers everything that leaves the warehouse — CLI output in every format, JSON and JUnit, Slack payloads
received by a real local HTTP server, the report HTML, every console page (AppTest) and every log record —
and scans it for the delivered customers' emails, phones and names. Zero hits.

Secrets: commands run with known fake secrets (warehouse password, Slack token and webhook, Power BI
token), with and without --debug, on paths that fail; no secret appears in any output or log.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse.engine import create_engine

from .conftest import cli

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = ["app_pages/overview.py", "app_pages/datasets.py", "app_pages/check_detail.py", "app_pages/batches.py",
         "app_pages/incidents.py", "app_pages/alerts.py"]


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
        type(self).bodies.append(body)
        reply = json.dumps({"ok": True, "channel": "C1", "ts": f"1700000000.{len(self.bodies):06d}"})
        ctype = "application/json" if self.path.startswith("/api/") else "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.write(reply.encode() if ctype == "application/json" else b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 answering like Slack (webhook and Web API); yields (url, bodies)."""
    bodies: list[str] = []
    handler = type("Handler", (_Recorder,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    server.shutdown()
    server.server_close()


def _people(url: str) -> dict[str, set[str]]:
    """The delivered customers' PII, straight from staging (what the generator wrote, defects included)."""
    engine = create_engine(url, read_only=True)
    with engine.connect() as conn:
        cis = conn.execute(sa.text("SELECT full_name, email, phone FROM stg_cis_customer")).all()
        crm = conn.execute(sa.text("SELECT first_name, last_name, email, phone FROM stg_crm_contact")).all()
    engine.dispose()
    emails = {e.lower() for _, e, _ in cis if e and "@" in e} | {e.lower() for *_, e, _ in crm if e and "@" in e}
    phones = {re.sub(r"\D", "", p)[-10:] for p in [r[2] for r in cis] + [r[3] for r in crm] if p}
    names = {n.lower() for n, _, _ in cis if n and " " in n.strip()}
    names |= {f"{f} {last}".lower() for f, last, *_ in crm if f and last}
    names |= {f"{last} {f}".lower() for f, last, *_ in crm if f and last}
    names |= {f"{last}, {f}".lower() for f, last, *_ in crm if f and last}
    # placeholders the loader nulls (000-000-0000, 1234567890) are not anyone's phone
    phones = {p for p in phones if len(p) == 10 and len(set(p)) > 1 and p != "1234567890"}
    return {"email": emails, "phone": phones, "name": names}


def _hits(text: str, people: dict[str, set[str]]) -> list[str]:
    low = text.lower()
    found = [f"email {e}" for e in people["email"] if e in low]
    alternatives = "|".join(sorted(map(re.escape, people["name"]), key=len, reverse=True))
    names = re.compile(rf"(?<!\w)({alternatives})(?!\w)")
    found += [f"name {n!r}" for n in sorted(set(names.findall(low)))]
    squeezed = re.sub(r"[\s().+-]", "", text)  # (512) 555-0134, 512.555.0134, +1 512 555 0134 -> digits
    found += [f"phone {p}" for p in people["phone"] if p in squeezed]
    return found


@pytest.mark.slow
def test_nothing_that_leaves_the_warehouse_carries_pii(migrated_template: Path, generated: Path, tmp_path: Path,
                                                       slack: tuple[str, list[str]],
                                                       caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from monitor.alerts import dispatch_for_run
    from monitor.console_db import dispose_engines
    from monitor.incidents import sync_incidents
    from monitor.settings import Settings

    caplog.set_level(logging.DEBUG)
    db = tmp_path / "w.duckdb"
    shutil.copy(migrated_template, db)
    url = f"duckdb:///{db}"
    slack_url, bodies = slack
    monkeypatch.setenv("UTILITYFLOW_SLACK_API_URL", slack_url + "/api/")
    out: list[str] = []
    for argv in (["load", "--from", str(generated)], ["check", "--format", "json"],
                 ["check", "--no-store", "--dataset", "stg_cis_customer", "--format", "junit"],
                 ["check", "--no-store", "--fail-on", "warn"]):
        run = cli(*argv, "--warehouse", url)
        assert run.code in (0, 1), run.text
        out.append(run.text)
    assert '"samples"' in out[1] and "<testsuite" in out[2]
    engine = create_engine(url)
    run_id = int(engine.connect().execute(sa.text("SELECT MAX(run_id) FROM dq_run")).scalar_one())
    sync_incidents(engine, run_id)
    settings = Settings(warehouse_url=url, slack_webhook_url=slack_url + "/hook", slack_token="xoxb-1-fake",
                        slack_api_url=slack_url + "/api/")
    dispatch_for_run(engine, run_id, settings)
    with engine.connect() as conn:  # what the alert log keeps is shown by `alerts list` and the console
        out += [str(tuple(r)) for r in conn.execute(sa.text("SELECT * FROM dq_alert_log"))]
    engine.dispose()
    assert bodies, "no alert reached the Slack server"
    out += bodies
    for argv in (["incidents", "list"], ["alerts", "list"]):
        run = cli(*argv, "--warehouse", url)
        assert run.code == 0, run.text
        out.append(run.text)
    report = tmp_path / "report.html"
    run = cli("report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(report), "--warehouse", url)
    assert run.code == 0, run.text
    out += [run.text, report.read_text(encoding="utf-8")]
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["warehouse_url"] = url
        at.run()
        if page != PAGES[0]:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        out += [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                                          "error", "code", "text") for e in at.get(kind)]
        out += [at_df.value.to_csv() for at_df in at.dataframe]
        out += [str(el.proto) for el in at.get("plotly_chart")]
    dispose_engines()
    out += [caplog.text] + [r.getMessage() for r in caplog.records]
    people = _people(url)
    assert len(people["email"]) > 40 and len(people["name"]) > 40 and len(people["phone"]) > 40
    everything = "\n".join(out)
    assert len(everything) > 20_000  # the scan has something to look at
    hits = _hits(everything, people)
    assert hits == [], hits[:20]


def test_the_scanner_finds_planted_pii(loaded_copy: str) -> None:
    """The scan itself can fail: unmasked values of the generated customers are found in all three forms."""
    people = _people(loaded_copy)
    email, name, phone = sorted(people["email"])[0], sorted(people["name"])[0], sorted(people["phone"])[0]
    text = f"x {email.upper()} y | {name.title()} | ({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    assert len(_hits(text, people)) == 3
    from checks.masking import mask

    masked = f"x {mask('email', email)} y | {mask('name', name)} | {mask('phone', phone)}"
    assert _hits(masked, people) == []


SECRETS = {
    "warehouse password": "Pw-8f3kQz9xLm2",
    "slack token": "xoxb-1234567890-FAKEtokenVALUE9",
    "slack webhook": "T0FAKE/B0FAKE/WebhookSecret77",
    "powerbi token": "eyJhbGciOiJGAKE.powerbiSECRETtoken",
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_fake_secrets_never_appear_in_output_or_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bad_pg = f"postgresql+psycopg://etl:{SECRETS['warehouse password']}@127.0.0.1:1/dw"
    duck = f"duckdb:///{tmp_path / 'w.duckdb'}"
    monkeypatch.setenv("UTILITYFLOW_SLACK_TOKEN", SECRETS["slack token"])
    monkeypatch.setenv("UTILITYFLOW_SLACK_WEBHOOK_URL", "http://127.0.0.1:1/services/" + SECRETS["slack webhook"])
    monkeypatch.setenv("UTILITYFLOW_SLACK_API_URL", "http://127.0.0.1:1/api/")
    monkeypatch.setenv("UTILITYFLOW_POWERBI_TOKEN", SECRETS["powerbi token"])
    monkeypatch.setenv("UTILITYFLOW_POWERBI_API_URL", "http://127.0.0.1:1/v1.0/myorg")
    flag = ["--debug"] if debug else []
    runs = [cli(*flag, *argv) for argv in (
        ["config", "--warehouse", bad_pg],
        ["init", "--warehouse", bad_pg],
        ["check", "--warehouse", bad_pg],
        ["load", "--from", str(tmp_path), "--warehouse", bad_pg],
        ["incidents", "list", "--warehouse", bad_pg],
        ["report", "--out", str(tmp_path / "r.html"), "--warehouse", bad_pg],
        ["init", "--warehouse", duck],
        ["alerts", "test", "--warehouse", duck],
        ["powerbi", "push", "--warehouse", duck, "--state", str(tmp_path / "s.json")],
        ["check", "--warehouse", f"postgresql+psycopg://etl:{SECRETS['warehouse password']}@/dw?host=/nonexistent"],
        # malformed URLs: parse errors must not echo the string they failed on
        ["check", "--warehouse", f"postgresql+psycopg://etl:{SECRETS['warehouse password']}@db:port/dw"],
        ["check", "--warehouse", f"postgresql+psycopg//etl:{SECRETS['warehouse password']}@db/dw"],
        ["config", "--warehouse", f"etl:{SECRETS['warehouse password']}@db/dw"],
        ["load", "--from", str(tmp_path), "--warehouse", f"mssql+pyodbc://etl:{SECRETS['warehouse password']}@db/dw"
         "?driver=No+Such+Driver"],
    )]
    assert any(r.code != 0 for r in runs) and any("Traceback" in r.err for r in runs) == debug
    assert sum("127.0.0.1" in r.text or "etl" in r.text for r in runs) >= 3  # the failures are reported
    text = "\n".join(r.text for r in runs) + caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for what, secret in SECRETS.items():
        assert secret not in text, f"{what} leaked"
    assert "1234567890-FAKE" not in text and "WebhookSecret" not in text
