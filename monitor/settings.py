"""One typed settings object: defaults < `utilityflow.toml` < `UTILITYFLOW_*` environment variables.

Every setting is declared once in `SETTINGS` as (name, default, help); the environment variable is
`UTILITYFLOW_<NAME>` and the TOML key is `<name>` under `[utilityflow]` (or at the top level).
Secrets (`secret=True`) are never printed: `Settings.describe()` masks them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError
from monitor.masking import mask_secret, mask_url

CONFIG_FILE = "utilityflow.toml"
ENV_PREFIX = "UTILITYFLOW_"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "warehouse_url",
        "duckdb:///utilityflow.duckdb",
        "SQLAlchemy URL of the warehouse: duckdb:///FILE, postgresql+psycopg://..., mssql+pyodbc://...",
    ),
    Setting("slack_webhook_url", "", "Slack incoming-webhook URL for alerts (secret).", secret=True),
    Setting("slack_token", "", "Slack bot token (xoxb-...) for per-owner channels and updates (secret).", secret=True),
    Setting("console_url", "http://localhost:8501", "Base URL of the Streamlit console, linked from alerts."),
    Setting("sample_rows", 20, "Failed-row samples kept per check and batch."),
    Setting("critical_cap", 0.5, "Batch score ceiling when any critical check fails."),
    Setting("log_level", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR."),
    Setting("duckdb_memory_limit", "2GB",
            "DuckDB buffer-pool cap for this process (DuckDB's own default is 80% of RAM)."),
    Setting("utility_timezone", "America/Chicago",
            "IANA time zone of the utility: local meter timestamps are converted from it to UTC."),
    Setting("console_band_good", 0.90, "Console quality band: a score at or above this is good (green)."),
    Setting("console_band_warning", 0.76,
            "Console quality band: at or above this (and below good) is a warning; below it, failing."),
    Setting("console_cache_ttl", 60, "Seconds the console caches a query result before reading again."),
    Setting("powerbi_api_url", "https://api.powerbi.com/v1.0/myorg",
            "Power BI REST API base URL for `powerbi push` (add /groups/<workspace id> for a workspace)."),
    Setting("powerbi_token", "", "Microsoft Entra access token for the Power BI REST API (secret).", secret=True),
    Setting("powerbi_push_state", ".utilityflow/powerbi_push.json",
            "File remembering the last batch pushed to each Power BI push dataset."),
    Setting("slack_channel", "#data-quality",
            "Bot-token alerts: channel for datasets whose suite names no slack_channel."),
    Setting("slack_api_url", "https://slack.com/api/", "Slack Web API base URL (bot token calls)."),
    Setting("alert_suppression_hours", 24.0,
            "A check that keeps failing is re-alerted ('still failing (N runs)') at most this often."),
    Setting("alert_summary_threshold", 10,
            "Above this many failed/warned checks in one message, send a summary instead of the list."),
    Setting("alert_max_attempts", 5, "Delivery attempts (one per run) before a failed alert is given up."),
    Setting("anomaly_min_history", 14, "Points of metric history needed before anomalies are reported."),
    Setting("anomaly_sensitivity", 4.0, "Robust z-score (MAD) beyond which a metric point fails."),
)


@dataclass(frozen=True)
class Settings:
    """The resolved settings. Build with `Settings.load()`."""

    warehouse_url: str = "duckdb:///utilityflow.duckdb"
    slack_webhook_url: str = ""
    slack_token: str = ""
    console_url: str = "http://localhost:8501"
    sample_rows: int = 20
    critical_cap: float = 0.5
    log_level: str = "INFO"
    duckdb_memory_limit: str = "2GB"
    utility_timezone: str = "America/Chicago"
    console_band_good: float = 0.90
    console_band_warning: float = 0.76
    console_cache_ttl: int = 60
    powerbi_api_url: str = "https://api.powerbi.com/v1.0/myorg"
    powerbi_token: str = ""
    powerbi_push_state: str = ".utilityflow/powerbi_push.json"
    slack_channel: str = "#data-quality"
    slack_api_url: str = "https://slack.com/api/"
    alert_suppression_hours: float = 24.0
    alert_summary_threshold: int = 10
    alert_max_attempts: int = 5
    anomaly_min_history: int = 14
    anomaly_sensitivity: float = 4.0

    @classmethod
    def load(
        cls,
        config_file: str | Path | None = None,
        environ: dict[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Defaults, then the TOML file (given, or `./utilityflow.toml` if present), then the
        environment, then explicit overrides (CLI flags) whose value is not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = Path(config_file) if config_file else Path(CONFIG_FILE)
        if config_file is not None or path.exists():
            values.update(_read_toml(path))
        for s in SETTINGS:
            raw = env.get(ENV_PREFIX + s.name.upper())
            if raw is not None and raw != "":
                values[s.name] = _coerce(s, raw, f"environment variable {ENV_PREFIX}{s.name.upper()}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    def describe(self) -> dict[str, Any]:
        """Every setting with secrets masked: safe to print or log."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            spec = _SPEC[f.name]
            if spec.secret:
                value = mask_secret(value)
            elif f.name.endswith("_url"):
                value = mask_url(value)
            out[f.name] = value
        return out


_SPEC = {s.name: s for s in SETTINGS}


def _coerce(spec: Setting, raw: Any, where: str) -> Any:
    kind = type(spec.default)
    try:
        if kind is bool:
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {spec.name} must be {kind.__name__}, got {raw!r}. {spec.help}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found; create it or drop --config.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e}); fix the file.") from None
    section = data.get("utilityflow", data)
    out: dict[str, Any] = {}
    for key, value in section.items():
        if not isinstance(value, dict | list) and key not in _SPEC:
            known = ", ".join(sorted(_SPEC))
            raise ConfigError(f"{path}: unknown setting {key!r}; known settings: {known}.")
        if key in _SPEC:
            out[key] = _coerce(_SPEC[key], value, str(path))
    return out
