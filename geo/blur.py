"""Approximate locations: the area shown instead of a point its organizer keeps private.

The area is the H3 resolution-7 cell that holds the point (about 5 km², edges ≈ 1.2 km): its
centre stands for the event everywhere a point is needed (lists, tiles, distances), and clients
draw a circle of ``APPROXIMATE_RADIUS_M`` around it, which covers the whole cell. The same point
always gives the same centre, so reading it again and again reveals nothing more (a random
jitter would average out to the point).
"""

from __future__ import annotations

import h3

APPROXIMATE_RESOLUTION = 7
# The largest distance from a resolution-7 cell's centre to its boundary is ≈ 1.55 km (measured over
# the globe); the circle a client draws covers every cell's whole area.
APPROXIMATE_RADIUS_M = 1600


def blurred(lat: float, lon: float) -> tuple[float, float]:
    """The centre (lat, lon) of the resolution-7 cell that contains the point."""
    centre: tuple[float, float] = h3.cell_to_latlng(h3.latlng_to_cell(lat, lon, APPROXIMATE_RESOLUTION))
    return centre
