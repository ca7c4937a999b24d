"""The browser page without a browser: controls, runs, portrayal and verdict panel, and the page
rendered in process and driven through Step and Reset, as Mesa's own viz tests do."""

from __future__ import annotations

import inspect
import io
import math

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from matplotlib.colors import to_rgba

from abm.economy.agents import CentralFactory, Consumer, HomeWorkshop, RetailStore
from abm.economy.modes import FACTORY
from abm.economy.parameters import DEFAULTS, PARAMETERS
from abm.economy.scenarios import available, load_scenario
from abm.viz import app, viz_assets
from abm.viz.portrayal import (
    FIRM_SIZES,
    MAP_SIZE_PX,
    MARKER_ALPHA,
    MARKERS,
    MODE_COLOURS,
    NOT_BOUGHT_COLOUR,
    MapDrawing,
    daily_output,
    firm_size,
    household_groups,
    legend_html,
    png_bytes,
)
from abm.viz.verdict_panel import (
    HEADLINE_FIGURES,
    format_figure,
    run_html,
    run_lines,
    verdict_html,
    verdict_view,
)
from abm.viz.viz_assets import APP_SHELL, AssetError, check_vue, missing_assets, required_assets

SMALL = {"n_consumers": 200, "n_workshops": 20}  # fast runs for tests that step the model


@pytest.fixture(scope="module")
def stepped():
    """A small run, thirty days in."""
    model = app.EconomyRun(**SMALL)
    model.run_for(30)
    return model


# --- controls ----------------------------------------------------------------------------------
def test_every_lever_stays_inside_the_schema():
    for lever in app.LEVERS:
        spec = app.lever_input(lever)
        param = PARAMETERS[lever.name]
        assert spec["value"] == param.default
        if param.choices:
            assert spec["type"] == "Select" and spec["values"] == list(param.choices)
            continue
        assert param.low <= spec["min"] <= spec["value"] <= spec["max"] <= param.high
        assert spec["step"] > 0
        assert spec["type"] == ("SliderInt" if param.kind is int else "SliderFloat")


def test_a_slider_outside_the_schema_is_refused():
    with pytest.raises(ValueError, match="inside the schema"):
        app.lever_input(app.Lever("poka_yoke", "x", high=2.0))


def test_peak_to_mean_slider_respects_every_presets_demand_cycle():
    ceiling = next(lev for lev in app.LEVERS if lev.name == "peak_to_mean").high
    for name in available():
        p = load_scenario(name).parameters()
        assert ceiling <= p["demand_cycle_days"] / p["demand_peak_days"]


def test_controls_are_the_runs_keyword_arguments():
    signature = inspect.signature(app.EconomyRun.__init__).parameters
    assert list(app.model_params()) == [name for name in signature if name != "self"]
    assert set(app.model_params()["preset"]["values"]) == set(available())
    for name in app.LEVER_LABELS:
        assert signature[name].default == DEFAULTS[name]


@pytest.mark.parametrize(
    ("text", "seed", "noted"),
    [("7", 7, False), (" 12 ", 12, False), (5, 5, False), ("abc", 42, True), ("-3", 42, True)],
)
def test_seed_text_becomes_an_int(text, seed, noted):
    value, notes = app.parse_seed(text)
    assert value == seed and isinstance(value, int)
    assert bool(notes) == noted


def test_a_preset_runs_as_written_when_no_lever_moved():
    levers = {name: DEFAULTS[name] for name in app.LEVER_LABELS}
    plan = app.plan_run("factory-realist", "1", levers)
    assert plan.parameters == load_scenario("factory-realist").parameters()
    assert plan.moved == {} and plan.notes == []


def test_a_moved_lever_wins_over_the_preset():
    plan = app.plan_run("factory-realist", 1, {"poka_yoke": 0.5, "n_factories": 4})
    assert plan.parameters["poka_yoke"] == 0.5
    assert plan.parameters["n_factories"] == 4
    assert plan.parameters["workshop_defect_multiplier"] == 8.0  # still the preset's
    assert plan.moved == {"poka_yoke": 0.5, "n_factories": 4}


