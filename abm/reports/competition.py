"""Competition: the model's claims about entry, prices and capacity, checked on real runs at the
baseline's size, and the industrial-dynamics stylized facts shown.

- Contestability: a market one mode holds at a price well above the other mode's entry-scale
  cost is entered by the other mode, by itself (nobody injected), which gains share; both ways.
- Price war: when a rival's price falls, a firm's share falls and its markup follows within a
  few markup reviews.
- Capacity follows demand: double the demand and factories' capacity rises within the
  construction delay and a review or two; halve it and capacity falls; an oversized factory's
  utilization settles near the target.
- Stylized facts (`abm.reports.stylized_facts`): shown, not checked.

Each `check_*` returns a `Check` (`abm.reports.checks`) with a figure of its own; the validation
report (`abm.reports.validation`) writes them after the textbook checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.economy.model import ProductionEconomy
from abm.economy.modes import MODES
from abm.economy.scenarios import load_scenario
from abm.reports import stylized_facts
from abm.reports.checks import Check, Row, direction
from abm.style import MODE_COLOURS

MOST = 0.5  # "in most seeds": more than half of them
CLEAR_CORRELATION = 0.2  # a correlation of entry and exit rates below this is no co-movement

# the baseline economy without entry or voluntary exit: for the checks that isolate a rule
CLOSED = {"workshop_entry_rate": 0.0, "entry_factory_rate": 0.0, "exit_loss_reviews": 1000}


def baseline(seed: int, **overrides) -> ProductionEconomy:
    return ProductionEconomy(rng=seed, **(load_scenario("baseline").overrides | overrides))


def share_of(df: pd.DataFrame, mode: str, start: int, end: int | None = None) -> float:
    """`mode`'s share of the units sold from day `start` to `end` (the last day if None)."""
    days = df.loc[start:end, [f"units_sold_{m}" for m in MODES]].sum()
    total = days.sum()
    return float(days[f"units_sold_{mode}"] / total) if total else 0.0


# --- contestability ---------------------------------------------------------------------------
# one factory asking far above a new workshop's cost: its overhead is three times the default
COSTLY_FACTORY = {"n_workshops": 0, "n_factories": 1, "factory_overhead_per_day": 3000.0}
# workshops whose owners value their time at $45 an hour, and no factory
COSTLY_WORKSHOPS = {"n_factories": 0, "workshop_wage_per_hour": 45.0}


def contest(entrant: str, overrides: dict, days: int, seeds) -> tuple[list[float], list]:
    """The entrant mode's share over the last 30 days of each seed's run, and its daily
    30-day trailing share (for the figure)."""
    finals, paths = [], []
    for seed in seeds:
        model = baseline(seed, **overrides)
        model.run_for(days)
        df = model.dataframe()
        if df[f"active_firms_{entrant}"].iloc[0] != 0:
            raise AssertionError("the entrant mode must start with no firm")
        finals.append(share_of(df, entrant, days - 29))
        sold = df[[f"units_sold_{m}" for m in MODES]].rolling(30, min_periods=1).sum()
        paths.append((sold[f"units_sold_{entrant}"] / sold.sum(axis=1)).fillna(0.0))
    return finals, paths


