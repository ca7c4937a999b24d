"""The browser page: watch and steer one run of the economy in Mesa's SolaraViz.

Serve it with `abm viz` (or `python -m abm.viz.app`): Solara runs this module on 127.0.0.1 and a
free port and prints the address. The page runs model code on the server, so it listens on the local
machine only unless the caller names another host.

Controls. A preset (abm/economy/presets/*.toml) plus the levers of the debate, each a slider whose
range lies inside the parameter schema's, so the page cannot start a run the schema rejects.
Where the schema's range is far wider than a browser run can use (households up to a million),
the slider covers a practical sub-range (see LEVERS).

Preset and levers. SolaraViz fixes each slider's starting value when the page is built, so the
sliders cannot show a preset's values. Every slider starts at the schema default, and a lever is
applied on top of the preset only if its slider has been moved off that default: choosing a
preset runs the preset as written, and a moved slider wins over the preset. (Moving a slider back
exactly to its default hands that parameter back to the preset; to run a preset with one of its
levers at the default, choose `baseline` and set the levers.) The verdict panel lists the preset's
settings and the moved levers of the run on screen. If the combination breaks a joint constraint
of the schema (peak-to-mean above the demand cycle's ceiling, no producer at all), the run starts
from the preset alone and the panel says why.

Seed. SolaraViz's text input hands over a string (mesa #3516): the run turns it into an int, and
a seed that is not a whole number >= 0 falls back to the default seed, with a note on the panel.

Drawing (issue 6: a step in under 200 ms at the default size). The map and the charts are PNG images
drawn by matplotlib on the server (`abm.viz.portrayal.MapDrawing`, `LineChart`), shown by SolaraViz
as components of its tabs. Before, they were Altair charts (Mesa's make_plot_component and an Altair
space renderer): every step rebuilt each chart from the whole DataCollector table and sent it as a
new Vega-Lite specification, which Solara's VegaLite widget re-embeds 100 ms after it arrives (a
debounce) and Vega then compiles, parses and draws from scratch; a click on Step took 258-391 ms to
a redrawn first tab (docs/performance.md). A new PNG costs the browser a few milliseconds. On the
server each drawing keeps its figure while it is on screen and draws only what changed: the map's
title, frame and cell numbers, and a chart's axes, title and legend, are drawn once (again when a
chart's rounded axis range moves) and their pixels reused; each step draws the markers and the lines
over them (matplotlib's blitting, 3-10 ms a drawing, where a full matplotlib chart takes 40-50 ms,
most of it text). Mesa's own matplotlib components were not used: they build a new figure per frame
and save it with a tight bounding box (80 ms for this map, 140 ms a chart). What is lost is Vega's
hover tooltips and zoom. The model's verdict is computed once a day (`EconomyRun.verdict`), and each
drawing is marked with the day it shows (`drawing_image`), so tests and the benchmark can tell when
the page shows a new day.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mesa.visualization import SolaraViz

from abm.economy.metrics import BULLWHIP_WINDOW, SHARE_WINDOW
from abm.economy.model import ProductionEconomy
from abm.economy.modes import FACTORY, WORKSHOP
from abm.economy.parameters import DEFAULTS, PARAMETERS, ParameterError, peak_to_mean_ceiling
from abm.economy.scenarios import available, load_scenario
from abm.viz.portrayal import MODE_COLOURS, MODE_COLOURS_LIGHT, MapDrawing, legend_html, png_bytes
from abm.viz.verdict_panel import PANEL_STYLE, run_panel_html, verdict_panel_html
from abm.viz.viz_assets import AssetError, ensure_assets

TITLE = "Which production mode survives?"
APP_MODULE = "abm.viz.app"
DEFAULT_HOST = "127.0.0.1"  # the page runs code on the server: local only unless asked
DEFAULT_PRESET = "baseline"
DEFAULT_SEED = 42
SLIDER_STEPS = 100  # resolution of a float slider without an explicit step
FLOAT_TOLERANCE = 1e-9  # a float slider "at the default" within this relative tolerance


# --- controls ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lever:
    """A control on the page: a schema parameter, its label, and the slider's sub-range.

    `low`/`high` default to the schema's own bounds; a narrower range must lie inside them.
    """

    name: str
    label: str
    low: float | None = None
    high: float | None = None
    step: float | None = None


def _peak_to_mean_ceiling() -> float:
    """The highest peak-to-mean ratio every preset's demand cycle allows (the schema's joint
    constraint: all of a cycle's demand on its peak days)."""
    presets = [DEFAULTS, *(load_scenario(name).parameters() for name in available())]
    return min(peak_to_mean_ceiling(p) for p in presets)


