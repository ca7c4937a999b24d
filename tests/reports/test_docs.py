"""The documentation's tables are the schema's own: they cannot drift from the code."""

import re
from pathlib import Path

import pytest

from abm.cli import main

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


@pytest.mark.parametrize("block", ["params", "metrics"])
def test_odd_tables_match_the_code(capsys, block):
    text = ODD.read_text()
    found = re.search(rf"<!-- {block}:start -->\n(.*?)\n<!-- {block}:end -->", text, re.S)
    assert found, f"docs/ODD.md lacks the {block} block"
    main([block, "--markdown"])
    expected = capsys.readouterr().out.strip()
    assert found.group(1).strip() == expected, f"regenerate with: make docs ({block} changed)"
