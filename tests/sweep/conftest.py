"""Shared by the sweep tests: a small economy that a sweep runs many times quickly."""

FAST = {"n_consumers": 300, "n_workshops": 15, "grid_width": 30, "grid_height": 30}
