"""The Power BI project: JSON valid against Microsoft's schemas (resolved locally), TMDL parsed and linted,
every model column present in its view on DuckDB and PostgreSQL, and the committed project up to date."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from sqlalchemy.engine import Engine

from monitor.powerbi.export import PowerBIExportError, export
from warehouse.migrate import migrate

SCHEMAS = Path(__file__).parents[1] / "powerbi_schemas"
BASE = "https://developer.microsoft.com/json-schemas/"
COMMITTED = Path(__file__).parents[3] / "warehouse" / "powerbi"
PLACEHOLDER = ("your-workspace.sql.azuresynapse.net", "utilityflow")  # what the committed project was made with


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pbip")
    export(*PLACEHOLDER, out)
    return out


def _retrieve(uri: str) -> Resource:
    """$ref URLs map onto the local copy (see powerbi_schemas/SOURCE.txt); no network."""
    assert uri.startswith(BASE), f"unexpected $ref {uri}"
    path = SCHEMAS / uri[len(BASE):]
    assert path.exists(), f"{uri}: schema not copied into {SCHEMAS}"
    return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))


REGISTRY = Registry(retrieve=_retrieve)  # type: ignore[call-arg]

# .pbids has no published JSON schema: this follows Microsoft's documented format (version 0.1, tds protocol).
PBIDS_SCHEMA = {
    "type": "object", "required": ["version", "connections"], "additionalProperties": False,
    "properties": {"version": {"const": "0.1"}, "connections": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["details"], "additionalProperties": False,
        "properties": {
            "details": {"type": "object", "required": ["protocol", "address"], "additionalProperties": False,
                        "properties": {"protocol": {"const": "tds"}, "address": {
                            "type": "object", "required": ["server", "database"], "additionalProperties": False,
                            "properties": {"server": {"type": "string", "minLength": 1},
                                           "database": {"type": "string", "minLength": 1}}}}},
            "options": {"type": "object"}, "mode": {"enum": ["Import", "DirectQuery"]}}}}},
}


def _json_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".json", ".pbir", ".pbism", ".pbip", ".pbids"))


def test_every_json_file_validates_against_its_microsoft_schema(project: Path) -> None:
    files = _json_files(project)
    assert {p.suffix for p in files} == {".json", ".pbir", ".pbism", ".pbip", ".pbids"}
    assert len(files) >= 15
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if path.suffix == ".pbids":
            Draft7Validator(PBIDS_SCHEMA).validate(doc)
            continue
        url = doc["$schema"]
        schema = _retrieve(url).contents
        errors = sorted(Draft7Validator(schema, registry=REGISTRY).iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, f"{path.relative_to(project)}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])


def test_schema_validation_catches_a_broken_visual(project: Path) -> None:
    visual = next(project.rglob("visual.json"))
    doc = json.loads(visual.read_text(encoding="utf-8"))
    del doc["position"]["width"]
    doc["visual"]["query"]["queryState"]["Values"] = {"projections": [{"queryRef": "x"}]}
    schema = _retrieve(doc["$schema"]).contents
    messages = [e.message for e in Draft7Validator(schema, registry=REGISTRY).iter_errors(doc)]
    assert any("'width' is a required property" in m for m in messages)


def test_project_files_point_at_each_other(project: Path) -> None:
    pbip = json.loads((project / "UtilityFlow.pbip").read_text())
    assert (project / pbip["artifacts"][0]["report"]["path"] / "definition.pbir").exists()
    pbir = json.loads((project / "UtilityFlow.Report" / "definition.pbir").read_text())
    model_dir = (project / "UtilityFlow.Report" / pbir["datasetReference"]["byPath"]["path"]).resolve()
    assert (model_dir / "definition.pbism").exists() and (model_dir / "definition" / "model.tmdl").exists()
    pbids = json.loads((project / "UtilityFlow.pbids").read_text())
    assert pbids["connections"][0]["details"]["address"] == dict(zip(("server", "database"), PLACEHOLDER,
                                                                      strict=True))
    pages = json.loads((project / "UtilityFlow.Report/definition/pages/pages.json").read_text())
    for page in pages["pageOrder"]:
        assert (project / f"UtilityFlow.Report/definition/pages/{page}/page.json").exists()


# --- TMDL: a small parser of the subset we write, and a linter ------------------------------------------

TOP_LEVEL = ("table", "model", "database", "expression", "relationship", "ref", "///")
TABLE_CHILDREN = ("measure", "column", "partition", "lineageTag", "dataCategory", "///", "annotation")
COLUMN_PROPS = ("dataType", "formatString", "isHidden", "isKey", "lineageTag", "summarizeBy", "sourceColumn",
                "annotation")
MEASURE_PROPS = ("formatString", "lineageTag")


@dataclass
class TmdlTable:
    name: str
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    view: str | None = None
    partitions: int = 0


def _name(text: str) -> str:
    text = text.strip()
    return text[1:-1].replace("''", "'") if text.startswith("'") else text


def lint_and_parse(path: Path) -> list[TmdlTable]:
    """Parse a TMDL file, failing on anything outside the structure Power BI expects."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\r" not in text, f"{path.name}: LF line ends and a final newline"
    tables: list[TmdlTable] = []
    current: TmdlTable | None = None
    obj: tuple[str, str] | None = None  # (kind, name) of the object being read at depth 1
    in_source = False
    previous_depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{path.name}:{number}"
        if not line.strip():
            continue
        indent = line[: len(line) - len(line.lstrip())]
        assert set(indent) <= {"\t"}, f"{where}: indent with tabs only"
        assert line == line.rstrip(), f"{where}: trailing whitespace"
        depth = len(indent)
        word = line.strip().split(" ", 1)[0].rstrip(":")
        if in_source and depth >= 4:
            if current and (m := re.search(r'Item = "(\w+)"', line)):
                current.view = m.group(1)
            continue
        in_source = False
        assert depth <= previous_depth + 1, f"{where}: indented more than one level deeper"
        previous_depth = depth
        if depth == 0:
            assert word in TOP_LEVEL, f"{where}: unexpected top-level {word!r}"
            if word == "table":
                current = TmdlTable(_name(line.strip()[len("table "):]))
                tables.append(current)
            obj = None
        elif depth == 1 and current is not None:
            assert word in TABLE_CHILDREN, f"{where}: unexpected {word!r} in a table"
            rest = line.strip()[len(word):].strip()
            if word == "column":
                obj = ("column", _name(rest))
                current.columns[obj[1]] = {}
            elif word == "measure":
                name, dax = rest.split(" = ", 1)
                obj = ("measure", _name(name))
                current.measures[obj[1]] = dax
            elif word == "partition":
                assert rest.endswith("= m"), f"{where}: partitions are Power Query (m)"
                obj = ("partition", rest)
                current.partitions += 1
            else:
                obj = None
        elif depth == 2 and obj is not None:
            key, _, value = line.strip().partition(":")
            if obj[0] == "column":
                assert key in COLUMN_PROPS, f"{where}: unknown column property {key!r}"
                current.columns[obj[1]][key] = value.strip()  # type: ignore[union-attr]
            elif obj[0] == "measure":
                assert key in MEASURE_PROPS, f"{where}: unknown measure property {key!r}"
            else:
                assert key in ("mode", "source ="), f"{where}: unknown partition property {key!r}"
                in_source = key == "source ="
        elif depth >= 1 and current is None:
            assert depth <= 2, f"{where}: too deep outside a table"
    return tables


