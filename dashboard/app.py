"""UtilityFlow's quality console: `utilityflow dashboard` runs `streamlit run` on this file.

The page modules live in `app_pages/`, not `pages/`: with a `pages/` folder next to the entry script,
Streamlit (1.67) starts each new session in its legacy multipage mode (one sidebar entry per file, the
entry script skipped), so a deep link such as /check?check=... would bypass the shared filters.

The entry script runs on every page: it resolves the warehouse, probes it, draws the shared filters (kept
in the URL's query parameters) and hands over to the page chosen in the navigation.
"""

from __future__ import annotations

import streamlit as st

from dashboard import context
from monitor.console_db import session

st.set_page_config(page_title="UtilityFlow quality console", page_icon=":material/fact_check:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/monitoring:", url_path="overview", default=True),
    st.Page("app_pages/datasets.py", title="Datasets", icon=":material/table_view:", url_path="datasets"),
    st.Page("app_pages/check_detail.py", title="Check detail", icon=":material/manage_search:", url_path="check"),
    st.Page("app_pages/batches.py", title="Batches", icon=":material/inventory_2:", url_path="batches"),
    st.Page("app_pages/incidents.py", title="Incidents", icon=":material/emergency:", url_path="incidents"),
    st.Page("app_pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
]

page = st.navigation(PAGES)
url = context.warehouse_url()
with session(url):  # one short read-only connection for this render's uncached reads
    state = context.refresh_state()
    st.sidebar.caption(f"Warehouse: `{context.masked_url(url)}`")
    if state.ready:
        context.sidebar_filters(context.options())
    page.run()
