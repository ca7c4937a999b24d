"""Each mechanism moves the outcome in the direction the argument says it should.

Each test compares otherwise identical economies (same seeds) that differ in one lever.
"""

import numpy as np

from .conftest import SMALL, run, units_share

SEEDS = (0, 1, 2)


def mean_share(mode: str, start: int = 1, days: int = 200, **overrides) -> float:
    return float(
        np.mean(
            [units_share(run(days, seed=s, **overrides).dataframe(), mode, start) for s in SEEDS]
        )
    )


def test_higher_workshop_defect_rate_lowers_workshop_share():
    niche = dict(scenario="custom-niche", **SMALL)
    careful = mean_share("workshop", workshop_defect_multiplier=1.0, **niche)
    sloppy = mean_share("workshop", workshop_defect_multiplier=10.0, **niche)
    assert sloppy < careful - 0.05


def test_poka_yoke_off_raises_factory_escaped_defects():
    """Poka-yoke 0.9 prevents nine errors in ten: defect rates fall tenfold. Pooled over seeds,
    as a small economy escapes only a few defects a season (a few units either way would
    swing one seed's rate)."""

    on, off = (
        [run(120, seed=s, poka_yoke=poka_yoke, **SMALL).dataframe().iloc[-1] for s in SEEDS]
        for poka_yoke in (0.9, 0.0)
    )
    for column in ("defects_escaped_ppm_factory", "defects_made_ppm_factory"):
        assert np.mean([r[column] for r in off]) > 5 * np.mean([r[column] for r in on])


def test_longer_shipping_lowers_factory_share():
    """Latency costs factories: stock in transit and safety stock against late shipments must
    be financed (and are priced in), and an empty shelf means a long wait. Exit and entry are
    switched off so that the comparison holds the market's firms fixed and isolates the channel.
    """
    fixed = dict(
        bankruptcy_days=3650,
        factory_initial_cash=1e9,
        workshop_initial_cash=1e6,
        workshop_entry_rate=0.0,
        factory_entry_min_demand=10.0,
        custom_share=0.3,
        **SMALL,
    )
    near = mean_share("factory", start=50, shipping_lead_time=3, **fixed)
    far = mean_share("factory", start=50, shipping_lead_time=45, **fixed)
    assert far < near


def test_subsidy_keeps_workshops_alive_until_its_sunset():
    sunset = 90
    lean = dict(workshop_initial_cash=300.0, **SMALL)  # unprofitable workshops fail sooner
    plain = run(150, seed=4, **lean).dataframe()
    aided = run(
        150, seed=4, workshop_subsidy_per_unit=25.0, subsidy_sunset_day=sunset, **lean
    ).dataframe()
    # survival: more workshops still in business at the sunset
    assert aided.loc[sunset, "active_firms_workshop"] > plain.loc[sunset, "active_firms_workshop"]
    assert aided["subsidies_workshop"].loc[: sunset - 1].sum() > 0
    assert aided["subsidies_workshop"].loc[sunset:].sum() == 0
    # the sunset is visible: prices jump by about the subsidy, and the share falls after it
    jump = aided.loc[sunset, "price_workshop"] - aided.loc[sunset - 1, "price_workshop"]
    assert 20 < jump < 30
    before = units_share(aided.loc[: sunset - 1], "workshop", start=sunset - 30)
    after = units_share(aided, "workshop", start=sunset + 30)
    assert after < before


def test_bankruptcy_releases_workers_and_closes_stores():
    model = run(
        150,
        seed=5,
        **{**SMALL, "n_factories": 5, "n_workshops": 0, "factory_initial_cash": 20_000.0},
    )
    df = model.dataframe()
    assert df["bankruptcies_factory"].sum() >= 1
    assert df["active_firms_factory"].iloc[-1] < 5
    alive = {f.unique_id for f in model.factories()}
    employers = set(model.households.employer[model.households.employer >= 0].tolist())
    assert employers <= alive
    assert len(model.stores()) == len(alive) * model.p["stores_per_factory"]


def test_workshops_enter_by_imitating_profitable_neighbours():
    model = run(120, seed=6, scenario="distributed-optimist", workshop_entry_rate=0.02, **SMALL)
    df = model.dataframe()
    assert df["entries_workshop"].sum() > 0
    owners = [w.owner for w in model.workshops()]
    assert model.households.owns_workshop[owners].all()


def test_factories_enter_when_unmet_demand_clears_the_hurdle():
    model = run(
        120,
        seed=8,
        **{
            **SMALL,
            "n_factories": 1,
            "factory_capacity": 15.0,
            "firm_size_dispersion": 0.0,
            "workshop_defect_multiplier": 20.0,
            "factory_entry_min_demand": 0.1,
        },
    )
    df = model.dataframe()
    assert df["entries_factory"].sum() >= 1
    assert df["active_firms_factory"].max() >= 2
