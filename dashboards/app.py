"""The ifr-sim dashboard: curves, playground, episode inspector and fidelity over the run store.

Start it with `ifr-sim dashboard --runs DIR` (or `streamlit run dashboards/app.py` with
`IFR_SIM_RUNS=DIR`). It only reads the run store. This entry file only sets up the pages
(Streamlit's `st.navigation`); each page is a script beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
# Page title → its script, in menu order (the first is the default); a page's URL path is
# its title in lower case (http://127.0.0.1:8501/playground). No docstrings for constants
# in page scripts: Streamlit would write a bare string onto the page.
PAGES = {"Curves": "curves_page.py", "Playground": "playground_page.py",
         "Episodes": "episodes_page.py", "Fidelity": "fidelity_page.py"}
SWEEP_MODULE = "ifr_sim.dashboards.sweep_page"


def main() -> None:
    st.set_page_config(page_title="ifr-sim runs", layout="wide")
    pages = [st.Page(HERE / script, title=title, url_path=title.lower(), default=number == 0)
             for number, (title, script) in enumerate(PAGES.items())]
    sweeps = _sweep_page()
    if sweeps is not None:
        pages.append(st.Page(sweeps, title="Sweeps", url_path="sweeps"))
    st.navigation(pages).run()


def _sweep_page() -> Callable[[], None] | None:
    """The Sweeps page when its module is installed; a page saying why if it fails to load."""
    try:
        from ifr_sim.dashboards.sweep_page import sweep_page
    except ModuleNotFoundError as error:
        if error.name == SWEEP_MODULE:
            return None
        return _broken_page(error)
    except Exception as error:  # a broken page must not take the others down
        return _broken_page(error)
    return sweep_page


def _broken_page(error: Exception) -> Callable[[], None]:
    def page() -> None:
        st.error(f"The Sweeps page could not be loaded: {type(error).__name__}: {error}")

    return page


main()
