"""Trading, the day's market clearing: households with open needs see today's offers and
choose (`market.choose`, the logit choice); stores sell from stock in arrival order, workshops
take paid orders into their queues; units reach households, and escaped defects come back for a
refund.

The choice itself (`market`) is pure arithmetic on arrays; this module is the phase of the day
that feeds it the model's state and carries out what households chose, moving money only through
the ledger and household state only through the households' methods. Each function takes the
model (`ProductionEconomy`) whose day it is.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from abm.economy.households import NOBODY
from abm.economy.ledger import OUTSIDE, FirmList, FirmRows, HouseholdAccounts
from abm.economy.market import NO_CHOICE, Offers, choose
from abm.economy.modes import FACTORY, WORKSHOP
from abm.economy.tally import Count
from abm.economy.workshops import Units


def todays_offers(model) -> Offers:
    """Today's offers of every store and workshop, as arrays by offer id for the choice."""
    stores = model.stores()
    arrays = model.workshop_arrays
    rows = arrays.live()
    n = len(model.reach)
    price, lead_time, record = np.zeros(n), np.zeros(n), np.zeros(n)
    mode = np.full(n, FACTORY)
    ids = [s.offer_id for s in stores]
    price[ids] = [s.price for s in stores]
    lead_time[ids] = [s.expected_wait() for s in stores]
    record[ids] = [s.factory.defect_record() for s in stores]
    ids = arrays.offer_id[rows]
    price[ids] = arrays.price[rows]
    lead_time[ids] = arrays.lead_times(rows, arrays.technology(rows, model.steps))
    record[ids] = arrays.defect_records(rows)
    mode[ids] = WORKSHOP
    return Offers(
        price=price,
        lead_time=lead_time,
        mode=mode,
        makes_custom=mode == WORKSHOP,
        defect_record=record,
    )


def trade(model) -> None:
    """Households with open needs choose; stores sell from stock, workshops queue orders."""
    hh = model.households
    shopping = np.flatnonzero(hh.pending)
    if len(shopping) == 0:
        return
    shopping = model.rng.permutation(shopping)
    pairs = model.reach.pairs(shopping)
    weight = model.p["own_experience_weight"]
    offers = todays_offers(model)
    choice = choose(hh.shoppers(shopping), offers, weight, model.rng, pairs)
    buying = choice.offer != NO_CHOICE
    if not buying.any():
        return
    buyers, picks, tastes = shopping[buying], choice.offer[buying], choice.taste[buying]
    to_order = offers.mode[picks] == WORKSHOP
    order_from_workshops(model, buyers[to_order], picks[to_order], offers.price, tastes[to_order])
    sell_from_stores(model, buyers[~to_order], picks[~to_order], tastes[~to_order])


def sell_from_stores(model, buyers: np.ndarray, offer_ids: np.ndarray, tastes) -> None:
    """Stores serve their shoppers from stock in arrival order; households pay the
    factories' prices. `tastes`: each buyer's taste for its store, in $.

    A shopper turned away who comes back tomorrow is one need, not two: demand and lost
    sales count each need once, so retries do not inflate the forecast.
    """
    if len(buyers) == 0:
        return
    hh = model.households
    order = np.argsort(offer_ids, kind="stable")  # group buyers by store, first come first
    buyers, tastes = buyers[order], tastes[order]
    ids, starts, shoppers = np.unique(offer_ids[order], return_index=True, return_counts=True)
    stores = [model.sellers[j] for j in ids.tolist()]
    store_of = np.repeat(np.arange(len(stores)), shoppers)
    stock = np.array([store.on_hand for store in stores])
    served = np.arange(len(buyers)) - starts[store_of] < stock[store_of]
    new_need = hh.first_tries(buyers)
    new_needs = np.bincount(store_of, weights=new_need, minlength=len(stores))
    model.tally.add(FACTORY, Count.LOST_SALES, int((new_need & ~served).sum()))
    hh.turn_away(buyers[~served])
    defective = np.concatenate(
        [
            store.serve(n, int(needs))
            for store, n, needs in zip(stores, shoppers.tolist(), new_needs, strict=True)
        ]
    )
    factories = model.factories()
    number = {factory: k for k, factory in enumerate(factories)}
    factory_of = np.array([number[store.factory] for store in stores])[store_of[served]]
    sellers = FirmList(factories, factory_of, FACTORY)
    buyers = buyers[served]
    paid = np.array([f.price for f in factories])[factory_of]
    sell(model, buyers, sellers, paid, tastes[served])
    hh.bought_from_store(buyers)
    waited = hh.waiting_days[buyers]  # days since the need arose, retries included
    deliver(model, sellers, buyers, defective, paid, waited)


