"""The parameter schema: every number the model uses, with unit, range, meaning and source.

One table, validated in one place. Sources refer to ../shared/CALIBRATION.md (and docs/ODD.md):
[S] seen in the named source, [R] standard literature recalled, [E] an estimate or modelling
choice that belongs in a sensitivity sweep.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from abm.economy.formulas import max_peak_to_mean
from abm.economy.pricing import PRICING_RULES

REPLENISHMENT_POLICIES = ("rq", "kanban", "order_up_to", "push")
WORKSHOP_GROWTH_RULES = ("stations", "fixed")
CAPACITY_RULES = ("target_utilization", "fixed")
ENTRY_RULES = ("expected_return", "legacy")
TASTE_SHOCKS = ("per_need", "daily")


class ParameterError(ValueError):
    """A parameter name or value outside the schema."""


@dataclass(frozen=True)
class Param:
    """One model parameter: its default, unit, allowed range, meaning and source."""

    name: str
    default: Any
    unit: str
    low: float | None
    high: float | None
    meaning: str
    source: str
    choices: tuple[str, ...] | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def range_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        return f"[{_fmt(self.low)}, {_fmt(self.high)}]"

    def check(self, value: Any) -> Any:
        """Return the value coerced to the parameter's type, or raise ParameterError."""
        if self.choices:
            if value not in self.choices:
                raise ParameterError(
                    f"{self.name}={value!r} is not allowed: must be {self.range_text()}"
                )
            return value
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ParameterError(f"{self.name}={value!r} must be true or false")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"{self.name}={value!r} is not a number: must be in {self.range_text()} {self.unit}"
            ) from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise ParameterError(
                f"{self.name}={value!r} must be a finite number in {self.range_text()} {self.unit}"
            )
        if self.kind is int:
            if number != int(number):
                raise ParameterError(
                    f"{self.name}={value!r} must be a whole number in {self.range_text()}"
                )
            number = int(number)
        if not (self.low <= number <= self.high):
            raise ParameterError(
                f"{self.name}={value!r} is out of range: allowed {self.range_text()} {self.unit}"
            )
        return number


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


