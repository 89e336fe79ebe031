"""Overview: how good is the data, is it getting better, and who is on what is broken."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, context
from monitor.console_api import headline, key_to_date

context.require_data("Data quality overview")
f = context.filters()
bands = context.bands()
scores = context.fetch("console_api", "overview_scores", f)
head = headline(scores["trend"])

st.title("Data quality overview")
day = key_to_date(head["date_key"]) if head["date_key"] else None
st.caption(
    f"Latest results: {day or '—'} · bands: good ≥ {context.pct(bands.good, 0)}, warning ≥ "
    f"{context.pct(bands.warning, 0)}, failing below · scores are severity-weighted pass rates"
)

counts = context.fetch("console_ops", "incident_counts", f)
c1, c2, c3, c4, c5 = st.columns(5)
cleansed, raw, before = head["cleansed"], head["raw"], head["cleansed_30d_ago"]
c1.metric("Cleansed score", context.pct(cleansed), help="Today's score after cleansing (what reports use).",
          delta=None if cleansed is None or before is None else f"{100 * (cleansed - before):+.1f} pts vs 30 days ago")
c1.markdown(context.band_badge(cleansed))
c2.metric("Raw score", context.pct(raw), help="The same checks on the data as delivered.")
c2.markdown(context.band_badge(raw))
c3.metric("Cleansing gain",
          "—" if cleansed is None or raw is None else f"{100 * (cleansed - raw):+.1f} pts")
c4.metric("Failed / errored", f"{head['checks_failed']} / {head['checks_errored']}",
          help="Checks failed / checks errored on the last day. Errored checks could not run; they are reported "
               "here and kept out of the score.")
c5.metric("Open incidents", counts["open"] + counts["acknowledged"],
          help=f"{counts['open']} open, {counts['acknowledged']} acknowledged")

st.plotly_chart(charts.score_trend(scores["trend"], bands), key="trend_chart")

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.dimension_bars(scores["dimensions"], bands), key="dimension_chart")
with right:
    st.plotly_chart(charts.improvement_bars(scores["improvement"]), key="improvement_chart")

st.subheader("Latest batch score per dataset")
latest = context.fetch("console_api", "latest_batches", f)
if latest.empty:
    st.info("No batch scores for these filters.")
else:
    table = latest[["dataset_name", "stage", "source", "owner", "last_date_key", "score", "critical_failed",
                    "checks_failed", "checks_errored"]].copy()
    table["band"] = [bands.label(s) for s in table["score"]]
    st.dataframe(table, hide_index=True, column_config={
        "score": st.column_config.ProgressColumn("score", min_value=0.0, max_value=1.0, format="percent"),
        "critical_failed": st.column_config.CheckboxColumn("critical failed (capped)"),
    })

cov_col, inc_col = st.columns(2)
with cov_col:
    st.subheader("Coverage")
    cov = context.fetch("console_api", "coverage", f)
    st.caption("DAMA dimensions (of 6) and columns with at least one current check. Reported beside the score, "
               "never folded into it.")
    st.dataframe(cov, hide_index=True, column_config={
        "dimensions_covered": st.column_config.ProgressColumn("dimensions covered", min_value=0, max_value=6,
                                                              format="%d / 6")})
with inc_col:
    st.subheader("Open incidents")
    inc = context.fetch("console_ops", "incidents", f, ("open", "acknowledged"))
    if inc.empty:
        st.success("No open incidents.")
    else:
        st.dataframe(inc[["incident_id", "status", "severity", "dataset_name", "check_id", "opened_at",
                          "acknowledged_by"]].head(10), hide_index=True)
        st.page_link("app_pages/incidents.py", label="Acknowledge or resolve on the Incidents page",
                     icon=":material/emergency:")
