"""Life cycles of needs, memories, orders, workers and shelf units, pinned with hand-worked cases
or with records kept from the outside (spies on public methods, public arrays read day by day).

Expected values are worked out by hand (see the comments) or from the ODD's formulas written
out here, never by the code under test.

Planted bugs each test was seen to catch (one at a time, in a scratch copy of abm/):
- needs on the wrong peak days (`<` -> `<=` in `demand_multiplier`), needs for households
  awaiting a workshop unit: the two arrival tests
- patience off by one, either way (`>` -> `>=`, or `> N + 1`), waiting days counted by two:
  test_need_is_abandoned_exactly_after_patience_and_retried_until_then
- lost sales counted once per retry (every buyer a new need), turned-away flag never set:
  test_a_need_turned_away_counts_one_lost_sale_however_often_it_retries
- word of mouth: rate ignored (the default 0.05 used, or no update), rate doubled, toward the
  global mean instead of the neighbourhood's: both word-of-mouth tests; spread twice a day in
  the model: test_word_of_mouth_in_a_model_day_uses_the_map_blocks_once_a_day
- store and workshop memories swapped in `choose` (`offers.mode[j]` -> `1 - offers.mode[j]`):
  test_choice_avoids_the_mode_remembered_as_bad_not_the_other
- impatience ignored: test_choice_longer_lead_time_lowers_share_as_the_logit_predicts
- mismatch paid at every offer, or never:
  test_choice_custom_need_pays_mismatch_only_at_a_standard_offer
- closing refunds that do not reopen the need, or keep its waiting days; units on their way not
  delivered at closing; a workshop queue served last come first:
  test_workshop_queue_is_fifo_and_closing_refunds_and_delivers
- layoffs of the first hired, staffing at a fixed 8 h day, staffing above machine capacity:
  test_factory_hires_and_lays_off_to_planned_labour_hours
- push plan every day, plan not netted for stock, release always rounded down:
  test_push_plan_follows_the_forecast_at_its_cadence
- injury counter never counted down, injured workers still working:
  test_injured_worker_counts_down_and_returns
- shelf taken newest first (the meter then disagrees with the outside record):
  test_littles_law_from_an_outside_record
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import fields

import numpy as np
import pytest

import abm.economy.trading as trading_module
from abm import ProductionEconomy
from abm.economy.agents import CentralFactory, RetailStore
from abm.economy.households import Households
from abm.economy.market import NO_CHOICE, Offers, Shoppers, choose
from abm.economy.modes import FACTORY, WORKSHOP
from abm.economy.parameters import validate
from abm.economy.tally import Count

# A burst pattern: need_rate 0.5 on a 2-day cycle with one peak day at 2x gives rate 0.5 * 2 = 1
# on even days (every free household gets a need) and (2 - 1 * 2) / (2 - 1) = 0 on odd days.
BURST_ON_EVEN_DAYS = dict(need_rate=0.5, demand_cycle_days=2, demand_peak_days=1, peak_to_mean=2.0)
# no entry, and no voluntary exit (its first review would come on day 3650)
NO_ENTRY = dict(workshop_entry_rate=0.0, factory_entry_review_days=3650, exit_review_days=3650)


# --------------------------------------------------------------------------------------------
# 1. Needs: arrival, patience, waiting days, retries, turned-away flags
# --------------------------------------------------------------------------------------------


def test_needs_arrive_on_peak_days_at_the_capped_rate_and_only_for_free_households():
    """need_rate 0.25 on a 4-day cycle with one peak day at 4x: rate min(0.25 * 4, 1) = 1 on days
    0, 4, 8 and (4 - 1 * 4) / (4 - 1) = 0 on the others, so arrivals are exact. Households with an
    open need or a workshop order on its way get none; a new need starts unturned at 0 days."""
    p = validate(dict(n_consumers=30, need_rate=0.25, demand_cycle_days=4, peak_to_mean=4.0))
    hh = Households(p, np.random.default_rng(0))
    hh.pending[:5] = True  # an open need: no second one
    hh.waiting_days[:5] = 3
    hh.awaiting[5:10] = True  # a workshop order on its way: no new need
    hh.turned_away[10:] = True  # stale flags of past needs
    hh.waiting_days[10:] = 9
    for day in (1, 2, 3, 5, 6, 7):
        assert hh.arrive_needs(day) == 0
        assert not hh.pending[10:].any()
    assert hh.arrive_needs(4) == 20  # the 20 free households, every one of them
    assert hh.pending[:5].all() and hh.pending[10:].all()
    assert (hh.waiting_days[:5] == 3).all()  # the open needs are untouched
    assert not hh.pending[5:10].any()
    assert (hh.waiting_days[10:] == 0).all()
    assert not hh.turned_away[10:].any()
    assert hh.arrive_needs(8) == 0  # nobody is free any more


def test_needs_arrive_at_the_pattern_rate_and_are_custom_at_the_custom_share():
    """need_rate 0.1 on a 5-day cycle with 2 peak days at 2x: rate 0.2 on days t mod 5 in {0, 1},
    (5 - 2 * 2) / (5 - 2) = 1/3 of 0.1 on the others. 4,000 free households a day for 10 days:
    16,000 peak draws (sd of the rate 0.0032) and 24,000 off-peak (sd 0.0012); custom share 0.3
    among about 4,000 new needs (sd 0.007). Tolerances are 5 sd."""
    n = 4000
    p = validate(
        dict(
            n_consumers=n,
            need_rate=0.1,
            demand_cycle_days=5,
            demand_peak_days=2,
            peak_to_mean=2.0,
            custom_share=0.3,
        )
    )
    hh = Households(p, np.random.default_rng(1))
    arrivals = {"peak": [0, 0], "off": [0, 0]}  # [needs, draws]
    custom = [0, 0]
    for day in range(10):
        hh.pending[:] = False
        count = hh.arrive_needs(day)
        assert count == int(hh.pending.sum())
        kind = "peak" if day % 5 in (0, 1) else "off"
        arrivals[kind][0] += count
        arrivals[kind][1] += n
        custom[0] += int(hh.custom[hh.pending].sum())
        custom[1] += count
    peak_rate = arrivals["peak"][0] / arrivals["peak"][1]
    off_rate = arrivals["off"][0] / arrivals["off"][1]
    assert peak_rate == pytest.approx(0.2, abs=5 * math.sqrt(0.2 * 0.8 / 16000))
    assert off_rate == pytest.approx(0.1 / 3, abs=5 * math.sqrt(0.0333 * 0.9667 / 24000))
    assert custom[0] / custom[1] == pytest.approx(0.3, abs=5 * math.sqrt(0.21 / custom[1]))


# Hand-worked timelines of the burst economy (needs arrive on even days for free households,
# nobody can buy): a need arising on day a is 1 day old when first traded on day a (step 5 runs
# before trade), N days old on day a + N - 1, and given up on day a + N (N + 1 > N). A household
# whose need is given up on an even day was not free when that day's needs arrived (step 4 runs
# before step 5), so its next need arrives on the next even day.
PATIENCE_TIMELINES = {
    # N: (days needs arise, days needs are given up) over days 1..14
    1: ([2, 4, 6, 8, 10, 12, 14], [3, 5, 7, 9, 11, 13]),
    3: ([2, 6, 10, 14], [5, 9, 13]),  # given up on odd days: free for the next even day
    4: ([2, 8, 14], [6, 12]),  # given up on day 6, an even day: the next need waits to day 8
}


@pytest.mark.parametrize("patience", sorted(PATIENCE_TIMELINES))
def test_need_is_abandoned_exactly_after_patience_and_retried_until_then(monkeypatch, patience):
    """Nobody has cash (no savings, no income, no wage), so no need is ever met: each need is
    traded again every day while it is open, its waiting days count 1, 2, ..., N, and it is
    given up and counted as unmet on day a + N, not a day earlier or later."""
    n = 20
    arise, given_up = PATIENCE_TIMELINES[patience]
    model = ProductionEconomy(
        rng=3,
        n_consumers=n,
        n_factories=1,
        n_workshops=0,
        grid_width=10,
        grid_height=10,
        initial_savings=0.0,
        base_income_per_day=0.0,
        wage_per_hour=0.0,
        need_patience_days=patience,
        **BURST_ON_EVEN_DAYS,
        **NO_ENTRY,
    )
    hh = model.households
    shopped: dict[int, list[int]] = {}
    original = Households.shoppers

    def spy(self, idx):
        shopped[model.steps] = sorted(idx.tolist())
        return original(self, idx)

    monkeypatch.setattr(Households, "shoppers", spy)
    pending_before = hh.pending.copy()
    for day in range(1, 15):
        model.step()
        open_days = [a for a in arise if a <= day and not any(a < g <= day for g in given_up)]
        if open_days:  # the need that arose on open_days[0] is still open
            assert hh.pending.all()
            assert (hh.waiting_days == day - open_days[0] + 1).all()
            assert shopped[day] == list(range(n)), f"day {day}: every open need shops again"
        else:
            assert not hh.pending.any()
            assert day not in shopped
        # the independent count: open at the last day's end (or new today), closed now, unbought
        new_today = n if day in arise else 0
        dropped = int((pending_before.sum() + new_today) - hh.pending.sum())
        expected = n if day in given_up else 0
        assert dropped == expected, f"day {day}"
        assert hh.unmet_today == expected, f"day {day}"
        assert model.dataframe().loc[day, "unmet_needs"] == expected
        assert (hh.cash == 0).all()  # nobody could have bought
        pending_before = hh.pending.copy()
    assert model.unmet_total == n * len(given_up)


def test_a_need_turned_away_counts_one_lost_sale_however_often_it_retries(monkeypatch):
    """A run with frequent stock-outs (long shipping, a 4x peak day in five, no opening safety
    stock). From the outside: who shopped (in shopper order), whom they chose, who is still
    open after the day. A store chooser still open after trade was turned away; it is a lost
    sale only if its current need was not turned away before. The model's lost sales, its
    turned-away flags and each store's demand of the day (its shoppers whose need no bare shelf
    had met before, served or not: each need counted once) must match that record."""
    model = ProductionEconomy(
        rng=1,
        n_consumers=200,
        n_factories=1,
        stores_per_factory=2,
        n_workshops=0,
        grid_width=10,
        grid_height=10,
        store_reach=30.0,
        error_probability=0.0,  # no defective units: a served need stays closed
        demand_cycle_days=5,
        demand_peak_days=1,
        peak_to_mean=4.0,
        need_rate=0.15,
        shipping_lead_time=10,
        initial_stock_days=0.0,
        factory_initial_cash=1e9,
        good_value=200.0,  # most open needs choose a store rather than waiting
        **NO_ENTRY,
    )
    hh = model.households
    today: dict = {}
    shoppers_of = Households.shoppers

    def spy_shoppers(self, idx):
        today["idx"] = idx.copy()
        return shoppers_of(self, idx)

    def spy_choose(shoppers, offers, own_weight, rng, pairs):
        choice = choose(shoppers, offers, own_weight, rng, pairs)
        chosen = choice.offer
        today["chosen"] = chosen.copy()
        today["mode"] = np.where(chosen == NO_CHOICE, -1, offers.mode[chosen])
        return choice

    monkeypatch.setattr(Households, "shoppers", spy_shoppers)
    monkeypatch.setattr(trading_module, "choose", spy_choose)
    already_turned = np.zeros(len(hh), dtype=bool)  # my record: this open need met a bare shelf
    lost, repeats = 0, 0
    for day in range(1, 61):
        today.clear()
        model.step()
        lost_today = 0
        if "chosen" in today:
            idx, chosen = today["idx"], today["chosen"]
            at_store = today["mode"] == FACTORY
            still_open = hh.pending[idx]
            fresh_need = ~already_turned[idx]
            turned = at_store & still_open
            lost_today = int((turned & fresh_need).sum())
            repeats += int((turned & ~fresh_need).sum())
            already_turned[idx[turned]] = True
            for store in model.stores():  # its demand: its shoppers with a need not yet counted
                mine = at_store & (chosen == store.offer_id)
                assert store.log[-1][:2] == (day, int((mine & fresh_need).sum()))
        already_turned[~hh.pending] = False  # a closed need's record ends with it
        lost += lost_today
        assert model.dataframe().loc[day, "lost_sales_factory"] == lost_today, f"day {day}"
        assert (hh.turned_away[hh.pending] == already_turned[hh.pending]).all(), f"day {day}"
    assert lost > 100 and repeats > 50  # many lost sales, and many retries not counted again
    assert model.tally.total[FACTORY, Count.LOST_SALES] == lost


# --------------------------------------------------------------------------------------------
# 2. Word of mouth
# --------------------------------------------------------------------------------------------


def test_word_of_mouth_moves_memory_toward_its_own_neighbourhood_by_the_rate():
    """w = 0.1; ten households in two neighbourhoods (labels as the blocks would give them).
    Factory memory, block A (4): 0, 0, 0, 0.4 -> mean 0.1, so 0 + 0.1 * 0.1 = 0.01 and
    0.4 + 0.1 * (0.1 - 0.4) = 0.37. Block B (6): five at 0.02 and one at 0.62 -> mean 0.12, so
    0.02 + 0.1 * 0.1 = 0.03 and 0.62 - 0.1 * 0.5 = 0.57. Workshop memory: A all 0.3 stays 0.3
    (the global mean, 0.18, would pull it to 0.288); B five at 0 and one at 0.6 -> mean 0.1, so
    0.01 and 0.55. A second day (means are kept): A factory 0.01 + 0.1 * 0.09 = 0.019 and
    0.37 - 0.1 * 0.27 = 0.343."""
    p = validate(dict(n_consumers=10, word_of_mouth_rate=0.1))
    hh = Households(p, np.random.default_rng(0))
    hh.neighbourhood = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])  # blocks A and B
    hh.defect_belief[:, FACTORY] = [0, 0, 0, 0.4, 0.02, 0.02, 0.02, 0.02, 0.02, 0.62]
    hh.defect_belief[:, WORKSHOP] = [0.3, 0.3, 0.3, 0.3, 0, 0, 0, 0, 0, 0.6]
    hh.spread_word_of_mouth()
    np.testing.assert_allclose(
        hh.defect_belief[:, FACTORY], [0.01, 0.01, 0.01, 0.37, 0.03, 0.03, 0.03, 0.03, 0.03, 0.57]
    )
    np.testing.assert_allclose(
        hh.defect_belief[:, WORKSHOP], [0.3, 0.3, 0.3, 0.3, 0.01, 0.01, 0.01, 0.01, 0.01, 0.55]
    )
    hh.spread_word_of_mouth()
    np.testing.assert_allclose(hh.defect_belief[:4, FACTORY], [0.019, 0.019, 0.019, 0.343])


def test_word_of_mouth_in_a_model_day_uses_the_map_blocks_once_a_day():
    """A model day (memory learning off, so only word of mouth moves memories): every household
    ends at b + w (mean of its block - b), blocks being the squares of side
    `neighbourhood_cells` on the map (worked out here from x and y), applied once."""
    w, side = 0.2, 4
    model = ProductionEconomy(
        rng=5,
        n_consumers=120,
        n_factories=1,
        n_workshops=4,
        grid_width=12,
        grid_height=8,
        neighbourhood_cells=side,
        word_of_mouth_rate=w,
        memory_learning_rate=0.0,
        **NO_ENTRY,
    )
    hh = model.households
    rng = np.random.default_rng(9)
    hh.defect_belief[:] = rng.random(hh.defect_belief.shape)
    before = hh.defect_belief.copy()
    blocks = defaultdict(list)
    for i, (x, y) in enumerate(zip(hh.x.tolist(), hh.y.tolist(), strict=True)):
        blocks[(x // side, y // side)].append(i)
    assert len(blocks) == 6  # 3 x 2 blocks, all inhabited
    expected = before.copy()
    for members in blocks.values():
        mean = before[members].mean(axis=0)
        expected[members] = before[members] + w * (mean - before[members])
    model.step()
    np.testing.assert_allclose(hh.defect_belief, expected, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# 3. Choice with beliefs, lead times and mismatch (against the ODD's formulas written here)
# --------------------------------------------------------------------------------------------


def odd_cost(price, own_belief, record, omega, hassle, impatience, lead_time, mismatch):
    """ODD 7.2: C = p + pi (p + eta) + tau l + mu, pi = omega b + (1 - omega) R."""
    pi = omega * own_belief + (1 - omega) * record
    return price + pi * (price + hassle) + impatience * lead_time + mismatch


def odd_logit(wtp, scale, costs):
    """ODD 7.2: P(j) = exp(V_j) / (1 + sum exp V), V = (WTP - C) / s; last entry: buy nothing."""
    e = [math.exp((wtp - c) / scale) for c in costs]
    return [x / (1 + sum(e)) for x in e] + [1 / (1 + sum(e))]


def crafted_shoppers(n, belief=(0.02, 0.02), impatience=0.0, mismatch=0.0, custom=False):
    return Shoppers(
        budget=np.full(n, 1e6),
        willingness_to_pay=np.full(n, 100.0),
        logit_scale=np.full(n, 10.0),
        defect_hassle=np.full(n, 20.0),
        impatience=np.full(n, impatience),
        mismatch_cost=np.full(n, mismatch),
        custom=np.full(n, custom),
        defect_belief=np.tile(np.asarray(belief, dtype=float), (n, 1)),
    )


def joined_shoppers(a: Shoppers, b: Shoppers) -> Shoppers:
    def joined(name: str):  # the taste keys are None: these shoppers draw daily shocks
        parts = [getattr(a, name), getattr(b, name)]
        return None if parts[0] is None else np.concatenate(parts)

    return Shoppers(*(joined(f.name) for f in fields(a)))


def store_and_workshop(price=60.0, record=0.1, lead_time=(0.0, 0.0), modes=(0, 1)) -> Offers:
    mode = np.array(modes)
    return Offers(
        price=np.full(2, price),
        lead_time=np.array(lead_time, dtype=float),
        mode=mode,
        makes_custom=mode == WORKSHOP,
        defect_record=np.full(2, record),
    )


def shares(chosen, rows) -> list[float]:
    c = chosen[rows]
    return [float(np.mean(c == 0)), float(np.mean(c == 1)), float(np.mean(c == NO_CHOICE))]


N_DRAWS = 100_000  # per group: a share's sd is at most 0.0016, the tolerance 0.006 (~4 sd)


def all_pairs(n):
    return np.repeat(np.arange(n), 2), np.tile([0, 1], n)


def test_choice_avoids_the_mode_remembered_as_bad_not_the_other():
    """Store and workshop alike (price 60, public record 0.1, no wait), omega = 0.5, hassle 20.
    Group A remembers stores at 0.9 and workshops at 0.1: pi = 0.5 at the store (cost 60 + 0.5 *
    80 = 100, V = 0) and 0.1 at the workshop (cost 68, V = 3.2): shares 1/26.5 = 0.038 and
    24.5/26.5 = 0.925. Group B remembers the reverse and shows the mirror image."""
    a = crafted_shoppers(N_DRAWS, belief=(0.9, 0.1))
    b = crafted_shoppers(N_DRAWS, belief=(0.1, 0.9))
    both = joined_shoppers(a, b)
    chosen = choose(
        both, store_and_workshop(), 0.5, np.random.default_rng(11), all_pairs(2 * N_DRAWS)
    ).offer
    bad_store = odd_cost(60, 0.9, 0.1, 0.5, 20, 0, 0, 0)
    good_workshop = odd_cost(60, 0.1, 0.1, 0.5, 20, 0, 0, 0)
    assert (bad_store, good_workshop) == pytest.approx((100.0, 68.0))
    expected_a = odd_logit(100, 10, [bad_store, good_workshop])
    expected_b = odd_logit(100, 10, [good_workshop, bad_store])
    assert expected_a == pytest.approx([0.0377, 0.9246, 0.0377], abs=1e-3)
    assert shares(chosen, slice(0, N_DRAWS)) == pytest.approx(expected_a, abs=0.006)
    assert shares(chosen, slice(N_DRAWS, None)) == pytest.approx(expected_b, abs=0.006)


def test_choice_longer_lead_time_lowers_share_as_the_logit_predicts():
    """Two stores alike but for their expected wait, 0 and 4 days (price 60, pi = 0.02, cost
    61.6). Impatient shoppers (2.5 $/day) see the slow one at 61.6 + 10 = 71.6: V = 3.84 and
    2.84, shares 46.5/64.6 = 0.720 and 17.1/64.6 = 0.265. Patient ones (0 $/day) split evenly,
    46.5/94.1 = 0.489 each: the 4-day wait costs the slow store 0.224 of the market."""
    impatient = crafted_shoppers(N_DRAWS, impatience=2.5)
    patient = crafted_shoppers(N_DRAWS, impatience=0.0)
    offers = store_and_workshop(record=0.02, lead_time=(0.0, 4.0), modes=(0, 0))
    both = joined_shoppers(impatient, patient)
    chosen = choose(both, offers, 0.5, np.random.default_rng(12), all_pairs(2 * N_DRAWS)).offer
    fast, slow = (odd_cost(60, 0.02, 0.02, 0.5, 20, 2.5, lead, 0) for lead in (0, 4))
    assert (fast, slow) == pytest.approx((61.6, 71.6))
    expected_impatient = odd_logit(100, 10, [fast, slow])
    expected_patient = odd_logit(100, 10, [fast, fast])
    assert expected_impatient == pytest.approx([0.7197, 0.2648, 0.0155], abs=1e-3)
    observed_impatient = shares(chosen, slice(0, N_DRAWS))
    observed_patient = shares(chosen, slice(N_DRAWS, None))
    assert observed_impatient == pytest.approx(expected_impatient, abs=0.006)
    assert observed_patient == pytest.approx(expected_patient, abs=0.006)
    loss = observed_patient[1] - observed_impatient[1]
    assert loss == pytest.approx(expected_patient[1] - expected_impatient[1], abs=0.01)


def test_choice_custom_need_pays_mismatch_only_at_a_standard_offer():
    """A store (standard goods) and a workshop (custom goods), both at cost 61.6. A standard need
    splits evenly, 0.489 each. A custom need with a $15 mismatch sees the store at 76.6: V = 2.34
    and 3.84, shares 10.4/57.9 = 0.179 and 46.5/57.9 = 0.803."""
    custom = crafted_shoppers(N_DRAWS, mismatch=15.0, custom=True)
    standard = crafted_shoppers(N_DRAWS, mismatch=15.0, custom=False)
    offers = store_and_workshop(record=0.02)
    both = joined_shoppers(custom, standard)
    chosen = choose(both, offers, 0.5, np.random.default_rng(13), all_pairs(2 * N_DRAWS)).offer
    base = odd_cost(60, 0.02, 0.02, 0.5, 20, 0, 0, 0)
    expected_custom = odd_logit(100, 10, [base + 15, base])
    expected_standard = odd_logit(100, 10, [base, base])
    assert expected_custom == pytest.approx([0.1793, 0.8035, 0.0173], abs=1e-3)
    assert shares(chosen, slice(0, N_DRAWS)) == pytest.approx(expected_custom, abs=0.006)
    assert shares(chosen, slice(N_DRAWS, None)) == pytest.approx(expected_standard, abs=0.006)


# --------------------------------------------------------------------------------------------
# 4. Workshop queues, and refunds when a workshop closes
# --------------------------------------------------------------------------------------------


def test_workshop_queue_is_fifo_and_closing_refunds_and_delivers(monkeypatch):
    """One workshop, 20 households, needs in a burst on even days. Labour 2 h/unit, 4 h a day, no
    learning, no printing progress, no errors, no injuries: exactly 2 units a day, delivered the
    next day. Its opening feedstock (20,000 kg, no opening cash) keeps its cash below zero, so
    with bankruptcy_days 4 it closes at the end of day 4. By hand, with q0..q19 the day-2 orders
    in shopper order: q0, q1 built day 2, delivered day 3; q2, q3 built day 3, delivered day 4;
    q0, q1 (free again) order again on day 4; q4, q5 built day 4, on their way at closing, so
    delivered at once; q6..q19 and the second orders of q0, q1 are refunded: open needs again,
    0 days old, not awaiting, money back."""
    n = 20
    model = ProductionEconomy(
        rng=2,
        n_consumers=n,
        n_factories=0,
        n_workshops=1,
        grid_width=10,
        grid_height=10,
        workshop_reach=50.0,
        good_value=1000.0,  # V = (1000 - ~100) / 6: everyone orders (P(not) ~ e^-150)
        initial_savings=10_000.0,
        base_income_per_day=0.0,  # cash moves only by orders and refunds
        other_spending_rate=0.0,
        error_probability=0.0,
        injury_rate=0.0,
        printing_progress=0.0,
        workshop_progress_ratio=1.0,
        workshop_labour_hours=2.0,
        workshop_hours_per_day=4.0,
        workshop_waste_share=0.0,
        workshop_feedstock_lot=20_000.0,
        workshop_initial_cash=0.0,
        good_lifetime_days=36500.0,
        bankruptcy_days=4,
        need_patience_days=30,
        **BURST_ON_EVEN_DAYS,
        **NO_ENTRY,
    )
    hh = model.households
    (workshop,) = model.workshops()
    owner = workshop.owner
    start_cash = hh.cash.copy()
    log: dict = defaultdict(list)
    shoppers_of, receive_of = Households.shoppers, Households.receive

    def spy_shoppers(self, idx):
        log["shoppers", model.steps].extend(idx.tolist())
        return shoppers_of(self, idx)

    def spy_receive(self, idx, mode, defective):
        log["delivered", model.steps].extend(idx.tolist())
        return receive_of(self, idx, mode, defective)

    monkeypatch.setattr(Households, "shoppers", spy_shoppers)
    monkeypatch.setattr(Households, "receive", spy_receive)
    model.run_for(2)
    q = log["shoppers", 2]  # the day-2 shoppers in shopper order: first come, first queued
    assert sorted(q) == list(range(n)) and hh.awaiting.all()  # everyone ordered
    price = workshop.price  # posted at the end of day 1, paid on day 2 ...
    model.step()
    assert workshop.price == price  # ... and unchanged (no learning, no progress)
    model.step()  # day 4: q4, q5 built, then the workshop closes
    assert model.workshops() == []
    assert log["delivered", 1] == log["delivered", 2] == []
    assert log["delivered", 3] == q[0:2]  # first come, first built
    assert log["delivered", 4] == q[2:4] + q[4:6]  # at step 7, then at closing
    assert sorted(log["shoppers", 4]) == sorted(q[0:2])  # only they were free on day 4
    refunded = q[6:] + q[0:2]
    assert sorted(np.flatnonzero(hh.pending).tolist()) == sorted(refunded)
    assert (hh.waiting_days[refunded] == 0).all()
    assert not hh.awaiting.any() and not hh.turned_away.any()
    assert (hh.holdings[q[:6]] == 1).all() and (hh.holdings[q[6:]] == 0).all()
    buyers = [h for h in q[:6] if h != owner]  # the owner is also paid for her hours
    refunded_only = [h for h in q[6:] if h != owner]
    np.testing.assert_allclose(hh.cash[refunded_only], start_cash[refunded_only], rtol=1e-12)
    np.testing.assert_allclose(hh.cash[buyers], start_cash[buyers] - price, rtol=1e-12)
    model.step()  # day 5: no seller left; the reopened needs shop and are one day old
    assert sorted(log["shoppers", 5]) == sorted(refunded)
    assert (hh.waiting_days[refunded] == 1).all() and hh.pending[refunded].all()


# --------------------------------------------------------------------------------------------
# 5. Staffing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "workers_at_start"),
    [
        (80.0, 7),  # demand binds: 10 / 0.8 = 12.5 units a day, 12.5 * 3 h / 6 h = 6.25 -> 7
        (11.0, 6),  # machines bind: min(11, 12.5) = 11 units, 11 * 3 / 6 = 5.5 -> 6
    ],
)
def test_factory_hires_and_lays_off_to_planned_labour_hours(capacity, workers_at_start):
    """One factory of exact size (no dispersion), two stores each expecting 100 * 0.1 / 2 = 5
    units a day; 3 h of labour per unit (no learning without output), 6 h per worker. Nobody has
    cash, so stores see no demand and order nothing (no backlog). With a 30-day forecast window
    and reviews every 10 days, a store's forecast at day 10 is (20 * 5 + 10 * 0) / 30 = 3.33, so
    planned = 6.67 / 0.8 = 8.33 units, 8.33 * 3 / 6 = 4.17 -> 5 workers; at day 20 it is 10 * 5 /
    30 = 1.67, planned 4.17, 2.08 -> 3 workers; at day 30 it is 0 and the floor of one worker
    holds. Between reviews the workforce stays; layoffs take the last hired."""
    model = ProductionEconomy(
        rng=4,
        n_consumers=100,
        n_factories=1,
        stores_per_factory=2,
        n_workshops=0,
        grid_width=10,
        grid_height=10,
        need_rate=0.1,
        firm_size_dispersion=0.0,
        factory_capacity=capacity,
        factory_labour_hours=3.0,
        hours_per_day=6.0,
        policy_review_days=10,
        forecast_window=30,
        initial_stock_days=20.0,
        initial_savings=0.0,
        base_income_per_day=0.0,
        wage_per_hour=0.0,
        **NO_ENTRY,
    )
    (factory,) = model.factories()
    hh = model.households
    hired = factory.workers.tolist()  # in hiring order
    assert len(hired) == workers_at_start
    expected = {0: workers_at_start} | dict.fromkeys(range(10, 20), 5)
    expected |= dict.fromkeys(range(20, 30), 3) | {30: 1}
    for day in range(0, 31):
        if day:
            model.step()
        wanted = expected.get(day, workers_at_start)
        employed = np.flatnonzero(hh.employer == factory.unique_id).tolist()
        assert sorted(employed) == sorted(hired[:wanted]), f"day {day}"
        assert factory.workers.tolist() == hired[:wanted]
        assert not factory.lots and all(s.on_order == 0 for s in factory.stores)


# --------------------------------------------------------------------------------------------
# 6. Push planning
# --------------------------------------------------------------------------------------------


def test_push_plan_follows_the_forecast_at_its_cadence(monkeypatch):
    """Push, plan period P = 5. Day 1 by hand: 210 households at need_rate 0.1 over 3 stores
    expect 7 a day each; shipping 3 days, so L = 3 + 1 = 4 and opening stock round(7 * (4 + 7)) =
    77. Day 1 is an off day of the burst pattern (no needs), so each forecast becomes
    (13 * 7 + 0) / 14 = 6.5: F = 19.5, cover = 4 + 5 = 9, rate = 19.5 + (19.5 * 9 - 231) / 5 =
    8.4. Then: a plan exactly on days 1, 6, 11, ... (or when the rate is 0), each equal to the
    ODD formula on the stores' forecasts, lead times and positions of that moment; every day
    releases floor(rate) or floor(rate) + 1 units, the extra unit with the fraction's chance."""
    period = 5
    model = ProductionEconomy(
        rng=6,
        n_consumers=210,
        n_factories=1,
        stores_per_factory=3,
        n_workshops=0,
        grid_width=10,
        grid_height=10,
        store_reach=30.0,
        need_rate=0.1,
        demand_cycle_days=2,
        demand_peak_days=1,
        peak_to_mean=2.0,
        firm_size_dispersion=0.0,
        shipping_days_per_cell=0.0,
        replenishment_policy="push",
        push_plan_days=period,
        factory_initial_cash=1e9,
        **NO_ENTRY,
    )
    (factory,) = model.factories()
    plans: dict[int, tuple[float, float]] = {}
    released: dict[int, int] = defaultdict(int)
    plan_of, order_of = CentralFactory.plan_push, CentralFactory.receive_order

    def spy_plan(self):
        stores = self.stores
        forecast = sum(s.demand_forecast.mean for s in stores)
        cover = sum(s.lead_time() + period for s in stores) / len(stores)
        position = sum(s.inventory_position() for s in stores)
        expected = max(0.0, forecast + (forecast * cover - position) / period)
        plan_of(self)
        plans[self.model.steps] = (expected, self.push_rate)

    def spy_order(self, store, quantity):
        released[self.model.steps] += quantity
        return order_of(self, store, quantity)

    monkeypatch.setattr(CentralFactory, "plan_push", spy_plan)
    monkeypatch.setattr(CentralFactory, "receive_order", spy_order)
    rate_at_end = {0: factory.push_rate}
    for day in range(1, 91):
        model.step()
        rate_at_end[day] = factory.push_rate
    assert plans[1][0] == pytest.approx(8.4) and plans[1][1] == pytest.approx(8.4)
    due = {d for d in range(1, 91) if (d - 1) % period == 0 or rate_at_end[d - 1] == 0}
    assert set(plans) == due
    assert len(due) < 40  # most days keep the plan: the cadence is tested
    for expected, planned in plans.values():
        assert planned == pytest.approx(expected, rel=1e-12, abs=1e-12)
    surplus, chance, spread = 0, 0.0, 0.0
    for day in range(1, 91):
        whole = math.floor(rate_at_end[day])
        assert released[day] in (whole, whole + 1), f"day {day}"
        fraction = rate_at_end[day] - whole
        surplus += released[day] - whole
        chance += fraction
        spread += fraction * (1 - fraction)
    assert abs(surplus - chance) <= 4 * math.sqrt(spread) + 1e-9  # Bernoulli sums, 4 sd


