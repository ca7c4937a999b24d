"""The model against operations-management theory: one test per check of docs/validation.md.

Each check runs the real model in a configuration built for it (abm.reports.validation) and
measures from outside the model where the model keeps its own record (flow, exits, learning).
The CI versions are sized to finish in about a minute together; set ABM_VALIDATION_LONG=1 for
the long versions that docs/validation.md reports.
"""

import os

import pytest

from abm.reports import validation

QUICK = os.environ.get("ABM_VALIDATION_LONG") != "1"


@pytest.mark.parametrize("check", validation.CHECKS, ids=lambda c: c.__name__)
def test_model_matches_theory(check):
    result = check(quick=QUICK)
    assert result.rows, f"{result.name}: no rows"
    failed = [
        f"{row.label}: theory {row.theory:.6g}, measured {row.measured:.6g} "
        f"[{row.low:.6g}, {row.high:.6g}] expect {row.expect}"
        for row in result.rows
        if not row.ok
    ]
    if failed:
        pytest.fail(f"{result.name}:\n" + "\n".join(failed), pytrace=False)
