"""What every page shares: the warehouse URL, settings and bands, cached reads with the busy-retry path,
the first-run guard, and the filters that live in the URL's query parameters.

The filters are drawn once in the entry script's sidebar (so they survive page switches) and written
back to `st.query_params` on every run, so the address bar is always a shareable link: a Slack alert's
link such as `/check?check=cis.customer.email_valid&stage=raw&from=2026-11-01` lands on that page with
that filter.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from monitor.console_api import QUERY_PARAMS, Bands, Filters
from monitor.console_db import WarehouseBusy, WarehouseState, warehouse_state
from monitor.settings import Settings
from warehouse.errors import WarehouseError

ALL = "All"
AUTO_RETRIES = 10  # reruns while the warehouse is busy before asking the user to retry
BUSY_PAUSE_S = 2.0
PARAMS = QUERY_PARAMS  # filter name -> query parameter


def _argv_warehouse() -> str | None:
    """`--warehouse URL` after `--` on the `streamlit run` command line."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == "--warehouse" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--warehouse="):
            return arg.split("=", 1)[1]
    return None


def settings() -> Settings:
    """Settings from utilityflow.toml and UTILITYFLOW_* (read once per session)."""
    if "_settings" not in st.session_state:
        # `utilityflow dashboard --config FILE` hands the file over in UTILITYFLOW_CONFIG.
        st.session_state["_settings"] = Settings.load(config_file=os.environ.get("UTILITYFLOW_CONFIG") or None)
    return st.session_state["_settings"]  # type: ignore[no-any-return]


def warehouse_url() -> str:
    """The warehouse to show: session state `warehouse_url` (tests set it), else `--warehouse` on the
    command line, else the settings (`UTILITYFLOW_WAREHOUSE_URL`, which `utilityflow dashboard` sets)."""
    url = st.session_state.get("warehouse_url") or _argv_warehouse() or settings().warehouse_url
    st.session_state["warehouse_url"] = url
    return str(url)


def bands() -> Bands:
    """The configured quality bands."""
    s = settings()
    return Bands(good=s.console_band_good, warning=s.console_band_warning)


def _call(module: str, name: str, url: str, *args: Any) -> Any:
    return getattr(importlib.import_module(f"monitor.{module}"), name)(url, *args)


_CACHED: dict[int, Callable[..., Any]] = {}


def fetch(module: str, name: str, *args: Any) -> Any:
    """`monitor.<module>.<name>(url, *args)`, cached for the configured TTL; a busy warehouse shows
    "warehouse busy, retrying" and re-runs the page instead of failing."""
    ttl = int(settings().console_cache_ttl)
    cached = _CACHED.setdefault(ttl, st.cache_data(ttl=ttl, show_spinner=False)(_call))
    try:
        result = cached(module, name, warehouse_url(), *args)
    except WarehouseBusy as e:
        _busy(str(e))
    except WarehouseError as e:
        st.error(f"{e} ({e.code})")
        st.stop()
    st.session_state["_busy_retries"] = 0
    return result


def _busy(message: str) -> None:
    retries = int(st.session_state.get("_busy_retries", 0))
    if retries < AUTO_RETRIES:
        st.session_state["_busy_retries"] = retries + 1
        st.warning(f"Warehouse busy, retrying ({retries + 1}/{AUTO_RETRIES}): {message}",
                   icon=":material/hourglass_top:")
        time.sleep(BUSY_PAUSE_S)
        st.rerun()
    st.warning(f"Warehouse still busy after {AUTO_RETRIES} tries: {message}", icon=":material/hourglass_top:")
    if st.button("Retry now"):
        st.session_state["_busy_retries"] = 0
        st.rerun()
    st.stop()


def clear_cache() -> None:
    """Forget cached reads (after an incident action, so the page shows the write)."""
    for fn in _CACHED.values():
        fn.clear()  # type: ignore[attr-defined]


def state() -> WarehouseState:
    """The warehouse's state for this run (checked once per run by the entry script)."""
    if "_state" not in st.session_state or st.session_state.get("_state_url") != warehouse_url():
        refresh_state()
    return st.session_state["_state"]  # type: ignore[no-any-return]


