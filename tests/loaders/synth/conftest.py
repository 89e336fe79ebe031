"""Session fixtures: one small generated delivery set, parsed back by `synth_files` (plain parsers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

# importlib import mode puts no test folder on sys.path; the helpers module sits next to this file.
sys.path.insert(0, str(Path(__file__).parent))

from synth_files import PARAMS  # noqa: E402

from loaders.synth.generator import generate  # noqa: E402
from loaders.synth.params import GenerateParams  # noqa: E402


@pytest.fixture(scope="session")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("synth")
    generate(GenerateParams(out=d, **PARAMS))  # type: ignore[arg-type]
    return d


@pytest.fixture(scope="session")
def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())
