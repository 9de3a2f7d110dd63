"""Optimisers: suggested groupings, reach areas and regions (spopt-style Model(...).solve()).

- :mod:`lib.optimise.groups`: ``GroupModel``, lots of the open centres that meet the rules;
- :mod:`lib.optimise.areas`: ``AreaModel``, contiguous reach areas reaching the minimum where they can;
- :mod:`lib.optimise.regions`: ``RegionModel``, the most contiguous regions of at least the minimum reach;
- :mod:`lib.optimise.adjacency`: the queen contiguity of the areas that both of the last two rest on.
"""
