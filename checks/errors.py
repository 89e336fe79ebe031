"""Errors of the checks package: one base class with a stable reason code, a file and a line."""

from __future__ import annotations

from dataclasses import dataclass


class ChecksError(Exception):
    """Base error of the checks package.

    `code` is stable (tests and the CLI match on it); `file`/`line` point into the suite when known;
    `exit_code` 2 means the user's input is wrong (a suite), 3 that something could not run.
    """

    code = "checks_error"
    exit_code = 2

    def __init__(
        self, message: str, *, code: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self.message = message
        if code is not None:
            self.code = code
        self.file = file
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Problem:
    """One problem found in a suite: what, where, and a suggestion when there is one."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file or "<suite>", self.line) if p is not None)
        return f"{where}: {self.message}"


class SuiteError(ChecksError):
    """A suite has problems; all of them are listed (parsing never stops at the first)."""

    code = "invalid_suite"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else None
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in suite:\n{lines}",
            file=first.file if first else None,
        )

    def _render(self) -> str:  # the problems already carry file and line
        return self.message


class CompileError(ChecksError):
    """A check cannot be turned into SQL for this dialect (e.g. a raw regex on T-SQL)."""

    code = "cannot_compile"
