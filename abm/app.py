"""The browser page: watch and steer one run of the economy in Mesa's SolaraViz.

Serve it with `abm viz` (or `python -m abm.app`): Solara runs this module on 127.0.0.1 and a free
port and prints the address. The page runs model code on the server, so it listens on the local
machine only unless the caller names another host.

Controls. A preset (runs/scenarios/*.toml) plus the levers of the debate, each a slider whose
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
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
import solara
from mesa.visualization import SolaraViz, make_plot_component

from abm.agents import FACTORY, WORKSHOP
from abm.metrics import BULLWHIP_WINDOW, SHARE_WINDOW
from abm.model import ProductionEconomy
from abm.parameters import DEFAULTS, PARAMETERS, ParameterError, peak_to_mean_ceiling
from abm.portrayal import (
    MODE_COLOURS,
    MODE_COLOURS_LIGHT,
    MapRenderer,
    agent_portrayal,
    inline_csv,
    legend_html,
    map_post_process,
    vega_type,
)
from abm.scenarios import available, load_scenario
from abm.verdict_panel import PANEL_STYLE, run_panel_html, verdict_panel_html
from abm.viz_assets import AssetError, ensure_assets

TITLE = "Which production mode survives?"
APP_MODULE = "abm.app"
DEFAULT_HOST = "127.0.0.1"  # the page runs code on the server: local only unless asked
DEFAULT_PRESET = "baseline"
DEFAULT_SEED = 42
SLIDER_STEPS = 100  # resolution of a float slider without an explicit step
FLOAT_TOLERANCE = 1e-9  # a float slider "at the default" within this relative tolerance

# Altair refuses to inline more than 5,000 rows by default; the map has one row per agent and a
# chart one per day and series, so long runs and large maps pass that.
alt.data_transformers.disable_max_rows()


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


# --- components --------------------------------------------------------------------------------
CHART_WIDTH = 330
CHART_HEIGHT = 200


def titled(title: str):
    """Post-process for a Mesa plot: a title, a size that fits a card, the legend below, and
    the table inlined as CSV (see `abm.portrayal.inline_csv`; the tooltip then names its
    fields' types, which Altair can no longer read off a DataFrame)."""

    def post_process(chart):
        table = chart.data
        if isinstance(table, pd.DataFrame):
            chart.data = inline_csv(table)
            chart.encoding.tooltip = [
                alt.Tooltip(field=column, type=vega_type(table[column].to_numpy()))
                for column in table.columns
            ]
        return (
            chart.properties(title=title, width=CHART_WIDTH, height=CHART_HEIGHT)
            .configure_legend(orient="bottom", columns=2, title=None, labelLimit=0)
            .configure_title(anchor="start")
        )

    return post_process


def by_mode(metric: str, light: bool = False) -> dict[str, str]:
    """The factory and workshop columns of a metric, in the modes' colours."""
    colours = MODE_COLOURS_LIGHT if light else MODE_COLOURS
    return {f"{metric}_factory": colours[FACTORY], f"{metric}_workshop": colours[WORKSHOP]}


def chart(series: dict[str, str], title: str, page: int):
    return make_plot_component(series, post_process=titled(title), backend="altair", page=page)


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


# The first tab holds the map, the verdict and one chart: every component on the open tab is
# redrawn at every step, and each Mesa chart costs about 50 ms of server time per frame.
COMPONENTS = [
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


def map_renderer(model: ProductionEconomy) -> MapRenderer:
    renderer = MapRenderer(model).setup_agents(agent_portrayal)
    renderer.post_process = map_post_process
    return renderer.render()


def build_page(model: ProductionEconomy | solara.Reactive):
    """The SolaraViz page for a model (or a reactive model, as Mesa's own tests pass it)."""
    run = model.value if isinstance(model, solara.Reactive) else model
    return SolaraViz(
        model,
        map_renderer(run),
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
