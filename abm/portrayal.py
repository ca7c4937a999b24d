"""The map: each agent's marker, the legend, and a lean Altair drawing of them.

Markers: one shape per agent type, colour by production mode (households: the mode they last
bought from, grey before their first purchase), firm size by output. A firm's output is its mean
units per day since it opened, read from its flow meter (a store's sales, a factory's shipped
lots, a workshop's finished orders), relative to its nominal capacity, so a workshop running
flat out looks as full as a factory running flat out although it makes a fraction of the units.
Sizes are marker areas in square pixels, as matplotlib's scatter sizes are in square points.

Drawing: `MapRenderer` is Mesa's SpaceRenderer with `LeanAltairBackend`, which builds the
agents' table column-wise and sends a style shared by all agents once. Mesa's own backend builds
its table row by row and sends every style attribute of every agent: at the default 2,000
households that took about 300 ms and 640 kB per frame, too slow to watch.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from mesa.visualization import SpaceRenderer
from mesa.visualization.backends import AltairBackend
from mesa.visualization.components import AgentPortrayalStyle

from abm.agents import FACTORY, WORKSHOP, CentralFactory, Consumer, HomeWorkshop, RetailStore
from abm.ledger import MODES

MODE_COLOURS = {FACTORY: "#1f77b4", WORKSHOP: "#ff7f0e"}  # matplotlib's tab:blue, tab:orange
MODE_COLOURS_LIGHT = {FACTORY: "#aec7e8", WORKSHOP: "#ffbb78"}  # second series of a mode
NOT_BOUGHT_COLOUR = "#b0b0b0"

# marker per agent type (matplotlib codes, which Mesa's Altair backend maps to Vega shapes)
MARKERS: dict[type, str] = {
    Consumer: "o",
    RetailStore: "s",
    CentralFactory: "D",
    HomeWorkshop: "^",
}
AGENT_NAMES: dict[type, str] = {
    Consumer: "household",
    RetailStore: "store",
    CentralFactory: "factory",
    HomeWorkshop: "workshop",
}
# Households stay small so that 2,000 of them do not hide the firms; a firm grows from its
# smallest to its largest area as its output approaches its nominal capacity.
# One opacity and one edge colour for every marker keep the map's data small (see
# LeanAltairBackend); households get no edge (width 0) and no tooltip.
HOUSEHOLD_SIZE = 14.0
MARKER_ALPHA = 0.85
EDGE_COLOUR = "#202020"
FIRM_EDGE_WIDTH = 1.0
FIRM_SIZES: dict[type, tuple[float, float]] = {
    RetailStore: (40.0, 160.0),
    CentralFactory: (90.0, 400.0),
    HomeWorkshop: (25.0, 110.0),
}
FULL_OUTPUT = 1.0  # output/capacity at which a firm reaches its largest size
TOOLTIP_DECIMALS = 2


def daily_output(agent) -> float:
    """Mean units per day the firm has put out since it opened (0 for households)."""
    if isinstance(agent, RetailStore):
        return agent.shelf.meter.throughput  # units sold
    if isinstance(agent, CentralFactory):
        return agent.wip_meter.throughput  # units shipped to its stores
    if isinstance(agent, HomeWorkshop):
        return agent.queue_meter.throughput  # orders finished
    return 0.0


def nominal_output(agent) -> float:
    """Units per day the firm can make: machine capacity, a store's share of its factory's,
    or a workshop's owner hours over its labour per unit."""
    if isinstance(agent, RetailStore):
        return agent.factory.capacity / max(len(agent.factory.stores), 1)
    if isinstance(agent, CentralFactory):
        return agent.capacity
    if isinstance(agent, HomeWorkshop):
        return agent.capacity()
    return 0.0


