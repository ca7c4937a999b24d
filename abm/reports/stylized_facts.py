"""Industrial dynamics: does the economy show the stylized facts of real industries?

Measured from outside the model, on a panel of firms: every `period` days each firm in business
is seen with its cumulative units delivered, so a firm's size in a period is the units it
delivered in it. From the panel:

- the firm-size distribution: right-skewed and fat-tailed in real industries (Axtell 2001;
  Dosi et al. 2010 reproduce it); shown as the complementary CDF on log-log axes;
- firm growth rates, log size in one period over the previous, centred on each period's mean:
  tent-shaped (Laplace, not normal) in real industries (Stanley et al. 1996; Bottazzi and Secchi
  2003, 2006): shown on a log density scale, where a Laplace is a tent and a normal a parabola,
  with the excess kurtosis and the log-likelihood of the two fits;
- entry and exit rates per period (entrants, and firms gone, over the firms at the start of the
  period) and their correlation: positive across industries and over time in real data
  (Dunne, Roberts and Samuelson 1988; Geroski 1995);
- a shakeout: a rise of the number of firms to a peak, then a fall of at least
  `SHAKEOUT_DROP` of the peak (Klepper 1996; Gort and Klepper 1982).

Nothing here is a pass or a fail: the report shows what the model does and says where it falls
short of a fact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from abm.economy.model import ProductionEconomy
from abm.economy.modes import MODES

SHAKEOUT_DROP = 0.3  # a fall of the firm count by at least this share of its peak


def firm_panel(model: ProductionEconomy, days: int, period: int) -> pd.DataFrame:
    """Run `model` for `days`, seeing every firm in business every `period` days (and on day
    0): rows of (day, firm, mode, delivered), `delivered` cumulative since the firm opened."""
    rows = []

    def look() -> None:
        for firm in model.firms():
            mode = MODES[firm.mode]
            rows.append((model.steps, firm.unique_id, mode, float(firm.delivered_count)))

    look()
    for _ in range(days // period):
        model.run_for(period)
        look()
    return pd.DataFrame(rows, columns=["day", "firm", "mode", "delivered"])


def sizes(panel: pd.DataFrame) -> pd.DataFrame:
    """Each firm's units delivered in each period it was in business from start to end
    (day, firm, mode, size); a firm's first sighting has no period before it."""
    panel = panel.sort_values(["firm", "day"])
    before = panel.groupby("firm")["delivered"].shift()
    out = panel.assign(size=panel["delivered"] - before).dropna(subset=["size"])
    return out[["day", "firm", "mode", "size"]]


def growth_rates(size_table: pd.DataFrame) -> pd.DataFrame:
    """Log growth of each firm's size from one period to the next, centred on the period's
    mean growth (firms with sales in both periods); columns day, firm, mode, growth."""
    table = size_table[size_table["size"] > 0].sort_values(["firm", "day"])
    log_size = np.log(table["size"])
    step = table.groupby("firm")["day"].diff()
    growth = log_size - log_size.groupby(table["firm"]).shift()
    period = step.dropna().min() if step.notna().any() else np.nan
    out = table.assign(growth=growth)[(step == period) & growth.notna()]
    out = out.assign(growth=out["growth"] - out.groupby("day")["growth"].transform("mean"))
    return out[["day", "firm", "mode", "growth"]]


def turnover(panel: pd.DataFrame) -> pd.DataFrame:
    """Per period: firms at its start, entrants (first seen at its end) and exits (seen at its
    start, not at its end), and the two rates over the firms at its start."""
    seen = panel.groupby("day")["firm"].apply(set)
    days = list(seen.index)
    rows = []
    for start, end in zip(days, days[1:], strict=False):
        before, after = seen[start], seen[end]
        n = len(before)
        entries, exits = len(after - before), len(before - after)
        rows.append(
            (end, n, entries, exits, entries / n if n else np.nan, exits / n if n else np.nan)
        )
    return pd.DataFrame(
        rows, columns=["day", "firms", "entries", "exits", "entry_rate", "exit_rate"]
    )


@dataclass(frozen=True)
class Facts:
    """What the panel shows, each against the stylized fact."""

    firms_seen: int
    size_skewness: float  # > 0: right-skewed
    size_mean_over_median: float  # > 1: right-skewed
    growth_count: int
    growth_excess_kurtosis: float  # 0 for a normal, 3 for a Laplace
    laplace_minus_normal_loglik: float  # > 0: the tent fits better than the parabola
    entry_exit_correlation: float  # > 0 in real industries
    mean_entry_rate: float
    mean_exit_rate: float
    peak_firms: int
    peak_day: int
    final_firms: int

    @property
    def shakeout(self) -> bool:
        return self.final_firms <= (1 - SHAKEOUT_DROP) * self.peak_firms and self.peak_day > 0