def order_from_workshops(model, buyers: np.ndarray, offer_ids: np.ndarray, price, tastes) -> None:
    """Households pay workshops up front (`price` by offer id) and join their queues;
    `tastes`: each buyer's taste for its workshop, in $."""
    if len(buyers) == 0:
        return
    hh = model.households
    arrays = model.workshop_arrays
    live = arrays.live()
    row_of_offer = np.full(len(model.reach), NOBODY)
    row_of_offer[arrays.offer_id[live]] = live
    rows = row_of_offer[offer_ids]
    paid = price[offer_ids]
    sell(model, buyers, arrays.account(rows), paid, tastes)
    model.tally.add(WORKSHOP, Count.DEMAND, len(buyers))
    hh.ordered_from_workshop(buyers)
    order = np.argsort(rows, kind="stable")  # group buyers by workshop, first come first
    buyers = buyers[order]
    waited = hh.waiting_days[buyers]
    arrays.take_orders(rows[order], buyers, model.steps, paid[order], waited)


def sell(model, buyers: np.ndarray, sellers, paid: np.ndarray, tastes: np.ndarray) -> None:
    """Households `buyers` pay `sellers` (factories or workshops, one per buyer) the price:
    the mode's sales and the buyers' consumer surplus of the day (`tastes`: each buyer's
    taste for the offer, in $)."""
    model.ledger.pay(HouseholdAccounts(buyers), sellers, paid, "sales")
    model.households.add_surplus(sellers.mode, buyers, paid, tastes)
    model.tally.add(sellers.mode, Count.SALES_VALUE, float(paid.sum()))


def refund(model, sellers, households: np.ndarray, paid: np.ndarray) -> None:
    """`sellers` pay `households` back what they paid (a returned unit, or an order its
    workshop will never make): the sale is undone in the mode's sales and surplus."""
    model.ledger.pay(sellers, HouseholdAccounts(households), paid, "refunds")
    model.tally.add(sellers.mode, Count.SALES_VALUE, -float(paid.sum()))
    model.households.take_back_surplus(sellers.mode, households, paid)


def deliver(model, seller, buyers, defective, prices, lead_times) -> None:
    """Units reach households; escaped defects come back for a refund and are scrapped.

    `seller`: the factories (`FirmList`) or the workshops (`FirmRows`), one per unit."""
    if len(buyers) == 0:
        return
    p = model.p
    mode = seller.mode
    goods = model.goods[mode]
    returned = buyers[defective]
    goods.sold += len(buyers) - len(returned)
    goods.scrapped += len(returned)
    if isinstance(seller, FirmRows):
        model.workshop_arrays.count_deliveries(seller.index, defective)
    else:
        n = len(seller.firms)
        units = np.bincount(seller.index, minlength=n).tolist()
        returns = np.bincount(seller.index[defective], minlength=n).tolist()
        for firm, delivered, came_back in zip(seller.firms, units, returns, strict=True):
            firm.delivered_count += delivered
            firm.returns_count += came_back
    model.tally.add(mode, Count.UNITS_SOLD, len(buyers) - len(returned))
    model.tally.add(mode, Count.RETURNS, len(returned))
    model.tally.add(mode, Count.LEAD_TIME_DAYS, float(np.sum(lead_times)))
    model.tally.add(mode, Count.DELIVERIES, len(buyers))
    if len(returned):
        seller = replace(seller, index=seller.index[defective])
        refund(model, seller, returned, np.broadcast_to(prices, buyers.shape)[defective])
        per_unit = np.ones(len(returned))
        model.ledger.pay(seller, OUTSIDE, p["return_handling_cost"] * per_unit, "returns")
        model.dispose(seller, mode, p["feedstock_per_unit"] * per_unit)  # scrapped whole
    model.households.receive(buyers, mode, defective)


def deliver_workshop_units(model, units: Units) -> None:
    """Workshop units reach the households who ordered them."""
    if len(units.household) == 0:
        return
    waited = model.steps - units.ordered + units.waited_before
    model.households.units_arrived(units.household)
    sellers = model.workshop_arrays.account(units.row)
    deliver(model, sellers, units.household, units.defective, units.paid, waited.astype(float))
