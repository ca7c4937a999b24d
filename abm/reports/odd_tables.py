"""Refresh the generated blocks of a Markdown file: `python -m abm.reports.odd_tables docs/ODD.md`.

Blocks sit between `<!-- NAME:start -->` and `<!-- NAME:end -->` lines; NAME is an `abm`
listing command (params, metrics), whose table (`abm NAME --markdown`) replaces the block.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from abm.economy.metrics import METRICS
from abm.economy.parameters import PARAMETERS
from abm.style import text_table


def parameter_table(markdown: bool = False) -> str:
    """Every parameter: name, default, unit, range, meaning and source (`abm params`)."""
    rows = [
        (p.name, str(p.default), p.unit, p.range_text(), p.meaning, p.source)
        for p in PARAMETERS.values()
    ]
    header = ("name", "default", "unit", "range", "meaning", "source")
    return text_table(header, rows, markdown)


def metric_table(markdown: bool = False) -> str:
    """Every column of the per-day table: name, unit and meaning (`abm metrics`)."""
    rows = [(name, unit, meaning) for name, (unit, meaning) in METRICS.items()]
    return text_table(("column", "unit", "meaning"), rows, markdown)


BLOCKS: dict[str, Callable[[bool], str]] = {"params": parameter_table, "metrics": metric_table}


def render(block: str) -> str:
    return BLOCKS[block](True)


def refresh(path: Path) -> None:
    text = path.read_text()
    for block in BLOCKS:
        pattern = rf"(<!-- {block}:start -->\n).*?(\n<!-- {block}:end -->)"
        text = re.sub(
            pattern, lambda m, b=block: m.group(1) + render(b) + m.group(2), text, flags=re.S
        )
    path.write_text(text)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        refresh(Path(name))