def firm_size(agent) -> float:
    """Marker area: the type's smallest at zero output, its largest at full capacity."""
    smallest, largest = FIRM_SIZES[type(agent)]
    capacity = nominal_output(agent)
    load = min(daily_output(agent) / capacity, FULL_OUTPUT) if capacity > 0 else 0.0
    return smallest + (largest - smallest) * load / FULL_OUTPUT


def household_colour(last_mode: int) -> str:
    return MODE_COLOURS.get(last_mode, NOT_BOUGHT_COLOUR)


def agent_portrayal(agent) -> AgentPortrayalStyle:
    """Marker, colour and size of one agent on the map; firms get a tooltip."""
    kind = type(agent)
    if kind is Consumer:
        return AgentPortrayalStyle(
            color=household_colour(agent.last_mode),
            marker=MARKERS[Consumer],
            size=HOUSEHOLD_SIZE,
            alpha=MARKER_ALPHA,
            edgecolors=EDGE_COLOUR,
            linewidths=0,
            zorder=0,
        )
    return AgentPortrayalStyle(
        color=MODE_COLOURS[agent.mode],
        marker=MARKERS[kind],
        size=firm_size(agent),
        alpha=MARKER_ALPHA,
        edgecolors=EDGE_COLOUR,
        linewidths=FIRM_EDGE_WIDTH,
        zorder=1,
        tooltip={"firm": firm_tooltip(agent)},
    )


def firm_tooltip(agent) -> str:
    """What hovering a firm says: type, mode, output and price."""
    return (
        f"{AGENT_NAMES[type(agent)]} ({MODES[agent.mode]} mode): "
        f"{daily_output(agent):.{TOOLTIP_DECIMALS}f} units/day since opening, "
        f"price ${agent.price:.{TOOLTIP_DECIMALS}f}"
    )


# --- drawing -------------------------------------------------------------------------------
MAP_SIZE_PX = 330
# Agent data -> Altair channel: (key in Mesa's agent data, field class, value class). Encodings
# are built from these classes, never from `alt.value(...)` dicts or shorthand strings, which
# Altair converts by hashing its whole schema (about 10 ms each).
STYLE_CHANNELS = {
    "size": ("size", alt.Size, alt.SizeValue),
    "shape": ("shape", alt.Shape, alt.ShapeValue),
    "opacity": ("opacity", alt.Opacity, alt.OpacityValue),
    "fill": ("color", alt.Fill, alt.FillValue),
    "stroke": ("stroke", alt.Stroke, alt.StrokeValue),
    "strokeWidth": ("strokeWidth", alt.StrokeWidth, alt.StrokeWidthValue),
}


def _constant(values: np.ndarray):
    """The single value of an array, or None if its values differ."""
    first = values[0]
    return first if (values == first).all() else None


def vega_type(values: np.ndarray) -> str:
    return "quantitative" if np.issubdtype(values.dtype, np.number) else "nominal"


def _plain(value):
    return value.item() if hasattr(value, "item") else value


class LeanAltairBackend(AltairBackend):
    """Mesa's Altair backend, its agent table built column-wise instead of row by row.

    One layer of points as in Mesa, but a style shared by every agent is sent once as an Altair
    constant, and only what varies goes into the data. Sizes are areas in square pixels, shapes
    Vega shape names (Mesa maps the portrayal's markers), colours colour strings (no colour map).
    """

    def draw_agents(self, arguments, chart_width: int = 450, chart_height: int = 350, **kwargs):
        loc = arguments["loc"]
        if loc.size == 0:
            return None
        xmin, xmax, ymin, ymax = self.space_drawer.get_viz_limits()
        data = {"x": loc[:, 0], "y": loc[:, 1]}
        encoding = {
            "x": alt.X(field="x", type="quantitative", scale=alt.Scale(domain=[xmin, xmax])),
            "y": alt.Y(field="y", type="quantitative", scale=alt.Scale(domain=[ymin, ymax])),
        }
        encoding["x"].axis = encoding["y"].axis = None
        for channel, (key, field_class, value_class) in STYLE_CHANNELS.items():
            values = np.asarray(arguments[key])
            same = _constant(values)
            if same is not None:
                encoding[channel] = value_class(_plain(same))
            elif any(v is not None for v in values):
                data[channel] = values
                encoding[channel] = field_class(
                    field=channel, type=vega_type(values), scale=None, legend=None
                )
        tips = pd.DataFrame.from_records([t or {} for t in arguments["tooltip"]])
        data |= {key: tips[key].to_numpy() for key in tips.columns}
        encoding["tooltip"] = [
            alt.Tooltip(field=key, type=vega_type(tips[key].to_numpy())) for key in tips.columns
        ]
        return alt.Chart(
            data=inline_csv(pd.DataFrame(data)),
            mark=alt.MarkDef(type="point", filled=True),
            encoding=alt.FacetedEncoding(**encoding),
            width=chart_width,
            height=chart_height,
        )


