"""Streamlit pieces the pages share: the workspace's run store or a message, a CSV button."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data


def store_or_message() -> RunStore | None:
    """The workspace's run store; None, after saying how to fill it, if it has no runs."""
    workspace = data.workspace()
    store = data.open_store(workspace)
    if store is None or not store.runs():
        st.info(f"No runs yet in `{workspace}`: run `ifr-sim train --runs {workspace}` "
                "(or `ifr-sim evaluate` / `simulate`) and reload this page.")
        return None
    return store


def csv_button(frame: pd.DataFrame, name: str, key: str) -> None:
    """A button that downloads `frame` as `<name>.csv` (slashes in `name` become `_`)."""
    st.download_button("CSV", frame.to_csv(index=False),
                       file_name=f"{name.replace('/', '_')}.csv", mime="text/csv", key=key)
