"""The two production modes the model compares, and their index in every per-mode array."""

from __future__ import annotations

MODES = ("factory", "workshop")  # names, in index order: books, counters and columns by mode
FACTORY = 0  # central factories, selling through their retail stores
WORKSHOP = 1  # home workshops, building to order