def inline_csv(table: pd.DataFrame) -> alt.InlineData:
    """A table as one CSV string inside the chart, its numeric columns parsed as numbers.

    Solara's renderer walks every node of a chart's specification on every frame, and Altair
    checks and copies every row: a table of 2,000 agents as JSON records costs both about 20,000
    nodes, as a CSV string one.
    """
    numeric = {c: "number" for c in table.columns if pd.api.types.is_numeric_dtype(table[c])}
    return alt.InlineData(
        values=table.to_csv(index=False), format=alt.CsvDataFormat(type="csv", parse=numeric)
    )


class MapRenderer(SpaceRenderer):
    """Mesa's SpaceRenderer on the lean Altair backend, sized for the page.

    SolaraViz's Reset copies the renderer as `type(renderer)(model, backend)` (and drops the
    drawing options set up before), so the backend and the size are chosen here.
    """

    SIZE = {"chart_width": MAP_SIZE_PX, "chart_height": MAP_SIZE_PX}

    def __init__(self, model, backend: str = "altair") -> None:
        super().__init__(model, backend=backend)
        if backend == "altair":
            self.backend_renderer = LeanAltairBackend(self.space_drawer)
            self.backend_renderer.initialize_canvas()
        self.draw_space_kwargs = {**self.SIZE, "xlabel": "", "ylabel": ""}
        self.draw_agent_kwargs = dict(self.SIZE)

    def setup_structure(self, **kwargs) -> MapRenderer:
        return super().setup_structure(**{**self.draw_space_kwargs, **kwargs})

    def setup_agents(self, agent_portrayal, **kwargs) -> MapRenderer:
        return super().setup_agents(agent_portrayal, **{**self.draw_agent_kwargs, **kwargs})


# --- the map's title and legend --------------------------------------------------------------
LEGEND_ENTRIES = (  # symbol, colour, label
    ("●", MODE_COLOURS[FACTORY], "household that last bought from a factory"),
    ("●", MODE_COLOURS[WORKSHOP], "household that last bought from a workshop"),
    ("●", NOT_BOUGHT_COLOUR, "household that has not bought yet"),
    ("■", MODE_COLOURS[FACTORY], "store of a factory"),
    ("◆", MODE_COLOURS[FACTORY], "factory"),
    ("▲", MODE_COLOURS[WORKSHOP], "home workshop"),
)
MAP_TITLE = "Who sells where, and who buys from whom"
MAP_NOTE = "Firm size: output per day since opening, relative to capacity."


def legend_html() -> str:
    """The map's legend as HTML (a legend chart beside the map would double its drawing time)."""
    items = "".join(
        f'<span style="color:{colour}">{symbol}</span>&nbsp;{label}<br>'
        for symbol, colour, label in LEGEND_ENTRIES
    )
    return f'<div class="abm-panel"><h4>Map</h4><p>{items}{MAP_NOTE}</p></div>'


def map_post_process(chart):
    """The map's title."""
    return chart.properties(title=alt.TitleParams(MAP_TITLE, anchor="start"))
