"""Plotly figures of the console. Pages pass the small DataFrames the read API returns; no queries here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from monitor.console_api import Bands

STAGE_COLORS = {"raw": "#9aa5b1", "cleansed": "#1f77b4", "star": "#2ca02c"}
BAND_COLORS = {"good": "rgba(44,160,44,0.08)", "warning": "rgba(255,165,0,0.10)", "failing": "rgba(214,39,40,0.08)"}
STATUS_COLORS = {"pass": "#2ca02c", "warn": "#ff9f1c", "fail": "#d62728", "error": "#7f7f7f", "skipped": "#c7c7c7"}


def to_dates(keys: pd.Series) -> pd.Series:
    """YYYYMMDD integer keys as timestamps for the x axis."""
    return pd.to_datetime(keys.astype("int64").astype(str), format="%Y%m%d")


def _layout(fig: go.Figure, title: str, height: int = 340, pct_axis: bool = True) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, xanchor="left"))
    if pct_axis:
        fig.update_yaxes(tickformat=".0%")
    return fig


def add_bands(fig: go.Figure, bands: Bands, low: float = 0.0) -> None:
    """Shade the good / warning / failing score bands behind a score chart."""
    fig.add_hrect(y0=bands.good, y1=1.0, fillcolor=BAND_COLORS["good"], line_width=0, layer="below")
    fig.add_hrect(y0=bands.warning, y1=bands.good, fillcolor=BAND_COLORS["warning"], line_width=0, layer="below")
    fig.add_hrect(y0=low, y1=bands.warning, fillcolor=BAND_COLORS["failing"], line_width=0, layer="below")


def score_trend(trend: pd.DataFrame, bands: Bands) -> go.Figure:
    """Daily score per stage (thin) with its 7- and 30-day rolling scores, over the quality bands."""
    fig = go.Figure()
    for stage in ("raw", "cleansed", "star"):
        rows = trend[trend["stage"] == stage] if not trend.empty else trend
        if rows.empty:
            continue
        xs = to_dates(rows["date_key"])
        color = STAGE_COLORS[stage]
        fig.add_scatter(x=xs, y=rows["score"], name=f"{stage} daily", mode="lines",
                        line=dict(color=color, width=1), opacity=0.45)
        fig.add_scatter(x=xs, y=rows["score_7d"], name=f"{stage} 7-day", mode="lines", line=dict(color=color, width=2))
        fig.add_scatter(x=xs, y=rows["score_30d"], name=f"{stage} 30-day", mode="lines",
                        line=dict(color=color, width=3, dash="dot"))
    low = min(float(trend["score"].min()) if not trend.empty else 0.0, bands.warning) - 0.02
    add_bands(fig, bands, low=max(low, 0.0))
    fig.update_yaxes(range=[max(low, 0.0), 1.005])
    return _layout(fig, "Score over time (daily, 7- and 30-day rolling)")


def dimension_bars(dims: pd.DataFrame, bands: Bands) -> go.Figure:
    """Score per DAMA dimension, raw beside cleansed."""
    fig = go.Figure()
    for stage in ("raw", "cleansed", "star"):
        rows = dims[dims["stage"] == stage]
        if not rows.empty:
            fig.add_bar(x=rows["dimension_name"], y=rows["score"], name=stage, marker_color=STAGE_COLORS[stage])
    fig.add_hline(y=bands.good, line_dash="dash", line_color="green", annotation_text="good")
    fig.add_hline(y=bands.warning, line_dash="dash", line_color="orange", annotation_text="warning")
    fig.update_layout(barmode="group")
    return _layout(fig, "Score by DAMA dimension (last day)")


def improvement_bars(imp: pd.DataFrame) -> go.Figure:
    """Raw vs cleansed score per source: the measured effect of cleansing."""
    fig = go.Figure()
    fig.add_bar(x=imp["source"], y=imp["raw_score"], name="raw", marker_color=STAGE_COLORS["raw"])
    fig.add_bar(x=imp["source"], y=imp["cleansed_score"], name="cleansed", marker_color=STAGE_COLORS["cleansed"],
                text=[f"+{100 * v:.1f} pts" if pd.notna(v) else "" for v in imp["improvement"]],
                textposition="outside")
    fig.update_layout(barmode="group")
    return _layout(fig, "Improvement from cleansing, per source")


def check_metric(hist: pd.DataFrame, versions: pd.DataFrame) -> go.Figure:
    """The check's observed value with its anomaly band, thresholds and rule versions marked."""
    fig = go.Figure()
    x = to_dates(hist["date_key"])
    if hist["expected_low"].notna().any():
        fig.add_scatter(x=x, y=hist["expected_high"], mode="lines", line=dict(width=0), showlegend=False,
                        hoverinfo="skip")
        fig.add_scatter(x=x, y=hist["expected_low"], mode="lines", line=dict(width=0), fill="tonexty",
                        fillcolor="rgba(31,119,180,0.15)", name="expected (anomaly band)")
    fig.add_scatter(x=x, y=hist["observed_value"], mode="lines+markers", name="observed",
                    line=dict(color="#1f77b4"),
                    marker=dict(color=[STATUS_COLORS.get(s, "#333") for s in hist["status"]], size=7))
    for col, color in (("threshold_warn", "orange"), ("threshold_fail", "red")):
        if hist[col].notna().any():
            fig.add_scatter(x=x, y=hist[col], mode="lines", name=col.replace("_", " "),
                            line=dict(color=color, dash="dash", width=1.5))
    _mark_versions(fig, hist)
    return _layout(fig, "Observed value, anomaly band and thresholds", pct_axis=False)


