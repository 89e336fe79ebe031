"""Loader errors: one base class, a stable reason code, a message naming the file and line."""

from __future__ import annotations


class LoaderError(Exception):
    """A delivery or load that cannot proceed. `exit_code` follows monitor.errors (2 = bad input)."""

    code = "load_error"
    exit_code = 2

    def __init__(self, message: str, *, code: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        if exit_code is not None:
            self.exit_code = exit_code


class DeliveryError(LoaderError):
    """A file that cannot be parsed at all: its batch fails and nothing of it is kept."""

    code = "unparseable_file"

    def __init__(self, file: str, problem: str, *, line: int | None = None, code: str | None = None) -> None:
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {problem}", code=code)
        self.file = file
        self.line = line
        self.problem = problem


class ConservationError(LoaderError):
    """rows_read != rows_loaded + rows_quarantined + rows_merged: the batch lost or invented rows."""

    code = "row_conservation"
    exit_code = 3
