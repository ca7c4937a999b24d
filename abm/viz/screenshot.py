"""Regenerate docs/app.png, the README's picture of the page, and measure how fast it steps.

`python -m abm.viz.screenshot [PATH] [--steps N]` serves the page as `abm viz` does, drives Debian's
Chromium headless through Playwright (never a downloaded browser), presses Step N times and saves
a screenshot; it prints the step rate it measured. The browser test uses the same helpers.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from abm.viz.app import (
    DAY_CLASS,
    DEFAULT_HOST,
    DEFAULT_PRESET,
    free_port,
    solara_command,
    solara_environment,
)
from abm.viz.viz_assets import ensure_assets

CHROMIUM = os.environ.get("ABM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_SECONDS = 120
POLL_SECONDS = 0.5
HTTP_TIMEOUT_SECONDS = 5
STOP_SECONDS = 10
PAGE_LOAD_MS = 120_000  # first load compiles the page's front end; CI machines are slow
STEP_MS = 30_000
SETTLE_MS = 1_500  # the browser draws charts after the widgets arrive
SCREENSHOT_STEPS = 60
SCREENSHOT_PRESET = "custom-niche"  # both modes hold part of the market: the map shows both
PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOT = PROJECT / "docs" / "app.png"
# The drawings of the open tab: images (the map and charts are PNGs) or Vega canvases.
DRAWINGS = ".v-window-item--active img, .v-window-item--active .vega-embed canvas"
STEP_COUNTER = re.compile(r"Time: (\d+)\.0")


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def serving(log: Path, host: str = DEFAULT_HOST, port: int | None = None) -> Iterator[Server]:
    """The page served by `solara run` (as `abm viz` runs it) until the block ends."""
    ensure_assets()
    port = port or free_port(host)
    url = f"http://{host}:{port}/"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            solara_command(host, port),
            env=solara_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PROJECT,
        )
        try:
            _wait_until_up(url, process, log)
            yield Server(url, log)
        finally:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"the server did not answer at {url} in {SERVER_START_SECONDS} s")


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, headless, through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str):
    """A tab on the page, once its controls and its map are drawn."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url, timeout=PAGE_LOAD_MS)
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=PAGE_LOAD_MS)
    page.locator(DRAWINGS).first.wait_for(timeout=PAGE_LOAD_MS)
    return page


# A drawing as a canvas of its pixels: a Vega canvas itself, an image drawn onto a new canvas.
AS_CANVAS = """drawing => {
    if (drawing.tagName !== "IMG") return drawing;
    const canvas = document.createElement("canvas");
    canvas.width = drawing.naturalWidth;
    canvas.height = drawing.naturalHeight;
    canvas.getContext("2d").drawImage(drawing, 0, 0);
    return canvas;
}"""


def chart_image(page, index: int) -> str:
    """The index-th drawing on the open tab (the map is the first), as a data URL."""
    return (
        page.locator(DRAWINGS).nth(index).evaluate(f"drawing => ({AS_CANVAS})(drawing).toDataURL()")
    )


INKED = f"""drawing => {{
    const canvas = ({AS_CANVAS})(drawing);
    const {{data}} = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {{
        if (data[i + 3] > 0 && (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240)) {{
            inked += 1;
        }}
    }}
    return inked;
}}"""


def inked_pixels(page, index: int) -> int:
    """Pixels of the index-th drawing that are neither blank nor white: what it has drawn."""
    return page.locator(DRAWINGS).nth(index).evaluate(INKED)


def step_counter(page) -> int:
    """The day SolaraViz shows in its Information card ("Time: 3.0")."""
    match = STEP_COUNTER.search(page.get_by_text("Time:").first.inner_text())
    return int(match.group(1)) if match else -1


def wait_for_day(page, day: int) -> None:
    page.get_by_text(f"Time: {day}.0", exact=True).wait_for(timeout=STEP_MS)