P = Param
# fmt: off
_PARAMS: tuple[Param, ...] = (
    # --- population and map -------------------------------------------------------------
    P("n_consumers", 2000, "households", 10, 1_000_000, "number of households (consumers)", "[E] sized for a fast baseline"),
    P("n_factories", 3, "firms", 0, 200, "central factories at the start", "[E]"),
    P("stores_per_factory", 3, "stores", 1, 50, "retail stores owned by each factory", "[E]"),
    P("n_workshops", 100, "firms", 0, 100_000, "home workshops at the start", "[E] ~5% of households"),
    P("grid_width", 50, "cells", 5, 2000, "width of the map", "[E]"),
    P("grid_height", 50, "cells", 5, 2000, "height of the map", "[E]"),
    # --- demand ----------------------------------------------------------------------------
    P("need_rate", 0.1, "needs/household/day", 0.0, 1.0, "mean daily probability that a household needs one more unit", "[E]"),
    P("demand_cycle_days", 7, "days", 2, 365, "length of the demand cycle (a week by default)", "[E] weekly shopping cycle"),
    P("demand_peak_days", 1, "days", 1, 364, "peak days at the start of each demand cycle", "[E]"),
    P("peak_to_mean", 1.5, "ratio", 1.0, 50.0, "need arrival rate on peak days over the mean rate", "[S] electricity 1.52-1.78 (EIA); [E] for goods"),
    P("custom_share", 0.1, "share", 0.0, 1.0, "probability that a need is for a custom (non-standard) good", "[E]"),
    P("need_patience_days", 14, "days", 1, 365, "days a household keeps trying before the need is abandoned (unmet demand)", "[E]"),
    P("good_value", 80.0, "$", 0.0, 1_000_000.0, "value to a household of its first unit of the good", "[E]"),
    P("marginal_utility_decay", 0.9, "ratio", 0.0, 1.0, "value of each further unit held relative to the previous one", "[E] diminishing marginal utility"),
    P("good_lifetime_days", 90.0, "days", 1.0, 36500.0, "mean days a unit is held before it wears out", "[E]"),
    # --- preferences and choice ----------------------------------------------------------
    P("logit_scale", 6.0, "$", 0.01, 10000.0, "logit noise scale: perceived-cost difference that changes choice odds by e", "[E]"),
    P("preference_dispersion", 0.3, "log-sd", 0.0, 2.0, "lognormal spread of households' sensitivities around their means", "[E]"),
    P("defect_hassle_cost", 30.0, "$", 0.0, 100_000.0, "cost to a household of receiving a defective unit, beyond its price", "[E]"),
    P("impatience_per_day", 1.5, "$/day", 0.0, 10000.0, "mean cost to a household of each day of waiting", "[E]"),
    P("custom_mismatch_cost", 20.0, "$", 0.0, 100_000.0, "cost of meeting a custom need with a standard good", "[E]"),
    P("store_reach", 40.0, "cells", 0.0, 5000.0, "distance households travel to a store", "[E]"),
    P("workshop_reach", 10.0, "cells", 0.0, 5000.0, "distance within which a workshop serves households", "[E] local production"),
    # --- quality memory and word of mouth ------------------------------------------------
    P("memory_learning_rate", 0.3, "share", 0.0, 1.0, "weight of the newest own experience in a household's quality memory", "[E]"),
    P("word_of_mouth_rate", 0.05, "share/day", 0.0, 1.0, "daily pull of a household's memory toward its neighbourhood's mean", "[E]"),
    P("neighbourhood_cells", 5, "cells", 1, 2000, "side of the square neighbourhood that shares opinions", "[E]"),
    P("own_experience_weight", 0.5, "share", 0.0, 1.0, "weight of own/neighbour memory against a supplier's public return record", "[E]"),
    P("prior_defect_belief", 0.02, "probability", 0.0, 1.0, "defect probability households expect before any experience", "[E] same for both modes"),
    P("prior_weight_units", 50.0, "units", 0.0, 1_000_000.0, "pseudo-units behind the prior in a supplier's public record", "[E]"),
    # --- household budgets ----------------------------------------------------------------
    P("base_income_per_day", 40.0, "$/day", 0.0, 100_000.0, "income every household receives from outside the model", "[E]"),
    P("wage_per_hour", 30.0, "$/h", 0.0, 10000.0, "wage a factory pays per hour", "[R] US manufacturing average hourly earnings ~$30-34"),
    P("hours_per_day", 8.0, "h/day", 1.0, 24.0, "working hours of a factory worker per day", "[R]"),
    P("initial_savings", 600.0, "$", 0.0, 100_000_000.0, "mean household savings at the start (lognormal)", "[E]"),
    P("savings_dispersion", 0.5, "log-sd", 0.0, 3.0, "lognormal spread of households' starting savings around their mean", "[E]"),
    P("other_spending_rate", 0.02, "1/day", 0.0, 1.0, "share of savings spent each day on goods outside the model", "[E] keeps savings bounded"),
    # --- factories ------------------------------------------------------------------------
    P("factory_capacity", 80.0, "units/day", 1.0, 10_000_000.0, "machine capacity of a central factory", "[E]"),
    P("firm_size_dispersion", 0.3, "log-sd", 0.0, 2.0, "lognormal spread of the first factories' capacities (and cash) around factory_capacity", "[E] firm sizes are right-skewed (Dosi et al. 2010)"),
    P("factory_reference_capital", 1_500_000.0, "$", 0.0, 1_000_000_000_000.0, "capital of a factory of reference_capacity", "[E] scaled by the six-tenths rule"),
    P("reference_capacity", 100.0, "units/day", 1.0, 10_000_000.0, "capacity at which factory_reference_capital applies", "[E]"),
    P("capital_scale_exponent", 0.6, "exponent", 0.1, 1.5, "six-tenths rule exponent for factory capital", "[S] Williams 1947; TEA handbook 0.6-0.8"),
    P("factory_capital_life_years", 10.0, "years", 0.1, 100.0, "depreciation life of factory capital", "[E]"),
    P("interest_rate", 0.05, "1/year", 0.0, 1.0, "cost of capital", "[E]"),
    P("factory_overhead_per_day", 400.0, "$/day", 0.0, 1_000_000_000.0, "fixed overhead of a factory with its stores", "[E]"),
    P("factory_initial_cash", 150_000.0, "$", 0.0, 1_000_000_000_000.0, "working capital of a factory at the start or on entry", "[E]"),
    P("factory_labour_hours", 0.5, "h/unit", 0.001, 1000.0, "factory labour per unit at its initial experience", "[E]"),
    P("factory_initial_experience", 100_000.0, "units", 1.0, 1_000_000_000_000.0, "cumulative output behind factory_labour_hours", "[E]"),
    P("progress_ratio", 0.8, "ratio", 0.5, 1.0, "factory learning: unit labour multiplier per doubling of output", "[S] McNerney et al. 2011; range 0.7-0.9"),
    P("error_probability", 0.035, "probability", 0.0, 1.0, "chance that making a unit in a factory goes wrong (Shingo's error)", "[S] Arakawa Auto Body 3.5% before poka-yoke"),
    P("poka_yoke", 0.9, "share", 0.0, 1.0, "share of factory errors that mistake-proofing prevents", "[E] 90-99% of human-error defects (CALIBRATION)"),
    P("inspection", 0.8, "share", 0.0, 1.0, "share of factory defects caught by end-of-line inspection", "[E]"),
    P("injury_rate", 2.8, "cases/100 FTE/yr", 0.0, 100.0, "factory injury rate", "[S] BLS SOII 2023, US manufacturing"),
    P("injury_lost_days", 8, "days", 0, 365, "working days missed per injury, after the day of the injury", "[R] BLS median days away from work"),
    P("injury_medical_cost", 3000.0, "$", 0.0, 10_000_000.0, "medical cost of an injury, paid outside the model", "[E]"),
    P("sick_pay_share", 0.66, "share", 0.0, 1.0, "share of wage a factory pays an injured worker", "[R] workers' compensation ~2/3 of wages"),
    P("factory_scrap_share", 0.014, "share", 0.0, 0.99, "material scrapped per factory unit (share of its feedstock)", "[S] FMA: scrap+rework 1.4% of sales"),
    P("price_markup", 0.2, "share", 0.0, 10.0, "markup over normal full unit cost of every new firm (every firm's, for good, under pricing_rule=fixed_markup)", "[E]; the K+S benchmark opens at 0.3 (marcov64/Lsd K+S-original, mu20)"),
    P("price_floor", 0.01, "$/unit", 0.0, 1_000_000.0, "lowest price a workshop asks, however large its subsidy", "[E] one cent"),
    P("normal_utilization", 0.8, "share", 0.05, 1.0, "utilization at which fixed costs are spread in prices, and factories' target utilization when they size capacity", "[S] Fed G.17: US manufacturing averaged 79.6% in 1972-2008 (release of 16 Sep 2009, PRODUCTS.md 1.3); 0.8 rounds it"),
    P("feedstock_per_unit", 1.0, "kg/unit", 0.0, 10000.0, "feedstock in one good unit", "[E]"),
    # --- feedstock and shipping --------------------------------------------------------------
    P("feedstock_bulk_price", 2.5, "$/kg", 0.0, 1_000_000.0, "feedstock price in bulk lots", "[E] plastic pellets"),
    P("feedstock_small_lot_premium", 6.0, "ratio", 0.0, 1000.0, "extra price for the smallest lots, over bulk", "[E] filament spools vs pellets"),
    P("feedstock_half_discount_lot", 100.0, "kg", 0.001, 1_000_000_000.0, "lot size at which half the small-lot premium is gone", "[E]"),
    P("feedstock_lead_time", 3, "days", 0, 365, "days from a feedstock order to its arrival", "[E]"),
    P("feedstock_extra_cover_days", 2, "days", 0, 365, "feedstock cover a producer keeps beyond the supplier's lead time (the review day and one spare)", "[E]"),
    P("factory_feedstock_days", 30.0, "days", 1.0, 365.0, "days of use a factory buys per feedstock lot", "[E]"),
    P("workshop_feedstock_lot", 5.0, "kg", 0.1, 1_000_000.0, "feedstock a workshop buys per lot", "[E] a few spools"),
    P("shipping_lead_time", 3, "days", 0, 365, "days to ship a lot from factory to store, plus distance", "[S] trucking/express 2-10 d; ocean 40-60 d door to door"),
    P("shipping_days_per_cell", 0.05, "days/cell", 0.0, 10.0, "extra shipping days per cell of distance", "[E]"),
    P("shipping_time_cv", 0.2, "cv", 0.0, 2.0, "coefficient of variation of each shipment's transit time", "[S] ocean 28-40 d port to port, 40-60+ d door to door: +-20%"),
    P("shipping_cost_per_unit", 1.0, "$/unit", 0.0, 100_000.0, "cost of shipping one unit factory to store", "[E]"),
    P("return_handling_cost", 5.0, "$/unit", 0.0, 100_000.0, "cost to the producer of handling a returned unit", "[E]"),
    P("disposal_fee", 0.2, "$/kg", 0.0, 100_000.0, "cost of disposing of scrapped material", "[E]"),
    # --- stores and replenishment ----------------------------------------------------------
    P("replenishment_policy", "rq", "", None, None, "how stores reorder: (r,Q) with EOQ, kanban cards, order-up-to, or push", "MODEL.md", REPLENISHMENT_POLICIES),
    P("order_cost", 50.0, "$/order", 0.0, 10_000_000.0, "fixed cost K of one store order (setup and handling)", "[E]"),
    P("holding_cost_rate", 0.25, "1/year", 0.0, 10.0, "inventory carrying cost per year (capital, storage, obsolescence) as a share of unit cost, in stock and in transit", "[R] 20-30% typical"),
    P("service_level", 0.95, "probability", 0.5, 0.9999, "cycle service level behind safety stock", "[R] z=1.645"),
    P("kanban_safety_factor", 0.15, "share", 0.0, 2.0, "kanban safety factor alpha", "[S] 0.05-0.30 (kanban sizing)"),
    P("kanban_cards", 0, "cards", 0, 100_000, "fixed number of kanban cards per store; 0 sizes them by N = ceil(D L (1+alpha) / C)", "MODEL.md"),
    P("kanban_container", 20.0, "units", 1.0, 1_000_000.0, "units per kanban card (container size C)", "[E]"),
    P("forecast_window", 14, "days", 1, 365, "moving-average window p of store demand forecasts (safety stock uses the sd over demand_sd_days)", "[E]"),
    P("demand_sd_days", 28, "days", 1, 365, "days of store demand behind the standard deviation that sizes safety stock", "[E] a p-day window is too short"),
    P("policy_review_days", 28, "days", 1, 365, "days between re-sizing lot, reorder point and cards, and between staffing reviews", "[E]"),
    P("backlog_clearance_days", 28, "days", 1, 365, "days over which a factory's staffing plans to work off its order backlog", "[E]"),
    P("push_plan_days", 7, "days", 1, 90, "planning period of make-to-forecast (push) production", "[E]"),
    P("lead_time_smoothing", 0.2, "share", 0.0, 1.0, "weight of the latest observation in a store's lead-time and fill-rate estimates", "[E] exponential smoothing"),
    P("initial_stock_days", 7.0, "days", 0.0, 365.0, "days of expected demand a store holds at the start, beyond its lead time", "[E]"),
    # --- home workshops ----------------------------------------------------------------------
    P("workshop_capital", 2500.0, "$", 0.0, 1_000_000_000.0, "tools and a 3D printer: capital of one workshop", "[E] Pearce group: desktop printers ~$500-2,500"),
    P("workshop_capital_life_years", 3.0, "years", 0.1, 100.0, "depreciation life of workshop capital", "[E]"),
    P("workshop_wage_per_hour", 30.0, "$/h", 0.0, 10000.0, "what a workshop owner pays herself per hour worked", "[E] the factory wage: her time's market value"),
    P("workshop_overhead_per_day", 3.0, "$/day", 0.0, 1_000_000.0, "fixed costs of a workshop (space, power)", "[E]"),
    P("workshop_initial_cash", 1000.0, "$", 0.0, 1_000_000_000.0, "working capital of a new workshop", "[E]"),
    P("workshop_hours_per_day", 4.0, "h/day", 0.1, 24.0, "hours a household puts into its workshop per day", "[E] part-time"),
    P("workshop_labour_hours", 1.25, "h/unit", 0.001, 1000.0, "workshop labour per unit at its initial experience", "[E] anchored on Wittbrodt et al. 2013 (~25 printer hours a year for 20 items; hands-on time is less)"),
    P("workshop_initial_experience", 100.0, "units", 1.0, 1_000_000_000.0, "cumulative output behind workshop_labour_hours", "[E]"),
    P("workshop_progress_ratio", 0.85, "ratio", 0.5, 1.0, "workshop learning per doubling of its own output", "[E]"),
    P("printing_progress", 0.05, "1/year", 0.0, 0.9, "yearly fall of workshop labour and waste, and of the excess of workshop error and injury rates over the factory's, from 3D-printing technology", "[E] Wright's law across technologies (Nagy 2013)"),
    P("workshop_defect_multiplier", 3.0, "ratio", 0.0, 28.0, "workshop error probability over the factory's", "[E] novice FDM failures 41% (Song & Telenko 2019)"),
    P("workshop_poka_yoke", 0.0, "share", 0.0, 1.0, "share of workshop errors that mistake-proofing prevents", "[E]"),
    P("workshop_inspection", 0.7, "share", 0.0, 1.0, "share of workshop defects the maker catches before delivery", "[E]"),
    P("workshop_injury_multiplier", 1.5, "ratio", 0.0, 50.0, "workshop injury rate per hour over the factory's", "[E] 1.0-2.0 (CALIBRATION)"),
    P("workshop_waste_share", 0.12, "share", 0.0, 0.99, "material scrapped per workshop unit (supports, purge, failures)", "[E] 5-20% FDM; <3% print farms"),
    P("workshop_local_delivery_days", 1, "days", 0, 60, "days from a finished workshop unit to the household", "[E]"),
    P("workshop_subsidy_per_unit", 0.0, "$/unit", 0.0, 100_000.0, "subsidy paid to a workshop per unit delivered", "[E]"),
    P("subsidy_sunset_day", 10_000, "day", 0, 1_000_000, "day on which the workshop subsidy ends", "[E]"),
    # --- exit and entry ----------------------------------------------------------------------
    P("bankruptcy_days", 30, "days", 1, 3650, "consecutive days of negative cash before a firm goes bankrupt", "[E]"),
    # --- pricing: markups that follow market share (abm.economy.pricing) ---------------------
    P("pricing_rule", "market_share", "", None, None, "how producers set their markups: market_share (each markup follows the firm's market share at every review, Dosi et al. 2010) or fixed_markup (every markup stays price_markup, as in 0.3.1)", "[S] Dosi, Fagiolo & Roventini 2010, JEDC 34 (K+S model)", PRICING_RULES),
    P("markup_sensitivity", 0.04, "1/review", 0.0, 1.0, "v: relative change of a firm's markup per relative change of its market share, at each review", "[S] upsilon = 0.04 in the K+S benchmark (marcov64/Lsd, Example/SantAnna/K+S-original/Benchmark.lsd); v = 0.01 in Dosi et al. 2013 (jasmineRepo/MacroABM Parameters.java)"),
    P("markup_min", 0.0, "share", 0.0, 10.0, "lowest markup over normal full unit cost a firm sets", "[E] K+S has no bounds (its multiplicative rule keeps markups above zero)"),
    P("markup_max", 1.0, "share", 0.0, 10.0, "highest markup over normal full unit cost a firm sets", "[E] K+S has no bounds"),
    P("markup_share_growth_cap", 1.0, "ratio", 0.0, 100.0, "largest relative rise of a firm's market share a review counts (1: a doubling); a firm that sold nothing in the window before and sells now counts this much", "[E] later K+S versions bound abnormal markup changes too (mLim, marcov64/Lsd)"),
    P("markup_review_days", 91, "days", 1, 3650, "days between markup reviews, and the window over which each firm's market share is measured", "[R] a K+S period is a quarter; the median euro-area firm reviews its price about 1-3 times a year (Fabiani et al. 2006)"),
    # --- workshop growth: stations and hired helpers (abm/economy/shop_growth.py) -------------------
    P("workshop_growth_rule", "stations", "", None, None, "how workshops grow: add and drop stations (a machine and a hired helper each) by their order backlog and utilization, or stay one-person shops (fixed: version 0.3.1)", "[E] issue 13; fixed reproduces 0.3.1", WORKSHOP_GROWTH_RULES),
    P("workshop_max_stations", 5, "stations", 1, 100, "most stations a workshop runs: the owner's and up to max - 1 hired helpers'", "[S] Census SUSB 2019 (CRS report on small business size standards): 61.6% of US employer firms have 0-4 employees; [E] owner + 4 helpers"),
    P("workshop_growth_review_days", 28, "days", 1, 365, "days between workshops' reviews of their stations (the window the review looks back over)", "[E] as policy_review_days: a month"),
    P("workshop_growth_queue_days", 5.0, "days", 0.0, 365.0, "mean order backlog over the window, in days of the stations' capacity, above which a workshop adds a station", "[E] a working week; local custom makers deliver in 2-4 weeks (Opendesk, PRODUCTS.md 4.2)"),
    P("workshop_shrink_utilization", 0.4, "share", 0.0, 1.0, "utilization of its stations over the window below which a workshop drops one", "[E] below custom moulders' slump-year 47% (Plastics Technology surveys, PRODUCTS.md 1.3)"),
    P("workshop_station_setup_cost", 500.0, "$", 0.0, 1_000_000_000.0, "one-off cost of a new station (installing the machine, hiring and training its helper), paid from the workshop's cash, which must cover it", "[E] a fifth of workshop_capital, like an equipment loan's down payment"),
    P("workshop_helper_wage_per_hour", 30.0, "$/h", 0.0, 10000.0, "what a workshop pays a hired helper per hour worked", "[E] the factory wage: helpers come from the same households; BLS OEWS May 2022, production workers n.e.c. (51-9199): median $17.06/h, mean $18.68/h [S], for a low-wage sweep"),
    # --- capacity investment (factories) ------------------------------------------------------
    P("capacity_rule", "target_utilization", "", None, None, "how factories size capacity: toward expected demand at normal_utilization in lumpy modules, or fixed for life (0.3)", "MODEL.md (model 1.0); fixed = 0.3.1", CAPACITY_RULES),
    P("capacity_review_days", 30, "days", 1, 3650, "days between a factory's reviews of its capacity against its stores' demand forecasts", "[R] monthly sales and operations planning cycle (rough-cut capacity planning)"),
    P("capacity_module", 10.0, "units/day", 0.1, 10_000_000.0, "capacity of one module (a production line or cell) a factory adds or retires", "[R] a line is 1/10-1/4 of a plant (PRODUCTS.md: 10-line sneaker plant, SMT site of ~4 lines); 1/8 of factory_capacity [E]"),
    P("capacity_band", 0.1, "share", 0.0, 10.0, "gap between desired and planned capacity, as a share of capacity, within which a factory neither adds nor retires modules", "[E] inaction band of costly reversibility (Abel & Eberly 1994)"),
    P("capacity_retire_max", 1, "modules", 1, 10_000, "most modules a factory retires at one review: capacity that stays idle goes a module at a time", "[E] winding down and selling plant takes years (Ramey & Shapiro 2001)"),
    P("capacity_salvage_share", 0.3, "share", 0.0, 1.0, "share of a retired module's capital its sale recovers (the rest of its loan is paid off over the capital's life)", "[S] Ramey & Shapiro 2001: capital leaving its sector sold for about a third of replacement cost"),
    P("construction_days", 120, "days", 0, 3650, "days from ordering a module to its coming on line", "[S] Engel 2017: 12-16 weeks to deliver small moulding machines (8-9 months large); plus 1-4 weeks start-up (Montrose Molders); a whole new plant ~2 years (Koeva 2000, IMF WP/00/138)"),
    P("workshop_entry_rate", 0.002, "1/household/day", 0.0, 1.0, "daily chance that a household considers opening a workshop (under expected_return: the base rate of its entry chance)", "[E]"),
    P("imitation_window_days", 30, "days", 1, 3650, "days of a workshop's net cash flow behind the recent return would-be imitators see (legacy) and behind its trailing cash flow at exit reviews", "[E]"),
    P("workshop_hurdle_return", 0.15, "1/year", -1.0, 100.0, "hurdle rate of workshop entry: the yearly return on capital an entrant expects (legacy: neighbours' workshops show) must clear", "[E]"),
    P("factory_entry_review_days", 30, "days", 1, 3650, "days between investors' reviews of where to build a factory", "[E]"),
    P("factory_hurdle_rate", 0.1, "1/year", -1.0, 100.0, "hurdle rate of factory entry: the yearly return on capital a new factory must promise", "[E]"),
    P("factory_entry_min_demand", 0.3, "share", 0.0, 10.0, "unmet demand, as a share of one factory's capacity, that draws investors (legacy rule only)", "[E]"),
    # --- entry and exit on expected return ----------------------------------------------------
    P("entry_rule", "expected_return", "", None, None, "how firms enter: on the expected return at a site over the hurdle (expected_return), or version 0.3.1's rules (legacy: workshops imitate profitable neighbours, factories follow unmet needs; no voluntary exit)", "[E] issue 13; legacy reproduces 0.3.1", ENTRY_RULES),
    P("entry_return_scale", 0.25, "1/year", 0.001, 100.0, "excess of the expected yearly return over the hurdle at which the entry chance reaches 1 - 1/e (63%) of its base rate", "[E] entry rises with expected excess profit (Orr 1974; Geroski 1995)"),
    P("entry_factory_sites", 3, "plans", 1, 100, "candidate plans (each a set of store sites) investors compare at each factory entry review", "[E]"),
    P("entry_factory_rate", 0.5, "1/review", 0.0, 1.0, "chance per review that investors build the best plan when its return is far above the hurdle (the entry chance's base rate)", "[E]"),
    P("entry_demand_memory_days", 30, "days", 1, 3650, "days behind each household's smoothed rates of needs opened and given up, the demand entrants see", "[E] as imitation_window_days"),
    P("exit_review_days", 30, "days", 1, 3650, "days between reviews of each firm's trailing net cash flow, at which a firm long in loss closes (voluntary exit)", "[E] a month of books"),
    P("exit_loss_reviews", 3, "reviews", 1, 1000, "consecutive reviews with negative trailing net cash flow after which a firm closes voluntarily", "[E] a quarter of losses"),
    # --- taste shocks and the choice ------------------------------------------------------------
    P("taste_shocks", "per_need", "", None, None, "when a need's logit taste shocks are drawn: once when it arrives, kept while it waits, and no purchase above willingness to pay plus the taste for the offer (per_need); or afresh on every day it shops (daily, version 0.3.1)", "[R] Train 2009, Discrete Choice Methods with Simulation, ch. 3: the error is the decision maker's own unobserved utility in a choice situation", TASTE_SHOCKS),
    # --- verdict -------------------------------------------------------------------------------
    P("survival_share", 0.05, "share", 0.0, 1.0, "market share a mode needs at the end to count as surviving", "[E]"),
    P("verdict_window", 30, "days", 1, 3650, "days over which shares are averaged for the verdict", "[E]"),
)
# fmt: on

