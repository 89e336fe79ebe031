"""Settings: defaults < utilityflow.toml < environment < flags; secrets masked."""

from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.masking import mask_url, scrub
from monitor.settings import Settings


def test_defaults() -> None:
    s = Settings.load(environ={})
    assert s.warehouse_url == "duckdb:///utilityflow.duckdb"
    assert s.sample_rows == 20


def test_precedence_file_then_environment_then_flag(tmp_path) -> None:
    cfg = tmp_path / "utilityflow.toml"
    cfg.write_text('[utilityflow]\nwarehouse_url = "duckdb:///file.duckdb"\nsample_rows = 5\n')
    assert Settings.load(cfg, environ={}).warehouse_url == "duckdb:///file.duckdb"
    env = {"UTILITYFLOW_WAREHOUSE_URL": "duckdb:///env.duckdb", "UTILITYFLOW_SAMPLE_ROWS": "7"}
    s = Settings.load(cfg, environ=env)
    assert (s.warehouse_url, s.sample_rows) == ("duckdb:///env.duckdb", 7)
    s = Settings.load(cfg, environ=env, warehouse_url="duckdb:///flag.duckdb")
    assert s.warehouse_url == "duckdb:///flag.duckdb"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sample_rows = 'many'", "sample_rows must be int"),
        ("warehouse = 'x'", "unknown setting 'warehouse'"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_file_names_the_file_and_problem(tmp_path, content: str, message: str) -> None:
    cfg = tmp_path / "utilityflow.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        Settings.load(cfg, environ={})
    assert str(cfg) in str(err.value)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="UTILITYFLOW_SAMPLE_ROWS"):
        Settings.load(environ={"UTILITYFLOW_SAMPLE_ROWS": "x"})


def test_describe_masks_secrets_and_passwords() -> None:
    s = Settings.load(
        environ={
            "UTILITYFLOW_WAREHOUSE_URL": "postgresql+psycopg://etl:hunter2@db/dw",
            "UTILITYFLOW_SLACK_TOKEN": "xoxb-123-456-abcdef",
            "UTILITYFLOW_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XYZ",
        }
    )
    text = repr(s.describe())
    for secret in ("hunter2", "xoxb-123", "XYZ"):
        assert secret not in text
    assert "etl:***@db" in text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("connect to postgresql://a:pw1@h/db failed", "pw1"),
        ("token xoxb-11-22-secretpart rejected", "secretpart"),
        ("posting to https://hooks.slack.com/services/T/B/sekrit", "sekrit"),
        ("DRIVER=x;UID=u;PWD=topsecret;", "topsecret"),
    ],
)
def test_scrub_removes_secrets_from_free_text(text: str, secret: str) -> None:
    assert secret not in scrub(text)


def test_mask_url_keeps_what_helps() -> None:
    assert mask_url("postgresql://u:p@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_url("duckdb:///x.duckdb") == "duckdb:///x.duckdb"
