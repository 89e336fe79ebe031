"""Errors the CLI turns into one clear line and an exit code.

Every package has one base error with a stable reason code (`warehouse.errors`, `loaders.errors`,
`checks.errors`, this module). The CLI knows them all through `UserFacingError`'s protocol: a `code`,
a message that says what and what to do, and the exit code class.
"""

from __future__ import annotations

# Exit codes CI can gate on (as Soda and dbt do): the data failed vs. the tool could not run.
EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_USAGE = 2
EXIT_COULD_NOT_RUN = 3


class MonitorError(Exception):
    """Base error of the monitor package."""

    code = "monitor_error"
    exit_code = EXIT_COULD_NOT_RUN

    def __init__(self, message: str, *, code: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(MonitorError):
    """A setting or configuration file is wrong: the user can fix it."""

    code = "config_error"
    exit_code = EXIT_USAGE