def _model(project: Path) -> dict[str, TmdlTable]:
    out = {}
    for path in sorted((project / "UtilityFlow.SemanticModel/definition/tables").glob("*.tmdl")):
        [table] = lint_and_parse(path)
        assert path.stem == table.name and table.partitions == 1 and table.view
        out[table.name] = table
    return out


def test_tmdl_files_are_linted_and_reference_each_other(project: Path) -> None:
    definition = project / "UtilityFlow.SemanticModel/definition"
    for path in definition.rglob("*.tmdl"):
        lint_and_parse(path)
    tables = _model(project)
    model = (definition / "model.tmdl").read_text()
    refs = {_name(m) for m in re.findall(r"^ref table (.+)$", model, re.M)}
    assert refs == set(tables)
    rels = (definition / "relationships.tmdl").read_text()
    for side in re.findall(r"(?:fromColumn|toColumn): ('[^']+'|\w+)\.(\w+)", rels):
        table, column = _name(side[0]), side[1]
        assert column in tables[table].columns, f"relationship on missing {table}.{column}"
    assert tables["Date"].columns["full_date"].get("dataType") == "dateTime"
    assert "isKey" in tables["Date"].columns["full_date"]
    expressions = (definition / "expressions.tmdl").read_text()
    assert f'expression Server = "{PLACEHOLDER[0]}" meta [IsParameterQuery=true' in expressions
    assert f'expression Database = "{PLACEHOLDER[1]}" meta [IsParameterQuery=true' in expressions
    for table in tables.values():
        assert "Sql.Database(Server, Database)" in (definition / "tables" / f"{table.name}.tmdl").read_text()


