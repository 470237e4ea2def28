"""The class report of the graded ps1 demo class opens offline in headless Chromium: every figure and typeset
answer decodes, no request fails, the console shows no error; a screenshot is kept (class-report-ps1.png)."""

import subprocess

import pytest

from autograder.demo import console_script

pytestmark = pytest.mark.browser


def test_the_class_report_opens_offline_with_every_image(graded_class, browser, screenshot_dir, tmp_path):
    exe, env = console_script("autograder", inherit=False)
    proc = subprocess.run([exe, "report", "ps1", "--format", "html", "--out", str(tmp_path)],
                          cwd=graded_class["course"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page_path = tmp_path / "ps1-report.html"
    # the report is written before the browser starts (see the browser fixture: no fork while Playwright runs)
    page = browser.new_page(width=1100, height=900)
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.className, i.complete && i.naturalWidth])")
    assert [c for c, width in images if not width] == [], "images that did not decode"
    assert sum(c == "fig" for c, _ in images) >= 4 and sum(c == "math" for c, _ in images) >= 5
    assert problems == []
    # only the page itself and its data: images; nothing from a network
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
    assert page.locator("h1").inner_text() == "ps1: what the class got wrong"
    carol_row = page.locator("#step-dL_da tr", has_text="Keep the minus sign in front of the whole loss")
    assert carol_row.count() == 1 and carol_row.locator("img.math").count() == 1
    page.screenshot(path=str(screenshot_dir / "class-report-ps1.png"), full_page=True)