LEVERS: tuple[Lever, ...] = (
    Lever("n_consumers", "Households", 100, 10_000, 100),
    Lever("n_factories", "Factories at the start", 0, 20, 1),
    Lever("n_workshops", "Workshops at the start", 0, 1_000, 10),
    Lever("factory_reference_capital", "Factory capital at 100 units/day ($)", 1e5, 1e7, 1e5),
    Lever("factory_capacity", "Factory capacity (units/day)", 10, 500, 10),
    Lever("poka_yoke", "Poka-yoke: share of errors prevented", step=0.01),
    Lever("inspection", "Inspection: share of defects caught", step=0.01),
    Lever("workshop_defect_multiplier", "Workshop defect multiplier", step=0.5),
    Lever("workshop_injury_multiplier", "Workshop injury multiplier", 0, 10, 0.1),
    Lever("workshop_waste_share", "Workshop waste (share of feedstock)", step=0.01),
    Lever("printing_progress", "3D-printing progress (yearly fall)", step=0.01),
    Lever("workshop_subsidy_per_unit", "Workshop subsidy ($/unit)", 0, 50, 1),
    Lever("subsidy_sunset_day", "Subsidy ends on day", 0, 10_000, 10),
    Lever("shipping_lead_time", "Shipping lead time (days)", step=1),
    Lever("peak_to_mean", "Peak-to-mean demand", high=_peak_to_mean_ceiling(), step=0.1),
    Lever("custom_share", "Custom-goods share of needs", step=0.01),
    Lever("replenishment_policy", "Store replenishment policy"),
)
LEVER_LABELS = {lever.name: lever.label for lever in LEVERS}


def lever_input(lever: Lever) -> dict[str, Any]:
    """SolaraViz's input spec for a lever, its range checked against the schema."""
    param = PARAMETERS[lever.name]
    if param.choices:
        return {
            "type": "Select",
            "value": param.default,
            "values": list(param.choices),
            "label": lever.label,
        }
    low = param.low if lever.low is None else lever.low
    high = param.high if lever.high is None else lever.high
    if not (param.low <= low <= param.default <= high <= param.high):
        raise ValueError(
            f"slider {lever.name} [{low}, {high}] must hold the default {param.default} and lie "
            f"inside the schema's range {param.range_text()}"
        )
    kind = param.kind
    integer = kind is int
    step = lever.step if lever.step is not None else (high - low) / SLIDER_STEPS
    return {
        "type": "SliderInt" if integer else "SliderFloat",
        "value": param.default,
        "min": kind(low),
        "max": kind(high),
        "step": kind(step) if integer else float(step),
        "label": lever.label,
    }


def model_params() -> dict[str, Any]:
    """The page's controls: preset, seed, then the levers."""
    return {
        "preset": {
            "type": "Select",
            "value": DEFAULT_PRESET,
            "values": list(available()),
            "label": "Scenario preset",
        },
        "seed": {"type": "InputText", "value": str(DEFAULT_SEED), "label": "Seed"},
        **{lever.name: lever_input(lever) for lever in LEVERS},
    }


# --- one run -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunPlan:
    """What a run starts from: the preset, the levers moved on top, the parameters, the seed."""

    preset: str
    seed: int
    parameters: dict[str, Any]
    preset_overrides: dict[str, Any]
    moved: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def parse_seed(text: Any) -> tuple[int, list[str]]:
    """The seed as an int (a text input hands over a string); the default if it is none."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        seed = -1
    if seed < 0:
        return DEFAULT_SEED, [f"Seed {text!r} is not a whole number >= 0: used {DEFAULT_SEED}."]
    return seed, []


def at_default(name: str, value: Any) -> bool:
    default = PARAMETERS[name].default
    if isinstance(default, float) and isinstance(value, int | float):
        return math.isclose(value, default, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return value == default


def plan_run(preset: str, seed: Any, levers: dict[str, Any]) -> RunPlan:
    """The preset's parameters with every lever moved off its default applied on top."""
    seed_int, notes = parse_seed(seed)
    try:
        scenario = load_scenario(preset)
    except ParameterError as err:
        notes.append(f"{err}: ran {DEFAULT_PRESET!r} instead.")
        scenario = load_scenario(DEFAULT_PRESET)
    moved = {name: value for name, value in levers.items() if not at_default(name, value)}
    try:
        parameters = scenario.parameters(moved)
    except ParameterError as err:
        notes.append(f"Levers not applied ({err}): ran the preset as written.")
        moved = {}
        parameters = scenario.parameters()
    moved = {name: parameters[name] for name in moved}  # as the schema coerced them
    return RunPlan(scenario.name, seed_int, parameters, dict(scenario.overrides), moved, notes)