def test_a_lever_at_its_default_leaves_the_presets_value():
    plan = app.plan_run("factory-realist", 1, {"poka_yoke": DEFAULTS["poka_yoke"] + 1e-12})
    assert plan.parameters["poka_yoke"] == 0.99


def test_levers_that_break_a_joint_constraint_fall_back_to_the_preset():
    plan = app.plan_run("baseline", 1, {"n_factories": 0, "n_workshops": 0})
    assert plan.parameters["n_factories"] == DEFAULTS["n_factories"]
    assert plan.moved == {}
    assert "needs a producer" in plan.notes[0]


def test_an_unknown_preset_runs_the_baseline():
    plan = app.plan_run("no-such-preset", 1, {})
    assert plan.preset == "baseline"
    assert "no-such-preset" in plan.notes[0]


def test_a_run_takes_its_seed_as_text_and_its_levers():
    a = app.EconomyRun(seed="5", n_factories=4, **SMALL)
    b = app.EconomyRun(seed=5, n_factories=4, **SMALL)
    a.step()
    b.step()
    assert a.plan.seed == 5 and len(a.factories()) == 4
    assert a.dataframe().equals(b.dataframe())


# --- portrayal ---------------------------------------------------------------------------------
def test_households_take_the_colour_of_the_mode_they_last_bought_from(stepped):
    consumers = list(stepped.agents_by_type[Consumer])
    groups = household_groups(stepped.households.last_mode)
    for consumer in consumers[:50]:
        expected = MODE_COLOURS.get(consumer.last_mode, NOT_BOUGHT_COLOUR)
        assert groups[expected][consumer.index]
    assert groups[MODE_COLOURS[FACTORY]].any()


def test_each_agent_type_has_its_own_marker_and_firms_their_modes_colour(stepped):
    assert len(set(MARKERS.values())) == len(MARKERS)
    drawing = MapDrawing(stepped)
    for kind in (CentralFactory, RetailStore, HomeWorkshop):
        face = drawing.firms[kind].get_facecolor()[0]
        assert tuple(face) == to_rgba(MODE_COLOURS[kind.mode], MARKER_ALPHA)


def test_firm_size_grows_with_output(stepped):
    store = next(iter(stepped.agents_by_type[RetailStore]))
    smallest, largest = FIRM_SIZES[RetailStore]
    assert daily_output(store) > 0
    assert smallest < firm_size(store) <= largest
    idle = app.EconomyRun(**SMALL)
    new_store = next(iter(idle.agents_by_type[RetailStore]))
    assert firm_size(new_store) == smallest  # no day observed yet
    meter = new_store.shelf.meter
    meter.days, meter.departures = 10, 10 * new_store.factory.capacity  # flat out
    assert firm_size(new_store) == largest


def _png(data: bytes):
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_map_draws_every_household_and_firm_as_portrayed(stepped):
    drawing = MapDrawing(stepped)
    image = _png(drawing.png())
    assert image.width > MAP_SIZE_PX and image.height > MAP_SIZE_PX
    drawn = {colour: len(markers.get_offsets()) for colour, markers in drawing.households.items()}
    portrayed: dict[str, int] = {}
    for consumer in stepped.agents_by_type[Consumer]:
        colour = MODE_COLOURS.get(consumer.last_mode, NOT_BOUGHT_COLOUR)
        portrayed[colour] = portrayed.get(colour, 0) + 1
    assert {colour: n for colour, n in drawn.items() if n} == portrayed
    firms_of = {
        RetailStore: stepped.stores(),
        CentralFactory: stepped.factories(),
        HomeWorkshop: stepped.workshops(),
    }
    for kind, markers in drawing.firms.items():
        firms = firms_of[kind]
        assert len(markers.get_offsets()) == len(firms) > 0
        assert list(markers.get_sizes()) == pytest.approx([firm_size(f) for f in firms])
        assert tuple(markers.get_offsets()[0]) == firms[0].cell.coordinate


def test_household_groups_cover_every_household_once():
    groups = household_groups(np.array([0, 1, -1, 1, 0, 0]))
    assert sum(mask.astype(int) for mask in groups.values()).tolist() == [1] * 6
    assert groups[MODE_COLOURS[FACTORY]].tolist() == [True, False, False, False, True, True]
    assert groups[NOT_BOUGHT_COLOUR].tolist() == [False, False, True, False, False, False]


