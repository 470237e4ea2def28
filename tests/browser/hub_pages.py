"""Drive the hub as its users do: the login page, nbgrader's Assignments tab, formgrader's buttons."""

from __future__ import annotations

import os
import subprocess

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from autograder.hub.reach import needed_folders, reopen, reopenings
from autograder.hub.users import HubUser
from autograder.venv_path import BARE_PATH, path_with_bin

#: formgrader's pages fill their tables from its REST API; this global flips to true when they are filled.
TABLE_LOADED = "() => window.models !== undefined && window.models.loaded === true"


def log_in(page: Page, base: str, user: HubUser) -> None:
    """Log in through the hub's login page and wait for the user's JupyterLab (the server is started if needed)."""
    page.goto(f"{base}/hub/login")
    page.locator("#username_input").fill(user.name)
    page.locator("#password_input").fill(user.password)
    page.locator("#login_submit").click()
    page.wait_for_url(f"**/user/{user.name}/lab**", timeout=90_000)
    page.locator("#jp-main-dock-panel").wait_for(timeout=60_000)


def log_out(page: Page, base: str) -> None:
    """Log out of the hub (the user's server keeps running)."""
    page.goto(f"{base}/hub/logout")
    page.locator("#login_submit").wait_for()


def open_assignments(page: Page) -> Locator:
    """Open nbgrader's Assignments tab through JupyterLab's *Nbgrader → Assignment List* menu; return its panel."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Assignment List", exact=True).click()
    panel = page.locator(".lm-Widget:has(> #released_assignments_list), .lm-Widget:has(#released_assignments_list)")
    page.locator("#released_assignments_list_loading").wait_for(state="hidden", timeout=60_000)
    return panel.last


def click_in_list(page: Page, list_id: str, assignment: str, button: str) -> None:
    """Click ``button`` on ``assignment``'s row of one of the Assignments tab's lists."""
    row = page.locator(f"#{list_id} .list_item", has_text=assignment).first
    row.get_by_role("button", name=button, exact=True).first.click()


def run_cell(page: Page, cell: Locator, tries: int = 5) -> None:
    """Run one cell with Ctrl+Enter, as a student would, until its prompt shows it ran or runs (``[1]``/``[*]``).

    A notebook just opened may report its kernel idle before its session takes requests: JupyterLab then drops the
    run (the prompt stays ``[ ]``) or asks which kernel to start, which the student answers with the preselected
    Python 3. So the keystroke is repeated, a few seconds apart, a bounded number of times.
    """
    prompt = cell.locator(".jp-InputArea-prompt")
    choose_kernel = page.locator(".jp-Dialog", has_text="Select Kernel")
    for _ in range(tries):
        if choose_kernel.is_visible():
            choose_kernel.get_by_role("button", name="Select", exact=True).click()
        prompt.click()
        page.keyboard.press("Control+Enter")
        try:
            page.wait_for_function("(p) => /\\[(\\d+|\\*)\\]/.test(p.textContent)", arg=prompt.element_handle(),
                                   timeout=3_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the cell never ran after {tries} tries: {prompt.inner_text()!r}")


def formgrader_action(page: Page, row: Locator, column: str) -> str:
    """Click the link in ``row``'s ``td.<column>`` of a formgrader table; return the text of the dialog it opens
    (closed afterwards). Fails with the dialog's text when nbgrader reports an error."""
    row.locator(f"td.{column} a").click()
    dialog = page.locator("#success-modal, #error-modal").first
    dialog.wait_for(timeout=90_000)
    text = dialog.inner_text()
    assert dialog.get_attribute("id") == "success-modal", f"formgrader {column} failed:\n{text}"
    dialog.locator("button.close").first.click()
    dialog.wait_for(state="detached")
    return text


def wait_for_table(page: Page) -> None:
    """Wait until a formgrader page has filled its table from the REST API."""
    page.wait_for_function(TABLE_LOADED)


def run_as(user: HubUser, argv: list[str], cwd, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``user`` the way their own server would (same reachable environment, no root left):
    uid, gid and groups of the user, an environment of HOME, USER, PATH and the locale only."""
    plan = reopenings(needed_folders())
    uid, gid = user.uid, os.stat(user.home).st_gid

    def become():
        if plan:
            reopen(plan)
        os.setgroups([])
        os.initgroups(user.name, gid)
        os.setgid(gid)
        os.setuid(uid)

    env = {"HOME": str(user.home), "USER": user.name, "LOGNAME": user.name, "LANG": "C.UTF-8",
           "PATH": path_with_bin(BARE_PATH)}
    return subprocess.run(argv, cwd=cwd, env=env, preexec_fn=become, capture_output=True, text=True,
                          timeout=timeout)
