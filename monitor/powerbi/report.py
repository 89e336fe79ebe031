"""The PBIR report (an overview page of tiles), the .pbip shortcut and the .pbids connection file, as JSON.

Each file names the Microsoft JSON schema it follows in `$schema`; the tests validate them against the
published schemas, stored locally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA = "https://developer.microsoft.com/json-schemas/fabric"
PBIP_SCHEMA = f"{SCHEMA}/pbip/pbipProperties/1.0.0/schema.json"
PBIR_SCHEMA = f"{SCHEMA}/item/report/definitionProperties/2.0.0/schema.json"
PBISM_SCHEMA = f"{SCHEMA}/item/semanticModel/definitionProperties/1.0.0/schema.json"
VERSION_SCHEMA = f"{SCHEMA}/item/report/definition/versionMetadata/1.0.0/schema.json"
REPORT_SCHEMA = f"{SCHEMA}/item/report/definition/report/3.0.0/schema.json"
PAGES_SCHEMA = f"{SCHEMA}/item/report/definition/pagesMetadata/1.0.0/schema.json"
PAGE_SCHEMA = f"{SCHEMA}/item/report/definition/page/2.0.0/schema.json"
VISUAL_SCHEMA = f"{SCHEMA}/item/report/definition/visualContainer/2.0.0/schema.json"

PAGE = "overview"
PAGE_W, PAGE_H = 1280, 720


@dataclass(frozen=True)
class Field:
    table: str
    name: str
    measure: bool = True

    def projection(self) -> dict[str, Any]:
        kind = "Measure" if self.measure else "Column"
        return {
            "field": {kind: {"Expression": {"SourceRef": {"Entity": self.table}}, "Property": self.name}},
            "queryRef": f"{self.table}.{self.name}",
            "nativeQueryRef": self.name,
        }


@dataclass(frozen=True)
class Tile:
    name: str
    title: str
    visual_type: str  # card | lineChart
    x: int
    y: int
    width: int
    height: int
    roles: tuple[tuple[str, tuple[Field, ...]], ...]


MONTH = Field("Date", "year_month", measure=False)
TILES: tuple[Tile, ...] = (
    Tile("score_card", "Overall score", "card", 20, 20, 295, 130, (("Values", (Field("DQ Score", "Overall score"),)),)),
    Tile("change_card", "Change vs previous month", "card", 335, 20, 295, 130,
         (("Values", (Field("DQ Score", "Score change vs previous period"),)),)),
    Tile("incidents_card", "Open incidents", "card", 650, 20, 295, 130,
         (("Values", (Field("Incidents", "Open incidents"),)),)),
    Tile("contact_card", "Contactable customers", "card", 965, 20, 295, 130,
         (("Values", (Field("KPI", "Contactability"),)),)),
    Tile("score_trend", "Quality score by month", "lineChart", 20, 170, 610, 260,
         (("Category", (MONTH,)), ("Y", (Field("DQ Score", "Overall score"), Field("DQ Score", "Raw score"))))),
    Tile("dimension_trend", "Score by DAMA dimension", "lineChart", 650, 170, 610, 260,
         (("Category", (MONTH,)), ("Y", (Field("DQ Score", "Overall score"),)),
          ("Series", (Field("DQ Score", "dimension_name", measure=False),)))),
    Tile("source_trend", "Score by source system", "lineChart", 20, 445, 610, 260,
         (("Category", (MONTH,)), ("Y", (Field("DQ Score", "Overall score"),)),
          ("Series", (Field("DQ Score", "source", measure=False),)))),
    Tile("kpi_trend", "Business KPIs", "lineChart", 650, 445, 610, 260,
         (("Category", (MONTH,)), ("Y", (Field("KPI", "Contactability"), Field("KPI", "Bills estimated"),
                                         Field("KPI", "AMI read completeness"))))),
)


def pbip(name: str) -> dict[str, Any]:
    return {"$schema": PBIP_SCHEMA, "version": "1.0", "artifacts": [{"report": {"path": f"{name}.Report"}}],
            "settings": {"enableAutoRecovery": True}}


def pbir(name: str) -> dict[str, Any]:
    return {"$schema": PBIR_SCHEMA, "version": "4.0",
            "datasetReference": {"byPath": {"path": f"../{name}.SemanticModel"}}}


def pbism() -> dict[str, Any]:
    # version 4.0 and above: the model definition is TMDL (definition/ folder), not model.bim
    return {"$schema": PBISM_SCHEMA, "version": "4.0", "settings": {}}


def pbids(server: str, database: str) -> dict[str, Any]:
    """Power BI Desktop connection file for the Synapse SQL endpoint (no credentials in it)."""
    return {"version": "0.1", "connections": [{
        "details": {"protocol": "tds", "address": {"server": server, "database": database}},
        "options": {}, "mode": "Import",
    }]}


def report_files() -> dict[str, dict[str, Any]]:
    """Path under `<name>.Report/definition/` -> JSON content."""
    files: dict[str, dict[str, Any]] = {
        "version.json": {"$schema": VERSION_SCHEMA, "version": "2.0.0"},
        "report.json": {"$schema": REPORT_SCHEMA, "themeCollection": {"baseTheme": {
            "name": "CY24SU10", "reportVersionAtImport": {"visual": "1.8.0", "report": "2.0.0", "page": "1.3.0"},
            "type": "SharedResources"}}},
        "pages/pages.json": {"$schema": PAGES_SCHEMA, "pageOrder": [PAGE], "activePageName": PAGE},
        f"pages/{PAGE}/page.json": {"$schema": PAGE_SCHEMA, "name": PAGE, "displayName": "Overview",
                                    "displayOption": "FitToPage", "height": PAGE_H, "width": PAGE_W},
    }
    for z, tile in enumerate(TILES):
        files[f"pages/{PAGE}/visuals/{tile.name}/visual.json"] = {
            "$schema": VISUAL_SCHEMA, "name": tile.name,
            "position": {"x": tile.x, "y": tile.y, "z": z, "width": tile.width, "height": tile.height, "tabOrder": z},
            "visual": {
                "visualType": tile.visual_type,
                "query": {"queryState": {role: {"projections": [f.projection() for f in fields]}
                                         for role, fields in tile.roles}},
                "visualContainerObjects": {"title": [{"properties": {
                    "show": {"expr": {"Literal": {"Value": "true"}}},
                    "text": {"expr": {"Literal": {"Value": "'" + tile.title.replace("'", "''") + "'"}}},
                }}]},
                "drillFilterOtherVisuals": True,
            },
        }
    return files
