"""Alerts: what was sent where (Slack webhook, bot, or the log) and whether it was delivered."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, context

context.require_data("Alerts")
f = context.filters()

st.title("Alerts")
statuses = ["All", "sent", "failed", "pending", "logged"]
wanted = st.query_params.get("status")
status = st.selectbox("Delivery status", statuses, index=statuses.index(wanted) if wanted in statuses else 0,
                      key="al_status")
context.set_param("status", None if status == "All" else status)
alerts = context.fetch("console_ops", "alerts", f, None if status == "All" else status)
if alerts.empty:
    st.info("No alerts in range. With no Slack configured, alerts go to the log and still appear here.")
    st.stop()

left, right = st.columns([1, 2])
with left:
    st.plotly_chart(charts.status_bars(alerts["status"].value_counts(), "Alerts by delivery status"),
                    key="alert_status_chart")
with right:
    st.plotly_chart(charts.status_bars(alerts["destination"].value_counts(), "Alerts by destination"),
                    key="alert_dest_chart")
st.dataframe(alerts, hide_index=True)