def check_contestability(quick: bool = True) -> Check:
    seeds = range(4 if quick else 10)
    workshops, workshop_paths = contest("workshop", COSTLY_FACTORY, 240, seeds)
    factories, factory_paths = contest("factory", COSTLY_WORKSHOPS, 540, seeds)
    n = len(seeds)
    rows: list[Row] = [
        direction(
            "seeds in which workshops, entering a costly factory's market, hold most of it",
            MOST,
            sum(s > 0.5 for s in workshops) / n,
            "above",
        ),
        direction(
            "seeds in which factories, entering costly workshops' market, hold most of it",
            MOST,
            sum(s > 0.5 for s in factories) / n,
            "above",
        ),
    ]

    def draw(fig) -> None:
        left, right = fig.subplots(1, 2, sharey=True)
        for ax, paths, mode, title in (
            (left, workshop_paths, "workshop", "workshops enter a costly factory's market"),
            (right, factory_paths, "factory", "factories enter costly workshops' market"),
        ):
            for path in paths:
                ax.plot(path.index, path.to_numpy(), color=MODE_COLOURS[mode], lw=0.8)
            ax.axhline(0.5, color="grey", ls=":", lw=0.8)
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("day")
        left.set_ylabel("entrant mode's 30-day share of units")

    return Check(
        "Contestability",
        f"the baseline economy (2,000 households), seeds 0-{n - 1}: (a) no workshop and one "
        "factory with three times the default overhead ($3,000 a day), 240 days; (b) no factory "
        "and the baseline's 100 workshops with owners' time at $45 an hour, 540 days; entry and "
        "exit by the default rules, nobody injected",
        "a market held at a price well above the other mode's entry-scale cost is entered by "
        "the other mode, which gains share, in most seeds, both ways",
        rows,
        notes=(
            "Shares are the entrant mode's share of units sold over each run's last 30 days. "
            f"(a) by seed: {', '.join(f'{s:.2f}' for s in workshops)}; "
            f"(b) by seed: {', '.join(f'{s:.2f}' for s in factories)}."
        ),
        draw=draw,
    )


# --- price war --------------------------------------------------------------------------------
THREE_FACTORIES = CLOSED | {"n_workshops": 0}
REVIEWS_BEFORE, REVIEWS_AFTER = 2, 3


def price_war(seed: int, cut: bool) -> tuple[np.ndarray, int]:
    """(share, markup) of the three factories at each markup review (share 0 and markup NaN once
    a factory has closed). When `cut`, after REVIEWS_BEFORE reviews the largest factory's cost
    falls: its cumulative output is taken 16-fold (a leap in learning, labour per unit down to
    0.8^4 = 41%); the largest, since a price cutter without the capacity to serve the customers
    it wins only piles up backlog. Returns the reviews and which factory's cost fell."""
    model = baseline(seed, **THREE_FACTORIES)
    period = model.p["markup_review_days"]
    factories = model.factories()
    seen, cutter = [], -1
    for review in range(REVIEWS_BEFORE + REVIEWS_AFTER):
        model.run_for(period)
        alive = model.factories()
        seen.append(
            [(f.market_share, f.markup) if f in alive else (0.0, np.nan) for f in factories]
        )
        if cut and review == REVIEWS_BEFORE - 1:
            largest = max(alive, key=lambda f: f.capacity)
            largest.experience *= 16
            cutter = factories.index(largest)
    return np.array(seen), cutter


