"""Turn mutmut's results (mutants/*.meta) into the mutation score per module and the survivors.

    python tools/mutation_report.py                  print the Markdown report
    python tools/mutation_report.py --write docs/testing.md
                                                     replace the report between the markers
                                                     (<!-- mutation:start/end -->) and
                                                     write docs/mutation/survivors.json
    python tools/mutation_report.py --names          the non-equivalent survivors' names, one a
                                                     line (for `mutmut run NAME...`)
    python tools/mutation_report.py --stubs          an entry of equivalent.toml for each
                                                     survivor not judged equivalent, to fill in

Run it from the project's root after `mutmut run` (`make mutation` does both). The modules are
those of `only_mutate` in pyproject.toml's [tool.mutmut]. A surviving mutant is judged
equivalent (it cannot change behaviour) in docs/mutation/equivalent.toml, by its function and
the line it changes, so a judgement outlives mutmut's numbering of the mutants.

Score: mutants detected (killed, or timed out, or crashed) over mutants that are not judged
equivalent. "No tests" mutants (no selected test calls the function) count as not detected.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "docs" / "mutation" / "equivalent.toml"
SURVIVORS = ROOT / "docs" / "mutation" / "survivors.json"
BEGIN, END = "<!-- mutation:start -->", "<!-- mutation:end -->"

# mutmut's exit codes (mutmut.stats.status_by_exit_code, copied so this runs without mutmut)
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "crashed",
    -9: "crashed",  # SIGKILL: mostly the CPU-time limit's hard stop, so a timeout too
    2: "interrupted",
    None: "not checked",
}
DETECTED = ("killed", "timeout", "crashed", "caught by type check")
SEP = "ǁ"  # mutmut's separator of class and method in a mutant's name


@dataclass
class Mutant:
    name: str  # mutmut's name, e.g. abm.economy.ledger.xǁLedgerǁpay__mutmut_5
    module: str  # abm/economy/ledger.py
    function: str  # Ledger.pay
    status: str
    old: str = ""  # the lines the mutation removes, stripped, joined by " ⏎ "
    new: str = ""  # the lines it puts instead
    equivalent: str = ""  # why it cannot change behaviour, if judged so
    seconds: float = 0.0  # how long its tests ran (0 if not run)


def function_of(name: str) -> str:
    """`Ledger.pay` for abm.economy.ledger.xǁLedgerǁpay__mutmut_5, `f` for ...x_f__mutmut_2."""
    mangled = name.partition("__mutmut_")[0].rpartition(".")[2]
    if SEP in mangled:
        _, cls, method = mangled.split(SEP)
        return f"{cls}.{method}"
    return mangled.removeprefix("x_")


def mutmut_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def load_mutants(modules: list[str]) -> list[Mutant]:
    mutants = []
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        seconds = data.get("durations_by_key", {})
        for name, code in data["exit_code_by_key"].items():
            status = STATUS.get(code, "suspicious")
            mutant = Mutant(name, module, function_of(name), status, seconds=seconds.get(name, 0.0))
            mutants.append(mutant)
    return mutants


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added lines of a unified diff, each stripped and joined by ' ⏎ '."""
    old, new = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            old.append(line[1:].strip())
        elif line.startswith("+"):
            new.append(line[1:].strip())
    return " ⏎ ".join(old), " ⏎ ".join(new)


def diff_of(mutant: Mutant) -> str:
    try:  # mutmut's own reader: fast, but not a public API
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        return get_diff_for_mutant(mutant.name, path=mutant.module)
    except Exception:  # noqa: BLE001 - any change inside mutmut: ask its command line
        mutmut = Path(sys.executable).with_name("mutmut")
        out = subprocess.run([str(mutmut), "show", mutant.name], capture_output=True, text=True)
        return out.stdout


def load_equivalent() -> dict[tuple[str, str, str, str], str]:
    if not EQUIVALENT.exists():
        return {}
    entries = tomllib.loads(EQUIVALENT.read_text()).get("equivalent", [])
    return {(e["module"], e["function"], e["old"], e["new"]): e["why"] for e in entries}


def judge(mutants: list[Mutant]) -> None:
    """Fill in the changed lines of every survivor and whether it is judged equivalent."""
    equivalent = load_equivalent()
    for m in mutants:
        if m.status != "survived":
            continue
        m.old, m.new = changed_lines(diff_of(m))
        m.equivalent = equivalent.get((m.module, m.function, m.old, m.new), "")