def test_a_png_holds_the_canvas_pixels(stepped):
    drawing = MapDrawing(stepped)
    drawing.png()
    pixels = np.asarray(drawing.canvas.buffer_rgba())
    assert (np.asarray(_png(png_bytes(drawing.canvas))) == pixels).all()


# --- charts ------------------------------------------------------------------------------------
def _chart_specs() -> list[tuple[int, app.ChartSpec]]:
    specs = []
    for component, page in app.COMPONENTS:
        for cell in component.__closure__ or ():
            if isinstance(cell.cell_contents, app.ChartSpec):
                specs.append((page, cell.cell_contents))
    return specs


def test_every_chart_plots_columns_of_the_table(stepped):
    pages = [page for page, _ in _chart_specs()]
    # market 1; firms 7 (firms, entries, price, markup, capacity, utilization, subsidies);
    # harm 6; stock 4
    assert [pages.count(page) for page in range(4)] == [1, 7, 6, 4]
    for _, spec in _chart_specs():
        columns = {column for column, _ in spec.series}
        assert columns <= set(stepped.datacollector.model_vars), spec.title


@pytest.mark.parametrize(
    ("low", "high", "integer"), [(0, 0.62, False), (0, 61, True), (-3.5, 1200, False)]
)
def test_nice_ticks_cover_the_data_with_round_ends(low, high, integer):
    ticks = app.nice_ticks(low, high, integer)
    assert ticks[0] <= low and ticks[-1] >= high
    assert len(ticks) <= app.CHART_INTERVALS + 2
    assert np.allclose(np.diff(ticks), ticks[1] - ticks[0])


def test_nice_ticks_of_flat_or_missing_data_still_make_an_axis():
    assert list(app.nice_ticks(0, 0)) == list(app.nice_ticks(0, 1))
    assert list(app.nice_ticks(math.nan, math.nan)) == list(app.nice_ticks(0, 1))


def test_tick_labels_are_compact():
    assert app.compact_number(0.25) == "0.25"
    assert app.compact_number(40) == "40"
    assert app.compact_number(3500) == "3.5k"
    assert app.compact_number(-1_200_000) == "-1.2M"


def test_a_chart_draws_the_columns_and_redraws_its_axes_only_when_they_move():
    chart = app.LineChart({"a": "#1f77b4", "b": "#ff7f0e"}, "A chart")
    full_draws = []
    draw = chart.canvas.draw
    chart.canvas.draw = lambda: (full_draws.append(1), draw())

    table = {"a": [0.0, 0.5, 0.4], "b": [1.0, math.nan, 0.6]}
    first = _png(chart.png(table))
    assert first.size == app.CHART_SIZE_PX
    assert list(chart.lines[0].get_ydata()) == table["a"]
    assert list(chart.lines[1].get_xdata()) == [0, 1, 2]
    assert len(full_draws) == 1
    table = {"a": [*table["a"], 0.7], "b": [*table["b"], 0.2]}  # a day later, inside the axes
    second = _png(chart.png(table))
    assert len(full_draws) == 1  # only the lines, over the saved axes
    assert np.asarray(second).tolist() != np.asarray(first).tolist()
    chart.png({"a": [*table["a"], 250.0], "b": [*table["b"], 0.0]})  # off the y axis
    assert len(full_draws) == 2
    assert chart.axes.get_ylim()[1] >= 250


def test_the_day_axis_spans_the_first_month_then_grows():
    chart = app.LineChart({"a": "#1f77b4"}, "A chart")
    chart.png({"a": [1.0]})
    assert chart.axes.get_xlim() == (0, app.CHART_MIN_DAYS)
    chart.png({"a": [1.0] * 45})
    assert chart.axes.get_xlim()[1] >= 44


def test_bullwhip_chart_columns_sum_the_stores_logs(stepped):
    """The chart's daily demand and orders are what the stores logged that day."""
    assert app.ORDER_COLOURS.keys() <= set(stepped.dataframe().columns)
    df = stepped.dataframe()
    for day in (10, len(df) - 1):
        logged = [entry for s in stepped.stores() for entry in s.log if entry[0] == day]
        assert df.loc[day, "demand_factory"] == sum(e[1] for e in logged)
        assert df.loc[day, "orders_upstream_factory"] == sum(e[2] for e in logged)
    assert df["orders_upstream_factory"].sum() > 0