# --------------------------------------------------------------------------------------------
# 7. Injuries
# --------------------------------------------------------------------------------------------

LOST_DAYS = 5


def injury_economy(monkeypatch):
    """One factory of 38 workers (demand 300 * 0.1 = 30 a day, 30 / 0.8 * 8 h / 8 h = 37.5 -> 38),
    8 h per unit and 8 h a day without learning, so today's capacity is its healthy workers
    (machines: 200). At 100 injuries per 100 FTE-years (5e-4 an hour) a worker is hurt with
    chance 0.004 a day. Returns the model, its factory and the injuries (day, households) as
    the factory's `injure` records them (read from the outside: whose counter it set)."""
    model = ProductionEconomy(
        rng=8,
        n_consumers=300,
        n_factories=1,
        stores_per_factory=1,
        n_workshops=0,
        grid_width=10,
        grid_height=10,
        need_rate=0.1,
        firm_size_dispersion=0.0,
        factory_capacity=200.0,
        factory_labour_hours=8.0,
        hours_per_day=8.0,
        progress_ratio=1.0,
        injury_rate=100.0,
        injury_lost_days=LOST_DAYS,
        policy_review_days=365,
        factory_initial_cash=1e9,
        base_income_per_day=0.0,
        other_spending_rate=0.0,
        # machines that never bind are this test's premise: its households buy nothing, and
        # under the capacity rule the factory would retire all but one module on day 30
        capacity_rule="fixed",
        **NO_ENTRY,
    )
    injuries: list[tuple[int, list[int]]] = []
    injure_of = CentralFactory.injure

    def spy(self, count, healthy):
        before = self.model.households.injured_days.copy()
        injure_of(self, count, healthy)
        hurt = np.flatnonzero(self.model.households.injured_days != before).tolist()
        if hurt:
            injuries.append((self.model.steps, hurt))

    monkeypatch.setattr(CentralFactory, "injure", spy)
    (factory,) = model.factories()
    assert len(factory.workers) == 38
    return model, factory, injuries


