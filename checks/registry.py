"""The check-type registry: a decorator registers a check type by name.

Built-in types register exactly as a user extension would (datasette's one-code-path idea):

    @register("my_check", dimension="validity")
    @dataclass(frozen=True)
    class MyCheck:
        column: str
        def metrics(self) -> dict[str, Metric]: ...
        def evaluate(self, values, ctx) -> Evaluation: ...

Nothing registers on a bare `import checks`; `load_builtins()` imports the `checks.types` package
explicitly, and an extension module is imported by whoever wants it.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from checks.metrics import Metric, Predicate
from checks.results import Evaluation

DIMENSIONS = ("completeness", "uniqueness", "validity", "accuracy", "consistency", "timeliness")
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class EvalContext:
    """What evaluation may know besides metric values: the run's clock and the table's columns."""

    now: datetime
    table_columns: Mapping[str, str] = field(default_factory=dict)  # name -> database type


class CheckType(Protocol):
    """What a registered check type provides. Optional: `problems()`, `failure()`, `sample_column`."""

    type_name: ClassVar[str]
    default_dimension: ClassVar[str]
    table_level: ClassVar[bool]

    def columns(self) -> tuple[str, ...]: ...

    def metrics(self) -> dict[str, Metric]: ...

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation: ...


T = TypeVar("T")
_TYPES: dict[str, type] = {}


def register(name: str, *, dimension: str, table_level: bool = False) -> Callable[[type[T]], type[T]]:
    """Register a frozen dataclass as check type `name` with its default DAMA dimension."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension {dimension!r} is not one of {DIMENSIONS}")

    def decorate(cls: type[T]) -> type[T]:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"check type {name!r}: {cls.__name__} must be a frozen dataclass")
        if name in _TYPES and _TYPES[name] is not cls:
            raise ValueError(f"check type {name!r} is already registered by {_TYPES[name].__module__}")
        cls.type_name = name  # type: ignore[attr-defined]
        cls.default_dimension = dimension  # type: ignore[attr-defined]
        cls.table_level = table_level  # type: ignore[attr-defined]
        _TYPES[name] = cls
        return cls

    return decorate


def load_builtins() -> None:
    """Import the built-in check types (the `checks.types` package lists its modules explicitly)."""
    importlib.import_module("checks.types")


def get(name: str) -> type:
    """The check type registered as `name`; KeyError with a suggestion otherwise."""
    load_builtins()
    try:
        return _TYPES[name]
    except KeyError:
        raise KeyError(f"unknown check type {name!r}{suggest(name, _TYPES)}") from None


def names() -> list[str]:
    load_builtins()
    return sorted(_TYPES)


def suggest(word: str, choices: Any) -> str:
    """ "; did you mean 'x'?" for the closest choice, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def failure_of(check: Any) -> Predicate | None:
    """The row-level failure predicate of a check, if it has one (used for samples)."""
    fn = getattr(check, "failure", None)
    return fn() if fn else None
