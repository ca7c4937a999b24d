"""Validation: the real model, configured for a textbook case, against the textbook's answer.

Each `check_*` function builds economies through the normal parameter schema, runs them, and
returns a `Check`: rows of (what, theory, measured, confidence interval) and whether the theory
lies inside the interval (or the stated tolerance). `quick=True` is the CI-sized version;
`python -m abm.reports.validation docs/validation.md` runs the long versions and writes the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from abm.economy.formulas import (
    bullwhip_ratio_order_up_to,
    eoq,
    eoq_annual_cost,
    expected_undershoot,
    lead_time_demand_sd,
    learning_exponent,
    newsvendor_base_stock,
    undershoot_variance,
    z_for_service_level,
)
from abm.economy.model import ProductionEconomy
from abm.economy.tally import Count
from abm.stats import wilson

# One factory with one store, production as good as instant, a fixed lead time, no workshops,
# and households that always buy when the shelf has stock: a single-echelon textbook system.
LAB = {
    "n_factories": 1,
    "stores_per_factory": 1,
    "n_workshops": 0,
    "firm_size_dispersion": 0.0,
    "factory_capacity": 100000.0,
    "factory_labour_hours": 0.001,
    "factory_initial_cash": 1e12,
    "bankruptcy_days": 3650,
    "feedstock_per_unit": 0.0,
    "shipping_days_per_cell": 0.0,
    "shipping_time_cv": 0.0,
    "peak_to_mean": 1.0,
    "custom_share": 0.0,
    "good_value": 1e6,
    "marginal_utility_decay": 1.0,
    "logit_scale": 0.01,
    "store_reach": 5000.0,
    "error_probability": 0.0,
    "injury_rate": 0.0,
    "workshop_entry_rate": 0.0,
    "factory_entry_min_demand": 10.0,
    "forecast_window": 365,
    "policy_review_days": 365,
    "initial_stock_days": 0.0,
    "grid_width": 20,
    "grid_height": 20,
}
CONFIDENCE = 0.999  # per row; with some forty rows, about 96% for the whole family


@dataclass
class Row:
    """One comparison. `expect` says what passes: the theory inside the measured interval,
    or the measurement at most / below / above the reference for a directional claim."""

    label: str
    theory: float
    measured: float
    low: float
    high: float
    expect: str = "inside"

    @property
    def ok(self) -> bool:
        return {
            "inside": self.low <= self.theory <= self.high,
            "at_most": self.measured <= self.theory,
            "below": self.measured < self.theory,
            "above": self.measured > self.theory,
            "report": True,  # shown, not checked: the model does not settle the claim
        }[self.expect]

    @property
    def verdict(self) -> str:
        if self.expect == "report":
            return "shown"
        return "yes" if self.ok else "NO"


def direction(label: str, reference: float, measured: float, expect: str) -> Row:
    """A row for a directional claim: the measurement against a reference value."""
    return Row(label, reference, measured, measured, measured, expect)


@dataclass
class Check:
    name: str
    configuration: str
    theory: str
    rows: list[Row] = field(default_factory=list)
    notes: str = ""
    curve: tuple[str, str, list, list] | None = None  # x label, y label, x, y for the figure

    @property
    def passed(self) -> bool:
        return all(row.ok for row in self.rows)


def lab(seed: int = 0, **overrides) -> ProductionEconomy:
    return ProductionEconomy(rng=seed, **{**LAB, **overrides})


def advance(model: ProductionEconomy, days: int) -> ProductionEconomy:
    model.run_for(days)
    return model


def exact(label: str, theory: float, measured: float, tolerance: float = 1e-6) -> Row:
    """A row for a deterministic quantity: the interval is the stated tolerance."""
    return Row(label, theory, measured, measured - tolerance, measured + tolerance)


def proportion(label: str, theory: float, hits: int, trials: int) -> Row:
    """A row for a share of trials, with its Wilson confidence interval."""
    low, high = wilson(hits, trials, CONFIDENCE)
    return Row(label, theory, hits / trials, low, high)


def batch_means(label: str, theory: float, values: np.ndarray, batches: int = 10) -> Row:
    """A row for a long-run ratio, with a batch-means confidence interval."""
    parts = np.array_split(np.asarray(values, dtype=float), batches)
    means = np.array([part.mean() for part in parts])
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, batches - 1) * means.std(ddof=1) / math.sqrt(batches)
    return Row(label, theory, float(means.mean()), means.mean() - half, means.mean() + half)


# --- 1. inventory formulas ---------------------------------------------------------------------
def check_inventory_formulas(quick: bool = True) -> Check:
    check = Check(
        "Inventory formulas",
        "pure functions against published values; then one store on (r,Q) in the lab economy",
        "Q* = sqrt(2KD/h); cost sqrt(2KDh); newsvendor S* = mu + sigma z(p/(p+h)); "
        "r = dL + E[U] + z sqrt(sigma_LTD^2 + Var U), U the undershoot of daily review",
    )
    check.rows += [
        exact("EOQ Q*, K=8 h=0.225 D=1300", 304.047, round(eoq(8, 1300, 0.225), 3), 5e-4),
        exact("EOQ cost", 68.411, round(eoq_annual_cost(8, 1300, 0.225), 3), 5e-4),
        exact(
            "newsvendor S*, N(50,8^2) h=0.18 p=0.70",
            56.604,
            round(newsvendor_base_stock(50, 8, 0.18, 0.70), 3),
            5e-4,
        ),
    ]
    # the store sizes its policy at the end of day 365 (its yearly review) ...
    model = advance(
        lab(seed=1, n_consumers=1000, need_rate=0.01, shipping_lead_time=5, order_cost=8.0), 365
    )
    store = model.stores()[0]
    f = store.demand_forecast
    unit = store.factory.unit_cost_ex_carrying()
    policy = store.policy
    q = max(1, round(eoq(8.0, f.mean * 365, model.p["holding_cost_rate"] * unit)))
    z = z_for_service_level(model.p["service_level"])
    sd_l = math.sqrt(store.lead_time_variance)
    spread = math.hypot(
        lead_time_demand_sd(f.mean, f.sd, store.lead_time(), sd_l),
        math.sqrt(undershoot_variance(f.mean, f.sd)),
    )
    r = f.mean * store.lead_time() + z * spread + expected_undershoot(f.mean, f.sd)
    check.rows += [
        exact("store lot = EOQ of its forecast", q, policy.lot_size, 0.5),
        exact("store reorder point", r, policy.reorder_point, 1e-6),
    ]
    # ... and until the next review every order is placed at or below r, in whole lots
    advance(model, 300 if quick else 364)
    orders = [(day, ordered, pos) for day, _, ordered, pos in store.log if ordered and day > 365]
    proper = sum(
        (ordered % policy.lot_size == 0) and (pos - ordered <= policy.reorder_point)
        for day, ordered, pos in orders
    )
    check.rows.append(
        exact(
            f"orders in whole EOQ lots at IP <= r (n={len(orders)})",
            1.0,
            proper / max(len(orders), 1),
            1e-9,
        )
    )
    return check


# --- 2. cycle service level --------------------------------------------------------------------
def check_cycle_service(quick: bool = True) -> Check:
    check = Check(
        "Cycle service level",
        "lab economy, (r,Q), 10 units/day of Bernoulli-household demand, lead time 5 days, "
        "EOQ lots larger than lead-time demand (one order outstanding at a time)",
        "share of replenishment cycles with a stock-out = 1 - Phi(z)",
    )
    days = 3000 if quick else 12000
    for service in (0.8, 0.9, 0.95):
        model = advance(
            lab(
                seed=2,
                n_consumers=2000,
                need_rate=0.005,
                shipping_lead_time=5,
                order_cost=0.2,
                service_level=service,
            ),
            days,
        )
        # cycles that began after the first yearly review sized the policy from a year of data
        cycles = [empty for day, empty in model.stores()[0].cycles if day > 365 + 40]
        z = z_for_service_level(service)
        check.rows.append(
            proportion(
                f"z = {z:.3f} ({len(cycles)} cycles)", 1 - service, int(sum(cycles)), len(cycles)
            )
        )
    return check


# --- 3. Little's law ---------------------------------------------------------------------------
def check_littles_law(quick: bool = True) -> Check:
    check = Check(
        "Little's law",
        "store shelf and factory lots in the lab economy with a slow factory; workshop queues "
        "in an economy of workshops only; meters restarted after a warm-up",
        "mean level = throughput x mean time in the buffer, within 2%",
    )
    warm, days = (200, 1500) if quick else (365, 6000)
    slow = lab(
        seed=3,
        n_consumers=1000,
        need_rate=0.02,
        shipping_lead_time=4,
        factory_labour_hours=0.5,
        factory_capacity=60.0,
    )
    advance(slow, warm)
    store, factory = slow.stores()[0], slow.factories()[0]
    store.shelf.meter.restart(slow.steps)
    factory.wip_meter.restart(slow.steps)
    advance(slow, days)
    crafts = ProductionEconomy(
        rng=3,
        n_consumers=800,
        n_factories=0,
        n_workshops=30,
        workshop_entry_rate=0.0,
        bankruptcy_days=3650,
        workshop_initial_cash=1e6,
        grid_width=20,
        grid_height=20,
    )
    advance(crafts, warm)
    workshops = crafts.workshops()
    for w in workshops:
        w.restart_queue_meter()
    advance(crafts, days)
    for label, meters in (
        ("store shelf", [store.shelf.meter]),
        ("factory lots (WIP)", [factory.wip_meter]),
        ("workshop order queues", [w.queue_meter for w in workshops]),
    ):
        level = sum(m.level_days for m in meters) / meters[0].days
        departures = sum(m.departures for m in meters)
        flow = (departures / meters[0].days) * (sum(m.days_in_buffer for m in meters) / departures)
        check.rows.append(Row(label, flow, level, level * 0.98, level * 1.02))
    return check


# --- 4. bullwhip -------------------------------------------------------------------------------
def order_and_demand(model: ProductionEconomy, skip: int) -> tuple[np.ndarray, np.ndarray]:
    log = np.array(model.stores()[0].log[skip:])
    return log[:, 2].astype(float), log[:, 1].astype(float)


KANBAN_SEEDS = (4, 5, 6)  # kanban's weekly ratio varies with the draws: several runs shown


def check_bullwhip(quick: bool = True) -> Check:
    check = Check(
        "Bullwhip",
        "lab economy, 80 units/day of iid demand; order-up-to with a p-day moving average "
        "(Chen et al.'s L = shipping days + 1 review day), then kanban, (r,Q) and push",
        "Var(orders)/Var(demand) = 1 + 2L/p + 2L^2/p^2 (Chen, Drezner, Ryan & Simchi-Levi 2000)",
    )
    days = 2500 if quick else 10000
    # 80 units a day: an order-up-to order is then never negative, so clipping (the model
    # allows no returns upstream) leaves the closed form intact
    base = dict(n_consumers=2000, need_rate=0.04, service_level=0.9999)
    for shipping, window in ((1, 5), (3, 10), (4, 5)):
        model = advance(
            lab(
                seed=4,
                shipping_lead_time=shipping,
                forecast_window=window,
                replenishment_policy="order_up_to",
                **base,
            ),
            days,
        )
        orders, demand = order_and_demand(model, 400)
        big_l = shipping + 1
        ratio = ratio_series(orders, demand)
        check.rows.append(
            batch_means(
                f"order-up-to L={big_l}, p={window}",
                bullwhip_ratio_order_up_to(big_l, window),
                ratio,
            )
        )

    # the same system under other policies, compared week by week (orders and demand summed
    # over 7 days, so that containers and lots are not mistaken for amplification)
    def weekly_ratio(policy: str, seed: int = 4, **extra) -> float:
        model = advance(
            lab(
                seed=seed,
                shipping_lead_time=3,
                forecast_window=5,
                replenishment_policy=policy,
                **{**base, **extra},
            ),
            days,
        )
        orders, demand = order_and_demand(model, 400)
        return float(np.var(weeks(orders)) / np.var(weeks(demand)))

    pull = weekly_ratio("order_up_to")
    kanban = [weekly_ratio("kanban", seed) for seed in KANBAN_SEEDS]
    check.rows += [
        Row(
            f"kanban, weekly, mean of seeds {KANBAN_SEEDS[0]}-{KANBAN_SEEDS[-1]} (interval: "
            f"their range) against order-up-to's {pull:.2f}",
            pull,
            float(np.mean(kanban)),
            min(kanban),
            max(kanban),
            "report",
        ),
        direction(
            "(r,Q), lots of ~1 day, weekly: damps",
            pull,
            weekly_ratio("rq", order_cost=0.01),
            "below",
        ),
        direction(
            "(r,Q), EOQ lots of ~12 days, weekly: batching amplifies",
            pull,
            weekly_ratio("rq", order_cost=1.0),
            "above",
        ),
        direction("push, weekly: amplifies (above 1)", 1.0, weekly_ratio("push"), "above"),
    ]
    check.notes = (
        "The closed form is for order-up-to with a moving-average forecast, day by day. The "
        "other rows compare policies week by week. (r,Q) with small lots passes demand through "
        "and damps the bullwhip; (r,Q) with large EOQ lots amplifies it by order batching, Lee, "
        "Padmanabhan & Whang's (1997) second cause; push production, planned weekly from a "
        "forecast, amplifies it. Kanban is reported, not checked: that it damps the bullwhip "
        "is not settled by this model. Its weekly ratio moves with the run's random draws far "
        "more than order-up-to's (1.6 to 4 for seeds 4-9 in runs of 2,500-5,000 days, against "
        "2.9-3.1; 2.95 to 3.53 for seeds 4-6 over 10,000 days, against 3.00): cards sized with "
        "a 15% safety factor for a learned lead time leave the store short often, and its "
        "orders then follow the arrivals of containers rather than demand."
    )
    return check


def weeks(series: np.ndarray) -> np.ndarray:
    n = len(series) // 7
    return series[: n * 7].reshape(n, 7).sum(axis=1)


def ratio_series(orders: np.ndarray, demand: np.ndarray, block: int = 200) -> np.ndarray:
    """Var(orders)/Var(demand) in consecutive blocks, for batch means."""
    n = len(orders) // block
    return np.array(
        [
            np.var(orders[i * block : (i + 1) * block])
            / np.var(demand[i * block : (i + 1) * block])
            for i in range(n)
        ]
    )


# --- 5. kanban ---------------------------------------------------------------------------------
def check_kanban(quick: bool = True) -> Check:
    check = Check(
        "Kanban",
        "lab economy, 20 units/day, lead time 3 days, containers of 10 units, N = 1..10 cards",
        "inventory position (WIP) never exceeds N*C; throughput rises with N, then saturates",
    )
    days = 500 if quick else 2000
    throughput = []
    for cards in range(1, 11):
        model = advance(
            lab(
                seed=5,
                n_consumers=2000,
                need_rate=0.01,
                shipping_lead_time=3,
                replenishment_policy="kanban",
                kanban_cards=cards,
                kanban_container=10.0,
            ),
            days,
        )
        log = np.array(model.stores()[0].log[50:])  # after the opening stock is sold
        check.rows.append(
            direction(f"N={cards}: highest position <= N*C", cards * 10, log[:, 3].max(), "at_most")
        )
        throughput.append(float(model.dataframe()["units_sold_factory"].iloc[50:].mean()))
    worst_fall = min(b / a for a, b in zip(throughput, throughput[1:], strict=False))
    check.rows += [
        direction("throughput never falls by 2% or more as N grows", 0.98, worst_fall, "above"),
        direction(
            "throughput gain from N=9 to N=10 below 2%",
            0.02,
            throughput[-1] / throughput[-2] - 1,
            "below",
        ),
    ]
    check.curve = ("kanban cards N", "units sold per day", list(range(1, 11)), throughput)
    return check


# --- 6. learning curve -------------------------------------------------------------------------
def check_learning(quick: bool = True) -> Check:
    check = Check(
        "Learning curve",
        "lab economy whose factory starts with 50 units of experience and labour 1 h/unit",
        "labour per unit falls by the progress ratio at each doubling of cumulative output",
    )
    for ratio in (0.7, 0.8, 0.9):
        model = advance(
            lab(
                seed=6,
                n_consumers=1000,
                need_rate=0.02,
                progress_ratio=ratio,
                factory_initial_experience=50.0,
                factory_labour_hours=1.0,
                factory_capacity=200.0,
            ),
            200 if quick else 1000,
        )
        log = np.array(model.factories()[0].learning)
        slope = np.polyfit(np.log2(log[:, 0]), np.log2(log[:, 1]), 1)[0]
        doublings = math.log2(log[-1, 0] / log[0, 0])
        check.rows.append(
            exact(f"PR={ratio} over {doublings:.1f} doublings", ratio, 2.0**slope, 1e-9)
        )
        if ratio == 0.8:
            check.curve = (
                "cumulative output (units)",
                "labour per unit (h)",
                log[:, 0].tolist(),
                log[:, 1].tolist(),
            )
    check.notes = f"b = -log2(PR); e.g. PR 0.8 gives b = {learning_exponent(0.8):.4f}."
    return check


# --- 7. poka-yoke and inspection ---------------------------------------------------------------
def check_defects(quick: bool = True) -> Check:
    check = Check(
        "Poka-yoke and inspection",
        "lab economy, 40 units/day made, error probability 3.5% (Arakawa before poka-yoke)",
        "made = p_error (1 - poka_yoke); caught/made defects = inspection; "
        "escaped = p_error (1 - poka_yoke)(1 - inspection)",
    )
    days = 600 if quick else 3000
    for poka, inspect in ((0.0, 0.5), (0.5, 0.8), (0.9, 0.8)):
        model = advance(
            lab(
                seed=7,
                n_consumers=2000,
                need_rate=0.02,
                error_probability=0.035,
                poka_yoke=poka,
                inspection=inspect,
                shipping_lead_time=2,
            ),
            days,
        )
        t = model.tally.total[0]
        made, defects = int(t[Count.MADE]), int(t[Count.DEFECTS_MADE])
        p = 0.035 * (1 - poka)
        check.rows += [
            proportion(f"defects made, poka-yoke {poka}", p, defects, made),
            proportion(
                f"  caught share, inspection {inspect}",
                inspect,
                int(t[Count.DEFECTS_CAUGHT]),
                defects,
            ),
            proportion("  escaped", p * (1 - inspect), int(t[Count.DEFECTS_ESCAPED]), made),
        ]
    return check


# --- 8. injuries -------------------------------------------------------------------------------
def check_injuries(quick: bool = True) -> Check:
    check = Check(
        "Injuries",
        "a labour-intensive factory (about 25 workers) in the lab economy",
        "injuries per 100 full-time workers per year (2,000 h) = the configured rate",
    )
    days = 1000 if quick else 5000
    for rate in (2.8, 20.0):
        model = advance(
            lab(
                seed=8,
                n_consumers=2000,
                need_rate=0.02,
                injury_rate=rate,
                factory_labour_hours=2.0,
                factory_capacity=200.0,
                shipping_lead_time=2,
            ),
            days,
        )
        t = model.tally.total[0]
        cases, hours = t[Count.INJURIES], t[Count.LABOUR_HOURS]
        low, high = (
            stats.chi2.ppf([(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2], [2 * cases, 2 * cases + 2])
            / 2
        )
        scale = 100 * 2000 / hours
        check.rows.append(
            Row(
                f"rate {rate} ({int(cases)} cases, {hours:,.0f} h)",
                rate,
                cases * scale,
                (low if cases else 0.0) * scale,
                high * scale,
            )
        )
    return check


# --- 9. accounting -----------------------------------------------------------------------------
def check_accounting(quick: bool = True) -> Check:
    check = Check(
        "Accounting",
        "subsidy-sunset scenario with entry and exit; the identities are checked every step",
        "the per-step table's totals equal the books, by mode",
    )
    from abm.economy.scenarios import load_scenario

    model = advance(
        ProductionEconomy(
            rng=9, **load_scenario("subsidy-sunset").overrides, workshop_entry_rate=0.01
        ),
        365 if quick else 1000,
    )
    df = model.dataframe()
    books = model.ledger.mode_books
    for m, mode in enumerate(("factory", "workshop")):
        check.rows += [
            exact(f"{mode}: units sold", model.goods[m].sold, df[f"units_sold_{mode}"].sum(), 1e-6),
            exact(
                f"{mode}: sales value",
                books[m]["sales"] + books[m]["refunds"],
                df[f"sales_value_{mode}"].sum(),
                1e-3,
            ),
            exact(
                f"{mode}: exits",
                model.tally.total[m, Count.BANKRUPTCIES],
                df[f"bankruptcies_{mode}"].sum(),
                0,
            ),
        ]
    check.rows.append(
        exact(
            "workshop subsidies",
            model.ledger.inflows["subsidy"],
            df["subsidies_workshop"].sum(),
            1e-3,
        )
    )
    check.notes = (
        f"{int(df['entries_workshop'].sum())} workshop entries and "
        f"{int(df['bankruptcies_workshop'].sum() + df['bankruptcies_factory'].sum())} exits "
        "in the run; goods and money identities held on every one of its steps."
    )
    return check


CHECKS = (
    check_inventory_formulas,
    check_cycle_service,
    check_littles_law,
    check_bullwhip,
    check_kanban,
    check_learning,
    check_defects,
    check_injuries,
    check_accounting,
)


# --- the report --------------------------------------------------------------------------------
def figure(check: Check, path) -> None:
    """A PNG: the check's curve if it has one, else each row's measurement against theory."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.45 * len(check.rows) + 1.6) if not check.curve else (7, 4))
    ax = fig.subplots()
    if check.curve:
        xlabel, ylabel, x, y = check.curve
        ax.plot(x, y, marker="o", color="tab:blue", label="model")
        if check.name == "Learning curve":
            ax.set_xscale("log", base=2)
            ax.set_yscale("log", base=2)
            b = learning_exponent(0.8)
            ax.plot(x, [y[0] * (xi / x[0]) ** -b for xi in x], "k--", label="Wright, PR 0.8")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    else:
        ys = np.arange(len(check.rows))[::-1]
        for y, row in zip(ys, check.rows, strict=True):
            scale = abs(row.theory) or 1.0
            ax.errorbar(
                row.measured / scale,
                y,
                xerr=[[(row.measured - row.low) / scale], [(row.high - row.measured) / scale]],
                fmt="o",
                color="tab:blue" if row.ok else "tab:red",
                capsize=3,
            )
            ax.plot(1.0 if row.theory else 0.0, y, "k|", markersize=14)
        ax.set_yticks(ys, [row.label for row in check.rows], fontsize=8)
        ax.set_xlabel("measured / theory (black bar: theory; blue: passes, red: fails)")
    ax.set_title(check.name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(path: str = "docs/validation.md", quick: bool = False) -> list[Check]:
    """Run every check and write the Markdown report with one figure per check."""
    from pathlib import Path

    out = Path(path)
    figures = out.parent / "validation"
    figures.mkdir(parents=True, exist_ok=True)
    checks = [run() for run in (lambda c=c: c(quick=quick) for c in CHECKS)]
    lines = [
        "# Validation: the model against operations-management theory",
        "",
        "Each check runs the real model (`abm.reports.validation`), configured through the normal "
        "parameter schema, and compares what the model measured with the theory. Intervals are "
        f"{CONFIDENCE:.1%} confidence intervals per row (Wilson for shares, batch means for "
        "long-run ratios, exact Poisson for injury counts); a directional claim passes when the "
        "measurement lies on the stated side of its reference; a row marked `report` is shown "
        "and not checked (its notes say why). The same checks, in shorter "
        "runs, are tests in `tests/validation/`.",
        "",
        "Regenerate: `python -m abm.reports.validation docs/validation.md`"
        f" ({'quick' if quick else 'long'} runs were used for this page).",
        "",
    ]
    for check in checks:
        slug = check.name.lower().replace(" ", "-").replace("'", "").replace(",", "")
        figure(check, figures / f"{slug}.png")
        lines += [
            f"## {check.name}: {'passes' if check.passed else 'FAILS'}",
            "",
            f"- Configuration: {check.configuration}.",
            f"- Theory: {check.theory}.",
            "",
            "| what | theory | measured | interval | expect | ok |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.label} | {r.theory:.6g} | {r.measured:.6g} | [{r.low:.6g}, {r.high:.6g}] | "
            f"{r.expect} | {r.verdict} |"
            for r in check.rows
        ]
        if check.notes:
            lines += ["", check.notes]
        lines += ["", f"![{check.name}](validation/{slug}.png)", ""]
    out.write_text("\n".join(lines))
    return checks


if __name__ == "__main__":
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else "docs/validation.md"
    results = report(target, quick="--quick" in sys.argv)
    sys.exit(0 if all(c.passed for c in results) else 1)
