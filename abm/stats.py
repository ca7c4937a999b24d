"""Intervals for what the runs measured: how sure a share of runs or a mean is.

Used by the sweep figures and the reports; imports nothing from the rest of the package.
"""

from __future__ import annotations

CONFIDENCE = 0.95


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (scipy's binomtest)."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)
