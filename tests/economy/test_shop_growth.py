"""Workshop growth (ODD 7.26): the rule's formulas against hand-worked numbers, and in small
runs, shops that grow with their backlog, shrink when demand falls, and pay and lay off their
helpers."""

from __future__ import annotations

import numpy as np
import pytest

from abm import ProductionEconomy
from abm.economy.households import NOBODY
from abm.economy.ledger import OUTSIDE
from abm.economy.modes import WORKSHOP
from abm.economy.shop_growth import (
    ADD,
    DROP,
    KEEP,
    backlog_days,
    fixed_costs_per_day,
    mean_wage,
    station_change,
    window_utilization,
)
from abm.economy.tally import Count
from abm.economy.workshops import WorkshopArrays

# ----------------------------------------------------------------------------------------------
# The rule, by hand
# ----------------------------------------------------------------------------------------------


def test_backlog_days_is_the_mean_queue_over_the_stations_capacity():
    # 30 orders at one station of 3.2 units a day: 30 / 3.2 = 9.375 days; 12 at two: 12 / 6.4
    assert backlog_days(np.array([30.0, 12.0]), np.array([3.2, 6.4])) == pytest.approx(
        [9.375, 1.875]
    )


def test_window_utilization_is_made_over_capacity_and_unknown_without_capacity():
    # 28 units over 28 days of 3.2: 28 / 89.6 = 0.3125; 5 over 100 = 0.05; no capacity: NaN
    got = window_utilization(np.array([28.0, 5.0, 0.0]), np.array([89.6, 100.0, 0.0]))
    assert got[:2] == pytest.approx([0.3125, 0.05])
    assert np.isnan(got[2])


def test_station_change_by_hand():
    """Queue days 5, utilization 0.4, set-up $500, at most 3 stations."""
    backlog = np.array([9.4, 9.4, 9.4, 1.9, 1.9, 1.9, 9.4, 5.0])
    utilization = np.array([0.9, 0.9, 0.9, 0.31, 0.31, np.nan, 0.1, 0.39])
    cash = np.array([600.0, 400.0, 600.0, 600.0, 600.0, 600.0, 500.0, 600.0])
    stations = np.array([2, 2, 3, 2, 1, 2, 2, 2])
    got = station_change(backlog, utilization, cash, stations, 5.0, 0.4, 500.0, 3)
    expected = [
        ADD,  # 9.4 > 5 days, $600 >= $500, 2 < 3
        KEEP,  # the backlog is long but $400 does not cover the set-up
        KEEP,  # at the ceiling
        DROP,  # 0.31 < 0.4 with a helper's station to give up
        KEEP,  # idle, but the owner's station is the last
        KEEP,  # no utilization measured yet: no evidence of idleness
        ADD,  # a long backlog wins over a low utilization (workers were out); $500 covers $500
        DROP,  # 5.0 days is not above 5; 0.39 < 0.4
    ]
    assert got.tolist() == expected


def test_mean_wage_and_fixed_costs_by_station():
    # owner $30, two helpers at $18: (30 + 2 x 18) / 3 = $22 an hour; the owner alone: $30
    assert mean_wage(np.array([3, 1]), 30.0, 18.0) == pytest.approx([22.0, 30.0])
    # each station $2.50 capital charge and $3 overhead: 3 x 5.5 = $16.50 a day
    assert fixed_costs_per_day(np.array([3, 1]), 2.5, 3.0) == pytest.approx([16.5, 5.5])


# ----------------------------------------------------------------------------------------------
# Small runs: four workshops, no factory, more orders than one station each can make
# ----------------------------------------------------------------------------------------------

# Constant technology (no learning, no printing progress): a station makes 4 h / 1.25 h = 3.2
# units a day. 500 households with 0.1 needs a day each, all within reach of every workshop:
# about 50 needs a day against 4 x 3.2 = 12.8 units of one-station capacity (the one-station
# shops sell 11.5 a day, the grown ones 28.5). No entry, no factories; a growth review every 14
# days, at most 3 stations.
BUSY = {
    "n_consumers": 700,  # (500 under 0.3.1's daily taste shocks gave as many orders)
    "n_workshops": 4,
    "n_factories": 0,
    "grid_width": 20,
    "grid_height": 20,
    "workshop_reach": 30.0,
    "workshop_entry_rate": 0.0,
    "workshop_progress_ratio": 1.0,
    "printing_progress": 0.0,
    "workshop_growth_review_days": 14,
    "workshop_max_stations": 3,
    # entry and exit by the 0.3.1 rules: no factory comes in on expected return and no shop
    # leaves voluntarily in the slump, so the four shops' growth and shrinking are what is seen
    "entry_rule": "legacy",
}
GROW_DAYS, SLUMP_DAYS = 120, 84
SLUMP_NEED_RATE = 0.01  # a tenth of the demand: 5 needs a day for 4 shops


def run_days(model: ProductionEconomy, days: int) -> None:
    for _ in range(days):
        model.step()  # every step checks the goods and money identities