def check_price_war(quick: bool = True) -> Check:
    seeds = range(3 if quick else 8)
    fell_share = fell_markup = below_peace = rivals_seen = left = 0
    runs = {}
    at_cut, after = REVIEWS_BEFORE - 1, REVIEWS_BEFORE
    for seed in seeds:
        (war, cutter), (peace, _) = price_war(seed, cut=True), price_war(seed, cut=False)
        runs[seed] = (war, peace)
        alive_at_cut = ~np.isnan(war[at_cut, :, 1])
        rivals = [k for k in range(war.shape[1]) if k != cutter and alive_at_cut[k]]
        rivals_seen += len(rivals)
        fell_share += int((war[after, rivals, 0] < war[at_cut, rivals, 0]).sum())
        staying = [k for k in rivals if not np.isnan(war[-1, k, 1])]
        left += len(rivals) - len(staying)
        fell_markup += int((war[-1, staying, 1] < war[at_cut, staying, 1]).sum())
        below_peace += int((war[-1, staying, 1] < peace[-1, staying, 1]).sum())
    staying_total = rivals_seen - left
    rows = [
        direction(
            "rivals whose share fell at the first review after the cut",
            MOST,
            fell_share / rivals_seen,
            "above",
        ),
        direction(
            f"rivals still in business whose markup {REVIEWS_AFTER} reviews on is below their "
            "markup at the cut",
            MOST,
            fell_markup / max(staying_total, 1),
            "above",
        ),
        direction(
            "rivals still in business whose markup ends below their own without the cut",
            MOST,
            below_peace / max(staying_total, 1),
            "report",
        ),
        direction("rivals that left the market after the cut", 0.0, left / rivals_seen, "report"),
    ]

    def draw(fig) -> None:
        war, peace = runs[0]
        shares, markups = fig.subplots(1, 2)
        reviews = np.arange(1, len(war) + 1)
        for k, colour in enumerate(("black", "tab:blue", "tab:green")):
            shares.plot(reviews, war[:, k, 0], "o-", color=colour, label=f"factory {k + 1}")
            markups.plot(reviews, war[:, k, 1], "o-", color=colour, label=f"factory {k + 1}")
            markups.plot(reviews, peace[:, k, 1], ":", color=colour)
        for ax, what in ((shares, "market share"), (markups, "markup (dotted: no cut)")):
            ax.axvline(REVIEWS_BEFORE + 0.5, color="grey", lw=0.8)
            ax.set_xlabel("markup review (seed 0)")
            ax.set_ylabel(what)
        shares.legend(fontsize=8)

    return Check(
        "Price war",
        "the baseline economy without workshops: three factories, no entry and no voluntary "
        f"exit (to isolate the pricing rule), seeds 0-{len(seeds) - 1}; after "
        f"{REVIEWS_BEFORE} markup reviews the largest factory's cost falls (its cumulative "
        "output 16-fold: labour per unit to 41%); the same runs without the cut for reference",
        "when a rival's price falls, a firm's share falls and its markup follows within a few "
        "review periods (the markup rule of Dosi, Fagiolo and Roventini 2010)",
        rows,
        notes=(
            f"Counts are over the {rivals_seen} rivals in business at the cut; a rival that "
            "closed counts as having lost share, and is left out of the markup rows. The run "
            "without the cut is shown, not checked: its own shares drift (and firms close) "
            "differently, so a rival's markup there is no fixed reference."
        ),
        draw=draw,
    )


# --- capacity follows demand ------------------------------------------------------------------
SHOCK, CALM, END = 241, 541, 900  # need rate doubled on day 241, back to its default on 541


def demand_shock(seed: int) -> pd.DataFrame:
    """Three factories alone (no workshops, no entry, no voluntary exit); the need rate doubles
    on day SHOCK and returns on day CALM (a mid-run change of `model.p`)."""
    model = baseline(seed, **(CLOSED | {"n_workshops": 0}))
    rate = model.p["need_rate"]
    for day in range(1, END + 1):
        if day == SHOCK:
            model.p["need_rate"] = 2 * rate
        if day == CALM:
            model.p["need_rate"] = rate
        model.step()
    return model.dataframe()


def steady(seed: int) -> pd.DataFrame:
    """The same three factories alone for END days at the default need rate."""
    model = baseline(seed, **(CLOSED | {"n_workshops": 0}))
    model.run_for(END)
    return model.dataframe()


def utilization(df: pd.DataFrame, start: int, end: int) -> float:
    """Units made over capacity, summed over days start to end."""
    capacity = df["capacity_factory"].loc[start:end]
    return float((df["utilization_factory"].loc[start:end] * capacity).sum() / capacity.sum())


