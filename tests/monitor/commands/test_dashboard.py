"""`utilityflow dashboard`: the streamlit command line it runs, and one-line errors for bad input.

Starting the real server is covered by tests/dashboard/test_browser.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from monitor.commands.dashboard import APP, open_command, streamlit_args


def test_streamlit_args_are_headless_and_quiet() -> None:
    args = streamlit_args(8600, "127.0.0.1", extra=("--theme.base", "dark"))
    assert args[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)] and APP.is_file()
    pairs = dict(zip(args[5::2], args[6::2], strict=False))
    assert pairs["--server.port"] == "8600" and pairs["--server.address"] == "127.0.0.1"
    assert pairs["--server.headless"] == "true" and pairs["--browser.gatherUsageStats"] == "false"
    assert args[-2:] == ["--theme.base", "dark"]
    assert "--warehouse" not in args  # the URL travels in the environment, not the process list


def test_open_command_masks_a_password() -> None:
    assert open_command() == "utilityflow dashboard   # then open http://localhost:8501"
    cmd = open_command("postgresql+psycopg://etl:s3cret@db/dw", port=8600)
    assert "s3cret" not in cmd and "--port 8600" in cmd and "http://localhost:8600" in cmd


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True, timeout=60)


def test_bad_warehouse_url_is_one_line_exit_2() -> None:
    result = _cli("dashboard", "--warehouse", "oracle://scott:tiger@db/x")
    assert result.returncode == 2
    assert "unsupported warehouse" in result.stderr and "tiger" not in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_line_exit_2() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = _cli("dashboard", "--port", str(port), "--address", "127.0.0.1")
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "--port" in result.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_the_options(flag: str) -> None:
    result = _cli("dashboard", flag)
    assert result.returncode == 0
    for option in ("--port", "--warehouse", "--address", "--headless"):
        assert option in result.stdout
