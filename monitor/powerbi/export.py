"""Write the Power BI project: `<name>.pbip`, `<name>.SemanticModel/` (TMDL), `<name>.Report/` (PBIR), `.pbids`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from monitor.errors import EXIT_USAGE, MonitorError
from monitor.powerbi import model, report

PROJECT = "UtilityFlow"
GITIGNORE = "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n"


class PowerBIExportError(MonitorError):
    code = "powerbi_export"
    exit_code = EXIT_USAGE


def export(server: str, database: str, out: Path, *, schema: str = "dbo", name: str = PROJECT) -> list[Path]:
    """Generate the project into `out` (its generated folders are replaced) and return the files written.

    >>> export("myws.sql.azuresynapse.net", "dw", Path("warehouse/powerbi"))  # doctest: +SKIP
    """
    if not server.strip() or not database.strip():
        raise PowerBIExportError("--server and --database must not be empty (e.g. myws.sql.azuresynapse.net, dw).")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PowerBIExportError(f"--out {out}: is a file; give a folder.")
    for generated in (out / f"{name}.SemanticModel", out / f"{name}.Report"):
        if generated.exists():
            shutil.rmtree(generated)
    files: dict[str, str] = {}
    columns = model.view_columns([t.view for t in model.TABLES])
    sm = f"{name}.SemanticModel"
    files[f"{sm}/definition.pbism"] = _json(report.pbism())
    files[f"{sm}/definition/database.tmdl"] = model.database_tmdl()
    files[f"{sm}/definition/model.tmdl"] = model.model_tmdl()
    files[f"{sm}/definition/expressions.tmdl"] = model.expressions_tmdl(server, database)
    files[f"{sm}/definition/relationships.tmdl"] = model.relationships_tmdl()
    for table in model.TABLES:
        files[f"{sm}/definition/tables/{table.name}.tmdl"] = model.table_tmdl(table, columns[table.view], schema)
    files[f"{name}.Report/definition.pbir"] = _json(report.pbir(name))
    for rel, content in report.report_files().items():
        files[f"{name}.Report/definition/{rel}"] = _json(content)
    files[f"{name}.pbip"] = _json(report.pbip(name))
    files[f"{name}.pbids"] = _json(report.pbids(server, database))
    files[".gitignore"] = GITIGNORE
    written = []
    for rel, text in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def _json(content: dict[str, Any]) -> str:
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