def test_injured_worker_counts_down_and_returns(monkeypatch):
    """After each injury the counter (working days still to miss) is set to injury_lost_days
    at the end of the injury day and falls by one each day it is out, to 0; a worker whose
    counter is positive when the day starts does not work (today's capacity is the healthy
    workers), one whose counter is 0 works again; the out are paid sick pay (0.66 of 8 h at
    $30 = $158.40) on the days they miss, and the full wage on the day of the injury, which they
    worked."""
    model, factory, injuries = injury_economy(monkeypatch)
    hh = model.households
    workers = factory.workers.copy()
    counters = {0: hh.injured_days.copy()}
    for day in range(1, 91):
        model.step()
        counters[day] = hh.injured_days.copy()
        out = int((counters[day - 1][workers] > 0).sum())
        assert factory.capacity_today == len(workers) - out, f"day {day}"
        income = hh.income_today[workers]
        sick = counters[day - 1][workers] > 0
        np.testing.assert_allclose(income[sick], 0.66 * 8 * 30)
        np.testing.assert_allclose(income[~sick], 8 * 30)
    assert len(injuries) >= 5  # enough injuries to see (about 38 * 0.004 * 90 = 14 expected)
    for day, hurt in injuries:
        if day + LOST_DAYS > 90:
            continue  # its count-down runs past the end of the run
        for h in hurt:
            seen = [int(counters[d][h]) for d in range(day, day + LOST_DAYS + 1)]
            # set during the injury day, then down by one each day missed, to 0
            assert seen == list(range(LOST_DAYS, -1, -1)), (day, h, seen)


