"""Errors of the warehouse package: each has a reason code and says what to do."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base error of the warehouse package. `exit_code` 2 = the user's input, 3 = could not run."""

    code = "warehouse_error"
    exit_code = 3

    def __init__(self, message: str, *, code: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if exit_code is not None:
            self.exit_code = exit_code


class BadWarehouseURL(WarehouseError):
    """The warehouse URL cannot be parsed or names an unsupported database."""

    code = "bad_warehouse_url"
    exit_code = 2


class WarehouseUnavailable(WarehouseError):
    """The warehouse could not be reached or is locked by another process (transient: retry)."""

    code = "warehouse_unavailable"
    exit_code = 3
    transient = True


class MigrationError(WarehouseError):
    """A migration failed; it was rolled back."""

    code = "migration_failed"
    exit_code = 3
