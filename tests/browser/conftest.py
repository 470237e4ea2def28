"""Fixtures for the browser tests: Debian's headless Chromium via Playwright, a time budget, and artifacts."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
#: Screenshots land here (git-ignored); docs/testing.md ("Browser tests") names this folder.
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "install with `apt-get install -y chromium chromium-driver`"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Issue 7: each browser test, start to finish (servers, nbgrader runs, browser), ends within this.
TEST_BUDGET_SECONDS = 120
#: JupyterLab user settings for the test's fresh HOME.
LAB_SETTINGS = {
    # Attach every cell to the DOM, so what the test reads is the whole notebook, not only the cells
    # that happen to be on screen (JupyterLab's default skips rendering of off-screen cells).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # A fresh profile would otherwise pop up "get notified about official Jupyter news?" over the page.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
}


class BrowserTestTimeout(Exception):
    """A browser test overran its time budget."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def time_budget(request):
    """Interrupt the test (and so run every cleanup) when it overruns ``TEST_BUDGET_SECONDS``.

    Autouse and function-scoped, so it is set up before, and torn down after, every other
    function-scoped fixture of the test: the budget covers starting servers and grading too.
    """
    if request.node.get_closest_marker("browser") is None:  # doctests of the helper modules
        yield
        return
    budget = getattr(request.module, "TEST_BUDGET_SECONDS", TEST_BUDGET_SECONDS)  # a module may justify its own

    def overrun(signum, frame):
        raise BrowserTestTimeout(f"{request.node.nodeid} ran longer than {budget} s")

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, budget)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        elapsed = time.monotonic() - started
        request.node.user_properties.append(("browser_test_seconds", round(elapsed, 1)))
        print(f"\n{request.node.name}: {elapsed:.1f} s")


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Debian's Chromium; the test fails (never skips) with the install command when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}", pytrace=False)
    return CHROMIUM


@pytest.fixture
def browser(chromium_executable, tmp_path, request):
    """Opens pages in a fresh headless Chromium profile, started on first use; closed even when the test fails.

    When the test fails, every open page is saved as ``FAILED-<test>-<n>.png`` among the screenshots.

    Start the browser only after the test's in-process work that forks (the answer engine's bounded
    worker, nbgrader runs): a child forked while Playwright runs inherits the pipe to Playwright's
    driver, which then never sees end-of-file and the browser can never be shut down.
    """
    session = BrowserSession(chromium_executable, tmp_path / "chromium-profile")
    try:
        yield session
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            session.screenshot_all(SCREENSHOTS / f"FAILED-{request.node.name}")
    finally:
        session.close()
    leftovers = processes_using(session.profile)
    assert not leftovers, f"Chromium processes outlived the test: {leftovers}"


class BrowserSession:
    """A Playwright-driven Chromium with one persistent profile, launched lazily by ``new_page``."""

    def __init__(self, executable: Path, profile: Path):
        self.executable, self.profile = executable, profile
        self._playwright = self._context = None

    def new_page(self, width: int = 1280, height: int = 1000):
        """A new tab; the first call starts Playwright and Chromium."""
        if self._context is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._context = self._playwright.chromium.launch_persistent_context(
                str(self.profile), executable_path=str(self.executable), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": width, "height": height},
            )
            self._context.set_default_timeout(30_000)
            if self._context.pages:
                return self._context.pages[0]
        return self._context.new_page()

    def screenshot_all(self, prefix: Path) -> None:
        """Save every open page as ``<prefix>-<n>.png`` (best effort: this runs when a test has failed)."""
        if self._context is None:
            return
        prefix.parent.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(self._context.pages):
            try:
                page.screenshot(path=f"{prefix}-{number}.png", timeout=5_000)
            except Exception as exc:  # noqa: BLE001 - the test's own failure is what matters
                print(f"could not save a screenshot of {page.url}: {exc}")

    def close(self) -> None:
        """Close Chromium and stop Playwright's driver (each step runs even if the one before fails)."""
        try:
            if self._context is not None:
                self._context.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()
            self._context = self._playwright = None


def processes_using(profile: Path, grace: float = 5.0) -> list[int]:
    """PIDs of live processes whose command line names ``profile``, after waiting ``grace`` s for them to end."""
    deadline = time.monotonic() + grace
    while True:
        pids = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            cmdline = proc.info["cmdline"] or []
            if proc.info["status"] != psutil.STATUS_ZOMBIE and any(str(profile) in arg for arg in cmdline):
                pids.append(proc.pid)
        if not pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.2)


@pytest.fixture
def lab_home(tmp_path) -> Path:
    """A throwaway HOME for ``jupyter lab`` with the JupyterLab user settings above."""
    home = tmp_path / "home"
    settings_dir = home / ".jupyter" / "lab" / "user-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return home


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``test-artifacts/screenshots/`` in the repository (each test overwrites its own named files)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
