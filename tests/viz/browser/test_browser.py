"""The page in a real browser: `solara run` on 127.0.0.1 and a free port, Debian's Chromium
headless through Playwright.

Loads the page, checks the map and the charts are drawn, steps and watches the day counter, the map
and a chart change, moves a slider and resets, and saves a screenshot (and the server's log) under
test-artifacts/ (or $ABM_TEST_ARTIFACTS). Fails on any Python traceback, on the page or in the
server's log, and on any front-end file the server could not deliver.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from abm.viz.screenshot import (
    CHROMIUM,
    DRAWINGS,
    PROJECT,
    SETTLE_MS,
    chart_image,
    chromium,
    inked_pixels,
    open_page,
    press_step,
    serving,
    step_counter,
    wait_for_day,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's chromium (.ci/run does)",
)

ARTIFACTS = Path(os.environ.get("ABM_TEST_ARTIFACTS", PROJECT / "test-artifacts"))
STEPS = 3
MAP, SHARE_CHART = 0, 1  # drawings on the first tab, in page order
INKED_MAP_PIXELS = 5_000  # 2,000 households and 100 firms draw far more
INKED_CHART_PIXELS = 2_000  # axes, labels and legend
TRACEBACK = "Traceback (most recent call last)"
DEFAULT_FACTORIES = 3
TAB_CHARTS = {"Page 1": 7, "Page 2": 6, "Page 3": 4}  # see abm.viz.app.COMPONENTS


@pytest.fixture(scope="module")
def server():
    with serving(ARTIFACTS / "browser-server.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture
def page(server, browser):
    page = open_page(browser, server.url)
    page.missing_files = []  # front-end files the server could not deliver
    page.on(
        "response",
        lambda r: r.status >= 400 and "_solara/cdn" in r.url and page.missing_files.append(r.url),
    )
    yield page
    page.close()


def _no_traceback(page, server) -> None:
    assert TRACEBACK not in page.content(), "the page shows a Python traceback"
    assert TRACEBACK not in server.log_text(), server.log_text()[-3000:]
    assert page.missing_files == []


def test_watch_step_and_steer_a_run(page, server):
    page.locator(DRAWINGS).nth(SHARE_CHART).wait_for()
    page.wait_for_timeout(SETTLE_MS)
    assert inked_pixels(page, MAP) > INKED_MAP_PIXELS
    assert inked_pixels(page, SHARE_CHART) > INKED_CHART_PIXELS
    assert step_counter(page) == 0
    before = [chart_image(page, MAP), chart_image(page, SHARE_CHART)]

    press_step(page, STEPS)  # returns once the map and the chart show the new day
    assert step_counter(page) == STEPS
    page.get_by_text(f"Verdict, day {STEPS}").wait_for()
    assert chart_image(page, MAP) != before[0]  # households have bought
    assert chart_image(page, SHARE_CHART) != before[1]
    assert "Factories ahead" in page.content() or "Workshops ahead" in page.content()

    slider = page.get_by_role("slider", name="Factories at the start")
    slider.focus()
    slider.press("ArrowRight")  # one step: 3 -> 4
    assert slider.get_attribute("aria-valuenow") == str(DEFAULT_FACTORIES + 1)
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_for_day(page, 0)
    page.get_by_text(f"In business: {DEFAULT_FACTORIES + 1} factories").wait_for()
    page.get_by_text(f"Factories at the start: {DEFAULT_FACTORIES + 1}").wait_for()

    press_step(page, 1)
    page.wait_for_timeout(SETTLE_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-page.png"))
    _no_traceback(page, server)


def test_other_tabs_draw_their_charts(page, server):
    press_step(page, 1)
    for tab, charts in TAB_CHARTS.items():
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function(
            f"""() => {{
                const drawings = [...document.querySelectorAll('{DRAWINGS}')];
                return drawings.length === {charts} && drawings.every(d => d.complete);
            }}"""
        )
        page.wait_for_timeout(SETTLE_MS)
        for index in range(charts):
            assert inked_pixels(page, index) > INKED_CHART_PIXELS, f"{tab}, chart {index}"
    _no_traceback(page, server)