def test_dax_measures_and_visuals_reference_existing_fields(project: Path) -> None:
    tables = _model(project)
    measures = {(t.name, m) for t in tables.values() for m in t.measures}
    assert {("DQ Score", "Overall score"), ("DQ Score", "Score change vs previous period"),
            ("Incidents", "Open incidents"), ("KPI", "Contactability")} <= measures
    for table in tables.values():
        for name, dax in table.measures.items():
            assert dax.count("(") == dax.count(")"), f"{name}: unbalanced parentheses"
            for ref_table, column in re.findall(r"('[^']+'|\b[A-Z][A-Za-z]+)\[([^\]]+)\]", dax):
                t = _name(ref_table)
                assert column in tables[t].columns, f"measure {name}: {t}[{column}] does not exist"
            for bare in re.findall(r"(?<![\w'\]])\[([^\]]+)\]", dax):
                assert (table.name, bare) in measures, f"measure {name}: [{bare}] is not a measure of {table.name}"
    for visual in project.rglob("visual.json"):
        doc = json.loads(visual.read_text())
        for state in doc["visual"]["query"]["queryState"].values():
            for proj in state["projections"]:
                kind, ref = next(iter(proj["field"].items()))
                entity, prop = ref["Expression"]["SourceRef"]["Entity"], ref["Property"]
                if kind == "Measure":
                    assert (entity, prop) in measures, f"{visual.parent.name}: no measure {entity}[{prop}]"
                else:
                    assert prop in tables[entity].columns, f"{visual.parent.name}: no column {entity}[{prop}]"
    types = {json.loads(v.read_text())["visual"]["visualType"] for v in project.rglob("visual.json")}
    assert types == {"card", "lineChart"}


PG_TYPES = {"integer": "int64", "bigint": "int64", "smallint": "int64", "double precision": "double",
            "numeric": "double", "character varying": "string", "text": "string", "boolean": "boolean",
            "date": "dateTime", "timestamp without time zone": "dateTime"}


def test_every_model_column_exists_in_its_view(project: Path, warehouse: Engine) -> None:
    migrate(warehouse)
    tables = _model(project)
    assert {t.view for t in tables.values()} >= {"v_pbi_dq_score", "v_pbi_kpi", "v_pbi_incident"}
    with warehouse.connect() as conn:
        for table in tables.values():
            view_cols = list(conn.execute(sa.text(f"SELECT * FROM {table.view} WHERE 1 = 0")).keys())
            model_cols = [c["sourceColumn"] for c in table.columns.values()]
            assert model_cols == view_cols, f"{table.name} vs {table.view}"
            if warehouse.dialect.name == "postgresql":
                rows = conn.execute(sa.text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = :v AND table_schema = current_schema()"), {"v": table.view}).all()
                for column, data_type in rows:
                    assert table.columns[column]["dataType"] == PG_TYPES[data_type], f"{table.view}.{column}"


def test_committed_project_is_up_to_date(project: Path) -> None:
    generated = {p.relative_to(project): p.read_bytes() for p in project.rglob("*") if p.is_file()}
    committed = {p.relative_to(COMMITTED): p.read_bytes() for p in COMMITTED.rglob("*") if p.is_file()}
    stale = sorted(str(p) for p in set(generated) | set(committed) if generated.get(p) != committed.get(p))
    assert not stale, ("warehouse/powerbi is stale; run: utilityflow powerbi export --server "
                       f"{PLACEHOLDER[0]} --database {PLACEHOLDER[1]} --out warehouse/powerbi\n{stale}")


def test_export_rejects_empty_server_and_a_file_as_folder(tmp_path: Path) -> None:
    with pytest.raises(PowerBIExportError, match="must not be empty"):
        export(" ", "dw", tmp_path)
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(PowerBIExportError, match="is a file"):
        export("s", "dw", target)


def test_cli_export(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    result = CliRunner().invoke(cli, ["powerbi", "export", "--server", "s.sql.azuresynapse.net", "--database",
                                      "dw", "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "wrote 27 files" in result.output
    assert json.loads((tmp_path / "p/UtilityFlow.pbids").read_text())["connections"][0]["details"]["address"] == {
        "server": "s.sql.azuresynapse.net", "database": "dw"}