def check_capacity(quick: bool = True) -> Check:
    seeds = range(2 if quick else 5)
    runs = {seed: demand_shock(seed) for seed in seeds}
    p = baseline(0).p
    delay = p["construction_days"] + 2 * p["capacity_review_days"]
    rose = fell = 0
    during = []
    for df in runs.values():
        capacity = df["capacity_factory"]
        rose += capacity.loc[SHOCK + delay] > capacity.loc[SHOCK - 1]
        fell += capacity.loc[END] < capacity.loc[CALM - 1]
        during.append(utilization(df, CALM - 120, CALM - 1))
    long_run = [utilization(steady(seed), CALM, END) for seed in seeds]
    n = len(seeds)
    target = p["normal_utilization"]
    rows = [
        direction(
            f"seeds whose capacity rose within {delay} days of the shock", MOST, rose / n, "above"
        ),
        direction("seeds whose capacity fell after the demand returned", MOST, fell / n, "above"),
        direction(
            f"utilization over days {CALM}-{END} without the shock, farthest seed's distance "
            "from the target (at most the band)",
            p["capacity_band"] * target,
            max(abs(u - target) for u in long_run),
            "at_most",
        ),
        Row(
            f"utilization over the 120 days before day {CALM}, demand doubled (mean of seeds)",
            target,
            float(np.mean(during)),
            min(during),
            max(during),
            "report",
        ),
    ]

    def draw(fig) -> None:
        ax = fig.subplots()
        for seed, df in runs.items():
            ax.plot(
                df.index,
                df["capacity_factory"],
                color=MODE_COLOURS["factory"],
                lw=1,
                label="capacity" if seed == 0 else None,
            )
            demand = df["demand_factory"].rolling(30, min_periods=1).mean() / target
            ax.plot(
                df.index,
                demand,
                color="grey",
                lw=0.8,
                label="30-day demand / target utilization" if seed == 0 else None,
            )
        for day in (SHOCK, CALM):
            ax.axvline(day, color="black", ls=":", lw=0.8)
        ax.set_xlabel("day")
        ax.set_ylabel("units a day, all factories")
        ax.legend(fontsize=8)

    return Check(
        "Capacity follows demand",
        f"the baseline economy's three factories alone (no workshops, no entry, no voluntary "
        f"exit), seeds 0-{n - 1}; the need rate doubles on day {SHOCK} and returns on day "
        f"{CALM}; {END} days",
        "capacity rises toward the demand within the construction delay plus a review or two, "
        "falls when demand falls, and utilization settles near the target "
        "(normal_utilization; the Federal Reserve's manufacturing average 1972-2008 is 79.6%)",
        rows,
        notes=(
            "The rule's band (capacity_band = "
            f"{p['capacity_band']}) lets the long run lie anywhere in "
            f"{target * (1 - p['capacity_band']):.2f}-{target * (1 + p['capacity_band']):.2f}: "
            f"measured by seed, {', '.join(f'{u:.3f}' for u in long_run)}. "
            "While demand is doubled the factories run above the target: capacity comes a "
            "review and a construction delay behind demand, and the stores' forecasts behind "
            "it see only the needs that reach them (shown, not checked)."
        ),
        draw=draw,
    )


# --- stylized facts ---------------------------------------------------------------------------
def check_stylized_facts(quick: bool = True) -> Check:
    days, period = (365, 30) if quick else (730, 30)
    seeds = range(1 if quick else 3)
    panels = []
    for seed in seeds:
        model = ProductionEconomy(rng=seed, **load_scenario("custom-niche").overrides)
        panel = stylized_facts.firm_panel(model, days, period)
        panels.append(panel.assign(firm=panel["firm"].astype(str) + f"-{seed}"))
    panel = pd.concat(panels, ignore_index=True)
    shop = stylized_facts.facts(panel, "workshop")
    rows = [
        direction(
            "workshop sizes: skewness (> 0: right-skewed)", 0.0, shop.size_skewness, "report"
        ),
        direction("workshop sizes: mean over median", 1.0, shop.size_mean_over_median, "report"),
        direction(
            "growth rates: excess kurtosis (normal 0, Laplace 3)",
            3.0,
            shop.growth_excess_kurtosis,
            "report",
        ),
        direction(
            "growth rates: log-likelihood, Laplace fit minus normal fit",
            0.0,
            shop.laplace_minus_normal_loglik,
            "report",
        ),
        direction(
            "entry and exit rates per period: correlation",
            0.0,
            shop.entry_exit_correlation,
            "report",
        ),
        direction(
            "workshops: peak count over final count",
            1.0,
            shop.peak_firms / max(shop.final_firms, 1),
            "report",
        ),
    ]
    return Check(
        "Industrial dynamics: stylized facts",
        f"the custom-niche preset (many workshops, entry and exit), seeds 0-{len(seeds) - 1}, "
        f"{days} days, each firm seen every {period} days; workshops pooled over seeds and "
        "periods",
        "real industries show right-skewed, fat-tailed firm sizes, tent-shaped (Laplace) growth "
        "rates (Bottazzi and Secchi 2003, 2006), entry and exit rates that move together "
        "(Dunne, Roberts and Samuelson 1988; Geroski 1995), and shakeouts (Klepper 1996)",
        rows,
        notes=facts_discussion(shop),
        draw=lambda fig: stylized_facts.draw(panel, fig),
        figsize=(10, 7),
    )


