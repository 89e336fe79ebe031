"""UtilityFlow's quality console: `utilityflow dashboard` runs `streamlit run` on this file.

The entry script runs on every page: it resolves the warehouse, probes it, draws the shared filters (kept
in the URL's query parameters) and hands over to the page chosen in the navigation.
"""

from __future__ import annotations

import streamlit as st

from dashboard import context

st.set_page_config(page_title="UtilityFlow quality console", page_icon="📊", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="📈", url_path="overview", default=True),
    st.Page("pages/datasets.py", title="Datasets", icon="🗂️", url_path="datasets"),
    st.Page("pages/check_detail.py", title="Check detail", icon="🔎", url_path="check"),
    st.Page("pages/batches.py", title="Batches", icon="📦", url_path="batches"),
    st.Page("pages/incidents.py", title="Incidents", icon="🚨", url_path="incidents"),
    st.Page("pages/alerts.py", title="Alerts", icon="🔔", url_path="alerts"),
]

page = st.navigation(PAGES)
url = context.warehouse_url()
state = context.refresh_state()
st.sidebar.caption(f"Warehouse: `{context.masked_url(url)}`")
if state.ready:
    context.sidebar_filters(context.options())
page.run()
