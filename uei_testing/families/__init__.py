"""Independently designed families of EV-charging search traffic with ground truth, for an
evaluation of the scraping scores that cannot be tuned to one world.

Each family is its own module (``metro``, ``sprawl``, ``corridor``, ``towns``, ``coast``, ``hills``,
``delta``, ``ring``, ``twin``, ``plateau``, ``valley``, ``port``, ``desert``, ``lakes``, ``plains``,
``steel``, ``mela``, ``isles``) with its own cities, apps, habits and scrapers, and ``generate(seed,
start, hours) -> World``; they share only the container and a few draws (``world.py``). See each
module for what it holds (``delta``: a river delta; ``ring``: a planned city on two ring roads;
``twin``: a planned capital and an old industrial city joined by an expressway; ``plateau``: a
highway junction city, a mining belt and a temple town; ``valley``: a long winding river valley with
towns along its road, a steel township, a hill station and a reservoir; ``port``: a
port-and-industrial coastal city with a container terminal on reclaimed land, a fishing harbour, an
old and a new town, logistics parks along a highway and an island suburb over one bridge;
``desert``: a walled fort city on a hill with a cantonment nobody searches, a long national highway,
a spur road to dune camps, a wind-farm ridge, a solar park and a railway junction town; ``lakes``:
an IT-and-university city on a monsoon weekday round a chain of lakes nobody searches, with an IT
corridor on a ring road, a campus, an e-bus depot, an airport out on an expressway with a toll plaza
and a hill town up a state highway's ghat; ``plains``: a district town of the Indo-Gangetic plains
on a foggy winter weekday, on a wide river with one road bridge to a flood plain nobody searches, a
walled bazaar, a cantonment, a sugar-mill belt and an expressway with amenities, toll plazas and an
inland container depot; ``steel``: an industrial belt of eastern India on a three-shift weekday, a
steel city and its township beside a walled steel plant nobody searches inside but at its gates, a
coalfield of open-cast mines joined by haul roads to a washery, and a national highway with a coal
town and the district headquarters; ``mela``: a river-confluence pilgrimage city on a day of a
month-long fair holding a great bathing day's dawn, a tent city on the sandbanks with numbered
sectors, pontoon bridges, parking lots with shuttles, an old city, a railway junction and an
expressway to the state capital; ``isles``: an island union territory on a weekday whose afternoon
brings a cyclone warning, a capital town with a harbour and ferries on a timetable, a sea bridge, a
trunk road through a forest reserve, a naval base, an airfield and the sea nobody searches; each
written by a separate session from a brief, as a held-out family).
"""

from collections.abc import Callable

from uei_testing.families import (
    coast,
    corridor,
    delta,
    desert,
    hills,
    isles,
    lakes,
    mela,
    metro,
    plains,
    plateau,
    port,
    ring,
    sprawl,
    steel,
    towns,
    twin,
    valley,
)
from uei_testing.families.world import SCRAPER_CLASSES, Truth, World

FAMILIES: dict[str, Callable[[int, float, float], World]] = {
    metro.NAME: metro.generate,
    sprawl.NAME: sprawl.generate,
    corridor.NAME: corridor.generate,
    towns.NAME: towns.generate,
    coast.NAME: coast.generate,
    hills.NAME: hills.generate,
    delta.NAME: delta.generate,
    ring.NAME: ring.generate,
    twin.NAME: twin.generate,
    plateau.NAME: plateau.generate,
    valley.NAME: valley.generate,
    port.NAME: port.generate,
    desert.NAME: desert.generate,
    lakes.NAME: lakes.generate,
    plains.NAME: plains.generate,
    steel.NAME: steel.generate,
    mela.NAME: mela.generate,
    isles.NAME: isles.generate,
}

__all__ = ["FAMILIES", "SCRAPER_CLASSES", "Truth", "World"]