def check_pass_rate(hist: pd.DataFrame) -> go.Figure:
    """Pass rate (1 - failed / evaluated) per result, coloured by status."""
    fig = go.Figure()
    x = to_dates(hist["date_key"])
    y = hist["pass_rate"].where(hist["pass_rate"].notna(), hist["score"])
    fig.add_scatter(x=x, y=y, mode="lines+markers", name="pass rate", line=dict(color="#444", width=1),
                    marker=dict(color=[STATUS_COLORS.get(s, "#333") for s in hist["status"]], size=8),
                    text=hist["status"], hovertemplate="%{x|%Y-%m-%d}: %{y:.2%} (%{text})<extra></extra>")
    _mark_versions(fig, hist)
    return _layout(fig, "Pass rate by batch (colour = status)")


def _mark_versions(fig: go.Figure, hist: pd.DataFrame) -> None:
    """A dotted vertical line where a new version of the rule starts producing results."""
    if "version" not in hist or hist["version"].isna().all():
        return
    changes = hist[hist["version"].ne(hist["version"].shift())].iloc[1:]
    for row in changes.itertuples():
        x = to_dates(pd.Series([row.date_key])).iloc[0]
        fig.add_vline(x=x.timestamp() * 1000, line_dash="dot", line_color="purple",
                      annotation_text=f"v{int(row.version)}", annotation_position="top left")


def batch_rows(batches: pd.DataFrame) -> go.Figure:
    """Rows loaded / quarantined / merged per delivery, stacked, with rows read on top: conservation."""
    df = batches.sort_values("started_at")
    # One evenly spaced bar per delivery (a time axis makes same-day deliveries hair-thin).
    x = [f"{b} · {str(t)[:10]}" for b, t in zip(df["batch_id"], df["started_at"], strict=True)]
    fig = go.Figure()
    fig.add_bar(x=x, y=df["rows_loaded"], name="loaded", marker_color="#2ca02c")
    fig.add_bar(x=x, y=df["rows_quarantined"], name="quarantined", marker_color="#d62728")
    fig.add_bar(x=x, y=df["rows_merged"], name="merged (duplicates)", marker_color="#ff9f1c")
    fig.add_scatter(x=x, y=df["rows_read"], mode="markers", name="read", marker=dict(symbol="line-ew-open",
                    size=14, color="black", line=dict(width=2)))
    fig.update_layout(barmode="stack", bargap=0.15)
    fig.update_xaxes(type="category", showticklabels=len(x) <= 40, title="batch · date")
    return _layout(fig, "Rows per delivery: read = loaded + quarantined + merged", pct_axis=False)


def reason_bars(reasons: pd.DataFrame) -> go.Figure:
    """Quarantined rows per reason code."""
    agg = reasons.groupby("reason_code", as_index=False)["rows_quarantined"].sum()
    fig = go.Figure(go.Bar(x=agg["rows_quarantined"], y=agg["reason_code"], orientation="h", marker_color="#d62728"))
    return _layout(fig, "Quarantine reasons", height=260, pct_axis=False)


def status_bars(counts: pd.Series, title: str) -> go.Figure:
    """A small bar chart of counts per status."""
    fig = go.Figure(go.Bar(x=counts.index.astype(str), y=counts.values,
                           marker_color=[STATUS_COLORS.get(str(s), "#1f77b4") for s in counts.index]))
    return _layout(fig, title, height=240, pct_axis=False)