def test_legend_names_every_marker():
    text = legend_html()
    for label in ("store of a factory", "factory", "home workshop", "has not bought yet"):
        assert label in text


# --- verdict panel -----------------------------------------------------------------------------
def _verdict(dominant="workshop", since=45, survivors=("workshop",), factory_firms=0) -> dict:
    figures = {f.key: 0.0 for f in HEADLINE_FIGURES}
    return {
        "days": 120,
        "survivors": list(survivors),
        "dominant": dominant,
        "dominant_since_day": since,
        "by_mode": {
            "factory": figures | {"final_share": 0.03, "active_firms": factory_firms},
            "workshop": figures
            | {"final_share": 0.97, "active_firms": 80, "price": 61.234, "lead_time": None},
        },
    }


def test_verdict_says_who_is_ahead_since_when_and_who_is_out():
    view = verdict_view(_verdict(), window=30, survival_share=0.05)
    assert view.headline == (
        "Workshops ahead: 97% of units sold over the last 30 days, in the lead since day 45."
    )
    assert view.survival.startswith("Surviving: workshops. Out: factories (no firms left)")
    share = next(row for row in view.rows if row[0].startswith("share of units sold"))
    assert share == ("share of units sold (last 30 days)", "3%", "97%")
    price = next(row for row in view.rows if row[0].startswith("mean price"))
    assert price[2] == "61.2"
    lead = next(row for row in view.rows if row[0].startswith("lead time"))
    assert lead[2] == "–"


def test_verdict_names_a_mode_below_the_survival_share():
    view = verdict_view(_verdict(factory_firms=3), window=30, survival_share=0.05)
    assert "factories (3% of units sold, under the 5% that survival takes)" in view.survival


def test_verdict_without_a_lasting_lead_or_sales():
    view = verdict_view(_verdict(since=None), window=30, survival_share=0.05)
    assert view.headline.endswith("no lasting lead.")
    empty = {"days": 0, "survivors": [], "dominant": None, "dominant_since_day": None}
    view = verdict_view(empty, window=30, survival_share=0.05)
    assert "No sales yet" in view.headline and view.rows == ()


def test_figures_are_formatted_for_reading():
    assert format_figure(0.456, "share") == "46%"
    assert format_figure(12.0, "count") == "12"
    assert format_figure(1234567.8, "number") == "1,234,568"
    assert format_figure(0.0123456, "number") == "0.0123"
    assert format_figure(math.nan, "number") == "–"


def test_verdict_of_a_real_run(stepped):
    p = stepped.p
    view = verdict_view(stepped.verdict(), p["verdict_window"], p["survival_share"])
    assert view.day == 30
    assert view.headline.startswith(("Factories ahead", "Workshops ahead"))
    assert len(view.rows) == len(HEADLINE_FIGURES)
    # the panel shows every headline figure the model's verdict reports, and no other
    assert {f.key for f in HEADLINE_FIGURES} == set(stepped.verdict()["by_mode"]["factory"])
    assert "Verdict, day 30" in verdict_html(view)


def test_the_verdict_is_computed_once_a_day(monkeypatch):
    model = app.EconomyRun(**SMALL)
    calls = []
    verdict = app.ProductionEconomy.verdict
    monkeypatch.setattr(
        app.ProductionEconomy, "verdict", lambda self: (calls.append(self.steps), verdict(self))[1]
    )
    model.step()
    first = model.verdict()
    assert model.verdict() is first and calls == [1]
    model.step()
    assert model.verdict()["days"] == 2 and calls == [1, 2]


def test_run_panel_lists_preset_levers_and_notes_escaped():
    model = app.EconomyRun(preset="custom-niche", seed="x<script>", n_factories=4, **SMALL)
    lines = run_lines(model, app.LEVER_LABELS)
    assert lines[0] == "Preset 'custom-niche', seed 42."
    assert "Custom-goods share of needs: 0.6" in lines[1]  # a lever's label
    assert "custom_mismatch_cost: 40.0" in lines[1]  # a parameter's name
    assert "Factories at the start: 4" in lines[2]
    assert any("x<script>" in line for line in lines)
    page = run_html("In business: ...", lines)
    assert "<script>" not in page and "x&lt;script&gt;" in page


