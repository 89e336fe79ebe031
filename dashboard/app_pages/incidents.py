"""Incidents: open, acknowledged and resolved, with the acknowledge and resolve actions (who + note)."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from monitor.console_ops import IncidentActionError

context.require_data("Incidents")
f = context.filters()

st.title("Incidents")
counts = context.fetch("console_ops", "incident_counts", f)
every = context.fetch("console_ops", "incidents", f)
resolved = every[every["status"] == "resolved"]
c1, c2, c3, c4 = st.columns(4)
c1.metric("Open", counts["open"])
c2.metric("Acknowledged", counts["acknowledged"])
c3.metric("Resolved", counts["resolved"])
c4.metric("Median time to resolve", "—" if resolved.empty else f"{resolved['hours_to_resolve'].median():.1f} h")

if (flash := st.session_state.pop("incident_flash", None)) is not None:
    st.success(flash)

columns = ["incident_id", "status", "severity", "dataset_name", "check_id", "opened_at", "failing_runs",
           "acknowledged_by", "ack_note", "hours_to_ack", "resolved_by", "resolve_reason", "hours_to_resolve"]
fmt = {"hours_to_ack": st.column_config.NumberColumn("hours to ack", format="%.1f"),
       "hours_to_resolve": st.column_config.NumberColumn("hours to resolve", format="%.1f")}
for status, tab in zip(("open", "acknowledged", "resolved"), st.tabs(["Open", "Acknowledged", "Resolved"]),
                       strict=True):
    with tab:
        rows = every[every["status"] == status]
        if rows.empty:
            st.caption(f"No {status} incidents.")
        else:
            st.dataframe(rows[columns], hide_index=True, column_config=fmt)

actionable = every[every["status"].isin(["open", "acknowledged"])]
st.subheader("Act on an incident")
if actionable.empty:
    st.success("Nothing to act on.")
    st.stop()
labels = {int(r.incident_id): f"#{r.incident_id} {r.status} · {r.dataset_name} · {r.check_id}"
          for r in actionable.itertuples()}
with st.form("incident_action"):
    incident_id = st.selectbox("Incident", list(labels), format_func=lambda i: labels[i], key="inc_id")
    who = st.text_input("Who", key="inc_who", placeholder="your name or handle")
    note = st.text_area("Note / reason", key="inc_note",
                        placeholder="acknowledge: what you are doing · resolve: why it is closed")
    ack = st.form_submit_button("Acknowledge")
    resolve = st.form_submit_button("Resolve")

if ack or resolve:
    try:
        if ack:
            context.write("acknowledge_incident", int(incident_id), who, note)
            st.session_state["incident_flash"] = f"Incident #{incident_id} acknowledged by {who.strip()}."
        else:
            context.write("resolve_incident", int(incident_id), who, note)
            st.session_state["incident_flash"] = f"Incident #{incident_id} resolved by {who.strip()}."
    except IncidentActionError as e:
        st.error(str(e))
    else:
        st.rerun()
