"""Synthetic EV-charging availability-search traffic with ground truth, for the scraping verdicts.

    python -m uei_testing.traffic --seed 7 --hours 24 --scale 1.0 --out traffic.jsonl

BAPs (apps) search a Beckn EV-charging network for chargers: a centre, a radius, relayed by a
gateway. Some of their users then select, init, confirm (and rarely cancel) an order at a CPO's
(BPP's) location. The events are the wire items of ``POST /abuse/events``, in time order.

Who is in it:

- honest apps of three sizes (``large``, ``medium``, ``small``). Their users live around hubs
  of Indian cities, search more in the morning and evening (IST) than at night, do one to four
  searches per session with slightly moved centres and sometimes a wider radius, and a fifth
  of sessions or so go on to book at a location near the last centre. A few honest apps behave
  in ways a naive detector may mistake for scraping (``BapTruth.style``):

  - ``map``: a map or aggregator app whose users pan across a city with a wide radius and
    rarely book;
  - ``fleet``: a taxi fleet's app: drivers search from a few depots around the clock, and book a
    lot;
  - ``telematics``: a car's head unit that refreshes availability every few minutes while
    driving (regular timing, drifting centre), and seldom books;
  - ``commuter``: everybody else.

- scrapers (competing CPOs learning which chargers are busy), each its own BAP:

  - ``sweeper``: a lattice of centres over a city's bounding box, a fixed radius, the sweep
    repeated around the clock at hundreds to thousands of searches an hour, no bookings;
  - ``poller``: a handful of centres at the busiest locations polled on a fixed period
    (30-300 s, small jitter), around the clock; at most a token select;
  - ``low_and_slow``: under any sensible quota (10-60 searches an hour), a coarse lattice or a
    few hotspots with jittered timing, flat over the day or over a daytime window only;
  - ``hidden``: a sweep or a poll run by one to three user references inside a real medium
    app's traffic (same BAP id); the app is labelled ``hidden`` and the scraping user
    references are in the truth.

Every BAP's randomness comes from its own generator derived from the seed, so the same seed
gives the same traffic, and changing how many scrapers there are does not change the honest
apps. ``scale`` multiplies the honest apps' volumes and the sweep rates; a poller's period and a
low-and-slow scraper's rate are what defines them and do not scale.
"""

from uei_testing.traffic.cities import CITIES, City, Location
from uei_testing.traffic.cli import main
from uei_testing.traffic.generator import generate
from uei_testing.traffic.model import (
    APPS,
    CPOS,
    DEFAULT_START,
    FUNNEL_TYPES,
    GATEWAYS,
    HOUR,
    IST,
    LABELS,
    BapTruth,
    Traffic,
    parse_at,
)
from uei_testing.traffic.wire import events_by_bap, to_events, truth_from_json, truth_json

__all__ = [
    "APPS",
    "CITIES",
    "CPOS",
    "DEFAULT_START",
    "FUNNEL_TYPES",
    "GATEWAYS",
    "HOUR",
    "IST",
    "LABELS",
    "BapTruth",
    "City",
    "Location",
    "Traffic",
    "events_by_bap",
    "generate",
    "main",
    "parse_at",
    "to_events",
    "truth_from_json",
    "truth_json",
]
