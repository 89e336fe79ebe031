"""Datasets: one row per dataset and stage; pick one (or link with ?dataset=NAME) to drill in."""

from __future__ import annotations

import streamlit as st

from dashboard import context

context.require_data("Datasets")
f = context.filters()
bands = context.bands()


def _drill() -> None:
    # Runs before the next script run, when the sidebar's dataset filter may still be changed.
    choice = st.session_state.get("drill_dataset")
    st.session_state["f_dataset"] = choice if choice and choice != "—" else context.ALL


st.title("Datasets")
listing = context.fetch("console_api", "datasets", f)
if listing.empty:
    st.info("No dataset has results for these filters.")
    st.stop()

table = listing[["dataset_name", "stage", "source", "owner", "last_batch_id", "last_date_key", "score", "trend",
                 "checks_failed", "checks_warned", "checks_errored", "checks_defined"]].copy()
table["band"] = [bands.label(s) for s in table["score"]]
st.dataframe(table, hide_index=True, column_config={
    "score": st.column_config.ProgressColumn("last batch score", min_value=0.0, max_value=1.0, format="percent"),
    "trend": st.column_config.LineChartColumn("daily score (last 30 days)"),  # auto-scaled: scores sit near 1
    "last_batch_id": st.column_config.NumberColumn("last batch", format="%d"),
    "last_date_key": st.column_config.NumberColumn("last date", format="%d"),
})

names = sorted(listing["dataset_name"].unique())
st.selectbox("Drill into a dataset", ["—", *names], index=(names.index(f.dataset) + 1) if f.dataset in names else 0,
             key="drill_dataset", on_change=_drill)

if f.dataset:
    st.header(f"Dataset `{f.dataset}`")
    tab_checks, tab_batches, tab_schema = st.tabs(["Checks", "Batches", "Schema changes"])
    with tab_checks:
        checks = context.fetch("console_api", "dataset_checks", f.dataset, f)
        st.caption("Each check's latest result in range; failing checks first.")
        st.dataframe(checks, hide_index=True, column_config={
            "pass_rate": st.column_config.NumberColumn("pass rate", format="percent")})
        if not checks.empty:
            first = checks.iloc[0]
            st.page_link("app_pages/check_detail.py", label=f"Open check {first['check_id']} ({first['stage']})",
                         icon=":material/manage_search:",
                         query_params={"check": first["check_id"], "stage": first["stage"]})
    with tab_batches:
        st.dataframe(context.fetch("console_api", "dataset_batches", f.dataset, f), hide_index=True,
                     column_config={"score": st.column_config.ProgressColumn(
                         "batch score", min_value=0.0, max_value=1.0, format="percent")})
    with tab_schema:
        changes = context.fetch("console_api", "schema_changes", f.dataset, f)
        if changes.empty:
            st.success("No schema changes detected in range.")
        else:
            st.dataframe(changes, hide_index=True)
