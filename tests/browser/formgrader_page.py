"""Read what nbgrader's formgrader shows an instructor, from inside JupyterLab's Formgrader panel."""

from __future__ import annotations

import math

from playwright.sync_api import FrameLocator, Page

#: formgrader's pages fill their tables from its REST API; this global flips to true when they are filled.
TABLE_LOADED = "() => window.models !== undefined && window.models.loaded === true"


def formgrader_number(value: float) -> str:
    """Write a score the way formgrader's JavaScript shows it (``roundToPrecision(x, 2)``, then JS number text).

    >>> formgrader_number(3.0), formgrader_number(1.5), formgrader_number(2 / 3), formgrader_number(0.125)
    ('3', '1.5', '0.67', '0.13')
    """
    rounded = math.floor(value * 100 + 0.5) / 100  # JavaScript's Math.round rounds halves up
    return str(int(rounded)) if rounded == int(rounded) else repr(rounded)


def open_formgrader_panel(page: Page) -> FrameLocator:
    """Open formgrader through JupyterLab's *Nbgrader → Formgrader* menu and return its frame.

    Going through the menu (not the bare /formgrader address) is what proves nbgrader's lab extension
    is installed and enabled alongside its server extension.
    """
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
    frame = page.frame_locator(".jp-MainAreaWidget iframe[src*='formgrader']")
    frame.locator("#main-table").wait_for()
    return frame


def wait_for_table(page: Page) -> None:
    """Wait until the formgrader page inside the panel has loaded its table from the REST API."""
    for frame in page.frames:
        if "/formgrader" in frame.url:
            frame.wait_for_function(TABLE_LOADED)
            return
    raise AssertionError(f"no formgrader frame among {[f.url for f in page.frames]}")


def table_rows(frame: FrameLocator, key_class: str, value_class: str) -> dict[str, str]:
    """Map the text of each row's ``td.<key_class>`` to the text of its ``td.<value_class>``."""
    rows = frame.locator("#main-table tr")
    found = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        found[row.locator(f"td.{key_class}").inner_text().strip()] = (
            row.locator(f"td.{value_class}").inner_text().strip()
        )
    return found
