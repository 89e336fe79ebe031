"""Batches: every delivery per source with row conservation, quarantine reasons and load duration."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, context

context.require_data("Batches")
f = context.filters()

st.title("Batches")
batches = context.fetch("console_ops", "batches", f)
if batches.empty:
    st.info("No deliveries in range.")
    st.stop()

broken = batches[batches["rows_conserved"] == 0]
c1, c2, c3, c4 = st.columns(4)
c1.metric("Deliveries", len(batches))
c2.metric("Rows read", f"{int(batches['rows_read'].fillna(0).sum()):,}")
c3.metric("Rows quarantined", f"{int(batches['rows_quarantined'].fillna(0).sum()):,}")
c4.metric("Conservation broken", len(broken), help="read ≠ loaded + quarantined + merged")
if not broken.empty:
    st.error(f"{len(broken)} deliveries do not conserve rows: batch ids {', '.join(map(str, broken['batch_id'][:10]))}")

sources = sorted(batches["source"].unique())
for source, tab in zip(sources, st.tabs(sources), strict=True):
    with tab:
        rows = batches[batches["source"] == source]
        st.plotly_chart(charts.batch_rows(rows), key=f"rows_{source}")
        st.dataframe(rows[["batch_id", "feed", "file_name", "received_at", "status", "rows_read", "rows_loaded",
                           "rows_quarantined", "rows_merged", "rows_conserved", "duration_s", "message"]],
                     hide_index=True, column_config={
                         "rows_conserved": st.column_config.CheckboxColumn("conserved"),
                         "duration_s": st.column_config.NumberColumn("duration (s)", format="%.1f")})

st.subheader("Quarantine reasons")
ids = ["all batches in range", *batches["batch_id"].astype(int).tolist()]
wanted = st.query_params.get("batch")
choice = st.selectbox("Batch", ids, index=ids.index(int(wanted)) if wanted and wanted.isdigit()
                      and int(wanted) in ids else 0, key="b_batch")
batch_id = None if isinstance(choice, str) else int(choice)
context.set_param("batch", None if batch_id is None else str(batch_id))
reasons = context.fetch("console_ops", "quarantine_reasons", f, batch_id)
if reasons.empty:
    st.success("No quarantined rows.")
else:
    left, right = st.columns(2)
    left.plotly_chart(charts.reason_bars(reasons), key="reasons_chart")
    right.dataframe(reasons, hide_index=True)