# Before a step: remember every drawing of the open tab (Vega replaces its canvas when it
# redraws). After it: the day counter shows the new day, and so does every drawing, loaded. An
# image marked with its day (class abm-day-N, see abm.viz.app.DAY_CLASS) must be marked with the
# new day (two days may draw the same picture, and then the same image stays); an unmarked image
# must have a new source.
MARK_DRAWINGS = f"""() => {{
    const drawings = [...document.querySelectorAll("{DRAWINGS}")];
    drawings.forEach(d => {{ d.abmBefore = d.tagName === "IMG" ? d.src : "canvas"; }});
    return drawings.length;
}}"""
REDRAWN = f"""([count, day]) => {{
    const counter = document.evaluate(
        `boolean(//*[text()="Time: ${{day}}.0"])`, document, null, XPathResult.BOOLEAN_TYPE, null
    );
    const drawings = [...document.querySelectorAll("{DRAWINGS}")];
    const shows = d => [...d.classList].some(c => c.startsWith("{DAY_CLASS.format(day="")}"))
        ? d.classList.contains(`{DAY_CLASS.format(day="")}${{day}}`) : d.src !== d.abmBefore;
    return counter.booleanValue && drawings.length >= count && drawings.every(d =>
        d.tagName === "IMG" ? shows(d) && d.complete && d.naturalWidth > 0
                            : d.abmBefore === undefined);
}}"""
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => done()))"


def press_step(page, times: int) -> list[float]:
    """Press Step `times` times; returns seconds per step, each from the click until the day
    counter shows the new day, so does every map and chart of the open tab, and the browser has
    painted a frame of it (the first animation frame after the redrawn page was seen).

    The click is a mouse click on the button, as a user's: Playwright's `click()` first waits
    for the button to stay still over two animation frames and checks what it would hit, about
    60 ms on a 2-core machine that no user waits for. The clock starts before the mouse moves.
    """
    button = page.get_by_role("button", name="Step", exact=True)
    seconds = []
    for _ in range(times):
        day = step_counter(page)
        drawings = page.evaluate(MARK_DRAWINGS)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        start = time.perf_counter()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(REDRAWN, arg=[drawings, day + 1], timeout=STEP_MS)
        page.evaluate(NEXT_FRAME)
        seconds.append(time.perf_counter() - start)
    return seconds


def choose_preset(page, preset: str) -> None:
    """Pick a preset in the selector and press Reset: a new run of it, at day 0."""
    page.get_by_role("button", name="Scenario preset").click()
    page.get_by_role("option", name=preset, exact=True).click()
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_for_day(page, 0)
    page.get_by_text(f"Preset '{preset}'").wait_for(timeout=STEP_MS)


def play_rate(page, seconds: float) -> float:
    """Days per second while playing (SolaraViz's default play interval of 100 ms included)."""
    start_day = step_counter(page)
    page.get_by_role("button", name="▶").click()
    start = time.perf_counter()
    page.wait_for_timeout(1000 * seconds)
    page.get_by_role("button", name="❚❚").click()
    elapsed = time.perf_counter() - start
    page.wait_for_timeout(SETTLE_MS)  # a step under way when Pause arrived still counts
    return (step_counter(page) - start_day) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=SCREENSHOT)
    parser.add_argument("--steps", type=int, default=SCREENSHOT_STEPS)
    parser.add_argument("--preset", default=SCREENSHOT_PRESET, help="scenario preset to show")
    parser.add_argument("--play", type=float, default=0, help="then play this many seconds")
    args = parser.parse_args(argv)
    log = args.path.with_suffix(".server.log")
    with serving(log) as server, chromium() as browser:
        page = open_page(browser, server.url)
        if args.preset != DEFAULT_PRESET:
            choose_preset(page, args.preset)
        seconds = press_step(page, args.steps)
        page.wait_for_timeout(SETTLE_MS)
        args.path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.path))
        playing = play_rate(page, args.play) if args.play else None
    log.unlink(missing_ok=True)
    median = statistics.median(seconds)
    print(
        f"{args.path}: {args.preset!r}, day {args.steps}; a step took {1000 * median:.0f} ms "
        f"from click to redrawn page (median of {len(seconds)}), {1 / median:.1f} steps/second"
    )
    if playing is not None:
        print(f"playing for {args.play:g} s: {playing:.1f} days (frames) per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