def refresh_state() -> WarehouseState:
    """Probe the warehouse again (the entry script does this on every run)."""
    try:
        s = warehouse_state(warehouse_url())
    except WarehouseBusy as e:
        _busy(str(e))
    except WarehouseError as e:
        s = WarehouseState("no_schema", f"{e}")
    st.session_state["_state"] = s
    st.session_state["_state_url"] = warehouse_url()
    return s


def require_data(title: str) -> None:
    """Stop the page with the first-run message when there is nothing to show yet."""
    s = state()
    if not s.ready:
        st.title(title)
        st.info(f"**Nothing to show yet.** {s.message}", icon=":material/waving_hand:")
        st.caption("Every page of the console fills in once check results are in the warehouse.")
        st.stop()


# --- filters in the URL --------------------------------------------------------------------------------

def _param_date(name: str) -> date | None:
    raw = st.query_params.get(name)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _select(label: str, key: str, param: str, choices: list[str]) -> str | None:
    options = [ALL, *choices]
    wanted = st.query_params.get(param)
    index = options.index(wanted) if wanted in options else 0
    value = st.sidebar.selectbox(label, options, index=index, key=key)
    return None if value == ALL else str(value)


def sidebar_filters(options: dict[str, Any]) -> Filters:
    """Draw the shared filters (initialised from the query parameters) and return their values."""
    first, last = options.get("first_date"), options.get("last_date")
    f_from = _param_date("from") or first
    f_to = _param_date("to") or last
    date_from = date_to = None
    if first and last:
        f_from = min(max(f_from or first, first), last)
        f_to = max(min(f_to or last, last), f_from)
        picked = st.sidebar.date_input("Date range", value=(f_from, f_to), min_value=first, max_value=last,
                                       key="f_dates")
        if isinstance(picked, tuple | list) and len(picked) == 2:
            date_from, date_to = picked
        elif isinstance(picked, tuple | list) and len(picked) == 1:
            date_from = picked[0]
    filters = Filters(
        date_from=date_from, date_to=date_to,
        source=_select("Source", "f_source", "source", options.get("sources", [])),
        dataset=_select("Dataset", "f_dataset", "dataset", options.get("datasets", [])),
        owner=_select("Owner", "f_owner", "owner", options.get("owners", [])),
        dimension=_select("DAMA dimension", "f_dimension", "dimension", options.get("dimensions", [])),
        severity=_select("Severity", "f_severity", "severity", options.get("severities", [])),
    )
    # Keep the URL in step; dates equal to the full range stay out of it so links stay short.
    values = {f: getattr(filters, f) for f in PARAMS}
    if values["date_from"] == first:
        values["date_from"] = None
    if values["date_to"] == last:
        values["date_to"] = None
    for field, param in PARAMS.items():
        set_param(param, values[field].isoformat() if isinstance(values[field], date) else values[field])
    st.session_state["_filters"] = filters
    return filters


def set_param(param: str, value: str | None) -> None:
    """Write one query parameter (or remove it), only when it changes."""
    if value is None or value == "":
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def filters() -> Filters:
    """The filters the entry script read for this run."""
    return st.session_state.get("_filters") or Filters()  # type: ignore[no-any-return]


def options() -> dict[str, Any]:
    """Filter choices (sources, datasets, owners, date bounds) for a ready warehouse, else empty."""
    if not state().ready:
        return {}
    return fetch("console_api", "filter_options")  # type: ignore[no-any-return]


def band_badge(score: float | None) -> str:
    """`:green[good]`-style markdown for a score's band."""
    label = bands().label(score)
    color = {"good": "green", "warning": "orange", "failing": "red"}.get(label, "gray")
    return f":{color}-badge[{label}]"


def pct(value: float | None, digits: int = 1) -> str:
    """A score as a percentage, or an em dash."""
    if value is None or value != value:
        return "—"
    return f"{100 * value:.{digits}f}%"


def masked_url(url: str) -> str:
    """The warehouse URL with any password hidden, for display."""
    from monitor.masking import mask_url

    return mask_url(url)


def write(action: str, *args: Any) -> None:
    """Run one incident action of `monitor.console_ops` (the console's only writes), then drop the cache."""
    from monitor import console_ops

    try:
        getattr(console_ops, action)(warehouse_url(), *args)
    except WarehouseBusy as e:
        st.warning(f"Warehouse busy, retrying: {e}. Your action was not saved; submit it again in a moment.")
        st.stop()
    clear_cache()
