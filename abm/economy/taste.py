"""Taste shocks that belong to a need, not to a day: a logit shock per (need, offer) that the
need keeps while it waits, whichever offers open or close meanwhile.

A need draws one 64-bit key when it arrives (`Households.arrive_needs`); its shock for an offer
is a counter-based hash of the key and the offer's slot, so it is the same on every day the need
shops, needs no table of past draws, and exists for offers that open after the need arrived.
The hash is SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
generators", OOPSLA; Vigna's reference code, prng.di.unimi.it/splitmix64.c): the n-th output of
the generator started at state `key` is mix(key + n * GOLDEN_GAMMA), so a need's shocks are the
SplitMix64 stream seeded with its key, one output per slot. The top 52 bits of an output make a
uniform in (0, 1), and minus the log of minus its log a standard Gumbel draw, the logit's taste
shock (McFadden 1974; Train 2009, *Discrete Choice Methods with Simulation*, ch. 3).

All arithmetic is on numpy uint64 arrays, which wrap modulo 2**64 as the algorithm requires, in
place where it can be: `choose` hashes every (shopper, offer) pair every day.
"""

from __future__ import annotations

import numpy as np

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # the odd integer nearest 2**64 / golden ratio
MIX_MULTIPLIERS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))  # Mix13
MIX_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
MANTISSA_SHIFT = np.uint64(12)  # 64 - 52: the top 52 bits fill a double's mantissa
ONE_BITS = np.uint64(0x3FF0000000000000)  # sign and exponent of the doubles in [1, 2)
HALF_STEP = 2.0**-53  # half the spacing of the uniforms: keeps them off 0 and 1
BLOCK = 32_768  # entries hashed at a time: a uint64 block is 256 kB, a cache's worth
OUTSIDE_SLOT = 1  # the outside option (buy nothing today) takes the stream's first output
FIRST_OFFER_SLOT = 2  # offer id j takes output j + 2


def offer_slot(offer_id) -> np.ndarray:
    """The slot (stream position) of each offer id in its need's stream."""
    return np.asarray(offer_id, dtype=np.int64) + FIRST_OFFER_SLOT


def splitmix64(key, n) -> np.ndarray:
    """The n-th output (n = 1, 2, ...) of SplitMix64 started at state `key` (uint64 keys,
    non-negative whole n; arrays broadcast): mix(key + n * GOLDEN_GAMMA), modulo 2**64."""
    key = np.asarray(key, dtype=np.uint64)
    n = np.atleast_1d(n)  # arrays wrap silently where numpy scalars warn
    z = np.multiply(n, GOLDEN_GAMMA, dtype=np.uint64, casting="unsafe")  # n >= 0: exact
    in_place = np.broadcast_shapes(z.shape, key.shape) == z.shape
    z = np.add(z, key, out=z if in_place else None)
    _mix(z, np.empty_like(z))
    return z


def taste_uniform(key, slot) -> np.ndarray:
    """A uniform in the open interval (0, 1) for each (need key, slot): with m the top 52 bits
    of the slot's SplitMix64 output, (2m + 1) / 2**53, the middle of m's step of 2**-52."""
    return _uniform(splitmix64(key, slot))


def taste_shock(key, slot) -> np.ndarray:
    """The standard Gumbel taste shock of each (need key, slot), -log(-log u) with u its
    uniform: the same key and slot give the same shock on every day.

    Worked out BLOCK entries at a time in two reused buffers that stay in cache: over a day's
    pairs this halves the time of whole-array passes, each of which would fill fresh memory."""
    key, slot = np.broadcast_arrays(np.atleast_1d(np.asarray(key, dtype=np.uint64)), slot)
    key, slot = key.ravel(), slot.ravel()
    shock = np.empty(len(key))
    z = np.empty(min(len(key), BLOCK), dtype=np.uint64)
    t = np.empty_like(z)
    for start in range(0, len(key), BLOCK):
        end = min(start + BLOCK, len(key))
        zb, tb = z[: end - start], t[: end - start]
        np.multiply(slot[start:end], GOLDEN_GAMMA, out=zb, dtype=np.uint64, casting="unsafe")
        zb += key[start:end]
        _mix(zb, tb)
        g = _uniform(zb)
        np.log(g, out=g)
        np.negative(g, out=g)
        np.log(g, out=g)
        np.negative(g, out=shock[start:end])
    return shock


def _mix(z: np.ndarray, t: np.ndarray) -> None:
    """SplitMix64's finalizer on `z` in place (`t`: scratch of the same shape)."""
    for shift, multiplier in zip(MIX_SHIFTS, (*MIX_MULTIPLIERS, None), strict=True):
        np.right_shift(z, shift, out=t)
        z ^= t
        if multiplier is not None:
            z *= multiplier


def _uniform(z: np.ndarray) -> np.ndarray:
    """The uniforms of SplitMix64 outputs `z`, in z's memory: its top 52 bits m under the
    exponent bits of 1.0 make the double 1 + m / 2**52, and subtracting 1 - 2**-53 from it is
    exact (Sterbenz), giving (2m + 1) / 2**53."""
    z >>= MANTISSA_SHIFT
    z |= ONE_BITS
    u = z.view(np.float64)
    u -= 1.0 - HALF_STEP
    return u
