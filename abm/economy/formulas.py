"""Operations-management formulas used by the model, as small pure scalar functions.

Every function validates its arguments and raises ``ValueError`` naming the argument, its
value and the allowed range (e.g. ``holding_cost=-1 must be > 0``); a non-numeric argument
raises ``TypeError``. Only the standard library is used (``statistics.NormalDist`` for the
normal distribution).

Main sources:

* Harris (1913); Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed. (2019), ch. 3-4
  (EOQ, newsvendor); Nahmias & Olsen, *Production and Operations Analysis* (reorder point).
* Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*, 4th ed. (2017)
  (safety stock, reorder point).
* Monden, *Toyota Production System*; Stevenson, *Operations Management* (kanban count).
* Wright (1936) *J. Aeronautical Sciences* 3:122-128; Crawford unit form; Yelle (1979)
  *Decision Sciences* 10:302-328 (learning curves).
* Williams (1947) *Chemical Engineering* 54(12):124-125 (six-tenths rule).
* Shingo (1986) *Zero Quality Control: Source Inspection and the Poka-yoke System*.
* Chen, Drezner, Ryan & Simchi-Levi (2000) *Management Science* 46(3):436-443 (bullwhip).
* US BLS / OSHA incidence-rate definition (injury rates per 100 full-time workers).
"""

from __future__ import annotations

import math
import numbers
from statistics import NormalDist

import numpy as np

__all__ = [
    "DAYS_PER_YEAR",
    "capital_charge_per_day",
    "defect_probability",
    "demand_multiplier",
    "eoq",
    "eoq_annual_cost",
    "expected_undershoot",
    "feedstock_unit_price",
    "injuries_per_100_fte",
    "injury_rate_per_hour",
    "kanban_cards",
    "lead_time_demand_sd",
    "learning_exponent",
    "max_peak_to_mean",
    "newsvendor_base_stock",
    "per_million",
    "reorder_point",
    "safety_stock",
    "six_tenths_capital",
    "undershoot_variance",
    "unit_labour",
    "z_for_service_level",
]

DAYS_PER_YEAR = 365.0  # the model's calendar: yearly rates become daily ones by this
_STD_NORMAL = NormalDist()

# Relative tolerance used when rounding a float up to an integer count, so that float noise
# such as 20.000000000004 is not rounded up to 21.
_CEIL_REL_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _range_text(gt: float | None, ge: float | None, lt: float | None, le: float | None) -> str:
    """Human-readable allowed range, e.g. '> 0', '>= 0', 'in (0, 1)', 'in [0, 1]'."""
    low = gt if gt is not None else ge
    high = lt if lt is not None else le
    if low is not None and high is not None:
        left = "(" if gt is not None else "["
        right = ")" if lt is not None else "]"
        return f"in {left}{low:g}, {high:g}{right}"
    if gt is not None:
        return f"> {gt:g}"
    if ge is not None:
        return f">= {ge:g}"
    if lt is not None:
        return f"< {lt:g}"
    if le is not None:
        return f"<= {le:g}"
    return "a finite number"