def facts_discussion(shop: stylized_facts.Facts) -> str:
    """What the panel shows against each fact, in words, and why the model falls short where it
    does."""

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    skewed = shop.size_skewness > 0 and shop.size_mean_over_median > 1
    tent = shop.laplace_minus_normal_loglik > 0
    together = shop.entry_exit_correlation > CLEAR_CORRELATION
    why_tent = (
        "a workshop's sales move in lumps, when it adds or drops a station or when an entrant "
        "opens or a neighbour leaves within its reach, much as Bottazzi and Secchi explain the "
        "tent by self-reinforcing wins from a common pool of opportunities"
        if tent
        else "sales are drawn from a steady demand split by a logit, which gives thin tails; "
        "Bottazzi and Secchi's tent needs self-reinforcing wins from a common pool of "
        "opportunities, which the model has only through stations and entry"
    )
    why_together = (
        "the same turnover of local markets pulls entrants in and pushes incumbents out"
        if together
        else "entry answers prices and unserved needs at once, while exit waits for a run of "
        "losses (`exit_loss_reviews` reviews), so exits follow entries with a lag instead of "
        "moving with them in the same period, as they do across real industries"
    )
    return (
        f"{shop.firms_seen} workshops seen, {shop.growth_count} growth rates; mean entry rate "
        f"{shop.mean_entry_rate:.3f} and exit rate {shop.mean_exit_rate:.3f} a period; with the "
        f"seeds' panels pooled, a peak of {shop.peak_firms} workshops on day {shop.peak_day} and "
        f"{shop.final_firms} at the end.\n\n"
        f"- Right-skewed sizes: {yes(skewed)}. Fat-tailed as real industries (Axtell's Zipf "
        "law): no, and it cannot be: a workshop's size is capped by its stations "
        "(`workshop_max_stations`) and its reach; the few factories are far larger (the "
        "figure's CCDF).\n"
        f"- Tent-shaped growth rates (the Laplace fits better than the normal): {yes(tent)} "
        f"(excess kurtosis {shop.growth_excess_kurtosis:.2f}; a Laplace has 3): {why_tent}.\n"
        f"- Entry and exit rates moving together (a correlation above {CLEAR_CORRELATION}): "
        f"{yes(together)} (correlation {shop.entry_exit_correlation:.2f}): {why_together}.\n"
        f"- A shakeout (the workshop count rises to a peak after the start, then falls by "
        f"{stylized_facts.SHAKEOUT_DROP:.0%} of it): {yes(shop.shakeout)}. Klepper's shakeouts "
        "come from innovation that favours early, large firms; the model's workshops share one "
        "technology path (printing progress) and "
        "learn one by one, so a fall in their numbers is a price or demand shock, not a shakeout "
        "in his sense."
    )


CHECKS = (check_contestability, check_price_war, check_capacity, check_stylized_facts)