class EconomyRun(ProductionEconomy):
    """One run of the page: a preset, the levers on top, an int seed.

    SolaraViz rebuilds the model on Reset as `type(model)(**controls)`, so the controls are this
    class's keyword arguments (Mesa reserves `scenario`, hence `preset`).
    """

    def __init__(
        self,
        preset: str = DEFAULT_PRESET,
        seed: int | str = DEFAULT_SEED,
        n_consumers: int = DEFAULTS["n_consumers"],
        n_factories: int = DEFAULTS["n_factories"],
        n_workshops: int = DEFAULTS["n_workshops"],
        factory_reference_capital: float = DEFAULTS["factory_reference_capital"],
        factory_capacity: float = DEFAULTS["factory_capacity"],
        poka_yoke: float = DEFAULTS["poka_yoke"],
        inspection: float = DEFAULTS["inspection"],
        workshop_defect_multiplier: float = DEFAULTS["workshop_defect_multiplier"],
        workshop_injury_multiplier: float = DEFAULTS["workshop_injury_multiplier"],
        workshop_waste_share: float = DEFAULTS["workshop_waste_share"],
        printing_progress: float = DEFAULTS["printing_progress"],
        workshop_subsidy_per_unit: float = DEFAULTS["workshop_subsidy_per_unit"],
        subsidy_sunset_day: int = DEFAULTS["subsidy_sunset_day"],
        shipping_lead_time: int = DEFAULTS["shipping_lead_time"],
        peak_to_mean: float = DEFAULTS["peak_to_mean"],
        custom_share: float = DEFAULTS["custom_share"],
        replenishment_policy: str = DEFAULTS["replenishment_policy"],
    ) -> None:
        levers = {name: value for name, value in locals().items() if name in LEVER_LABELS}
        plan = plan_run(preset, seed, levers)
        super().__init__(rng=plan.seed, **plan.parameters)
        self.plan = plan
        self._verdict: tuple[int, dict] | None = None  # (day, verdict)

    def verdict(self) -> dict:
        """The model's verdict, computed once a day (about 20 ms at the default size): the page
        asks for it whenever the verdict panel redraws, also without a step."""
        if self._verdict is None or self._verdict[0] != self.steps:
            self._verdict = (self.steps, super().verdict())
        return self._verdict[1]


# --- charts ------------------------------------------------------------------------------------
CHART_SIZE_PX = (440, 320)  # width, height
CHART_DPI = 100
CHART_MARGINS_PX = {"left": 46, "right": 14, "top": 38, "bottom": 88}  # around the plot
CHART_FONT = 8  # points
CHART_TITLE_CHARACTERS = 52  # a longer title wraps onto a second line
CHART_INTERVALS = 5  # at most this many intervals between an axis' ticks
CHART_MIN_DAYS = 30  # the day axis spans at least the first month, then grows in round steps
LINE_WIDTH = 1.5


def nice_ticks(low: float, high: float, integer: bool = False) -> np.ndarray:
    """Round ticks covering [low, high], the first and last at or beyond them: the axis' range
    (Vega's "nice" domain), which stays put from one day to the next until the data leave it."""
    if not (np.isfinite(low) and np.isfinite(high)):
        low, high = 0.0, 1.0
    if high <= low:
        high = low + 1
    return MaxNLocator(CHART_INTERVALS, integer=integer).tick_values(low, high)