def facts(panel: pd.DataFrame, mode: str | None = None) -> Facts:
    """The stylized-fact statistics of one panel, pooled over its periods, for the firms of
    one `mode` or of both (sizes of the two modes differ by orders of magnitude: pooled, the
    skewness measures the mix)."""
    if mode is not None:
        panel = panel[panel["mode"] == mode]
    size_table = sizes(panel)
    positive = size_table.loc[size_table["size"] > 0, "size"].to_numpy()
    growth = growth_rates(size_table)["growth"].to_numpy()
    flows = turnover(panel)
    counts = panel.groupby("day")["firm"].nunique()
    laplace = stats.laplace.logpdf(growth, *stats.laplace.fit(growth)).sum()
    normal = stats.norm.logpdf(growth, *stats.norm.fit(growth)).sum()
    both = flows[["entry_rate", "exit_rate"]].dropna()
    correlation = np.nan
    if len(both) > 2 and both.std().gt(0).all():
        correlation = float(both["entry_rate"].corr(both["exit_rate"]))
    return Facts(
        firms_seen=int(panel["firm"].nunique()),
        size_skewness=float(stats.skew(positive)),
        size_mean_over_median=float(positive.mean() / np.median(positive)),
        growth_count=len(growth),
        growth_excess_kurtosis=float(stats.kurtosis(growth)),
        laplace_minus_normal_loglik=float(laplace - normal),
        entry_exit_correlation=correlation,
        mean_entry_rate=float(flows["entry_rate"].mean()),
        mean_exit_rate=float(flows["exit_rate"].mean()),
        peak_firms=int(counts.max()),
        peak_day=int(counts.idxmax()),
        final_firms=int(counts.iloc[-1]),
    )


def draw(panel: pd.DataFrame, fig) -> None:
    """Four panels on `fig`: size CCDF (log-log), growth-rate density (log scale) with the
    Laplace and normal fits, entry and exit rates per period, and the number of firms by mode."""
    from abm.style import MODE_COLOURS

    size_table = sizes(panel)
    growth = growth_rates(size_table)
    flows = turnover(panel)
    (ax_size, ax_growth), (ax_flow, ax_count) = fig.subplots(2, 2)
    for mode in MODES:
        s = np.sort(size_table.loc[(size_table["mode"] == mode) & (size_table["size"] > 0), "size"])
        if len(s):
            ax_size.loglog(
                s, 1 - np.arange(len(s)) / len(s), ".", ms=3, label=mode, color=MODE_COLOURS[mode]
            )
    ax_size.set_xlabel("units delivered in a period")
    ax_size.set_ylabel("share of firm-periods at least this large")
    ax_size.set_title("Firm sizes (CCDF)")
    ax_size.legend()
    g = growth["growth"].to_numpy()
    if len(g) > 1:
        bins = np.linspace(g.min(), g.max(), 41)
        density, edges = np.histogram(g, bins=bins, density=True)
        mids = (edges[:-1] + edges[1:]) / 2
        shown = density > 0
        ax_growth.semilogy(mids[shown], density[shown], "o", ms=3, color="k", label="model")
        ax_growth.semilogy(
            mids, stats.laplace.pdf(mids, *stats.laplace.fit(g)), "-", label="Laplace fit"
        )
        ax_growth.semilogy(mids, stats.norm.pdf(mids, *stats.norm.fit(g)), "--", label="normal fit")
        ax_growth.legend()
    ax_growth.set_xlabel("log growth rate, centred")
    ax_growth.set_title("Firm growth rates")
    ax_flow.plot(flows["day"], flows["entry_rate"], label="entry rate")
    ax_flow.plot(flows["day"], flows["exit_rate"], label="exit rate")
    ax_flow.set_xlabel("day")
    ax_flow.set_title("Entry and exit per period")
    ax_flow.legend()
    counts = panel.groupby(["day", "mode"])["firm"].nunique().unstack(fill_value=0)
    for mode in counts.columns:
        ax_count.plot(counts.index, counts[mode], label=mode, color=MODE_COLOURS[mode])
    ax_count.set_xlabel("day")
    ax_count.set_title("Firms in business")
    ax_count.legend()
