"""Optimisers: suggested groupings, reach areas and regions (spopt-style Model(...).solve())."""
