"""The map: each agent's marker, the legend, and a lean matplotlib drawing of them.

Markers: one shape per agent type, colour by production mode (households: the mode they last
bought from, grey before their first purchase), firm size by output. A firm's output is its mean
units per day since it opened, read from its flow meter (a store's sales, a factory's shipped
lots, a workshop's finished orders), relative to its nominal capacity, so a workshop running
flat out looks as full as a factory running flat out although it makes a fraction of the units.
Sizes are marker areas in square pixels (the map is drawn at 72 dpi, where matplotlib's square
points are square pixels).

Drawing: `MapDrawing` draws the map with matplotlib into a PNG, which the page shows as an
image: swapping an image costs the browser a few milliseconds, where Vega re-ran its whole
pipeline on 2,000 agents at every step. It reads the households' colours from the model's
arrays in one operation (their places never change), the workshops' sizes from theirs, asks
only the stores and factories one by one, and draws only the markers at each step (see
`MapDrawing`). Mesa's own SpaceRenderer on its
matplotlib backend builds a style object for every agent, redraws the whole figure and saves it
with a tight bounding box: about 80 ms a frame for this map, against about 10 ms.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from abm import style
from abm.economy.agents import CentralFactory, Consumer, HomeWorkshop, RetailStore
from abm.economy.modes import FACTORY, MODES, WORKSHOP

MODE_COLOURS = {m: style.MODE_COLOURS[name] for m, name in enumerate(MODES)}  # by mode index
MODE_COLOURS_LIGHT = {FACTORY: "#aec7e8", WORKSHOP: "#ffbb78"}  # second series of a mode
NOT_BOUGHT_COLOUR = "#b0b0b0"

# marker per agent type (matplotlib codes)
MARKERS: dict[type, str] = {
    Consumer: "o",
    RetailStore: "s",
    CentralFactory: "D",
    HomeWorkshop: "^",
}
# Households stay small so that 2,000 of them do not hide the firms; a firm grows from its
# smallest to its largest area as its output approaches its nominal capacity.
# Households get no edge (width 0).
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


def marker_area(kind: type, output, capacity):
    """Marker area of a firm of type `kind` (or of many): the type's smallest at zero output,
    its largest at full capacity."""
    smallest, largest = FIRM_SIZES[kind]
    capacity = np.asarray(capacity, dtype=float)
    load = np.divide(output, capacity, out=np.zeros(capacity.shape), where=capacity > 0)
    return smallest + (largest - smallest) * np.minimum(load, FULL_OUTPUT) / FULL_OUTPUT


def firm_size(agent) -> float:
    """One firm's marker area (`marker_area`)."""
    return float(marker_area(type(agent), daily_output(agent), nominal_output(agent)))


def workshop_markers(model) -> tuple[np.ndarray, np.ndarray]:
    """Places and marker areas of every workshop in business, from the workshops' arrays (the
    same as `firm_size` of each workshop agent, in one operation)."""
    arrays = model.workshop_arrays
    rows = arrays.live()
    output = arrays.queue_meters.throughput(rows)
    capacity = arrays.technology(rows, model.steps).capacity
    places = np.column_stack([arrays.x[rows], arrays.y[rows]])
    return places, marker_area(HomeWorkshop, output, capacity)


# --- drawing -------------------------------------------------------------------------------
MAP_SIZE_PX = 330  # the map's square
MAP_MARGINS_PX = {"left": 24, "right": 4, "top": 26, "bottom": 20}  # title, cell numbers
MAP_DPI = 72  # a point is a pixel: marker areas in square pixels
MAP_TITLE_SIZE = 13  # points, at 72 dpi pixels
MAP_LABEL_SIZE = 10
MAP_TICKS = 10  # at most this many intervals between cell numbers
MAP_GRID = {"color": "#d0d0d0", "linewidth": 0.6, "linestyle": ":"}
PNG_COMPRESSION = 1  # zlib's fastest level: a map is about 45 kB, a chart 20-40 kB
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_RGBA = (8, 6, 0, 0, 0)  # bit depth, colour type RGBA, deflate, no filter method, no interlace


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(canvas: FigureCanvasAgg) -> bytes:
    """The canvas' pixels as a PNG: every row unfiltered, deflated at zlib's fastest level.

    About three times as fast as Pillow's encoder at its fastest level, and smaller (for the
    default map after 30 days: 2 ms and 55 kB against 6 ms and 73 kB).
    """
    pixels = np.asarray(canvas.buffer_rgba())
    height, width, _ = pixels.shape
    rows = np.zeros((height, 1 + pixels[0].size), dtype=np.uint8)  # filter byte 0: none
    rows[:, 1:] = pixels.reshape(height, -1)
    header = struct.pack(">II5B", width, height, *PNG_RGBA)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESSION))
        + _png_chunk(b"IEND", b"")
    )


