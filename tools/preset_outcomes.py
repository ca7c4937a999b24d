"""How each preset ends, seed by seed: the runs behind docs/ODD.md, *Why scenarios differ*.

    python tools/preset_outcomes.py                       # seeds 0-4, 730 days, today's rules
    python tools/preset_outcomes.py --set pricing_rule=fixed_markup --label "fixed markup"

Prints one Markdown row per (preset, seed): survivors, the dominant mode and since when, the
workshops' final share, the opening and final prices, firms at the end, entries and exits of each
mode, and the opening price gap (workshop - factory price - custom share x mismatch cost).
`--csv FILE` also writes the rows as CSV. Runs go to all cores.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from abm import ProductionEconomy
from abm.economy.scenarios import available, load_scenario


def outcome(name: str, seed: int, days: int, extra: dict[str, str]) -> dict:
    model = ProductionEconomy(rng=seed, **(load_scenario(name).overrides | extra))
    model.run_for(days)
    df = model.dataframe()
    verdict = model.verdict(df)
    first, last = df.iloc[0], df.iloc[-1]
    p = model.p
    row = {
        "preset": name,
        "seed": seed,
        "survivors": "+".join(verdict["survivors"]) or "none",
        "dominant": verdict["dominant"],
        "since": verdict["dominant_since_day"],
        "share_workshop": verdict["by_mode"]["workshop"]["final_share"],
        "gap0": first["price_workshop"]
        - first["price_factory"]
        - p["custom_share"] * p["custom_mismatch_cost"],
    }
    for mode in ("factory", "workshop"):
        row[f"price0_{mode}"] = first[f"price_{mode}"]
        row[f"price_{mode}"] = last[f"price_{mode}"]
        row[f"firms_{mode}"] = int(last[f"active_firms_{mode}"])
        row[f"entries_{mode}"] = int(df[f"entries_{mode}"].sum())
        exits = df[f"bankruptcies_{mode}"].sum()
        if f"exits_{mode}" in df:
            exits += df[f"exits_{mode}"].sum()
        row[f"exits_{mode}"] = int(exits)
    return row


def markdown(rows: pd.DataFrame) -> str:
    head = (
        "| preset | seed | survivors | dominant (since day) | workshop share | opening gap $ | "
        "price F: day 0 → end | price W: day 0 → end | firms F/W at end | entries F/W | "
        "exits F/W |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows.itertuples():
        since = "" if pd.isna(r.since) else f" ({int(r.since)})"
        lines.append(
            f"| {r.preset} | {r.seed} | {r.survivors} | {r.dominant}{since} | "
            f"{r.share_workshop:.2f} | {r.gap0:+.1f} | "
            f"{r.price0_factory:.1f} → {r.price_factory:.1f} | "
            f"{r.price0_workshop:.1f} → {r.price_workshop:.1f} | "
            f"{r.firms_factory}/{r.firms_workshop} | {r.entries_factory}/{r.entries_workshop} | "
            f"{r.exits_factory}/{r.exits_workshop} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--preset", action="append", default=None)
    parser.add_argument("--label", default="")
    parser.add_argument("--csv", default=None)
    args = parser.parse_args()
    extra = dict(setting.split("=", 1) for setting in args.set)
    jobs = [(name, seed) for name in (args.preset or available()) for seed in range(args.seeds)]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        futures = [pool.submit(outcome, name, seed, args.days, extra) for name, seed in jobs]
        rows = pd.DataFrame([f.result() for f in futures])
    if args.csv:
        rows.assign(label=args.label).to_csv(args.csv, index=False)
    print(markdown(rows))


if __name__ == "__main__":
    main()
