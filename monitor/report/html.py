"""The executive report as ONE self-contained HTML file: plotly.js is embedded once, nothing is fetched."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import plotly.graph_objects as go

from monitor.report import charts
from monitor.report.data import FailingCheck, Kpi, ReportData

CSS = """
@page { size: A4 portrait; margin: 12mm 10mm; }
body { font-family: Helvetica, Arial, sans-serif; color: #1b1b1b; margin: 0 auto; max-width: 900px; padding: 12px; }
h1 { font-size: 24px; margin: 0 0 2px; color: #1f4e79; }
h2 { break-after: avoid; page-break-after: avoid; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 2px solid #1f4e79; padding-bottom: 3px; color: #1f4e79; }
.sub { color: #555; font-size: 13px; margin-bottom: 12px; }
.tiles { display: flex; gap: 10px; flex-wrap: wrap; margin: 10px 0; }
.tile { flex: 1 1 150px; border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 12px; background: #f7f9fb; }
.tile .v { font-size: 28px; font-weight: bold; }
.tile .l { font-size: 12px; color: #555; }
.tile .d { font-size: 13px; }
.good { color: #2e7d32; } .bad { color: #c62828; } .flat { color: #555; }
tr { break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e1e4e8; padding: 4px 6px; text-align: left; }
th { background: #eef2f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.pill { padding: 1px 7px; border-radius: 9px; font-size: 11px; background: #eee; }
.pill.open { background: #fde0e0; } .pill.acknowledged { background: #fff1c2; } .pill.resolved { background: #dff3e3; }
.chart { break-inside: avoid; page-break-inside: avoid; }
.section { break-inside: avoid-page; }
.break { break-before: page; page-break-before: always; }
.methods { font-size: 12px; color: #333; }
.empty { padding: 30px; border: 1px dashed #aaa; border-radius: 8px; color: #444; }
"""


def render(data: ReportData) -> str:
    """The complete HTML document."""
    title = "Data quality trend report"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title} - "
            f"{escape(data.scope.label)}</title><style>{CSS}</style></head><body>")
    intro = (f"<h1>{title}</h1><div class='sub'>Period: <b>{escape(_scope_label(data))}</b> &middot; "
             f"generated {generated} by UtilityFlow</div>")
    if data.empty:
        body = ("<div class='empty'>No data-quality results are on record yet, so there is nothing to report. "
                "Load a batch and run the checks (<code>utilityflow demo</code> does both), then run "
                "<code>utilityflow report</code> again.</div>")
        return head + intro + body + "</body></html>"
    plot = _Plotter()
    notice = ""
    if data.headline is not None and data.headline.score is None:
        notice = (f"<div class='empty'>No check results fall in {escape(data.headline.current.label)}. Results on "
                  f"record run from {data.first_day} to {data.last_day}; choose a period in that range.</div>")
    parts = [
        intro, notice, _headline(data), plot(charts.score_trend(data)),
        "<h2>Quality by source system</h2>", plot(charts.source_trend(data)),
        "<h2>What cleansing improved</h2>", plot(charts.improvement(data)),
        _improvement_table(data),
        "<h2>Top failing checks this period</h2>", _checks_table(data.top_checks),
        "<h2>Incidents</h2>", _incident_tiles(data),
        "<h2>What it means for the business</h2>", _kpi_table(data.kpis),
        plot(charts.kpi_trends(data.kpis)) if any(k.trend for k in data.kpis) else "",
        "<h2>Methods</h2>", _methods(data),
    ]
    return head + "".join(parts) + "</body></html>"


class _Plotter:
    """Embeds plotly.js with the first figure only, so the file carries it exactly once."""

    def __init__(self) -> None:
        self.first = True

    def __call__(self, fig: go.Figure) -> str:
        html = fig.to_html(full_html=False, include_plotlyjs=self.first, config={"displayModeBar": False,
                                                                               "staticPlot": False})
        self.first = False
        return f"<div class='chart'>{html}</div>"


def _scope_label(data: ReportData) -> str:
    if data.scope.kind == "all":
        return f"everything on record ({data.scope.start.isoformat()} to {data.scope.end.isoformat()})"
    return data.scope.label


def points(score: float | None) -> str:
    """A score in points out of 100, as shown in the report."""
    return "n/a" if score is None else f"{score * 100:.1f}"


def delta(now: float | None, then: float | None, higher_is_better: bool = True, unit: str = " pts") -> str:
    """A signed change in points, coloured by whether it is good news."""
    if now is None or then is None:
        return "<span class='flat'>no comparison</span>"
    change = (now - then) * 100
    text = f"{change:+.1f}{unit}"
    if abs(change) < 0.05:
        return f"<span class='flat'>{text}</span>"
    good = (change > 0) == higher_is_better
    return f"<span class='{'good' if good else 'bad'}'>{text}</span>"


def _headline(data: ReportData) -> str:
    h = data.headline
    assert h is not None and data.incidents is not None
    first_label = h.first.label
    since = ("this is the first period on record" if h.first == h.current
             else f"from {points(h.first_score)} in {escape(first_label)} to {points(h.score)}")
    contact = next((k for k in data.kpis if k.name == "contactability"), None)
    tiles = [
        (points(h.score), f"Overall quality score, {escape(h.current.label)}",
         f"{delta(h.score, h.previous_score)} vs {escape(h.previous.label)}"),
        (delta(h.score, h.first_score) if h.first != h.current else "&ndash;",
         f"Since the first period on record ({escape(first_label)})", since),
        (str(data.incidents.open_at_end), "Open incidents at period end",
         f"{data.incidents.open_critical_at_end} critical &middot; {data.incidents.opened} opened, "
         f"{data.incidents.resolved} resolved"),
    ]
    if contact is not None:
        tiles.append((_pct(contact.current.value), "Contactable customers",
                      f"{delta(contact.current.value, contact.previous.value)} vs previous period"))
    html = "".join(f"<div class='tile'><div class='v'>{v}</div><div class='l'>{label}</div><div class='d'>{d}"
                   f"</div></div>" for v, label, d in tiles)
    stages = " and ".join(h.stages)
    return (f"<div class='tiles'>{html}</div><div class='sub'>Score of the {stages} data: severity-weighted "
            "pass rate of every check, in points out of 100.</div>")


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _improvement_table(data: ReportData) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td class='n'>{points(r)}</td><td class='n'>{points(c)}</td>"
        f"<td class='n'>{delta(c, r)}</td></tr>"
        for name, (r, c) in data.improvement_by_dimension.items()
    )
    if not rows:
        return "<p>No check ran on both the raw and the cleansed stage in this period.</p>"
    return ("<table><tr><th>DAMA dimension</th><th>as delivered (raw)</th><th>after cleansing</th>"
            f"<th>improvement</th></tr>{rows}</table>")


def _checks_table(checks: list[FailingCheck]) -> str:
    if not checks:
        return "<p>No check failed in this period.</p>"
    rows = "".join(
        f"<tr><td class='n'>{i}</td><td>{escape(c.check_id)}<br><small>{escape(c.dataset_name)} &middot; "
        f"{escape(c.stage)} &middot; rule v{c.rule_version or '?'}</small></td><td>{escape(c.dimension_name)}</td>"
        f"<td>{escape(c.severity)}</td><td>{escape(c.owner or 'unassigned')}</td>"
        f"<td class='n'>{c.failures} of {c.results}</td><td class='n'>{c.rows_failed:,} of {c.rows_evaluated:,}</td>"
        f"<td><span class='pill {escape(c.incident_status)}'>{escape(c.incident_status)}</span></td></tr>"
        for i, c in enumerate(checks, 1)
    )
    return ("<table><tr><th>#</th><th>check</th><th>dimension</th><th>severity</th><th>owner</th>"
            f"<th>failed results</th><th>failed rows</th><th>incident</th></tr>{rows}</table>")


def _incident_tiles(data: ReportData) -> str:
    inc = data.incidents
    assert inc is not None
    mttr = "n/a" if inc.mean_hours_to_resolve is None else f"{inc.mean_hours_to_resolve:.1f} h"
    tiles = ((str(inc.opened), "opened this period"), (str(inc.resolved), "resolved this period"),
             (mttr, "mean time to resolve (incidents resolved this period)"),
             (str(inc.open_at_end), "still open at period end"))
    return "<div class='tiles'>" + "".join(
        f"<div class='tile'><div class='v'>{v}</div><div class='l'>{label}</div></div>" for v, label in tiles
    ) + "</div>"


def _kpi_table(kpis: list[Kpi]) -> str:
    if not kpis:
        return "<p>No business facts are loaded yet.</p>"
    rows = []
    for k in kpis:
        now, before = k.current.value, k.previous.value
        value = _pct(now)
        if k.is_amount:
            value = f"${k.current.numerator:,.2f} ({_pct(now)} of cash)"
        rows.append(f"<tr><td>{escape(k.label)}</td><td class='n'>{value}</td><td class='n'>{_pct(before)}</td>"
                    f"<td class='n'>{delta(now, before, k.higher_is_better)}</td></tr>")
    return ("<table><tr><th>KPI</th><th>this period</th><th>previous period</th><th>change</th></tr>"
            + "".join(rows) + "</table>")


def _methods(data: ReportData) -> str:
    cov = data.coverage
    assert cov is not None and data.headline is not None
    dims = ", ".join(cov.dimensions) or "none"
    return f"""<div class='methods'>
<p><b>Scores.</b> A check scores its pass rate (1 - failed rows / evaluated rows; 1 or 0 for table-level
checks). Scores combine severity-weighted (critical 3, warning 1, info 0), summing weighted scores and weights
over every check result in the period and dividing once &mdash; never by averaging percentages. When a check is
re-run for a batch, the latest result counts. The headline is the score of the {' and '.join(data.headline.stages)}
data, the quality the business consumes; it is compared with the previous period of the same length and with the
first month on record.</p>
<p><b>Coverage.</b> This period: {cov.checks} checks on {cov.datasets} datasets produced {cov.results} results;
{cov.errored} could not run (errors are reported here, not scored). DAMA dimensions with at least one check:
{escape(dims)} ({len(cov.dimensions)} of 6).</p>
<p><b>Improvement.</b> The same suites run on each batch as delivered (raw) and after cleansing; the improvement
is the cleansed score minus the raw score, per source and dimension.</p>
<p><b>Business KPIs.</b> Computed from the warehouse's star schema. Customer, duplicate and GIS-CIS figures are the
state at the end of the month holding the period end (SCD2 history as it was then); AMI reads, estimated bills and
unapplied cash add up over the period's days. Incidents count those opened and resolved within the period; mean
time to resolve averages the incidents resolved in it.</p>
<p><b>Privacy.</b> The report holds no customer names, emails, phones or addresses, and names no people.</p>
</div>"""