PARAMETERS: dict[str, Param] = {p.name: p for p in _PARAMS}

# The rules of version 0.3 (a fixed markup, one-way entry, capacity for life, one-person
# workshops, taste shocks drawn afresh each day): each new rule's legacy setting; together they
# reproduce 0.3.1's runs.
RULES_0_3: dict[str, str] = {
    "pricing_rule": "fixed_markup",
    "entry_rule": "legacy",
    "capacity_rule": "fixed",
    "workshop_growth_rule": "fixed",
    "taste_shocks": "daily",
}
DEFAULTS: dict[str, Any] = {p.name: p.default for p in _PARAMS}


def unknown_name_error(name: str, where: str = "") -> ParameterError:
    """An error for an unknown parameter name, suggesting the nearest valid one."""
    near = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else "; run `abm params` for the list"
    return ParameterError(f"unknown parameter {name!r}{where}{hint}")


def validate(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults updated with `overrides`, every value checked against the schema."""
    values = dict(DEFAULTS)
    for name, value in (overrides or {}).items():
        if name not in PARAMETERS:
            raise unknown_name_error(name)
        values[name] = PARAMETERS[name].check(value)
    _check_joint(values)
    return values


def peak_to_mean_ceiling(v: dict[str, Any]) -> float:
    """The highest peak-to-mean ratio a demand cycle allows: all its demand on its peak days."""
    return max_peak_to_mean(v["demand_cycle_days"], v["demand_peak_days"])


def _check_joint(v: dict[str, Any]) -> None:
    """Constraints that involve more than one parameter."""
    if v["demand_peak_days"] >= v["demand_cycle_days"]:
        raise ParameterError(
            f"demand_peak_days={v['demand_peak_days']} must be below "
            f"demand_cycle_days={v['demand_cycle_days']}"
        )
    ceiling = peak_to_mean_ceiling(v)
    if v["peak_to_mean"] > ceiling:
        raise ParameterError(
            f"peak_to_mean={v['peak_to_mean']} is out of range: with demand_cycle_days="
            f"{v['demand_cycle_days']} and demand_peak_days={v['demand_peak_days']} it must be "
            f"in [1, {ceiling:g}] (all demand on peak days)"
        )
    if v["pricing_rule"] == "market_share" and not (
        v["markup_min"] <= v["price_markup"] <= v["markup_max"]
    ):
        raise ParameterError(
            f"price_markup={v['price_markup']} must lie in [markup_min, markup_max] = "
            f"[{v['markup_min']}, {v['markup_max']}] under pricing_rule=market_share (it is the "
            "opening markup of every firm)"
        )
    if v["n_factories"] + v["n_workshops"] == 0:
        raise ParameterError("n_factories=0 and n_workshops=0: the economy needs a producer")