def test_injured_worker_misses_exactly_the_documented_working_days(monkeypatch):
    """ODD 7.10: an injured household loses `injury_lost_days` working days. A worker hurt
    during day t's shift (it worked that day: its hours made the day's output) is out on days
    t + 1, ..., t + 5 and works again on day t + 6, so today's capacity is 38 minus the workers
    hurt within the last 5 days before today."""
    model, factory, injuries = injury_economy(monkeypatch)
    capacity = {}
    for day in range(1, 91):
        model.step()
        capacity[day] = factory.capacity_today
    assert len(injuries) >= 5
    for day in range(1, 91):
        out = sum(len(hurt) for t, hurt in injuries if t < day <= t + LOST_DAYS)
        assert capacity[day] == 38 - out, f"day {day}"


# --------------------------------------------------------------------------------------------
# 8. Little's law, measured from the outside
# --------------------------------------------------------------------------------------------


def test_littles_law_from_an_outside_record(monkeypatch):
    """Each store's shelf: lots arriving (spied on `RetailStore.receive`: day, units), units sold
    (spied on `RetailStore.serve`), the level at each day's end (read after the step). From that
    record alone: the stock balance holds day by day; matching sales to arrivals first in,
    first out gives each unit's days on the shelf W (a unit seen at day ends a .. d - 1 stayed
    d - a days); the area under the level curve equals the departed units' days plus the days of
    units still on the shelf (exactly), and L = lambda W up to that end effect. The store's flow
    meter must agree with this record."""
    days = 300
    model = ProductionEconomy(
        rng=1,
        n_consumers=200,
        n_factories=1,
        stores_per_factory=2,
        n_workshops=0,
        grid_width=10,
        grid_height=10,
        store_reach=30.0,
        error_probability=0.0,
        need_rate=0.15,
        shipping_lead_time=6,
        factory_initial_cash=1e9,
        # the shelf's L and W below (and the end-effect bound) are those of a factory with
        # machines to spare; this test is about the meter, so capacity stays as built (under
        # the capacity rule the factory shrinks toward its 30 needs a day, replenishment slows,
        # and the end effect grows to 15.5 units against a bound of 13)
        capacity_rule="fixed",
        **NO_ENTRY,
    )
    stores = model.stores()
    arrived = {s: [[0, s.on_hand]] for s in stores}  # [day, units]; opening stock on day 0
    sold = {s: defaultdict(int) for s in stores}
    received = {s: defaultdict(int) for s in stores}
    receive_of, serve_of = RetailStore.receive, RetailStore.serve

    def spy_receive(self, lot):
        arrived[self].append([self.model.steps, lot.done])
        received[self][self.model.steps] += lot.done
        return receive_of(self, lot)

    def spy_serve(self, shoppers, new_needs):
        units = serve_of(self, shoppers, new_needs)
        sold[self][self.model.steps] += len(units)
        return units

    monkeypatch.setattr(RetailStore, "receive", spy_receive)
    monkeypatch.setattr(RetailStore, "serve", spy_serve)
    level = {s: [s.on_hand] for s in stores}
    for _ in range(days):
        model.step()
        for s in stores:
            level[s].append(s.on_hand)
    assert model.stores() == stores  # no store closed
    for s in stores:
        for day in range(1, days + 1):  # the stock balance, day by day
            assert level[s][day] == level[s][day - 1] + received[s][day] - sold[s][day]
        shelf = deque(arrived[s])
        times = []  # days on the shelf of each unit sold, first in first out
        clipped = 0  # the same, counting only day ends 1 .. days (observed)
        for day in range(1, days + 1):
            k = sold[s][day]
            while k:
                batch = shelf[0]
                take = min(k, batch[1])
                times += [day - batch[0]] * take
                clipped += take * (day - max(batch[0], 1))
                batch[1] -= take
                k -= take
                if batch[1] == 0:
                    shelf.popleft()
        still = sum(units * (days + 1 - max(a, 1)) for a, units in shelf)
        area = sum(level[s][1:])
        assert area == clipped + still  # the sample-path form of Little's law, exact
        departures = len(times)
        mean_level, throughput, mean_time = area / days, departures / days, np.mean(times)
        assert departures > 500 and mean_level > 5  # a busy shelf
        # L = lambda W up to the end effects: the units left on the shelf and the opening
        # stock's day 0, which W counts but no day end observed
        end_effect = (still + (clipped - sum(times))) / days
        assert mean_level - throughput * mean_time == pytest.approx(end_effect)
        # the end effect is about L W / T: under a tenth of L when W is a couple of weeks and
        # T = 300 days (here L ~ 150 units, W ~ 16 days, the end effect ~ 6 units)
        assert abs(end_effect) < 0.1 * mean_level
        meter = s.shelf.meter
        assert meter.days == days
        assert meter.mean_level == pytest.approx(mean_level)
        assert meter.throughput == pytest.approx(throughput)
        assert meter.mean_time == pytest.approx(mean_time)
