"""Plotly figures of the executive report, sized to print on A4 portrait."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from monitor.report.data import Kpi, ReportData

WIDTH = 880
PALETTE = ("#1f4e79", "#c0504d", "#2e8b57", "#e08e0b", "#7b4fa0", "#3aa6b9", "#8c564b")


def _layout(fig: go.Figure, title: str, height: int, grain: str = "month") -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, width=WIDTH, height=height,
        margin={"l": 55, "r": 20, "t": 45, "b": 40}, template="plotly_white", colorway=PALETTE,
        legend={"orientation": "h", "y": -0.18, "x": 0}, font={"family": "Helvetica, Arial, sans-serif"},
    )
    if grain == "month":
        fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    elif grain == "day":
        fig.update_xaxes(tickformat="%d %b")
    return fig


def _x(points: list[tuple[date, float]]) -> list[date]:
    return [d for d, _ in points]


def _y(points: list[tuple[date, float]]) -> list[float]:
    return [round(v * 100, 2) for _, v in points]


def score_trend(data: ReportData) -> go.Figure:
    """Overall score and one line per DAMA dimension, in points out of 100."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=_x(data.trend_overall), y=_y(data.trend_overall), name="overall",
                             mode="lines+markers", line={"width": 4, "color": "#111111"}))
    for name, points in data.trend_by_dimension.items():
        fig.add_trace(go.Scatter(x=_x(points), y=_y(points), name=name, mode="lines+markers"))
    fig.update_yaxes(title_text="score (0-100)")
    return _layout(fig, f"Quality score by DAMA dimension, per {data.grain}", 340, data.grain)


def source_trend(data: ReportData) -> go.Figure:
    """One line per source system."""
    fig = go.Figure()
    for name, points in data.trend_by_source.items():
        fig.add_trace(go.Scatter(x=_x(points), y=_y(points), name=name, mode="lines+markers"))
    fig.update_yaxes(title_text="score (0-100)")
    return _layout(fig, f"Quality score by source system, per {data.grain}", 300, data.grain)


def improvement(data: ReportData) -> go.Figure:
    """Raw (as delivered) vs cleansed score per source for the period."""
    names = list(data.improvement_by_source)
    raw = [None if r is None else round(r * 100, 1) for r, _ in data.improvement_by_source.values()]
    clean = [None if c is None else round(c * 100, 1) for _, c in data.improvement_by_source.values()]
    fig = go.Figure([
        go.Bar(x=names, y=raw, name="as delivered (raw)", marker_color="#c0504d", text=raw, textposition="outside"),
        go.Bar(x=names, y=clean, name="after cleansing", marker_color="#2e8b57", text=clean, textposition="outside"),
    ])
    values = [v for v in raw + clean if v is not None]
    if values:
        fig.update_yaxes(range=[max(0, min(values) - 5), 101], title_text="score (0-100)")
    fig.update_layout(barmode="group")
    return _layout(fig, "What cleansing improved, by source (this period)", 300, "category")


def kpi_trends(kpis: list[Kpi]) -> go.Figure:
    """Small multiples: one line per business KPI."""
    shown = [k for k in kpis if k.trend]
    cols = 3
    rows = max(1, (len(shown) + cols - 1) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_short(k) for k in shown],
                        vertical_spacing=0.16, horizontal_spacing=0.08)
    for i, kpi in enumerate(shown):
        fig.add_trace(go.Scatter(x=_x(kpi.trend), y=_y(kpi.trend), mode="lines+markers", showlegend=False,
                                 line={"color": PALETTE[i % len(PALETTE)]}),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(ticksuffix="%")
    fig.update_annotations(font_size=11)
    fig = _layout(fig, "Business KPIs over time (%)", 190 * rows + 60, "none")
    fig.update_xaxes(tickformat="%b %Y", nticks=4)
    return fig


def _short(kpi: Kpi) -> str:
    return {
        "contactability": "Contactable customers", "valid_email": "Valid email", "valid_phone": "Valid phone",
        "standard_address": "Standard address", "duplicate_customer_rate": "Duplicate records",
        "ami_read_completeness": "AMI reads received", "bills_estimated_rate": "Bills estimated",
        "unapplied_cash": "Unapplied cash (% of cash)", "gis_link_coverage": "GIS-CIS linked premises",
    }.get(kpi.name, kpi.name)
