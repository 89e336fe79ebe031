"""Check detail: one check's history (metric with anomaly band and thresholds, pass rate), the rule's
versions, and its latest failed-row samples, PII-masked. Link with ?check=ID&stage=raw|cleansed."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, context
from monitor.console_api import key_to_date

context.require_data("Check detail")
f = context.filters()

st.title("Check detail")
available = context.fetch("console_api", "checks", f)
if available.empty:
    st.info("No check has results for these filters.")
    st.stop()

labels = [f"{c} ({s})" for c, s in zip(available["check_id"], available["stage"], strict=True)]
wanted_check, wanted_stage = st.query_params.get("check"), st.query_params.get("stage")
index = 0
for i, (c, s) in enumerate(zip(available["check_id"], available["stage"], strict=True)):
    if c == wanted_check and (wanted_stage in (None, s)):
        index = i
        break
picked = st.selectbox("Check (most failures first)", range(len(labels)), index=index,
                      format_func=lambda i: labels[i], key="cd_check")
check_id, stage = str(available.iloc[picked]["check_id"]), str(available.iloc[picked]["stage"])
context.set_param("check", check_id)
context.set_param("stage", stage)

hist = context.fetch("console_api", "check_history", check_id, stage, f)
versions = context.fetch("console_api", "check_versions", check_id, stage)
last = hist.iloc[-1]
st.subheader(f"`{check_id}` · {stage}")
st.caption(f"{last['dataset_name']} · {last['check_type']} on `{last['column_name'] or '(table)'}` · "
           f"{last['dimension_name']} · {last['severity']} · owner {last['owner']} · rule v{int(last['version'])}")

m1, m2, m3, m4 = st.columns(4)
m1.metric("Last status", str(last["status"]).upper(), help=str(last["message"] or ""))
last_rate = last["pass_rate"] if last["pass_rate"] == last["pass_rate"] else last["score"]  # NaN for table checks
m2.metric("Last pass rate", context.pct(last_rate, 2))
m3.metric("Failures in range", int((hist["status"] == "fail").sum()), help=f"{len(hist)} results in range")
m4.metric("Last result", str(key_to_date(int(last["date_key"]))))

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.check_metric(hist, versions), key="metric_chart")
with right:
    st.plotly_chart(charts.check_pass_rate(hist), key="pass_rate_chart")

st.subheader("Rule versions")
st.dataframe(versions, hide_index=True)

st.subheader("Recent failed-row samples")
samples = context.fetch("console_api", "failed_samples", check_id, stage, int(context.settings().sample_rows))
if samples.empty:
    st.success("No failed-row samples stored for this check.")
else:
    st.caption("Samples are bounded and PII-masked (emails, phones, names, addresses).")
    st.dataframe(samples, hide_index=True)
