"""The `[schedule]` section of utilityflow.toml: scheduler settings and one job per source.

```toml
[schedule]
timezone = "UTC"
misfire_grace_time = 600      # seconds a late run may still start (after downtime, a busy pool)
coalesce = true               # several missed runs of one job run once
max_instances = 1             # never two runs of the same job at once in this process
retries = 3                   # transient errors (connection lost) are retried this many times...
retry_backoff_seconds = 5     # ...after 5 s, 10 s, 20 s; terminal errors (a bad file) are not retried
once_lookback_hours = 24      # `schedule --once`: a slot this recent that has not run is due

[[schedule.jobs]]
name = "cis-daily"
source = "cis"
drop_folder = "drop/cis"      # relative to the TOML file
pattern = "*.csv"
cron = "30 6 * * *"           # crontab: minute hour day month weekday
```
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError
from monitor.settings import CONFIG_FILE


@dataclass(frozen=True)
class JobConfig:
    name: str
    source: str
    drop_folder: Path
    cron: str
    pattern: str = "*"
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleConfig:
    jobs: tuple[JobConfig, ...] = ()
    timezone: str = "UTC"
    misfire_grace_time: int = 600
    coalesce: bool = True
    max_instances: int = 1
    retries: int = 3
    retry_backoff_seconds: float = 5.0
    once_lookback_hours: float = 24.0
    lock_dir: str = ""  # where lock files go for DuckDB (default: next to the DuckDB file)


_JOB_KEYS = {f.name for f in fields(JobConfig)}
_TOP_KEYS = {f.name for f in fields(ScheduleConfig)} - {"jobs"} | {"jobs"}


def load_schedule(config_file: str | Path | None = None) -> ScheduleConfig:
    """The `[schedule]` section of the settings file (given, or ./utilityflow.toml); empty if absent."""
    path = Path(config_file) if config_file else Path(CONFIG_FILE)
    if not path.exists():
        if config_file is not None:
            raise ConfigError(f"{path}: configuration file not found; create it or drop --config.")
        return ScheduleConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e}); fix the file.") from None
    return parse_schedule(data.get("schedule", {}), path)


def parse_schedule(section: dict[str, Any], path: Path) -> ScheduleConfig:
    """Validate a `[schedule]` table; every problem is reported at once, naming the file and the job."""
    problems: list[str] = []
    for key in section:
        if key not in _TOP_KEYS:
            problems.append(f"[schedule]: unknown key {key!r}{_hint(key, _TOP_KEYS)}")
    top = {k: v for k, v in section.items() if k in _TOP_KEYS and k != "jobs"}
    jobs: list[JobConfig] = []
    names: set[str] = set()
    for number, raw in enumerate(section.get("jobs", []), 1):
        where = f"[[schedule.jobs]] #{number}" + (f" ({raw.get('name')})" if raw.get("name") else "")
        unknown = [k for k in raw if k not in _JOB_KEYS]
        problems += [f"{where}: unknown key {k!r}{_hint(k, _JOB_KEYS)}" for k in unknown]
        missing = [k for k in ("name", "source", "drop_folder", "cron") if not raw.get(k)]
        problems += [f"{where}: missing {k!r}" for k in missing]
        if missing or unknown:
            continue
        if raw["name"] in names:
            problems.append(f"{where}: job name {raw['name']!r} used twice")
        names.add(raw["name"])
        try:
            cron_trigger(raw["cron"], section.get("timezone", "UTC"))
        except ValueError as e:
            problems.append(f"{where}: cron {raw['cron']!r} is not valid ({e}); use 'minute hour day month weekday'")
            continue
        folder = Path(raw["drop_folder"])
        jobs.append(JobConfig(name=str(raw["name"]), source=str(raw["source"]),
                              drop_folder=folder if folder.is_absolute() else path.parent / folder,
                              cron=str(raw["cron"]), pattern=str(raw.get("pattern", "*")),
                              enabled=bool(raw.get("enabled", True))))
    try:
        config = ScheduleConfig(jobs=tuple(jobs), **top)
    except TypeError as e:
        problems.append(f"[schedule]: {e}")
        config = ScheduleConfig(jobs=tuple(jobs))
    if config.max_instances < 1 or config.misfire_grace_time < 1 or config.retries < 0:
        problems.append("[schedule]: max_instances and misfire_grace_time must be >= 1, retries >= 0")
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems) + ". See docs/scheduler.md.")
    return config


def cron_trigger(cron: str, timezone: str = "UTC") -> Any:
    """An APScheduler CronTrigger from a crontab expression (ValueError if invalid)."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(cron, timezone=timezone)


def _hint(key: str, known: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