def compact_number(value: float, position: int | None = None) -> str:
    """A tick label that fits the margin: 0.25, 40, 3.5k, 1.2M."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


class LineChart:
    """DataCollector columns against the day, drawn by matplotlib into a PNG.

    The figure lives as long as the chart is on screen, and only the lines are drawn at each
    step: the axes, ticks, title and legend are drawn (and their pixels saved) only when an
    axis' rounded range changes, every few weeks of a run; in between, each frame restores
    those pixels and draws the lines over them (matplotlib's blitting).
    """

    def __init__(self, series: dict[str, str], title: str) -> None:
        width, height = CHART_SIZE_PX
        margin = CHART_MARGINS_PX
        self.figure = Figure(figsize=(width / CHART_DPI, height / CHART_DPI), dpi=CHART_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_axes(
            (
                margin["left"] / width,
                margin["bottom"] / height,
                1 - (margin["left"] + margin["right"]) / width,
                1 - (margin["top"] + margin["bottom"]) / height,
            )
        )
        self.columns = list(series)
        self.lines = [
            self.axes.plot([], [], color=colour, label=name, lw=LINE_WIDTH, animated=True)[0]
            for name, colour in series.items()
        ]
        self.axes.set_title(
            textwrap.fill(title, CHART_TITLE_CHARACTERS),
            loc="left",
            fontsize=CHART_FONT + 1,
            fontweight="bold",
        )
        self.axes.set_xlabel("day", fontsize=CHART_FONT)
        self.axes.tick_params(labelsize=CHART_FONT)
        self.axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
        self.figure.legend(
            handles=self.lines,
            loc="lower left",
            ncols=2,
            fontsize=CHART_FONT,
            frameon=False,
            handlelength=1.5,
            columnspacing=1.0,
        )
        self.ticks: tuple[tuple[float, ...], tuple[float, ...]] | None = None
        self.background = None

    def png(self, table: dict[str, list]) -> bytes:
        """The chart of `table` (column name -> one value a day, from day 0) as a PNG."""
        values = [np.asarray(table[column], dtype=float) for column in self.columns]
        days = np.arange(len(values[0]))
        drawn = np.concatenate(values)
        drawn = drawn[np.isfinite(drawn)]
        low, high = (min(0.0, drawn.min()), max(0.0, drawn.max())) if drawn.size else (0, 1)
        x = nice_ticks(0, max(len(days) - 1, CHART_MIN_DAYS), integer=True)
        y = nice_ticks(low, high)
        ticks = (tuple(x), tuple(y))
        if ticks != self.ticks:
            self.axes.set_xticks(x)
            self.axes.set_yticks(y)
            self.axes.set_xlim(x[0], x[-1])
            self.axes.set_ylim(y[0], y[-1])
            self.canvas.draw()  # everything but the (animated) lines
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.ticks = ticks
        else:
            self.canvas.restore_region(self.background)
        for line, column in zip(self.lines, values, strict=True):
            line.set_data(days, column)
            self.axes.draw_artist(line)
        return png_bytes(self.canvas)


DAY_CLASS = "abm-day-{day}"  # marks a drawing with the day it shows


def drawing_image(png: bytes, day: int):
    """A PNG on the page (solara.Image), marked with the day it shows (a CSS class): a test or
    the benchmark can tell which day is on screen also when two days draw the same picture
    (the image is then not sent again)."""
    return solara.Image(png, format="png", classes=[DAY_CLASS.format(day=day)])


@dataclass(frozen=True)
class ChartSpec:
    series: tuple[tuple[str, str], ...]  # (column, colour)
    title: str


@solara.component
def ChartView(model, spec: ChartSpec, day: int):
    """A chart on the page: its own figure while it is shown, a new PNG when the day or the
    run changes."""
    chart = solara.use_memo(lambda: LineChart(dict(spec.series), spec.title), [spec])
    png = solara.use_memo(lambda: chart.png(model.datacollector.model_vars), [chart, model, day])
    return drawing_image(png, day)


def chart(series: dict[str, str], title: str, page: int):
    """A chart component for SolaraViz on a tab: the series are DataCollector columns and their
    colours, as for Mesa's make_plot_component."""
    spec = ChartSpec(tuple(series.items()), title)

    def chart_component(model):
        return ChartView(model, spec, model.steps)

    return chart_component, page


# --- components --------------------------------------------------------------------------------
@solara.component
def MapView(model, day: int):
    """The map on the page: a drawing of its own for each run, a new PNG each day."""
    drawing = solara.use_memo(lambda: MapDrawing(model), [model])
    png = solara.use_memo(drawing.png, [drawing, day])
    return drawing_image(png, day)


def map_panel(model):
    """Households, stores, factories and workshops where they are (see abm.viz.portrayal)."""
    return MapView(model, model.steps)


def by_mode(metric: str, light: bool = False) -> dict[str, str]:
    """The factory and workshop columns of a metric, in the modes' colours."""
    colours = MODE_COLOURS_LIGHT if light else MODE_COLOURS
    return {f"{metric}_factory": colours[FACTORY], f"{metric}_workshop": colours[WORKSHOP]}


MARKET, FIRMS, HARM, STOCK = range(4)  # the page's tabs
# a card is 390 px high (Mesa's grid: 10 rows of 30 px and their margins); a panel scrolls in it
CARD_STYLE = {"max-height": "380px", "overflow-y": "auto"}


def html_card(content: str):
    with solara.Column(style=CARD_STYLE) as card:
        solara.Style(PANEL_STYLE)
        solara.HTML(tag="div", unsafe_innerHTML=content)
    return card


def verdict_panel(model):
    """Who is ahead and since when, who survives, and the headline figures by mode."""
    return html_card(verdict_panel_html(model))


def run_panel(model):
    """The map's legend, the firms in business, and what this run was started with."""
    return html_card(legend_html() + run_panel_html(model, LEVER_LABELS))


ORDER_COLOURS = {
    "demand_factory": MODE_COLOURS_LIGHT[FACTORY],
    "orders_upstream_factory": "#d62728",
}


# The first tab holds the map, the verdict, one chart and the run panel; every component on the
# open tab is redrawn at every step.
COMPONENTS = [
    (map_panel, MARKET),
    (verdict_panel, MARKET),
    chart(by_mode("share_units"), f"Market share of units sold ({SHARE_WINDOW}-day)", MARKET),
    (run_panel, MARKET),
    chart(by_mode("active_firms"), "Firms in business", FIRMS),
    chart(
        by_mode("entries") | by_mode("bankruptcies", light=True),
        "Entries and bankruptcies per day",
        FIRMS,
    ),
    chart(by_mode("price") | by_mode("unit_cost", light=True), "Price and unit cost ($)", FIRMS),
    chart(by_mode("markup"), "Mean markup over normal full cost", FIRMS),
    chart(
        by_mode("capacity") | by_mode("capacity_building", light=True),
        "Capacity on line and under construction (units/day)",
        FIRMS,
    ),
    chart(
        by_mode("utilization") | by_mode("fill_rate", light=True),
        "Capacity utilization and fill rate",
        FIRMS,
    ),
    chart(by_mode("subsidies"), "Subsidies paid ($/day)", FIRMS),
    chart(by_mode("defects_escaped_ppm"), "Defects escaped per million made", HARM),
    chart(by_mode("defects_escaped"), "Defects escaped, cumulative (units)", HARM),
    chart(by_mode("injuries_per_100fte"), "Injuries per 100 full-time workers a year", HARM),
    chart(by_mode("injuries"), "Injuries, cumulative (cases)", HARM),
    chart(by_mode("waste_per_unit"), "Waste per unit made (kg)", HARM),
    chart(by_mode("waste_kg"), "Waste, cumulative (kg)", HARM),
    chart(
        {"inventory_factory": MODE_COLOURS[FACTORY], "in_transit_factory": "#9467bd"},
        "Store inventory and goods in transit (units)",
        STOCK,
    ),
    chart(ORDER_COLOURS, "Store demand and orders upstream (the bullwhip), per day", STOCK),
    chart(
        {"bullwhip_factory": ORDER_COLOURS["orders_upstream_factory"]},
        f"Bullwhip: var(orders)/var(demand), {BULLWHIP_WINDOW} days",
        STOCK,
    ),
    chart(
        {"lost_sales_factory": MODE_COLOURS[FACTORY], "unmet_needs": "#7f7f7f"},
        "Sales lost at empty shelves, needs given up (per day)",
        STOCK,
    ),
]


def build_page(model: ProductionEconomy | solara.Reactive):
    """The SolaraViz page for a model (or a reactive model, as Mesa's own tests pass it)."""
    return SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(),
        name=TITLE,
    )


