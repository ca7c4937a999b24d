"""How results look, whoever draws them: one colour per production mode and plain-text tables.

Shared by the page (abm.viz), the sweep figures (abm.sweep.plots), the reports and the command
line, so a mode has the same colour everywhere. Imports nothing from the rest of the package.
"""

from __future__ import annotations

MODE_COLOURS = {"factory": "#1f77b4", "workshop": "#e6750e"}


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]], markdown: bool = False) -> str:
    """Rows as aligned plain text, or as a Markdown table."""
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    widths[-1] = 0  # last column runs free
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [header, *rows])