@pytest.fixture(scope="module")
def growth_runs():
    """The busy economy under both rules for GROW_DAYS days; then, under stations, demand falls
    to SLUMP_NEED_RATE (model.p["need_rate"] changed mid-run, as a demand shock) for SLUMP_DAYS
    more."""
    fixed = ProductionEconomy(rng=1, **(BUSY | {"workshop_growth_rule": "fixed"}))
    run_days(fixed, GROW_DAYS)
    grown = ProductionEconomy(rng=1, **BUSY)
    run_days(grown, GROW_DAYS)
    arrays = grown.workshop_arrays
    runs = {
        "fixed": fixed.dataframe(),
        "peak": grown.dataframe(),
        "helpers at peak": arrays.helpers[arrays.live()].copy(),
        "stations at peak": int(arrays.stations[arrays.live()].sum()),
        "capacity at peak": grown.tally.today[WORKSHOP, Count.CAPACITY],
    }
    grown.p["need_rate"] = SLUMP_NEED_RATE
    run_days(grown, SLUMP_DAYS)
    return runs | {"after slump": grown}


def test_busy_workshops_grow_to_the_ceiling_and_quote_shorter_lead_times(growth_runs):
    fixed, peak = growth_runs["fixed"], growth_runs["peak"]
    # every shop reached 3 stations (two helpers each) and no more
    assert peak["employment_workshop"].max() == 12 == peak["active_firms_workshop"].iloc[-1] * 3
    assert (growth_runs["helpers at peak"] != NOBODY).sum() == 8
    assert fixed["employment_workshop"].max() == 4
    # over the second half, delivery lead times (seen: 20.3 days one-station, 5.1 grown) and
    # queues (seen: 153 and 7.7 orders)
    half = slice(GROW_DAYS // 2, GROW_DAYS)
    fixed_lead, grown_lead = fixed["lead_time_workshop"][half], peak["lead_time_workshop"][half]
    assert grown_lead.mean() < 0.5 * fixed_lead.mean()
    assert peak["wip_workshop"][half].mean() < 0.5 * fixed["wip_workshop"][half].mean()


def test_capacity_counts_every_station(growth_runs):
    # 3.2 units a day a station, counted whether it worked or not: 12 at the peak, 4 after
    assert growth_runs["stations at peak"] == 12
    assert growth_runs["capacity at peak"] == pytest.approx(3.2 * 12)
    model = growth_runs["after slump"]
    assert model.tally.today[WORKSHOP, Count.CAPACITY] == pytest.approx(3.2 * 4)
    assert model.metric("employment_workshop") == 4
    assert model.metric("capital_workshop") == pytest.approx(2500.0 * 4)
    assert growth_runs["peak"]["capital_workshop"].iloc[-1] == pytest.approx(2500.0 * 12)


def test_when_demand_falls_shops_shrink_back_and_lay_their_helpers_off(growth_runs):
    model, helpers_at_peak = growth_runs["after slump"], growth_runs["helpers at peak"]
    arrays, hh = model.workshop_arrays, model.households
    rows = arrays.live()
    assert len(rows) == 4  # all survived the slump
    assert arrays.stations[rows].tolist() == [1, 1, 1, 1]
    assert (arrays.helpers[rows] == NOBODY).all()
    former = helpers_at_peak[helpers_at_peak != NOBODY]
    assert len(former) == 8 and (hh.employer[former] == NOBODY).all()
    assert set(former) <= set(hh.available_workers())  # free to be hired again
    df = model.dataframe()
    assert df["employment_workshop"].iloc[-1] == 4


def ledger_recorder(model: ProductionEconomy) -> list:
    """Every payment the model makes from now on, as (payer, payee, amount, category)."""
    paid = []
    pay = model.ledger.pay

    def record(payer, payee, amount, category):
        paid.append((payer, payee, amount, category))
        pay(payer, payee, amount, category)

    model.ledger.pay = record
    return paid


def test_helpers_are_paid_their_wage_for_an_equal_share_of_the_hours():
    """With helpers at $18 an hour and the owner at $30, a workshop that works pays its owner
    owner pay and each helper wages for the same hours: owner pay / 30 = wage / 18 hours, at
    most the 4-hour day; wages count in the helpers' income."""
    model = ProductionEconomy(rng=2, **(BUSY | {"workshop_helper_wage_per_hour": 18.0}))
    run_days(model, 50)  # two reviews: the shops have helpers
    arrays, hh = model.workshop_arrays, model.households
    paid = ledger_recorder(model)
    checked = 0
    for _ in range(10):
        paid.clear()
        model.step()
        pay = {
            cat: (payer, payee, amount)
            for payer, payee, amount, cat in paid
            if cat in ("owner pay", "wages")
        }
        assert "wages" in pay
        payer, helpers, wages = pay["wages"]
        assert payer.mode == WORKSHOP
        hours = np.asarray(wages) / 18.0
        assert ((hours > 0) & (hours <= 4.0 + 1e-9)).all()
        owner_payer, owners, owner_pay = pay["owner pay"]
        owner_hours = dict(
            zip(owner_payer.index.tolist(), np.asarray(owner_pay) / 30.0, strict=True)
        )
        helping = zip(payer.index.tolist(), helpers.index.tolist(), hours, strict=True)
        for row, household, h in helping:
            assert hh.employer[household] == arrays.agents[row].unique_id
            if hh.healthy(np.array([arrays.owner[row]]))[0]:
                assert owner_hours[row] == pytest.approx(h)  # equal shares of the hours used
                checked += 1
            assert hh.income_today[household] == pytest.approx(40.0 + 18.0 * h)
    assert checked >= 20  # non-vacuous (seen: 80)
    assert model.ledger.mode_books[WORKSHOP]["wages"] < 0


def test_a_growing_shop_keeps_its_customers_prepayments():
    """At a payout the dividend leaves the starting $1,000 and the prepayments of the orders
    still queued: a shop that pays one keeps exactly that sum, one that pays none has less (it
    spent some on set-ups and on working off its backlog)."""
    model = ProductionEconomy(rng=3, **(BUSY | {"policy_review_days": 7}))
    run_days(model, 69)
    paid = ledger_recorder(model)
    model.step()  # day 70: a payout
    arrays = model.workshop_arrays
    paying = {
        row
        for payer, _, _, category in paid
        if category == "owner dividend"
        for row in payer.index.tolist()
    }
    for row in arrays.live().tolist():
        kept = 1000.0 + arrays.orders.paid[arrays.orders.row == row].sum()
        if row in paying:
            assert arrays.cash[row] == pytest.approx(kept)
        else:
            assert arrays.cash[row] < kept
    assert 1 <= len(paying) < 4  # both cases happen (seen: 3 paying)
    assert (arrays.queue_length[arrays.live()] > 0).any()  # with prepayments kept (seen: all)


def test_injuries_fall_on_workers_present_and_idle_their_stations():
    """Two injuries at a shop of three present fall on two of them, at random; one at a shop
    whose owner is out falls on its helper at work, with no draw; an injured helper's station
    is then idle (NOBODY in the crew)."""
    crew = np.array([[10, 11, 12], [NOBODY, 21, NOBODY]])
    hurt = WorkshopArrays._injured(crew, np.array([2, 1]), np.random.default_rng(0))
    assert len(hurt) == 3 and set(hurt[:2]) < {10, 11, 12} and hurt[2] == 21
    model = ProductionEconomy(rng=6, **BUSY)
    run_days(model, 30)
    arrays, hh = model.workshop_arrays, model.households
    row = int(arrays.live()[0])
    helper = int(arrays.helpers[row, 0])
    hh.injure(np.array([helper]), 3)
    hh.start_shift()
    others = arrays.helpers[row, 1:].tolist()  # the second helper, or NOBODY
    assert arrays.stations[row] >= 2 and not hh.out_today[arrays.owner[row]]
    assert arrays.crew(np.array([row]), hh)[0].tolist() == [arrays.owner[row], NOBODY, *others]


def test_a_closing_workshop_lays_its_helpers_off():
    model = ProductionEconomy(rng=4, **(BUSY | {"bankruptcy_days": 1}))
    run_days(model, 30)
    arrays, hh = model.workshop_arrays, model.households
    row = int(arrays.live()[np.argmax(arrays.stations[arrays.live()])])
    helpers = arrays.helpers[row][arrays.helpers[row] != NOBODY]
    assert len(helpers) >= 1
    shop = arrays.agents[row]
    bill = float(arrays.cash[row]) + 100_000.0
    model.ledger.pay(arrays.account(np.array([row])), OUTSIDE, bill, "overhead")
    model.step()  # a day in the red: bankrupt
    assert not arrays.alive[row] and shop.model is model
    assert (hh.employer[helpers] == NOBODY).all()
    assert set(helpers) <= set(hh.available_workers())
    assert not hh.owns_workshop[shop.owner]


def test_factory_workers_and_helpers_are_different_households():
    """Factories staff among the households free to work, as workshops hire helpers: none is
    both, and each works for the employer it is booked to."""
    # a good worth more, so that the shops stay busy enough to hire beside two factories
    both = {"n_factories": 2, "factory_capacity": 20.0, "good_value": 200.0}
    model = ProductionEconomy(rng=5, **(BUSY | both))
    helpers_seen = 0
    for _ in range(8):
        run_days(model, 14)
        arrays, hh = model.workshop_arrays, model.households
        rows = arrays.live()
        helpers = arrays.helpers[rows][arrays.helpers[rows] != NOBODY]
        workers = np.concatenate([f.workers for f in model.factories()] + [np.empty(0, int)])
        assert not set(helpers) & set(workers)
        assert len(set(helpers)) == len(helpers) and not hh.owns_workshop[helpers].any()
        booked = np.repeat(
            [arrays.agents[r].unique_id for r in rows.tolist()],
            (arrays.helpers[rows] != NOBODY).sum(axis=1),
        )
        assert (hh.employer[helpers] == booked).all()
        for factory in model.factories():
            assert (hh.employer[factory.workers] == factory.unique_id).all()
        helpers_seen += len(helpers)
    # both hire (seen: 28 helpers over the 8 looks, 4 factory workers at the last)
    assert helpers_seen > 0 and len(workers) > 0