@solara.component
def Page():
    """The page: every browser session gets a run of its own (a model built at import would be
    shared by every visitor until someone pressed Reset)."""
    model = solara.use_memo(EconomyRun, dependencies=[])
    return build_page(model)


page = Page()


# --- serving -----------------------------------------------------------------------------------
def free_port(host: str = DEFAULT_HOST) -> int:
    """A port the system reports free on host right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def solara_command(host: str, port: int) -> list[str]:
    """`solara run` on this module, in production mode (no reloader), without opening a browser."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def solara_environment() -> dict[str, str]:
    """The server's environment: Solara's usage telemetry off (the page needs no network)."""
    return {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def serve(host: str = DEFAULT_HOST, port: int | None = None) -> int:
    """Serve the page until Ctrl+C (or SIGTERM); returns the server's exit code."""
    try:
        ensure_assets()
    except AssetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    port = port or free_port(host)
    print(f"abm viz: the page is at http://{host}:{port}/  (Ctrl+C stops it)", flush=True)
    server = subprocess.Popen(solara_command(host, port), env=solara_environment())
    stop_on_sigterm = threading.current_thread() is threading.main_thread()
    if stop_on_sigterm:
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
        return 0
    finally:
        if stop_on_sigterm:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    """SIGTERM stops the server as Ctrl+C does, rather than leaving it running."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(serve())
