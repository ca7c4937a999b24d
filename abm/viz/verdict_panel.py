"""The verdict panel: who is ahead and since which day, who survives, the headline figures by
mode, and what this run was started with.

Pure functions of the model's verdict (`ProductionEconomy.verdict()`) and state, tested without a
browser; `abm.viz.app` puts the HTML on the page.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from abm.economy.metrics import METRICS
from abm.economy.modes import MODES

MODE_PLURALS = {"factory": "factories", "workshop": "workshops"}


@dataclass(frozen=True)
class Figure:
    """One headline figure of the verdict table."""

    key: str  # key in verdict()["by_mode"][mode]
    label: str
    unit: str
    kind: str = "number"  # number, share or count


HEADLINE_FIGURES = (
    Figure("final_share", "share of units sold", "last {window}", "share"),
    Figure("active_firms", "firms in business", "firms", "count"),
    Figure("entries_total", "entries so far", "firms", "count"),
    Figure("bankruptcies_total", "bankruptcies so far", "firms", "count"),
    Figure("price", "mean price", METRICS["price_factory"][0]),
    Figure("unit_cost", "cash cost per unit made", METRICS["unit_cost_factory"][0]),
    Figure("defects_escaped_ppm", "defects escaped", METRICS["defects_escaped_ppm_factory"][0]),
    Figure("injuries_per_100fte", "injuries", METRICS["injuries_per_100fte_factory"][0]),
    Figure("waste_per_unit", "waste", METRICS["waste_per_unit_factory"][0]),
    Figure("utilization", "capacity utilization", "today", "share"),
    Figure("fill_rate", "fill rate", "served at once", "share"),
    Figure("lead_time", "lead time", METRICS["lead_time_factory"][0]),
    Figure("subsidies_total", "subsidies paid so far", "$"),
)
NUMBER_DIGITS = 3  # significant digits of figures in the table
PERCENT = 100


def _days(n: int) -> str:
    return "day" if n == 1 else f"{n} days"


def format_figure(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "share":
        return f"{PERCENT * value:.0f}%"
    if kind == "count":
        return f"{int(value):,}"
    return f"{value:,.{NUMBER_DIGITS}g}" if abs(value) < 10**NUMBER_DIGITS else f"{value:,.0f}"


@dataclass(frozen=True)
class VerdictView:
    """What the verdict panel says at one day of the run."""

    day: int
    headline: str
    survival: str
    rows: tuple[tuple[str, ...], ...]  # label with unit, then one formatted value per mode


def verdict_view(verdict: dict, window: int, survival_share: float) -> VerdictView:
    """Who is ahead and since when, who survives, and the headline figures by mode."""
    day = verdict["days"]
    dominant = verdict["dominant"]
    by_mode = verdict.get("by_mode")
    if dominant is None or not by_mode:
        return VerdictView(day, "No sales yet: press Step or ▶ to run the economy.", "", ())
    span = _days(min(window, day))
    share = by_mode[dominant]["final_share"]
    headline = (
        f"{MODE_PLURALS[dominant].capitalize()} ahead: {PERCENT * share:.0f}% of units sold "
        f"over the last {span}"
    )
    since = verdict["dominant_since_day"]
    headline += f", in the lead since day {since}." if since is not None else ", no lasting lead."
    survivors = verdict["survivors"]
    gone = [m for m in MODES if m not in survivors]
    survival = "Surviving: " + (
        " and ".join(MODE_PLURALS[m] for m in survivors) if survivors else "none"
    )
    reasons = [
        f"{MODE_PLURALS[m]} (no firms left)"
        if not by_mode[m]["active_firms"]
        else f"{MODE_PLURALS[m]} ({PERCENT * by_mode[m]['final_share']:.0f}% of units sold, "
        f"under the {PERCENT * survival_share:.0f}% that survival takes)"
        for m in gone
    ]
    survival += (". Out: " + " and ".join(reasons) + ".") if gone else "."
    rows = tuple(
        (
            f"{fig.label} ({fig.unit.format(window=span)})",
            *(format_figure(by_mode[m][fig.key], fig.kind) for m in MODES),
        )
        for fig in HEADLINE_FIGURES
    )
    return VerdictView(day, headline, survival, rows)


def business_line(model) -> str:
    """Firms in business right now, straight from the model (also on day 0)."""
    factories = model.factories()
    stores = sum(len(f.stores) for f in factories)
    workshops = len(model.workshops())
    return (
        f"In business: {len(factories)} factories ({stores} stores), {workshops} workshops, "
        f"serving {len(model.households):,} households."
    )


def run_lines(model, labels: dict[str, str]) -> list[str]:
    """The run's preset, seed and moved levers (named by `labels`, else by parameter name), and
    anything the page could not apply."""
    plan = getattr(model, "plan", None)
    if plan is None:
        return []
    lines = [f"Preset {plan.preset!r}, seed {plan.seed}."]
    if plan.preset_overrides:
        settings = (f"{labels.get(k, k)}: {v}" for k, v in plan.preset_overrides.items())
        lines.append("The preset sets " + "; ".join(settings) + ".")
    if plan.moved:
        levers = (f"{labels.get(k, k)}: {v}" for k, v in plan.moved.items())
        lines.append("Your levers: " + "; ".join(levers) + ".")
    lines.extend(plan.notes)
    return lines


def verdict_html(view: VerdictView) -> str:
    """The verdict as HTML, every text escaped."""
    e = html.escape
    head = "".join(f"<th>{e(mode)}</th>" for mode in MODES)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in view.rows
    )
    table = (
        f'<table class="abm-verdict"><tr><th></th>{head}</tr>{body}</table>' if view.rows else ""
    )
    return (
        f'<div class="abm-panel"><h3>Verdict, day {view.day}</h3>'
        f"<p><b>{e(view.headline)}</b><br>{e(view.survival)}</p>{table}</div>"
    )


def run_html(business: str, run: list[str]) -> str:
    """What the run started from and what is in business now, every text escaped (preset names
    and notes come from files and from the page's inputs)."""
    e = html.escape
    items = "".join(f"<li>{e(line)}</li>" for line in run)
    return f'<div class="abm-panel"><h4>This run</h4><p>{e(business)}</p><ul>{items}</ul></div>'


PANEL_STYLE = """
.abm-panel { font-size: 13px; }
.abm-panel h3, .abm-panel h4 { margin: 2px 0 6px 0; }
.abm-panel p { margin: 0 0 6px 0; }
.abm-verdict { border-collapse: collapse; }
.abm-verdict td, .abm-verdict th { padding: 0 8px; text-align: right; }
.abm-verdict td:first-child, .abm-verdict th:first-child { text-align: left; }
.abm-verdict tr:nth-child(even) { background: rgba(128, 128, 128, 0.12); }
"""


def verdict_panel_html(model) -> str:
    """The verdict for the model's current day."""
    p = model.p
    return verdict_html(verdict_view(model.verdict(), p["verdict_window"], p["survival_share"]))


def run_panel_html(model, labels: dict[str, str]) -> str:
    return run_html(business_line(model), run_lines(model, labels))