def _real(
    name: str,
    value: object,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> float:
    """Check that ``value`` is a finite real number in the given range; return it as float."""
    if type(value) is not float and (
        isinstance(value, bool) or not isinstance(value, numbers.Real)
    ):
        raise TypeError(f"{name}={value!r} must be a real number")
    x = float(value)
    if not math.isfinite(x):
        allowed = _range_text(gt, ge, lt, le)
        extra = "" if allowed == "a finite number" else f" {allowed}"
        raise ValueError(f"{name}={value} must be a finite number{extra}")
    if (
        (gt is not None and not x > gt)
        or (ge is not None and not x >= ge)
        or (lt is not None and not x < lt)
        or (le is not None and not x <= le)
    ):
        raise ValueError(f"{name}={value} must be {_range_text(gt, ge, lt, le)}")
    return x


def _int(name: str, value: object, *, ge: int | None = None) -> int:
    """Check that ``value`` is an integer (not bool) and >= ``ge``; return it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} must be an integer")
    n = int(value)
    if ge is not None and n < ge:
        raise ValueError(f"{name}={value} must be >= {ge}")
    return n


def _probability(name: str, value: object) -> float:
    """Check that ``value`` is a probability / fraction in [0, 1]."""
    return _real(name, value, ge=0.0, le=1.0)


def _probabilities(name: str, value):
    """``value`` checked as a probability, or as an array of them (returned as it is)."""
    if not isinstance(value, np.ndarray):
        return _probability(name, value)
    if not np.all((value >= 0.0) & (value <= 1.0)):  # NaN fails too
        bad = value[~((value >= 0.0) & (value <= 1.0))][0]
        raise ValueError(f"{name}={bad} must be in [0, 1] (an array entry)")
    return value


# --------------------------------------------------------------------------------------------
# inventory: service level, EOQ, safety stock, reorder point, kanban, newsvendor
# --------------------------------------------------------------------------------------------


def z_for_service_level(service_level: float) -> float:
    """Safety factor z = Φ⁻¹(service_level) for a cycle (type-1) service level.

    Why: the probability of no stockout during a replenishment lead time is Φ(z) when
    lead-time demand is normal (Silver, Pyke & Thomas 2017, ch. 6).
    ``0 < service_level < 1``.
    """
    sl = _real("service_level", service_level, gt=0.0, lt=1.0)
    return _STD_NORMAL.inv_cdf(sl)


def eoq(setup_cost: float, annual_demand: float, holding_cost: float) -> float:
    """Economic order quantity Q* = sqrt(2·K·D / h) (Harris 1913; Snyder & Shen 2019, §3.2).

    Why: the lot size that balances annual ordering cost K·D/Q against holding cost h·Q/2.
    ``setup_cost`` K >= 0 per order, ``annual_demand`` D >= 0 per year (0 gives 0),
    ``holding_cost`` h > 0 per unit per year.
    """
    k = _real("setup_cost", setup_cost, ge=0.0)
    d = _real("annual_demand", annual_demand, ge=0.0)
    h = _real("holding_cost", holding_cost, gt=0.0)
    return math.sqrt(2.0 * k * d / h)


def eoq_annual_cost(setup_cost: float, annual_demand: float, holding_cost: float) -> float:
    """Annual ordering plus holding cost at the EOQ, g(Q*) = sqrt(2·K·D·h) (Snyder & Shen §3.2).

    Why: the minimum of K·D/Q + h·Q/2; purchase cost is excluded. Same ranges as :func:`eoq`.
    """
    k = _real("setup_cost", setup_cost, ge=0.0)
    d = _real("annual_demand", annual_demand, ge=0.0)
    h = _real("holding_cost", holding_cost, gt=0.0)
    return math.sqrt(2.0 * k * d * h)


def safety_stock(z: float, demand_sd_per_day: float, lead_time_days: float) -> float:
    """Safety stock z·σ_d·sqrt(L) for i.i.d. daily demand and a fixed lead time.

    Why: the standard deviation of demand over L days of independent demand is σ_d·sqrt(L)
    (Silver, Pyke & Thomas 2017, ch. 6). ``z`` any finite real (negative below 50% service),
    ``demand_sd_per_day`` >= 0, ``lead_time_days`` >= 0.
    """
    zz = _real("z", z)
    sd = _real("demand_sd_per_day", demand_sd_per_day, ge=0.0)
    lt = _real("lead_time_days", lead_time_days, ge=0.0)
    return zz * sd * math.sqrt(lt)


def lead_time_demand_sd(
    demand_per_day: float,
    demand_sd_per_day: float,
    lead_time_days: float,
    lead_time_sd_days: float = 0.0,
) -> float:
    """σ_LTD = sqrt(L·σ_d² + d²·σ_L²): spread of demand over a random lead time.

    Why: a late shipment exposes the store to extra days of demand, so lead-time variability
    needs safety stock of its own (Silver, Pyke & Thomas, ch. 6; supplychainpy docs).
    """
    d = _real("demand_per_day", demand_per_day, ge=0.0)
    sd = _real("demand_sd_per_day", demand_sd_per_day, ge=0.0)
    lt = _real("lead_time_days", lead_time_days, ge=0.0)
    sd_lt = _real("lead_time_sd_days", lead_time_sd_days, ge=0.0)
    return math.sqrt(lt * sd * sd + d * d * sd_lt * sd_lt)


def expected_undershoot(demand_per_day: float, demand_sd_per_day: float) -> float:
    """Mean amount by which a daily-reviewed inventory position falls below its reorder point.

    Why: with daily review, the position is seen only after the day's demand, so an order is
    placed from a position below r. For integer demand the stationary undershoot has mean
    (E[D²]/E[D] − 1)/2 = ((σ² + d²)/d − 1)/2 (renewal theory; Silver, Pyke & Thomas, 4th ed.,
    §6.9; Hadley & Whitin 1963). Adding it to r restores the cycle service level of continuous
    review. Zero when demand is zero.
    """
    d = _real("demand_per_day", demand_per_day, ge=0.0)
    sd = _real("demand_sd_per_day", demand_sd_per_day, ge=0.0)
    if d == 0.0:
        return 0.0
    return max(0.0, ((sd * sd + d * d) / d - 1.0) / 2.0)


def undershoot_variance(demand_per_day: float, demand_sd_per_day: float) -> float:
    """Variance of the undershoot of daily review below the reorder point.

    From renewal theory, E[U^k] follows from the moments of daily demand D:
    Var(U) = E[D³]/(3E[D]) − (E[D²]/(2E[D]))², with E[D³] = d³ + 3dσ² for near-normal demand
    (Silver, Pyke & Thomas, 4th ed., §6.9). It adds to the spread the safety stock must cover.
    """
    d = _real("demand_per_day", demand_per_day, ge=0.0)
    sd = _real("demand_sd_per_day", demand_sd_per_day, ge=0.0)
    if d == 0.0:
        return 0.0
    second = sd * sd + d * d
    third = d**3 + 3 * d * sd * sd
    return max(0.0, third / (3 * d) - (second / (2 * d)) ** 2)


def reorder_point(
    demand_per_day: float,
    demand_sd_per_day: float,
    lead_time_days: float,
    z: float,
    lead_time_sd_days: float = 0.0,
) -> float:
    """Reorder point r = d·L + z·σ_LTD: mean lead-time demand plus safety stock.

    With a fixed lead time σ_LTD = σ_d·sqrt(L). Why: ordering when the inventory position
    falls to r gives a stockout probability of 1 − Φ(z) per cycle (Nahmias & Olsen, ch. 5;
    Silver, Pyke & Thomas, ch. 6). ``demand_per_day``, ``demand_sd_per_day``,
    ``lead_time_days``, ``lead_time_sd_days`` >= 0; ``z`` real.
    """
    d = _real("demand_per_day", demand_per_day, ge=0.0)
    lt = _real("lead_time_days", lead_time_days, ge=0.0)
    z = _real("z", z)
    spread = lead_time_demand_sd(d, demand_sd_per_day, lt, lead_time_sd_days)
    return d * lt + z * spread


def kanban_cards(
    demand_per_day: float, lead_time_days: float, safety_factor: float, container_size: float
) -> int:
    """Number of kanban cards N = ceil(D·L·(1 + α) / C), at least 1 (Monden; Stevenson).

    Why: enough containers circulate to cover demand during the replenishment lead time plus
    a safety margin α. A relative tolerance of 1e-9 stops float noise (20.000000001) from
    rounding up to an extra card. ``demand_per_day`` >= 0, ``lead_time_days`` >= 0,
    ``safety_factor`` α >= 0, ``container_size`` C > 0.
    """
    d = _real("demand_per_day", demand_per_day, ge=0.0)
    lt = _real("lead_time_days", lead_time_days, ge=0.0)
    alpha = _real("safety_factor", safety_factor, ge=0.0)
    c = _real("container_size", container_size, gt=0.0)
    x = d * lt * (1.0 + alpha) / c
    nearest = round(x)
    if math.isclose(x, nearest, rel_tol=_CEIL_REL_TOL, abs_tol=1e-12):
        n = int(nearest)
    else:
        n = math.ceil(x)
    return max(1, n)


def _newsvendor_z(holding_cost: float, stockout_cost: float) -> float:
    """Critical-fractile z* = Φ⁻¹(p / (p + h)) after validating h > 0 and p > 0."""
    h = _real("holding_cost", holding_cost, gt=0.0)
    p = _real("stockout_cost", stockout_cost, gt=0.0)
    return _STD_NORMAL.inv_cdf(p / (p + h))


def newsvendor_base_stock(
    mean: float, sd: float, holding_cost: float, stockout_cost: float
) -> float:
    """Optimal normal newsvendor level S* = μ + σ·Φ⁻¹(p / (p + h)) (Snyder & Shen 2019, §4.3).

    Why: the critical fractile p/(p+h) balances the marginal overage cost h against the
    marginal underage cost p. ``mean`` real, ``sd`` >= 0, ``holding_cost`` h > 0,
    ``stockout_cost`` p > 0 (both per unit per period).
    """
    mu = _real("mean", mean)
    sigma = _real("sd", sd, ge=0.0)
    return mu + sigma * _newsvendor_z(holding_cost, stockout_cost)


# --------------------------------------------------------------------------------------------
# learning curve, six-tenths rule
# --------------------------------------------------------------------------------------------


def learning_exponent(progress_ratio: float) -> float:
    """Learning exponent b = −log2(PR) (Wright 1936; Yelle 1979).

    Why: each doubling of cumulative output multiplies unit labour by the progress ratio PR,
    so c_n = c_1·n^(−b). PR = 0.8 gives b ≈ 0.3219; PR = 1 means no learning.
    ``0 < progress_ratio <= 1``.
    """
    pr = _real("progress_ratio", progress_ratio, gt=0.0, le=1.0)
    return -math.log2(pr)


def unit_labour(first_unit_labour: float, cumulative_units: float, progress_ratio: float) -> float:
    """Labour for the n-th unit, c_n = c_1·n^(−b) (Crawford unit form of the learning curve).

    Why: labour per unit falls by the factor PR with every doubling of cumulative output
    (Yelle 1979). ``n`` is clipped below at 1 so the first unit (or no history) costs c_1.
    ``first_unit_labour`` >= 0, ``cumulative_units`` >= 0, ``0 < progress_ratio <= 1``.
    """
    c1 = _real("first_unit_labour", first_unit_labour, ge=0.0)
    n = max(1.0, _real("cumulative_units", cumulative_units, ge=0.0))
    b = learning_exponent(progress_ratio)
    return c1 * n ** (-b)


def six_tenths_capital(
    reference_capital: float, reference_scale: float, scale: float, exponent: float = 0.6
) -> float:
    """Capital cost scaled by capacity, C2 = C1·(S2/S1)^n (Williams 1947, "six-tenths rule").

    Why: plant capital grows less than proportionally with capacity (n ≈ 0.6), so doubling
    scale costs 2^0.6 ≈ 1.516 times as much, and ten small plants cost 10^0.4 ≈ 2.51 times
    one plant of the same total capacity. ``reference_capital`` >= 0, ``reference_scale`` > 0,
    ``scale`` >= 0, ``exponent`` > 0.
    """
    c1 = _real("reference_capital", reference_capital, ge=0.0)
    s1 = _real("reference_scale", reference_scale, gt=0.0)
    s2 = _real("scale", scale, ge=0.0)
    n = _real("exponent", exponent, gt=0.0)
    return c1 * (s2 / s1) ** n


# --------------------------------------------------------------------------------------------
# quality: Shingo's error -> defect -> escape chain
# --------------------------------------------------------------------------------------------


def defect_probability(error_probability, poka_yoke: float):
    """Probability an operation makes a defect, p_error·(1 − poka_yoke) (Shingo 1986).

    Why: Shingo separates errors (by people or machines) from defects; a poka-yoke device
    stops the fraction ``poka_yoke`` of errors from becoming defects. Both in [0, 1];
    ``error_probability`` may be an array (many producers at once).
    """
    pe = _probabilities("error_probability", error_probability)
    py = _probability("poka_yoke", poka_yoke)
    return pe * (1.0 - py)


# --------------------------------------------------------------------------------------------
# safety and quality rates
# --------------------------------------------------------------------------------------------


def injury_rate_per_hour(
    cases_per_100_fte_year: float, hours_per_fte_year: float = 2000.0
) -> float:
    """Convert an incidence rate per 100 full-time workers a year into cases per labour hour.

    Why: the BLS/OSHA incidence rate is N·200,000/hours, with 200,000 = 100 FTE × 2,000 h,
    so the hourly rate is cases / (100·hours_per_fte_year); 2.8 per 100 FTE -> 1.4e-5 per h.
    ``cases_per_100_fte_year`` >= 0, ``hours_per_fte_year`` > 0.
    """
    cases = _real("cases_per_100_fte_year", cases_per_100_fte_year, ge=0.0)
    hours = _real("hours_per_fte_year", hours_per_fte_year, gt=0.0)
    return cases / (100.0 * hours)


def injuries_per_100_fte(
    injuries: float, labour_hours: float, hours_per_fte_year: float = 2000.0
) -> float:
    """BLS/OSHA incidence rate, injuries·100·hours_per_fte_year / labour_hours.

    Why: the inverse of :func:`injury_rate_per_hour`, to report simulated injuries in the
    units of published statistics. Returns 0 when ``labour_hours`` is 0.
    ``injuries`` >= 0, ``labour_hours`` >= 0, ``hours_per_fte_year`` > 0.
    """
    n = _real("injuries", injuries, ge=0.0)
    lh = _real("labour_hours", labour_hours, ge=0.0)
    hours = _real("hours_per_fte_year", hours_per_fte_year, gt=0.0)
    if lh == 0.0:
        return 0.0
    return n * 100.0 * hours / lh


def per_million(count: float, units: float) -> float:
    """Rate per million, 1e6·count/units (ppm / DPMO as used in quality reporting).

    Why: defect and escape rates are conventionally quoted in parts per million.
    Returns 0 when ``units`` is 0. ``count`` >= 0, ``units`` >= 0.
    """
    c = _real("count", count, ge=0.0)
    u = _real("units", units, ge=0.0)
    if u == 0.0:
        return 0.0
    return 1e6 * c / u


# --------------------------------------------------------------------------------------------
# prices and capital costs
# --------------------------------------------------------------------------------------------


def feedstock_unit_price(
    lot_size: float, bulk_price: float, small_lot_premium: float, half_discount_lot: float
) -> float:
    """Unit price of feedstock falling with lot size: bulk·(1 + premium·q_half/(q_half + lot)).

    Why: a smooth stand-in for quantity-discount schedules (cf. all-units discounts in
    Nahmias & Olsen, ch. 4; a modelling choice, not a textbook formula). At lot -> 0 the full
    premium applies (price = bulk·(1 + premium)), at lot = q_half half of it, and the price
    tends to the bulk price for large lots. ``lot_size`` >= 0, ``bulk_price`` >= 0,
    ``small_lot_premium`` >= 0, ``half_discount_lot`` q_half > 0.
    """
    q = _real("lot_size", lot_size, ge=0.0)
    bulk = _real("bulk_price", bulk_price, ge=0.0)
    prem = _real("small_lot_premium", small_lot_premium, ge=0.0)
    q_half = _real("half_discount_lot", half_discount_lot, gt=0.0)
    return bulk * (1.0 + prem * q_half / (q_half + q))


def capital_charge_per_day(capital: float, life_years: float, interest_rate: float) -> float:
    """Daily capital charge, capital·(1/life + r)/365: straight-line depreciation plus interest.

    Why: turns an investment into a running cost so capital-heavy and labour-heavy designs
    compare per day (a simple approximation to the capital recovery factor, which it slightly
    overstates; cf. Peters, Timmerhaus & West, *Plant Design and Economics*, ch. 7-8).
    ``capital`` >= 0, ``life_years`` > 0, ``interest_rate`` r >= 0 per year.
    """
    k = _real("capital", capital, ge=0.0)
    life = _real("life_years", life_years, gt=0.0)
    r = _real("interest_rate", interest_rate, ge=0.0)
    return k * (1.0 / life + r) / DAYS_PER_YEAR


# --------------------------------------------------------------------------------------------
# demand pattern
# --------------------------------------------------------------------------------------------


def max_peak_to_mean(cycle_days: int, peak_days: int) -> float:
    """Largest valid peak-to-mean ratio for :func:`demand_multiplier`, cycle_days/peak_days.

    At this ratio all demand of the cycle falls on the peak days and the others get 0.
    ``cycle_days`` >= 2, ``1 <= peak_days < cycle_days``.
    """
    cycle = _int("cycle_days", cycle_days, ge=2)
    peak = _int("peak_days", peak_days, ge=1)
    if peak >= cycle:
        raise ValueError(f"peak_days={peak_days} must be < cycle_days={cycle_days}")
    return cycle / peak


def demand_multiplier(day: int, cycle_days: int, peak_days: int, peak_to_mean: float) -> float:
    """Block demand pattern with mean exactly 1 over each cycle.

    The first ``peak_days`` days of every cycle of ``cycle_days`` days get ``peak_to_mean``
    P; the remaining days get (cycle − peak·P)/(cycle − peak), so the cycle mean is 1.
    Example: cycle 5, peak 1, P = 4 gives 4 on the peak day and 0.25 on the others, i.e.
    "80% of the load in 20% of the days" (a Pareto-style modelling choice for lumpy demand).
    Why: lets the model vary demand variability without changing mean demand.
    ``day`` >= 0, ``cycle_days`` >= 1, ``0 <= peak_days < cycle_days``, ``peak_to_mean`` >= 1
    and ``peak_to_mean·peak_days <= cycle_days`` (see :func:`max_peak_to_mean`).
    """
    d = _int("day", day, ge=0)
    cycle = _int("cycle_days", cycle_days, ge=1)
    peak = _int("peak_days", peak_days, ge=0)
    if peak >= cycle:
        raise ValueError(f"peak_days={peak_days} must be < cycle_days={cycle_days}")
    ratio = _real("peak_to_mean", peak_to_mean, ge=1.0)
    # small relative tolerance so that peak_to_mean = max_peak_to_mean(...) is accepted
    if ratio * peak > cycle * (1.0 + 1e-12):
        raise ValueError(
            f"peak_to_mean={peak_to_mean} must be <= cycle_days/peak_days"
            f" = {cycle}/{peak} = {cycle / peak:g}"
        )
    if d % cycle < peak:
        return ratio
    return max(0.0, (cycle - peak * ratio) / (cycle - peak))