def household_groups(last_mode: np.ndarray) -> dict[str, np.ndarray]:
    """Which households (a mask each) take which colour, from their last_mode codes."""
    bought = {colour: last_mode == mode for mode, colour in MODE_COLOURS.items()}
    return {**bought, NOT_BOUGHT_COLOUR: ~np.isin(last_mode, list(MODE_COLOURS))}


class MapDrawing:
    """One run's map as a PNG, drawn by matplotlib.

    The title, the frame and the cell numbers are drawn once and their pixels kept; each frame
    restores them and draws the markers over them (matplotlib's blitting): one marker
    collection per household colour (matplotlib stamps a single marker fast) and one per firm
    type. Households never move, so their places are read once; their colours come from the
    model's arrays in one operation, and so do the workshops' places and sizes; only stores and
    factories (a dozen at the default size) are sized one by one (`firm_size`).
    """

    def __init__(self, model) -> None:
        self.model = model
        households = model.households
        self.household_xy = np.column_stack([households.x, households.y]).astype(float)
        margin = MAP_MARGINS_PX
        wide = margin["left"] + MAP_SIZE_PX + margin["right"]
        high = margin["bottom"] + MAP_SIZE_PX + margin["top"]
        self.figure = Figure(figsize=(wide / MAP_DPI, high / MAP_DPI), dpi=MAP_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        side = (MAP_SIZE_PX / wide, MAP_SIZE_PX / high)
        self.axes = self.figure.add_axes((margin["left"] / wide, margin["bottom"] / high, *side))
        width, height = model.grid.dimensions
        self.axes.set_xlim(-0.5, width - 0.5)
        self.axes.set_ylim(-0.5, height - 0.5)
        for axis in (self.axes.xaxis, self.axes.yaxis):
            axis.set_major_locator(MaxNLocator(MAP_TICKS, integer=True))
        self.axes.tick_params(labelsize=MAP_LABEL_SIZE, length=2, pad=2)
        self.axes.grid(**MAP_GRID)
        self.axes.set_title(MAP_TITLE, loc="left", fontsize=MAP_TITLE_SIZE, fontweight="bold")

        def markers(marker: str, **look):
            return self.axes.scatter([], [], marker=marker, animated=True, **look)

        household = {"s": HOUSEHOLD_SIZE, "linewidths": 0, "alpha": MARKER_ALPHA}
        self.households = {
            colour: markers(MARKERS[Consumer], color=colour, **household)
            for colour in household_groups(np.array([], dtype=np.int64))
        }
        self.firms = {
            kind: markers(
                MARKERS[kind],
                facecolors=[to_rgba(MODE_COLOURS[kind.mode], MARKER_ALPHA)],
                edgecolors=[to_rgba(EDGE_COLOUR, MARKER_ALPHA)],
                linewidths=FIRM_EDGE_WIDTH,
            )
            for kind in FIRM_SIZES
        }
        self.canvas.draw()  # title, frame, cell numbers: the markers are drawn by png()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def png(self) -> bytes:
        """The map of the model's current day."""
        self.canvas.restore_region(self.background)
        for colour, rows in household_groups(self.model.households.last_mode).items():
            self.households[colour].set_offsets(self.household_xy[rows])
            self.axes.draw_artist(self.households[colour])
        for kind, markers in self.firms.items():
            if kind is HomeWorkshop:  # thousands at scale: from the workshops' arrays
                places, sizes = workshop_markers(self.model)
            else:
                firms = list(self.model.agents_by_type.get(kind, []))
                places = np.array([f.cell.coordinate for f in firms], float).reshape(-1, 2)
                sizes = [firm_size(firm) for firm in firms]
            markers.set_offsets(places)
            markers.set_sizes(sizes)
            self.axes.draw_artist(markers)
        return png_bytes(self.canvas)


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
