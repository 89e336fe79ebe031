"""`utilityflow dashboard`: start the Streamlit quality console on the configured warehouse.

    utilityflow dashboard                                  # http://localhost:8501, headless
    utilityflow dashboard --port 8600 --warehouse duckdb:///demo/utilityflow.duckdb
    utilityflow dashboard -- --server.address 0.0.0.0      # anything after -- goes to `streamlit run`

The warehouse URL reaches the app through the environment (UTILITYFLOW_WAREHOUSE_URL), never the command
line, so a password in it does not show in the process list.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import click

from monitor.cli import warehouse_option
from monitor.errors import EXIT_USAGE, MonitorError
from monitor.runtime import load_settings
from warehouse.engine import parse_url

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
DEFAULT_PORT = 8501


def streamlit_args(port: int, address: str, headless: bool = True, extra: tuple[str, ...] = ()) -> list[str]:
    """The `python -m streamlit run` command line for the console (telemetry off, no file watcher)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",
        *extra,
    ]


def open_command(warehouse_url: str | None = None, port: int = DEFAULT_PORT) -> str:
    """The command that opens the console on a warehouse, for the demo to print.

    >>> open_command("duckdb:///demo/utilityflow.duckdb")
    'utilityflow dashboard --warehouse duckdb:///demo/utilityflow.duckdb   # then open http://localhost:8501'
    """
    from monitor.masking import mask_url

    parts = ["utilityflow", "dashboard"]
    if warehouse_url:
        parts += ["--warehouse", mask_url(warehouse_url)]
    if port != DEFAULT_PORT:
        parts += ["--port", str(port)]
    return " ".join(parts) + f"   # then open http://localhost:{port}"


def _port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address if address not in ("", "0.0.0.0") else "0.0.0.0", port))
        except OSError:
            return False
    return True


@click.command("dashboard", context_settings={"ignore_unknown_options": True})
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port the console listens on.")
@click.option("--address", default="localhost", show_default=True,
              help="Address to bind (0.0.0.0 to serve other machines).")
@click.option("--headless/--browser", default=True, show_default=True,
              help="Headless: do not try to open a browser window.")
@warehouse_option
@click.argument("streamlit_extra", nargs=-1, type=click.UNPROCESSED)
def command(port: int, address: str, headless: bool, warehouse_url: str | None, config_file: str | None,
            streamlit_extra: tuple[str, ...]) -> None:
    """Start the quality console (Streamlit). Extra arguments after `--` go to `streamlit run`."""
    settings = load_settings(warehouse_url, config_file)
    parse_url(settings.warehouse_url)  # a bad URL fails here with one line, not inside the app
    if not _port_free(address, port):
        raise MonitorError(f"port {port} on {address} is in use; pass --port with a free port.",
                           code="port_in_use", exit_code=EXIT_USAGE)
    env = dict(os.environ, UTILITYFLOW_WAREHOUSE_URL=settings.warehouse_url)
    if config_file:
        env["UTILITYFLOW_CONFIG"] = str(Path(config_file).resolve())
    args = streamlit_args(port, address, headless, streamlit_extra)
    click.echo(f"UtilityFlow console on http://{address}:{port} (Ctrl+C to stop)", err=True)
    sys.stdout.flush()
    os.execve(sys.executable, args, env)  # streamlit takes over this process: signals reach it directly
