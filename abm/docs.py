"""Refresh the generated blocks of a Markdown file: `python -m abm.docs docs/ODD.md`.

Blocks sit between `<!-- NAME:start -->` and `<!-- NAME:end -->` lines; NAME is an `abm`
listing command (params, metrics) whose `--markdown` output replaces the block.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from abm.cli import main as cli

BLOCKS = ("params", "metrics")


def render(block: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli([block, "--markdown"])
    return out.getvalue().strip()


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