def score_table(mutants: list[Mutant], modules: list[str]) -> list[str]:
    rows = [
        "| module | mutants | killed | timeout | survived (equivalent) | no tests | other "
        "| not checked | score | tests' time |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    totals: dict[str, float] = defaultdict(int)

    def row(label: str, c: dict[str, float]) -> str:
        detected = sum(c[s] for s in DETECTED)
        judged = c["checked"] - c["equivalent"]
        score = f"{100 * detected / judged:.1f}%" if judged else "-"
        if c["not checked"]:
            score += " (partial)"
        other = c["checked"] - c["killed"] - c["timeout"] - c["survived"] - c["no tests"]
        return (
            f"| {label} | {c['all']} | {c['killed']} | {c['timeout']} | "
            f"{c['survived']} ({c['equivalent']}) | {c['no tests']} | {other} | "
            f"{c['not checked']} | {score} | {c['seconds'] / 60:.0f} min |"
        )

    for module in modules:
        c: dict[str, float] = defaultdict(int)
        for m in mutants:
            if m.module != module:
                continue
            c["all"] += 1
            c[m.status] += 1
            c["checked"] += m.status != "not checked"
            c["equivalent"] += bool(m.equivalent)
            c["seconds"] += m.seconds
        for k, v in c.items():
            totals[k] += v
        rows.append(row(f"`{Path(module).name}`", c))
    rows.append(row("**all five**" if len(modules) == 5 else "**all**", totals))
    return rows


def survivors_section(mutants: list[Mutant], modules: list[str]) -> list[str]:
    lines = []
    for module in modules:
        by_function: dict[str, list[Mutant]] = defaultdict(list)
        for m in mutants:
            if m.module == module and m.status in ("survived", "no tests"):
                by_function[m.function].append(m)
        if not by_function:
            continue
        lines += ["", f"#### `{Path(module).name}`", ""]
        for function in sorted(by_function, key=lambda f: -len(by_function[f])):
            group = by_function[function]
            todo = [m for m in group if not m.equivalent]
            n_equivalent = len(group) - len(todo)
            lines.append(f"- `{function}`: {len(todo)} to kill, {n_equivalent} equivalent")
            if all(m.status == "no tests" for m in group):
                lines.append("  - no selected test calls it: none of its mutants can be killed")
                continue
            for m in group:
                what = mutation_text(m)
                if m.equivalent:
                    lines.append(f"  - equivalent: {what}. {m.equivalent}")
                else:
                    lines.append(f"  - {what}")
    return lines


def mutation_text(m: Mutant) -> str:
    if m.status == "no tests":
        return "no selected test calls it (every mutant of it survives)"
    number = m.name.rpartition("__mutmut_")[2]
    old, new = (short(x) for x in (m.old, m.new))
    return f"#{number} `{old}` → `{new}`"


def short(code: str, width: int = 110) -> str:
    code = re.sub(r"\s+", " ", code).replace("`", "'")
    return code if len(code) <= width else code[: width - 1] + "…"


def provenance(modules: list[str], commit: str | None) -> str:
    """When, at which commit and with which mutmut the results were measured."""
    stamps = [
        (ROOT / "mutants" / f"{m}.meta").stat().st_mtime
        for m in modules
        if (ROOT / "mutants" / f"{m}.meta").exists()
    ]
    days = sorted({time.strftime("%Y-%m-%d", time.gmtime(t)) for t in stamps})
    if commit is None:

        def git(*args: str) -> str:
            out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
            return out.stdout.strip()

        commit = git("rev-parse", "--short", "HEAD") or "unknown"
        if git("status", "--porcelain", "abm", "tests"):
            commit += " with uncommitted changes to abm/ or tests/"
    try:
        from importlib.metadata import version

        tool = f"mutmut {version('mutmut')}"
    except Exception:  # noqa: BLE001
        tool = "mutmut"
    when = " to ".join(dict.fromkeys([days[0], days[-1]])) if days else "never"
    return f"Measured with {tool} on {when} (UTC), at commit {commit}."


def report(mutants: list[Mutant], modules: list[str], commit: str | None = None) -> str:
    lines = [provenance(modules, commit), ""]
    lines += score_table(mutants, modules)
    lines += [
        "",
        "Survivors and untested mutants, by function (the most first). `#n` is mutmut's number",
        "of the mutant in that function: `mutmut show NAME` with NAME from "
        "`docs/mutation/survivors.json` shows it.",
    ]
    lines += survivors_section(mutants, modules)
    return "\n".join(lines) + "\n"


def write(doc: Path, text: str, mutants: list[Mutant]) -> None:
    body = doc.read_text()
    start, end = body.index(BEGIN) + len(BEGIN), body.index(END)
    doc.write_text(body[:start] + "\n" + text + body[end:])
    todo = [asdict(m) for m in mutants if m.status in ("survived", "no tests")]
    SURVIVORS.parent.mkdir(parents=True, exist_ok=True)
    SURVIVORS.write_text(json.dumps(todo, indent=1, ensure_ascii=False) + "\n")


def stub(m: Mutant) -> str:
    """An [[equivalent]] entry for `m` (TOML's basic strings take JSON's escapes)."""
    number = m.name.rpartition("__mutmut_")[2]
    fields = {"module": m.module, "function": m.function, "old": m.old, "new": m.new, "why": ""}
    lines = [f"[[equivalent]]  # #{number}"]
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="the Markdown file whose report to replace")
    parser.add_argument("--names", action="store_true", help="print the survivors' names")
    parser.add_argument("--stubs", action="store_true", help="print equivalent.toml stubs")
    parser.add_argument("--commit", help="the commit measured (default: git's HEAD)")
    args = parser.parse_args(argv)

    modules = mutmut_config()["only_mutate"]
    mutants = load_mutants(modules)
    if not mutants:
        print("no results under mutants/: run `make mutation` first", file=sys.stderr)
        return 1
    judge(mutants)
    if args.names:
        print("\n".join(m.name for m in mutants if m.status == "survived" and not m.equivalent))
        return 0
    if args.stubs:
        for m in mutants:
            if m.status == "survived" and not m.equivalent:
                print(stub(m))
        return 0
    text = report(mutants, modules, args.commit)
    if args.write:
        write(args.write, text, mutants)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