# --- front-end files ---------------------------------------------------------------------------
def test_front_end_files_are_read_off_solaras_templates(tmp_path):
    assets = {a.package: a.spec for a in required_assets()}
    assert APP_SHELL in assets  # ipyvue 1: the Vuetify 2 shell
    assert {"requirejs", "vega", "vega-lite", "vega-embed", "font-awesome"} <= set(assets)
    assert len(missing_assets(tmp_path)) == len(assets)  # an empty cache misses them all


def test_vue_version_is_the_one_solaraviz_draws_with(monkeypatch):
    check_vue()  # ipyvue 3 would raise
    monkeypatch.setattr(viz_assets.importlib.metadata, "version", lambda name: "3.0.0")
    with pytest.raises(AssetError, match="ipyvue 3.0.0"):
        check_vue()


def test_the_server_listens_locally_on_a_free_port():
    port = app.free_port()
    command = app.solara_command(app.DEFAULT_HOST, port)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == str(port)
    assert app.APP_MODULE in command
    assert app.solara_environment()["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


# --- the page, rendered in process ---------------------------------------------------------------
def _render(element):
    return solara.render(solara.AppLayout(children=[element]), handle_error=False)


def _type_text(rc, label: str, text: str) -> None:
    """Type into a text input and leave it, as a user does (it commits on focus-out)."""
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("focusout", {})


def _html(rc) -> str:
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def _drawn_days(rc) -> list[str]:
    """The day each image on the open tab is marked with (the map, then the chart)."""
    images = rc.find(ipywidgets.Image).widgets
    return [c for image in images for c in image._dom_classes if c.startswith("abm-day-")]


def test_the_served_page_renders_with_its_controls():
    _, rc = _render(app.Page())
    rc.find(v.Btn, children=["Step"]).assert_single()
    rc.find(v.Btn, children=["Reset"]).assert_single()
    for lever in app.LEVERS:
        label = lever.label
        found = rc.find(v.Select if lever.name == "replenishment_policy" else v.Slider, label=label)
        found.assert_single()
    rc.find(v.TextField, label="Seed").assert_single()


def test_step_and_reset_with_new_controls():
    model = solara.reactive(app.EconomyRun(**SMALL))
    _, rc = _render(app.build_page(model))
    step = rc.find(v.Btn, children=["Step"]).widget
    step.fire_event("click", {})
    step.fire_event("click", {})
    assert model.value.steps == 2
    assert "Verdict, day 2" in _html(rc)
    assert _drawn_days(rc) == ["abm-day-2", "abm-day-2"]  # the map and the chart

    rc.find(v.Slider, label="Factories at the start").widget.v_model = 5
    rc.find(v.Slider, label="Households").widget.v_model = 300
    _type_text(rc, "Seed", "7")
    rc.find(v.Select, label="Scenario preset").widget.v_model = "custom-niche"
    rc.find(v.Btn, children=["Reset"]).widget.fire_event("click", {})

    run = model.value
    assert run.steps == 0 and isinstance(run, app.EconomyRun)
    assert len(run.factories()) == 5 and len(run.households) == 300
    assert run.plan.seed == 7 and run.p["custom_share"] == 0.6
    assert "Factories at the start: 5" in _html(rc)
    assert _drawn_days(rc) == ["abm-day-0", "abm-day-0"]  # the new run's
    rc.find(v.Btn, children=["Step"]).widget.fire_event("click", {})
    assert run.steps == 1
    assert _drawn_days(rc) == ["abm-day-1", "abm-day-1"]


def test_a_bad_seed_does_not_break_reset():
    model = solara.reactive(app.EconomyRun(**SMALL))
    _, rc = _render(app.build_page(model))
    _type_text(rc, "Seed", "twelve")
    rc.find(v.Btn, children=["Reset"]).widget.fire_event("click", {})
    assert model.value.plan.seed == app.DEFAULT_SEED
    assert "Seed &#x27;twelve&#x27; is not a whole number" in _html(rc)  # escaped
    assert np.isfinite(model.value.metric("money_inside"))
