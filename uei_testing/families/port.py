"""Family ``port``: a port-and-industrial coastal city on a weekday. The coast runs along a
seeded bearing and bends (two swells of up to 2.2 km either way, flattened where the port
is); inland of it is land, seaward of it sea where nobody searches. A container terminal on
reclaimed land juts 1.2-2 km into the sea (2.5-4 km of quay), with a gate on the shore and a
truck-parking yard 0.7-1.4 km inland of it; a fishing harbour on the shore 5-8 km along the
coast, an old town of narrow lanes (1.2-1.8 km in radius) behind it; a new town inland (3-4
km in radius, 3-5 hubs); a highway running 40-55 km inland from the gate, with 3-5 logistics
parks strung along it; an island suburb offshore (1.5-3 km of water at its nearest) reached
by one bridge. 70-110 charging sites: the port authority's own (the terminal's, the truck
yard's, the harbour's), the parks', the towns', the island's and the highway's every 8-15
km, the others owned by six CPOs (``cpo-<name>.port.example``).

The day (IST): the port works three shifts, with a crowd at each change (06:00, 14:00,
22:00: from half an hour before to 45 minutes after); trucks move mostly at night;
commuters in the morning and the evening; the island's traffic funnelled over the bridge.

Honest BAPs: an electric-truck fleet console for the terminal's hauliers (dispatchers check
the truck yard's and the parks' chargers day and night; 20-35% of its searches end in a
booking); a harbour-master's app for fishing-boat owners' e-scooters and vans (03:30-07:30
only, at the harbour, 15-30% of sessions book); a city-wide ride-hail app (drivers, crowds
at the port gate at the shift changes); a national aggregator (85-92% of its traffic in 4-6
far cities); two or three ordinary city apps of different sizes; two or three tiny new apps
(a handful of users, under 30 searches a day); a car brand's in-car head units refreshing
nearby chargers every 1.5-4 km as the car moves (along the highway, over the bridge, across
town; each trip a transaction of its own, 5-10% of trips book); the port authority's
operations console checking the port's own chargers on a fixed schedule (every 15, 20 or 30
minutes, to the second) and booking on about 1 in 150-300 searches; the island residents'
app (commuting over the bridge); a food-delivery riders' app (lunch and dinner peaks); a
customs brokers' office app (office hours, the parks and the gate); an old-town guesthouse
app (tourists, small); the logistics parks' staff shuttle console (before each shift); and
3-6 CPOs' own apps.

Scrapers: a jittered lattice (0.9-1.5 km, each visit 20-50 m off its node, on land only)
over the old and new towns visited in full rounds at a steady period, hidden in a real
logistics app at 10-20% of its searches (``hidden_sweep``); a poll of the terminal's and the
truck yard's chargers whose every gap is drawn in 6-14 minutes, hidden in a trucking
aggregator, never booking (``hidden_poll``); a sybil poller: one list of 11-23 town chargers
polled in turn by 3-4 BAP keys, each key a small-looking BAP of its own, never booking
(``poller``); a sweeper over a coarse grid of the whole city alternating two radii round by
round (``sweeper``); a sweep that books about 1% of its searches and cancels every booking
(``booking_scraper``); a night-only scraper (22:00-06:00 IST) with 2.5-10 minute random
gaps between searches (``low_and_slow``); a poll of the island's chargers behind a brand-new
tiny app's key, the app's few real users sharing it (``poller``). Hidden scrapers send no
user reference.

Gateways: ``bg.port.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as the
app chooses; an app uses one gateway or splits its traffic over two. User references: every
user of an app, some of them, or none.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uei.antiabuse.scraping.events import FunnelKind
from uei_testing.families import world
from uei_testing.families.wire import Wire, Wiring
from uei_testing.families.world import F64, HOUR, KM_LAT, Sites, Truth, World, arrivals, ist_hours

NAME = "port"
GATEWAYS = ("bg.port.example", "bg2.port.example", "bg3.port.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
CPO_NAMES = ("tidewater", "quayside", "anchorline", "saltpan", "mangrove", "lighthouse")
PORT_CPO = "cpo-portauthority.port.example"
"""The port authority operates the terminal's, the truck yard's and the harbour's chargers."""
DAY = (
    0.15,
    0.08,
    0.05,
    0.05,
    0.1,
    0.3,
    0.7,
    1.3,
    1.8,
    1.7,
    1.3,
    1.1,
    1.1,
    1.1,
    1.0,
    1.1,
    1.3,
    1.7,
    1.9,
    1.8,
    1.4,
    1.0,
    0.6,
    0.3,
)
"""People's weekday (IST hours): commuters in the morning and the evening."""
TRUCKS = (
    1.4,
    1.5,
    1.5,
    1.4,
    1.3,
    1.1,
    0.9,
    0.7,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
    1.2,
    1.3,
    1.4,
    1.4,
)
"""Trucks move mostly at night."""
MEALS = (
    0.1,
    0.05,
    0.02,
    0.02,
    0.02,
    0.05,
    0.2,
    0.5,
    0.8,
    0.9,
    1.0,
    1.4,
    1.9,
    1.8,
    1.2,
    0.9,
    0.9,
    1.1,
    1.5,
    1.9,
    2.0,
    1.6,
    0.9,
    0.3,
)
"""Food delivery: lunch and dinner."""
SHIFTS = (6.0, 14.0, 22.0)
"""The port's shift changes (IST); a crowd from half an hour before to 45 minutes after."""
CROWD = (-0.5, 0.75)
EARLY = (3.5, 7.5)
"""When the fishing boats' owners charge (IST)."""
OFFICE = (9.5, 18.0)
NIGHT = (22.0, 30.0)
"""The night-only scraper's hours: 22:00 to 06:00 IST."""
CONNECT = 3.2
"""Inland of this (km from the straight coast) the land is clear of every bend of the coast:
routes across town go up to it, along it and back down."""
Hub = tuple[float, float, float, float]
"""(u, v, spread km, weight)."""
Point = tuple[float, float]


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Disk:
    u: float
    v: float
    r: float
    hubs: tuple[Hub, ...]


@dataclass(frozen=True, slots=True)
class Port:
    """The city in km along the coast (``u``) and inland from it (``v``; the sea is at
    ``v < coast(u)``), the port's terminal at ``u = 0``. ``theta`` turns (u, v) to (east,
    north)."""

    lat: float
    lon: float
    km_lon: float
    theta: float
    swell: tuple[float, float, float, float, float, float]
    """Two sine swells of the coast: (amplitude, wavelength, phase) twice."""
    flat: float
    """The coast is straight (v = 0) within this of the terminal's axis, bending beyond."""
    terminal: tuple[float, float]
    """Its quay's length along the coast and its depth into the sea (km)."""
    gate: Point
    yard: Disk
    harbour: Point
    old: Disk
    new: Disk
    highway: tuple[Point, ...]
    """From the gate inland."""
    parks: tuple[Disk, ...]
    island: Disk
    bridge: tuple[float, float, float]
    """(u, v at the island's end, v at the mainland's end)."""
    far: tuple[Hub, ...]

    # -- where things are -------------------------------------------------------------------

    def coast(self, u: F64 | float) -> F64:
        """Where the sea begins (``v``) at each ``u``."""
        return _coast(self.swell, self.flat, u)

    def dry(self, u: F64 | float, v: F64 | float) -> F64:
        """Whether each point is on land (as 0/1): inland of the coast, on the terminal's
        reclaimed land, on the island or on the bridge."""
        pu = np.atleast_1d(np.asarray(u, dtype=np.float64))
        pv = np.atleast_1d(np.asarray(v, dtype=np.float64))
        ok = pv > self.coast(pu)
        half, depth = self.terminal[0] / 2, self.terminal[1]
        ok |= (np.abs(pu) <= half) & (pv >= -depth) & (pv <= 0.01)
        i = self.island
        ok |= np.hypot(pu - i.u, pv - i.v) <= i.r
        bu, b0, b1 = self.bridge
        ok |= (np.abs(pu - bu) <= 0.05) & (pv >= b0 - 0.05) & (pv <= b1 + 0.05)
        return np.asarray(ok, dtype=np.float64)

    def dry1(self, u: float, v: float) -> bool:
        """``dry`` of one point (plain floats, for speed)."""
        a1, l1, p1, a2, l2, p2 = self.swell
        taper = min(1.0, max(0.0, (abs(u) - self.flat) / 2.0))
        if v > taper * (a1 * math.sin(u / l1 + p1) + a2 * math.sin(u / l2 + p2)):
            return True
        if abs(u) <= self.terminal[0] / 2 and -self.terminal[1] <= v <= 0.01:
            return True
        i = self.island
        if math.hypot(u - i.u, v - i.v) <= i.r:
            return True
        bu, b0, b1 = self.bridge
        return abs(u - bu) <= 0.05 and b0 - 0.05 <= v <= b1 + 0.05

    def on_island(self, u: F64 | float, v: F64 | float) -> F64:
        i = self.island
        return np.asarray(np.hypot(np.asarray(u) - i.u, np.asarray(v) - i.v) <= i.r, np.float64)

    def on_bridge(self, u: F64 | float, v: F64 | float) -> F64:
        bu, b0, b1 = self.bridge
        uu, vv = np.asarray(u), np.asarray(v)
        on = (np.abs(uu - bu) <= 0.05) & (vv > b0) & (vv < b1)
        return np.asarray(on & (self.on_island(uu, vv) == 0), dtype=np.float64)

    def near_far_city(self, u: F64 | float, v: F64 | float) -> F64:
        pu = np.atleast_1d(np.asarray(u, dtype=np.float64))
        pv = np.atleast_1d(np.asarray(v, dtype=np.float64))
        ok = np.zeros(pu.size, dtype=bool)
        for fu, fv, spread, _ in self.far:
            ok |= np.hypot(pu - fu, pv - fv) <= 6 * spread
        return np.asarray(ok, dtype=np.float64)

    def in_terminal(self, u: F64 | float, v: F64 | float) -> F64:
        uu, vv = np.asarray(u), np.asarray(v)
        half, depth = self.terminal[0] / 2, self.terminal[1]
        return np.asarray((np.abs(uu) <= half) & (vv >= -depth) & (vv <= 0.0), np.float64)

    # -- coordinates --------------------------------------------------------------------------

    def ll(self, u: F64 | float, v: F64 | float) -> tuple[F64, F64]:
        uu, vv = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
        c, s = math.cos(self.theta), math.sin(self.theta)
        x, y = uu * c - vv * s, uu * s + vv * c
        return (
            np.asarray(self.lat + y / KM_LAT, dtype=np.float64),
            np.asarray(self.lon + x / self.km_lon, dtype=np.float64),
        )

    def ll1(self, u: float, v: float) -> tuple[float, float]:
        c, s = math.cos(self.theta), math.sin(self.theta)
        x, y = u * c - v * s, u * s + v * c
        return self.lat + y / KM_LAT, self.lon + x / self.km_lon

    def uv(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon) * self.km_lon
        y = (np.asarray(lat, dtype=np.float64) - self.lat) * KM_LAT
        c, s = math.cos(self.theta), math.sin(self.theta)
        return np.asarray(x * c + y * s, np.float64), np.asarray(-x * s + y * c, np.float64)

    # -- people ---------------------------------------------------------------------------------

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points (u, v) around ``hubs``, on land."""
        hs = np.array(hubs, dtype=np.float64)
        us: list[F64] = [np.zeros(0)]
        vs: list[F64] = [np.zeros(0)]
        got = 0
        while got < n:
            m = 2 * (n - got) + 16
            pick = rng.choice(len(hs), size=m, p=hs[:, 3] / hs[:, 3].sum())
            u = hs[pick, 0] + rng.normal(0, 1, m) * hs[pick, 2]
            v = hs[pick, 1] + rng.normal(0, 1, m) * hs[pick, 2]
            keep = self.dry(u, v) > 0
            us.append(u[keep])
            vs.append(v[keep])
            got += int(keep.sum())
        return np.concatenate(us)[:n], np.concatenate(vs)[:n]

    def along_highway(self, s: F64 | float) -> tuple[F64, F64]:
        return _along(self.highway, s)

    def highway_length(self) -> float:
        return float(_segments(self.highway)[3][-1])

    def port_hubs(self) -> tuple[Hub, ...]:
        gu, gv = self.gate
        return ((gu, gv + 0.2, 0.25, 1.0), (self.yard.u, self.yard.v, self.yard.r * 0.6, 1.0))

    def park_hubs(self) -> tuple[Hub, ...]:
        return tuple((p.u, p.v, p.r * 0.5, 1.0) for p in self.parks)

    def harbour_hubs(self) -> tuple[Hub, ...]:
        hu, hv = self.harbour
        return ((hu, hv + 0.1, 0.25, 1.0),)

    def highway_hubs(self) -> tuple[Hub, ...]:
        s = np.linspace(2.0, self.highway_length(), 12)
        u, v = self.along_highway(s)
        return tuple((float(a), float(b), 0.15, 1.0) for a, b in zip(u, v, strict=True))


def _coast(swell: Sequence[float], flat: float, u: F64 | float) -> F64:
    a1, l1, p1, a2, l2, p2 = swell
    uu = np.asarray(u, dtype=np.float64)
    taper = np.clip((np.abs(uu) - flat) / 2.0, 0.0, 1.0)
    return np.asarray(
        taper * (a1 * np.sin(uu / l1 + p1) + a2 * np.sin(uu / l2 + p2)), dtype=np.float64
    )


def _segments(verts: Sequence[Point]) -> tuple[F64, F64, F64, F64]:
    p = np.asarray(verts, dtype=np.float64)
    d = p[1:] - p[:-1]
    seg = np.hypot(d[:, 0], d[:, 1])
    return p[:-1], d, seg, np.concatenate([[0.0], np.cumsum(seg)])


def _along(verts: Sequence[Point], s: F64 | float) -> tuple[F64, F64]:
    """The points at arc lengths ``s`` (km, clipped) along a polyline."""
    a, d, seg, cum = _segments(verts)
    s = np.clip(np.atleast_1d(np.asarray(s, dtype=np.float64)), 0.0, float(cum[-1]))
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, seg.size - 1)
    f = (s - cum[k]) / seg[k]
    return a[k, 0] + f * d[k, 0], a[k, 1] + f * d[k, 1]


def _hubs(rng: np.random.Generator, u: float, v: float, r: float, n: int) -> tuple[Hub, ...]:
    out: list[Hub] = [(u, v, max(0.3, 0.3 * r), 1.5)]
    for _ in range(n - 1):
        d = r * 0.6 * math.sqrt(float(rng.uniform(0.1, 1.0)))
        a = float(rng.uniform(0, 2 * math.pi))
        out.append(
            (
                u + d * math.cos(a),
                v + d * math.sin(a),
                float(rng.uniform(0.15, 0.25)) * r,
                float(rng.uniform(0.4, 1.3)),
            )
        )
    return tuple(out)


def geography(seed: int) -> Port:
    """The port city of a seed."""
    rng = np.random.default_rng([seed, *b"port-geography"])
    lat0, lon0 = float(rng.uniform(8.5, 22.5)), float(rng.uniform(69.0, 88.0))
    km_lon = 111.320 * math.cos(math.radians(lat0))
    theta = float(rng.uniform(0, 2 * math.pi))
    a1 = float(rng.uniform(0.8, 1.4))
    a2 = float(rng.uniform(0.3, 2.2 - a1))
    swell = (
        a1,
        float(rng.uniform(2.0, 3.5)),
        float(rng.uniform(0, 2 * math.pi)),
        a2,
        float(rng.uniform(0.8, 1.5)),
        float(rng.uniform(0, 2 * math.pi)),
    )
    quay, depth = float(rng.uniform(2.5, 4.0)), float(rng.uniform(1.2, 2.0))
    flat = quay / 2 + 0.5
    gate = (float(rng.uniform(-quay / 4, quay / 4)), 0.15)
    yr = float(rng.uniform(0.35, 0.5))
    yard_v = float(rng.uniform(0.7, 1.4)) + yr * 0.5
    yard_u = gate[0] + float(rng.uniform(-0.3, 0.3))
    yard = Disk(yard_u, yard_v, yr, ((yard_u, yard_v, yr * 0.5, 1.0),))
    side = float(rng.choice([-1.0, 1.0]))

    def coast(u: F64 | float) -> F64:
        return _coast(swell, flat, u)

    # the fishing harbour on the shore 5-8 km along the coast, the old town behind it
    hu = side * float(rng.uniform(5.0, 8.0))
    hv = float(coast(hu)) + 0.15
    orad = float(rng.uniform(1.2, 1.8))
    ou, ov = hu + float(rng.uniform(-0.4, 0.4)), hv + orad + 0.2
    old = Disk(ou, ov, orad, _hubs(rng, ou, ov, orad, 3))
    # the new town inland, on the old town's side of the port
    nrad = float(rng.uniform(3.0, 4.0))
    nu, nv = side * float(rng.uniform(1.5, 4.0)), float(rng.uniform(7.0, 9.5))
    new = Disk(nu, nv, nrad, _hubs(rng, nu, nv, nrad, int(rng.integers(3, 6))))
    # the highway from the gate inland, bending 2-3 times, away from the new town's side
    length = float(rng.uniform(40.0, 55.0))
    bends = int(rng.integers(2, 4))
    parts = rng.uniform(0.7, 1.3, bends + 1)
    parts = parts / parts.sum() * length
    heading = math.pi / 2 + side * float(rng.uniform(0.15, 0.5))
    road: list[Point] = [gate]
    for k, part in enumerate(parts.tolist()):
        if k:
            heading += float(rng.uniform(-0.35, 0.35))
            heading = min(math.pi / 2 + 0.6, max(math.pi / 2 - 0.6, heading))
        u, v = road[-1]
        road.append((u + part * math.cos(heading), v + part * math.sin(heading)))
    highway = tuple(road)
    # 3-5 logistics parks strung along it, off either side
    parks: list[Disk] = []
    spots = np.sort(rng.uniform(6.0, length - 4.0, int(rng.integers(3, 6))))
    for s in spots.tolist():
        if parks and s - _park_s(highway, parks[-1]) < 4.0:
            s = _park_s(highway, parks[-1]) + 4.0
        if s > length - 1.0:
            break
        pu, pv = _along(highway, s)
        (au, av), (bu, bv) = (_pt(highway, s - 0.5), _pt(highway, s + 0.5))
        h = math.hypot(bu - au, bv - av)
        off = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(0.6, 1.2))
        cu, cv = float(pu[0]) - off * (bv - av) / h, float(pv[0]) + off * (bu - au) / h
        pr = float(rng.uniform(0.5, 0.9))
        parks.append(Disk(cu, cv, pr, ((cu, cv, pr * 0.5, 1.0),)))
    # the island offshore on the other side of the port, one bridge straight out to it
    ir = float(rng.uniform(1.5, 2.5))
    iu = -side * float(rng.uniform(7.0, 11.0))
    us = np.linspace(iu - ir - 1, iu + ir + 1, 40)
    gap = float(rng.uniform(1.5, 3.0))
    iv = float(np.min(coast(us))) - gap - ir
    island = Disk(iu, iv, ir, _hubs(rng, iu, iv, ir, 3))
    bridge = (iu, iv + ir, float(coast(iu)))
    # far cities inland for the national apps
    far: list[Hub] = []
    for _ in range(int(rng.integers(4, 7))):
        d, a = float(rng.uniform(200, 900)), float(rng.uniform(0.35, math.pi - 0.35))
        far.append(
            (d * math.cos(a), d * math.sin(a), float(rng.uniform(3, 7)), float(rng.uniform(0.5, 2)))
        )
    return Port(
        lat0,
        lon0,
        km_lon,
        theta,
        swell,
        flat,
        (quay, depth),
        gate,
        yard,
        (hu, hv),
        old,
        new,
        highway,
        tuple(parks),
        island,
        bridge,
        tuple(far),
    )


def _pt(verts: Sequence[Point], s: float) -> Point:
    u, v = _along(verts, s)
    return float(u[0]), float(v[0])


def _park_s(highway: Sequence[Point], p: Disk) -> float:
    a, d, seg, cum = _segments(highway)
    best, where = 1e9, 0.0
    for k in range(seg.size):
        f = ((p.u - a[k, 0]) * d[k, 0] + (p.v - a[k, 1]) * d[k, 1]) / seg[k] ** 2
        f = min(1.0, max(0.0, f))
        dist = math.hypot(p.u - a[k, 0] - f * d[k, 0], p.v - a[k, 1] - f * d[k, 1])
        if dist < best:
            best, where = dist, float(cum[k] + f * seg[k])
    return where


# -- chargers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chargers:
    terminal: Sites
    yard: Sites
    harbour: Sites
    """The port authority's own: the terminal's, the truck yard's and the harbour's."""
    parks: Sites
    island: Sites
    town: Sites
    """The old town's, the new town's and the highway's."""
    public: Sites
    """Every site an ordinary person may book: all but the terminal's (inside the gate)."""
    port: Sites
    """The port authority's: terminal, yard and harbour."""
    cpos: tuple[str, ...]

    def total(self) -> int:
        return len(self.public.ids) + len(self.terminal.ids)


def _join(*sites: Sites) -> Sites:
    return Sites(
        [i for s in sites for i in s.ids],
        [c for s in sites for c in s.cpos],
        np.concatenate([s.lat for s in sites]),
        np.concatenate([s.lon for s in sites]),
    )


def chargers(seed: int, g: Port) -> Chargers:
    """The city's charging sites for a seed (all on land)."""
    rng = np.random.default_rng([seed, *b"port-sites"])
    cpos = tuple(f"cpo-{n}.port.example" for n in CPO_NAMES)

    def make(name: str, u: F64, v: F64, owners: Sequence[str] | None = None) -> Sites:
        lat, lon = g.ll(u, v)
        n = u.size
        who = list(owners) if owners else [cpos[int(i)] for i in rng.integers(0, len(cpos), n)]
        return Sites([f"pt-{name}-{i:03d}" for i in range(n)], who, lat, lon)

    quay, depth = g.terminal
    nt = int(rng.integers(4, 9))
    tu = rng.uniform(-quay / 2 + 0.2, quay / 2 - 0.2, nt)
    tv = rng.uniform(-depth + 0.2, -0.2, nt)
    terminal = make("terminal", tu, tv, [PORT_CPO] * nt)
    ny = int(rng.integers(5, 11))
    yu, yv = g.people(rng, ny, ((g.yard.u, g.yard.v, g.yard.r * 0.4, 1.0),))
    yard = make("yard", yu, yv, [PORT_CPO] * ny)
    nh = int(rng.integers(3, 6))
    hu, hv = g.people(rng, nh, g.harbour_hubs())
    harbour = make("harbour", hu, hv, [PORT_CPO] * nh)
    pu: list[F64] = []
    pv: list[F64] = []
    for p in g.parks:
        u, v = g.people(rng, int(rng.integers(3, 7)), p.hubs)
        pu.append(u)
        pv.append(v)
    parks = make("park", np.concatenate(pu), np.concatenate(pv))
    iu, iv = g.people(rng, int(rng.integers(5, 9)), g.island.hubs)
    island = make("island", iu, iv)
    ou, ov = g.people(rng, int(rng.integers(6, 13)), g.old.hubs)
    nu, nv = g.people(rng, int(rng.integers(20, 36)), g.new.hubs)
    hs: list[float] = []
    s = float(rng.uniform(3.0, 8.0))
    while s < g.highway_length() - 1.0:
        hs.append(s)
        s += float(rng.uniform(8.0, 15.0))
    wu, wv = g.along_highway(np.array(hs))
    town = make("town", np.concatenate([ou, nu, wu]), np.concatenate([ov, nv, wv]))
    port = _join(terminal, yard, harbour)
    public = _join(yard, harbour, parks, island, town)
    return Chargers(terminal, yard, harbour, parks, island, town, public, port, cpos)


# -- how apps reach the network -------------------------------------------------------------------


WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (2, 0), (1, 0), (2,)), 0.5, (0.2, 0.85)
)
_wire = WIRING.wire


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


def _midnights(w: World) -> list[float]:
    """The IST midnights from the day before the start to the end."""
    m = w.start - hour_of(w.start) * HOUR - 86_400.0
    out = []
    while m < w.end:
        out.append(m)
        m += 86_400.0
    return out


def _window(w: World, rng: np.random.Generator, per_day: float, hours: tuple[float, float]) -> F64:
    """Poisson times, ``per_day`` a day, uniform in ``hours`` (IST; past 24 runs into the
    next day) of each day, sorted, in the world's span."""
    out: list[F64] = [np.zeros(0)]
    for m in _midnights(w):
        n = int(rng.poisson(per_day))
        out.append(m + rng.uniform(hours[0], hours[1], n) * HOUR)
    t = np.sort(np.concatenate(out))
    return t[(t >= w.start) & (t < w.end)]


def _shift_crowds(w: World, rng: np.random.Generator, per_change: float) -> F64:
    """Times of a crowd at every shift change."""
    parts = [_window(w, rng, per_change, (h + CROWD[0], h + CROWD[1])) for h in SHIFTS]
    return np.sort(np.concatenate(parts))


# -- people ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    """Per session: the odds it selects a charger."""
    confirm: float
    refine: float
    """The odds a session is refined 1-3 more times (a radius change or a small move)."""


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(((2.0, 5.0, 10.0), (3.0, 6.0), (1.0, 3.0, 8.0), (5.0, 10.0, 20.0))),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.6, 0.85),
        refine=prng.choice((0.0, prng.uniform(0.05, 0.15), prng.uniform(0.15, 0.3))),
    )


def _session(
    w: World,
    g: Port,
    sites: Sites,
    bap: str,
    wire: Wire,
    prng: random.Random,
    t: float,
    u: float,
    v: float,
    who: int,
    h: Habits,
) -> int:
    """One person's search (now and then refined), perhaps a booking at the nearest site.
    Returns the searches made."""
    via, user = wire.via(prng), wire.user(who)
    txn = wire.txn(w, via, "a")
    r = prng.choice(h.radii)
    n = 1 + (prng.randint(1, 3) if prng.random() < h.refine else 0)
    lat, lon = g.ll1(u, v)
    for i in range(n):
        w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
        if i + 1 == n:
            break
        t += prng.uniform(10, 150)
        if prng.random() < 0.6:
            r = prng.choice([x for x in h.radii if x != r] or [min(50.0, 2 * r)])
        else:
            d, a = prng.uniform(0.1, 0.5), prng.uniform(0, 2 * math.pi)
            nu, nv = u + d * math.cos(a), v + d * math.sin(a)
            if g.dry1(nu, nv):
                u, v = nu, nv
                lat, lon = g.ll1(u, v)
    if prng.random() < h.book:
        k = sites.nearest(lat, lon)
        w.book(bap, t, sites.cpos[k], sites.ids[k], prng, confirm=h.confirm, user=user, txn=txn)
    return n


OLD, NEW, PORT, ISLAND, PARKS, HIGHWAY, HARBOUR = range(7)
"""Where an app's users are."""


def _zone_hubs(g: Port, zone: int) -> Sequence[Hub]:
    return (
        g.old.hubs,
        g.new.hubs,
        g.port_hubs(),
        g.island.hubs,
        g.park_hubs(),
        g.highway_hubs(),
        g.harbour_hubs(),
    )[zone]


def _where(g: Port, rng: np.random.Generator, which: F64) -> tuple[F64, F64]:
    n = which.size
    u, v = np.empty(n), np.empty(n)
    for k in range(7):
        m = which == k
        if m.any():
            u[m], v[m] = g.people(rng, int(m.sum()), _zone_hubs(g, k))
    return u, v


def _sessions(
    w: World,
    g: Port,
    sites: Sites,
    bap: str,
    wire: Wire,
    times: Sequence[float] | F64,
    weights: Sequence[float],
    h: Habits,
    key: str = "",
) -> int:
    """A session at each time, in the zones by ``weights``. Returns the searches made."""
    rng, prng = w.rng(bap + key), w.prng(bap + key)
    t = np.asarray(times, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(p.size, size=t.size, p=p / p.sum()).astype(np.float64)
    u, v = _where(g, rng, which)
    who = rng.integers(0, wire.users, t.size)
    made = 0
    for i, at in enumerate(t.tolist()):
        made += _session(w, g, sites, bap, wire, prng, at, float(u[i]), float(v[i]), int(who[i]), h)
    return made


def _app(
    w: World,
    g: Port,
    c: Chargers,
    bap: str,
    wire: Wire,
    weights: Sequence[float],
    searches: float,
    h: Habits,
    shape: Sequence[float] | None = DAY,
) -> int:
    """About ``searches`` a day in the city's zones on a daily ``shape``."""
    rng = w.rng(bap + "times")
    times = arrivals(rng, searches / (1 + 2 * h.refine), w.start, w.end, shape)
    return _sessions(w, g, c.public, bap, wire, times, weights, h)


def _far_sessions(
    w: World,
    g: Port,
    c: Chargers,
    bap: str,
    wire: Wire,
    searches: float,
    h: Habits,
    shape: Sequence[float],
) -> int:
    """A national app's sessions in the far cities."""
    rng, prng = w.rng(bap + "far"), w.prng(bap + "far")
    hs = np.array(g.far, dtype=np.float64)
    pick = rng.choice(len(hs), size=300, p=hs[:, 3] / hs[:, 3].sum())
    su = hs[pick, 0] + rng.normal(0, 1, 300) * hs[pick, 2]
    sv = hs[pick, 1] + rng.normal(0, 1, 300) * hs[pick, 2]
    slat, slon = g.ll(su, sv)
    owners = [c.cpos[int(i)] for i in rng.integers(0, len(c.cpos), 300)]
    there = Sites([f"pt-far-{i:03d}" for i in range(300)], owners, slat, slon)
    times = arrivals(rng, searches / (1 + 2 * h.refine), w.start, w.end, shape)
    pick = rng.choice(len(hs), size=times.size, p=hs[:, 3] / hs[:, 3].sum())
    u = hs[pick, 0] + rng.normal(0, 1, times.size) * hs[pick, 2]
    v = hs[pick, 1] + rng.normal(0, 1, times.size) * hs[pick, 2]
    who = rng.integers(0, wire.users, times.size)
    made = 0
    for i, at in enumerate(times.tolist()):
        made += _session(w, g, there, bap, wire, prng, at, float(u[i]), float(v[i]), int(who[i]), h)
    return made


def _ordinary(
    w: World,
    g: Port,
    c: Chargers,
    label: str,
    style: str,
    stem: str,
    size: float,
    weights: Sequence[float],
    book: tuple[float, float] = (0.04, 0.12),
    shape: Sequence[float] | None = DAY,
    pick: tuple[int, ...] | None = None,
) -> tuple[str, Wire, int]:
    bap = w.bap(label, style, stem)
    p = w.prng(bap + "habits")
    wire = _wire(p, bap, p.randint(max(5, int(size / 6)), max(20, int(size * 2))), pick=pick)
    h = _habits(p, book)
    return bap, wire, _app(w, g, c, bap, wire, weights, size, h, shape)


def _tiny(w: World, g: Port, c: Chargers, bap: str) -> tuple[int, Wire]:
    """A brand-new app's handful of users: 5-18 sessions a day in the towns. Returns the
    searches made and the app's wiring."""
    p, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    users = p.randint(2, 7)
    wire = _wire(p, bap, users, refs=0.7)
    h = Habits(p.choice(((2.0, 5.0), (3.0,), (5.0, 10.0))), p.uniform(0.2, 0.35), 0.7, 0.1)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = world.exactly(rng, p.randint(5, 18) * days, w, DAY)
    weights = (1.0, 2.0, 0.0, 0.4, 0.0, 0.0, 0.0)
    return _sessions(w, g, c.public, bap, wire, times, weights, h), wire


# -- honest BAPs with habits of their own --------------------------------------------------------


def _fleet(w: World, g: Port, c: Chargers) -> None:
    """The electric-truck fleet console for the terminal's hauliers: dispatchers check the
    chargers at the truck yard and the parks for a truck, day and night; 20-35% of its
    searches end in a booking (a select, an init and a confirm)."""
    prng, rng = w.prng("fleet"), w.rng("fleet")
    target = prng.uniform(0.22, 0.33)
    confirm = 0.95
    repeat = 1.3  # a second search on 30% of sessions
    select = target * repeat / confirm
    per_day = prng.uniform(700, 1200)
    bap = w.bap(
        "honest",
        f"e-truck fleet console: dispatchers check the truck yard's and the parks' chargers "
        f"day and night, ~{per_day:.0f} searches a day, ~{target:.0%} of searches booked",
        "fleet",
    )
    wire = _wire(prng, bap, prng.randint(4, 9), refs=0.9)
    s = _join(c.yard, c.parks)
    times = arrivals(rng, per_day / repeat, w.start, w.end, TRUCKS)
    hubs = [(g.yard.u, g.yard.v, 0.2, 2.0), *((p.u, p.v, 0.25, 1.0) for p in g.parks)]
    u, v = g.people(rng, times.size, hubs)
    for i, t in enumerate(times.tolist()):
        via, user = wire.via(prng), wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "f")
        lat, lon = g.ll1(float(u[i]), float(v[i]))
        r = prng.choice((1.0, 2.0, 3.0))
        w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
        if prng.random() < 0.3:
            t += prng.uniform(20, 90)
            w.search(bap, t, lat, lon, r * 2, via=via, user=user, txn=txn)
        if prng.random() < select:
            k = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=confirm, user=user, txn=txn)


def _harbour_master(w: World, g: Port, c: Chargers) -> None:
    """The harbour-master's app: fishing-boat owners' e-scooters and vans charge before and
    after the boats go out, 03:30-07:30 only, at the harbour; 15-30% of sessions book."""
    prng, rng = w.prng("harbour"), w.rng("harbour")
    owners = prng.randint(40, 120)
    book = prng.uniform(0.15, 0.3)
    bap = w.bap(
        "honest",
        f"harbour-master's app: {owners} boat owners' e-scooters and vans at the harbour, "
        f"{EARLY[0]:.1f}-{EARLY[1]:.1f} IST only, {book:.0%} of sessions book",
        "harbour",
    )
    wire = _wire(prng, bap, owners, refs=0.8)
    h = Habits((1.0, 2.0, 3.0), book, 0.85, 0.2)
    times = _window(w, rng, prng.uniform(130, 260), EARLY)
    _sessions(w, g, c.public, bap, wire, times, (0.15, 0, 0, 0, 0, 0, 0.85), h)


def _ride_hail(w: World, g: Port, c: Chargers) -> None:
    """A city-wide ride-hail app: its drivers search through the day (commuter peaks), over
    the bridge to the island, and in a crowd at the port gate at every shift change."""
    prng, rng = w.prng("ridehail"), w.rng("ridehail")
    drivers = prng.randint(300, 900)
    bap = w.bap(
        "honest",
        f"city ride-hail app: {drivers} drivers, commuter peaks, crowds at the port gate at "
        "the shift changes",
        "ride",
    )
    wire = _wire(prng, bap, drivers, refs=0.9)
    h = _habits(prng, (0.05, 0.1))
    size = prng.uniform(2500, 4000)
    _app(w, g, c, bap, wire, (1.5, 3.0, 0.3, 0.6, 0.3, 0.2, 0.1), size, h)
    crowd = _shift_crowds(w, rng, prng.uniform(80, 160))
    _sessions(w, g, c.public, bap, wire, crowd, (0, 0, 1.0, 0, 0, 0, 0), h, "crowd")


def _aggregator(w: World, g: Port, c: Chargers) -> None:
    """A national aggregator: 85-92% of its searches in far cities, the rest here."""
    bap = w.bap("honest", "national aggregator: most traffic in 4-6 far cities", "agg")
    prng = w.prng(bap)
    wire = _wire(prng, bap, 60_000, refs=0.5, pick=prng.choice(((0, 1), (1, 2), (0, 2))))
    h = _habits(prng, (0.05, 0.1))
    here = prng.uniform(0.08, 0.15)
    total = prng.uniform(6000, 9000)
    _app(w, g, c, bap, wire, (1.0, 3.0, 0.2, 0.5, 0.4, 0.3, 0.0), total * here, h)
    _far_sessions(w, g, c, bap, wire, total * (1 - here), h, DAY)


def _route(g: Port, a: Point, b: Point) -> list[Point]:
    """A way over land from ``a`` to ``b`` (each inland of the coast at its own ``u``, or on
    the island): over the bridge when one end is on the island, and across town by going up
    to ``CONNECT`` km inland, along and back down."""
    bu, b0, b1 = g.bridge

    def up(p: Point) -> list[Point]:
        if bool(g.on_island(*p)):
            return [p, (bu, b0), (bu, b1), (bu, CONNECT)]
        return [p, (p[0], max(p[1], CONNECT))]

    pa, pb = up(a), up(b)
    return [*pa, *reversed(pb)]


def _head_units(w: World, g: Port, c: Chargers) -> None:
    """A car brand's head units refresh nearby chargers every 1.5-4 km as the car moves:
    along the highway, over the bridge to and from the island, across town. Each trip is a
    transaction of its own; 5-10% of trips book near where they are going."""
    prng, rng = w.prng("headunit"), w.rng("headunit")
    cars = prng.randint(600, 2000)
    book = prng.uniform(0.05, 0.1)
    bap = w.bap(
        "honest",
        f"car brand's head units: {cars} cars refresh nearby chargers every 1.5-4 km along "
        f"the highway, over the bridge and across town, {book:.0%} of trips book",
        "car",
    )
    wire = _wire(prng, bap, cars, refs=0.9, pick=prng.choice(((0,), (0, 2), (2, 0))), txn3=True)
    town = (*g.old.hubs, *g.new.hubs)
    trips = arrivals(rng, prng.uniform(400, 600), w.start, w.end, DAY)
    ends_u, ends_v = g.people(rng, 2 * trips.size, town)
    iu, iv = g.people(rng, trips.size, g.island.hubs)
    length = g.highway_length()
    for n, t in enumerate(trips.tolist()):
        kind = prng.random()
        a: Point = (float(ends_u[2 * n]), float(ends_v[2 * n]))
        b: Point = (float(ends_u[2 * n + 1]), float(ends_v[2 * n + 1]))
        if kind < 0.35:  # the highway, out to a park or beyond, or back in
            s = prng.uniform(8.0, length)
            entry = 3.0 + prng.uniform(0, 2)
            hu, hv = g.along_highway(np.linspace(entry, s, 8))
            road = list(zip(hu.tolist(), hv.tolist(), strict=True))
            verts = [*_route(g, a, road[0])[:-1], *road]
            if prng.random() < 0.5:
                verts.reverse()
        elif kind < 0.65:  # to or from the island, over the bridge
            verts = _route(g, (float(iu[n]), float(iv[n])), a)
            if prng.random() < 0.5:
                verts.reverse()
        else:
            verts = _route(g, a, b)
        verts = [p for k, p in enumerate(verts) if k == 0 or p != verts[k - 1]]
        if len(verts) < 2:
            continue
        total = float(_segments(verts)[3][-1])
        if total < 2.0:
            continue
        speed = prng.uniform(25, 60) / 3600
        u0 = prng.randrange(cars)
        via, user = wire.via(prng), wire.user(u0)
        txn = wire.txn(w, via, "h")
        r = prng.choice((5.0, 10.0, 15.0))
        steps = [prng.uniform(0, 0.5)]
        while steps[-1] < total:
            steps.append(steps[-1] + prng.uniform(1.5, 4.0))
        ds = np.array(steps[:-1])
        pu, pv = _along(verts, ds)
        ju = pu + np.array([prng.gauss(0, 0.015) for _ in steps[:-1]])
        jv = pv + np.array([prng.gauss(0, 0.015) for _ in steps[:-1]])
        wet = g.dry(ju, jv) == 0
        ju[wet], jv[wet] = pu[wet], pv[wet]  # jittered off the bridge: the bridge itself
        lat, lon = g.ll(ju, jv)
        for k in range(ds.size):
            at, la, lo = t + float(ds[k]) / speed, float(lat[k]), float(lon[k])
            w.search(bap, at, la, lo, r, via=via, user=user, txn=txn)
        tau = float(ds[-1]) / speed if ds.size else 0.0
        if prng.random() < book:
            la, lo = g.ll1(*verts[-1])
            k = c.public.nearest(la, lo)
            s2 = c.public
            w.book(bap, t + tau, s2.cpos[k], s2.ids[k], prng, confirm=0.8, user=user, txn=txn)


def _port_authority(w: World, c: Chargers) -> None:
    """The port authority's operations console: every one of the port's own chargers on a
    fixed schedule (every 15, 20 or 30 minutes, to the second), booking on about 1 in 150-300
    searches (it operates those chargers)."""
    prng = w.prng("authority")
    s = c.port
    n = len(s.ids)
    period = prng.choice((900.0, 1200.0, 1800.0))
    ratio = prng.uniform(150, 300)
    bap = w.bap(
        "honest",
        f"port authority's operations console: its {n} chargers (terminal, truck yard, "
        f"harbour) every {period / 60:.0f} min on the clock, books ~1 in {ratio:.0f} searches",
        "portops",
    )
    wire = _wire(prng, bap, prng.randint(1, 3), refs=0.6)
    radius = prng.choice((0.5, 1.0))
    first = math.ceil((w.start + 30) / period) * period + prng.uniform(0, 20)
    rounds = [first + k * period for k in range(int((w.end - first) // period) + 1)]
    rounds = [t for t in rounds if t < w.end]
    booked = set(prng.sample(range(len(rounds)), min(len(rounds), round(len(rounds) * n / ratio))))
    for k, t in enumerate(rounds):
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "o")
        at = t
        for j in range(n):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, user=user, txn=txn)
            at += prng.uniform(0.5, 1.5)
        if k in booked:
            j = prng.randrange(n)
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=1.0, user=user, txn=txn)


def _island(w: World, g: Port, c: Chargers) -> None:
    """The island residents' app: mostly on the island, in town on the commute; 10-18% of
    sessions book."""
    prng = w.prng("island")
    bap = w.bap("honest", "island residents' app: the island, and town on the commute", "isle")
    wire = _wire(prng, bap, prng.randint(300, 800), refs=0.8)
    h = _habits(prng, (0.1, 0.18))
    _app(w, g, c, bap, wire, (0.3, 0.8, 0, 3.0, 0, 0, 0), prng.uniform(500, 900), h)


def _delivery(w: World, g: Port, c: Chargers) -> None:
    """Food-delivery riders' e-scooters in the old and new towns at lunch and dinner; short
    radii; 10-20% of sessions book."""
    prng = w.prng("delivery")
    bap = w.bap("honest", "food-delivery riders' app: lunch and dinner, the towns", "food")
    wire = _wire(prng, bap, prng.randint(150, 400), refs=0.7)
    h = Habits((1.0, 2.0, 3.0), prng.uniform(0.1, 0.2), 0.8, prng.uniform(0.1, 0.25))
    _app(w, g, c, bap, wire, (2.0, 3.0, 0, 0.3, 0, 0, 0), prng.uniform(1200, 2200), h, MEALS)


def _customs(w: World, g: Port, c: Chargers) -> None:
    """Customs brokers' office app: office hours at the parks and the gate; ~25% book."""
    prng, rng = w.prng("customs"), w.rng("customs")
    bap = w.bap("honest", "customs brokers' office app: office hours, parks and gate", "cha")
    wire = _wire(prng, bap, prng.randint(8, 25), refs=1.0, pick=(prng.randrange(3),))
    h = Habits((3.0, 5.0), prng.uniform(0.2, 0.3), 0.85, 0.1)
    times = _window(w, rng, prng.uniform(60, 120), OFFICE)
    _sessions(w, g, c.public, bap, wire, times, (0, 0.3, 1.0, 0, 2.0, 0, 0), h)


def _guesthouse(w: World, g: Port, c: Chargers) -> None:
    """An old-town guesthouse app: tourists near the harbour and the lanes; small."""
    prng = w.prng("guesthouse")
    bap = w.bap("honest", "old-town guesthouse app: tourists, small", "inn")
    wire = _wire(prng, bap, prng.randint(30, 90), refs=0.5)
    h = _habits(prng, (0.08, 0.15))
    _app(w, g, c, bap, wire, (3.0, 0.3, 0, 0, 0, 0, 1.0), prng.uniform(60, 150), h)


def _shuttle(w: World, g: Port, c: Chargers) -> None:
    """The logistics parks' staff shuttle console: e-buses top up at the parks and the gate
    in the 90 minutes before each shift change; 15-25% of sessions book."""
    prng, rng = w.prng("shuttle"), w.rng("shuttle")
    bap = w.bap("honest", "staff shuttle console: before each shift, parks and gate", "bus")
    wire = _wire(prng, bap, prng.randint(3, 10), refs=0.7)
    h = Habits((1.0, 2.0), prng.uniform(0.15, 0.25), 0.9, 0.0)
    times = np.sort(
        np.concatenate([_window(w, rng, prng.uniform(25, 50), (x - 1.5, x)) for x in SHIFTS])
    )
    _sessions(w, g, c.public, bap, wire, times, (0, 0.5, 1.0, 0, 2.0, 0, 0), h)


def _cpo_app(w: World, g: Port, c: Chargers, cpo: str) -> None:
    """A CPO's own app: its users search the city and book its own chargers more often."""
    name = cpo.split(".")[0].removeprefix("cpo-")
    prng = w.prng("cpoapp" + name)
    size = math.exp(prng.uniform(math.log(80), math.log(1500)))
    bap = w.bap("honest", f"{name} CPO's own app, ~{size:.0f} searches a day", "cpo")
    wire = _wire(prng, bap, prng.randint(max(10, int(size / 5)), max(30, int(size))))
    h = _habits(prng, (0.06, 0.14))
    mine = [k for k, o in enumerate(c.public.cpos) if o == cpo] or list(range(len(c.public.ids)))
    s = c.public
    own = Sites([s.ids[k] for k in mine], [s.cpos[k] for k in mine], s.lat[mine], s.lon[mine])
    rng = w.rng(bap + "times")
    times = arrivals(rng, size / (1 + 2 * h.refine), w.start, w.end, DAY)
    _sessions(w, g, own, bap, wire, times, (1.0, 3.0, 0.1, 0.5, 0.3, 0.3, 0), h)


# -- scrapers hidden in apps ----------------------------------------------------------------------


def town_lattice(g: Port, step: float) -> tuple[F64, F64]:
    """A ``step`` km lattice (on the terminal's axes) over the old and the new town: the
    nodes in either town whose 20-50 m ring is on land, in raster order."""
    pts: list[tuple[float, float]] = []
    ring = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    for town in (g.old, g.new):
        n = int(town.r / step) + 1
        ku0, kv0 = round(town.u / step), round(town.v / step)
        for i in range(-n, n + 1):
            for j in range(-n, n + 1):
                u, v = (ku0 + j) * step, (kv0 + i) * step
                if math.hypot(u - town.u, v - town.v) > town.r:
                    continue
                ru = np.concatenate([u + 0.02 * np.cos(ring), u + 0.055 * np.cos(ring)])
                rv = np.concatenate([v + 0.02 * np.sin(ring), v + 0.055 * np.sin(ring)])
                if np.all(g.dry(ru, rv) == 1) and (u, v) not in pts:
                    pts.append((u, v))
    pts.sort(key=lambda p: (round(p[1] / step), p[0]))
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


def _hidden_lattice(w: World, g: Port, c: Chargers) -> None:
    """A real logistics app (vans about the towns, the parks and the highway) hiding a sweep
    of a lattice over the old and new towns: full rounds in raster order at a steady period,
    each visit 20-50 m off its node and on land, no user reference; 10-20% of its
    searches."""
    prng = w.prng("lattice")
    step = prng.uniform(0.9, 1.5)
    u, v = town_lattice(g, step)
    share = prng.uniform(0.12, 0.18)
    period = min(4 * HOUR, max(0.5 * HOUR, 86_400.0 * u.size / prng.uniform(500, 900)))
    t0 = w.start + prng.uniform(0, period)
    starts = [
        t0 + r * period + prng.uniform(-10, 10) for r in range(int((w.end - w.start) // period) + 2)
    ]
    starts = [t for t in starts if t < w.end]
    days = (w.end - w.start) / 86_400.0
    size = len(starts) * u.size * (1 - share) / share / days
    bap, wire, made = _ordinary(
        w,
        g,
        c,
        "hidden_sweep",
        "logistics app",
        "app",
        size,
        (1.0, 1.5, 0.8, 0.3, 2.0, 0.8, 0.2),
        book=(0.08, 0.15),
    )
    radius = prng.choice((1.0, 1.5, 2.0))
    gap = prng.uniform(4, 15)
    for at in starts:
        via = wire.via(prng)
        txn = wire.txn(w, via, "l")
        for j in range(u.size):
            ju, jv = float(u[j]), float(v[j])
            for _ in range(50):
                d, a = prng.uniform(0.02, 0.05), prng.uniform(0, 2 * math.pi)
                ju, jv = float(u[j]) + d * math.cos(a), float(v[j]) + d * math.sin(a)
                if g.dry1(ju, jv):
                    break
            la, lo = g.ll1(ju, jv)
            w.search(bap, at, la, lo, radius, via=via, txn=txn, scraping=True)
            at += gap * prng.uniform(0.8, 1.2)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"jittered lattice: a {step:.4f} km lattice of {u.size} nodes over the old and new "
        f"towns, each visit 20-50 m off its node, on land, full rounds every "
        f"{period / 60:.0f} min, {radius} km radius, no user ref; "
        f"{got / max(1, got + made):.0%} of a logistics app",
    )


def _hidden_poll(w: World, g: Port, c: Chargers) -> None:
    """A trucking aggregator (truckers here and in far cities, mostly at night) hiding a poll
    of the terminal's and the truck yard's chargers, each gap between rounds drawn in 6-14
    minutes; the poll never books and sends no user reference."""
    prng = w.prng("truckpoll")
    bap = w.bap("hidden_poll", "", "truck")
    wire = _wire(prng, bap, 20_000, refs=0.7, pick=prng.choice(((0, 1), (2,), (1, 2))))
    h = _habits(prng, (0.06, 0.12))
    size = prng.uniform(6000, 9000)
    local = prng.uniform(0.3, 0.5)
    made = _app(w, g, c, bap, wire, (0.1, 0.3, 2.0, 0, 2.0, 1.5, 0), size * local, h, TRUCKS)
    made += _far_sessions(w, g, c, bap, wire, size * (1 - local), h, TRUCKS)
    s = _join(c.terminal, c.yard)
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "q")
        at = t
        for j in prng.sample(range(len(s.ids)), len(s.ids)):
            w.search(
                bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn, scraping=True
            )
            at += prng.uniform(0.5, 3.0)
        t += prng.uniform(360, 840)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"trucking aggregator hiding a poll of the terminal's and truck yard's {len(s.ids)} "
        f"chargers, each gap drawn in 6-14 min, never booking; {got / max(1, got + made):.0%} "
        "of its searches",
    )


# -- scrapers of their own ------------------------------------------------------------------------


def _sybil(w: World, c: Chargers, keys: int) -> None:
    """One list of town chargers polled in turn by ``keys`` BAP keys: the list's i-th spot of
    round r goes to key (r * n + i) mod ``keys`` (n coprime to it, so every key polls every
    spot over the day); a round every 10-20 minutes; never booking."""
    prng = w.prng("sybil")
    s = c.town
    n = prng.randint(11, min(23, len(s.ids)))
    while math.gcd(n, keys) != 1:
        n -= 1
    spots = prng.sample(range(len(s.ids)), n)
    period = prng.uniform(600, 1200)
    radius = prng.choice((1.0, 2.0))
    first = len(w.baps)
    baps: list[str] = []
    wires: list[Wire] = []
    for k in range(keys):
        bap = w.bap(
            "poller",
            f"sybil key {k + 1} of {keys} (from BAP #{first + 1}): one list of {n} town "
            f"chargers polled in turn by the {keys} keys, a round every ~{period / 60:.0f} min",
            "syb",
        )
        baps.append(bap)
        wires.append(_wire(w.prng(bap + "wire"), bap, 1, refs=0.0))
    t, r = w.start + prng.uniform(0, 300), 0
    while t < w.end:
        at = t
        for i, j in enumerate(spots):
            k = (r * n + i) % keys
            via = wires[k].via(prng)
            w.search(
                baps[k],
                at,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                txn=wires[k].txn(w, via, "y"),
                scraping=True,
            )
            at += prng.uniform(2.0, 6.0)
        t += period * prng.uniform(0.9, 1.1)
        r += 1


def city_grid(g: Port, step: float) -> tuple[F64, F64]:
    """A coarse ``step`` km grid over the whole city (the towns, the port, the island, the
    nearer parks), its nodes on land, in raster order."""
    lo_u = min(g.island.u - g.island.r, g.old.u - g.old.r, g.new.u - g.new.r, -g.terminal[0])
    hi_u = max(g.island.u + g.island.r, g.old.u + g.old.r, g.new.u + g.new.r, g.terminal[0])
    lo_v = g.island.v - g.island.r
    hi_v = g.new.v + g.new.r + 2.0
    us = np.arange(math.floor(lo_u / step) * step, hi_u + step, step)
    vs = np.arange(math.floor(lo_v / step) * step, hi_v + step, step)
    vv, uu = np.meshgrid(vs, us, indexing="ij")
    u, v = uu.ravel(), vv.ravel()
    keep = g.dry(u, v) == 1
    for a in np.linspace(0, 2 * math.pi, 8, endpoint=False):  # clear of the water's edge
        keep &= g.dry(u + 0.01 * math.cos(a), v + 0.01 * math.sin(a)) == 1
    return u[keep], v[keep]


def _alternating(w: World, g: Port) -> None:
    """A sweeper over a coarse grid of the whole city, raster order, one radius each round
    and the other the next."""
    prng = w.prng("alternating")
    step = prng.uniform(2.5, 4.0)
    per_hour = prng.uniform(50, 120)
    radii = prng.choice(((2.0, 5.0), (3.0, 6.0), (2.5, 8.0)))
    u, v = city_grid(g, step)
    lat, lon = g.ll(u, v)
    bap = w.bap(
        "sweeper",
        f"alternating-radius sweeper: {u.size} land nodes of a {step:.2f} km grid over the "
        f"whole city, raster order, radius {radii[0]} and {radii[1]} round by round, "
        f"{per_hour:.0f}/h",
        "swp",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    t, k, turn = w.start + prng.uniform(0, 60), 0, 0
    while t < w.end:
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radii[turn % 2],
            via=via,
            txn=wire.txn(w, via, "w"),
            scraping=True,
        )
        k += 1
        if k == u.size:
            k, turn = 0, turn + 1
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _booking_scraper(w: World, g: Port, c: Chargers) -> None:
    """A sweep of a grid over the city that books on about 1% of its searches (a select, an
    init, a confirm) and cancels every booking within 2-15 minutes."""
    prng = w.prng("booker")
    step = prng.uniform(1.2, 2.0)
    per_hour = prng.uniform(45, 90)
    rate = prng.uniform(0.008, 0.012)
    bap = w.bap(
        "booking_scraper",
        f"{step:.1f} km grid over the city at {per_hour:.0f}/h, books {rate:.1%} of searches "
        "and cancels each within 2-15 min",
        "bk",
    )
    wire = _wire(prng, bap, prng.randint(2, 5), refs=1.0, pick=(prng.choice((0, 2)),), txn3=True)
    u, v = city_grid(g, step)
    lat, lon = g.ll(u, v)
    s = c.public
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "k")
        user = wire.user(prng.randrange(wire.users))
        la, lo = float(lat[k]), float(lon[k])
        w.search(bap, t, la, lo, 3.0, via=via, user=user, txn=txn, scraping=True)
        if prng.random() < rate:
            j = s.nearest(la, lo)
            at = t + prng.uniform(15, 60)
            w.funnel(bap, at, FunnelKind.SELECT, s.cpos[j], s.ids[j], user=user, txn=txn)
            at += prng.uniform(10, 40)
            w.funnel(bap, at, FunnelKind.INIT, s.cpos[j], s.ids[j], user=user, txn=txn)
            at += prng.uniform(5, 20)
            w.funnel(bap, at, FunnelKind.CONFIRM, s.cpos[j], s.ids[j], user=user, txn=txn)
            at += prng.uniform(120, 900)
            w.funnel(bap, at, FunnelKind.CANCEL, s.cpos[j], s.ids[j], user=user, txn=txn)
        k = (k + 1) % u.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _night_slow(w: World, c: Chargers) -> None:
    """A low-and-slow scraper active only at night (22:00-06:00 IST): one public charger's
    spot at a time, in a random order, with 2.5-10 minutes between searches."""
    prng = w.prng("nightslow")
    users = prng.randint(1, 3)
    bap = w.bap(
        "low_and_slow",
        f"night-only (22:00-06:00 IST) scraper: public chargers' spots in random order, "
        f"2.5-10 min apart, {users} user refs",
        "slow",
    )
    wire = _wire(prng, bap, users, refs=1.0, always=True, pick=(prng.randrange(3),))
    s = c.public
    radius = prng.choice((2.0, 3.0, 5.0))
    order: list[int] = []
    for m in _midnights(w):
        t = m + NIGHT[0] * HOUR + prng.uniform(0, 300)
        while t < m + NIGHT[1] * HOUR:
            if not order:
                order = prng.sample(range(len(s.ids)), len(s.ids))
            j = order.pop()
            via = wire.via(prng)
            w.search(
                bap,
                t,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                user=wire.user(prng.randrange(users)),
                txn=wire.txn(w, via, "s"),
                scraping=True,
            )
            t += prng.uniform(150, 600)


def _tiny_key_poller(w: World, g: Port, c: Chargers) -> None:
    """A poll of the island's chargers every 12-25 minutes behind a brand-new tiny app's
    key: the app's few real users share the key."""
    bap = w.bap("poller", "", "tiny")
    honest, wire = _tiny(w, g, c, bap)  # the scraper goes the app's way to the network
    prng = w.prng(bap + "poll")
    s = c.island
    radius = prng.choice((1.0, 2.0))
    t = w.start + prng.uniform(0, 900)
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "z")
        for n in range(len(s.ids)):
            w.search(
                bap,
                t + n * 1.2,
                float(s.lat[n]),
                float(s.lon[n]),
                radius,
                via=via,
                txn=txn,
                scraping=True,
            )
        t += prng.uniform(720, 1500)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "poller",
        f"a poll of the island's {len(s.ids)} chargers every 12-25 min behind a brand-new tiny "
        f"app's key (the app's own {honest} searches are {honest / max(1, honest + got):.0%} "
        "of it)",
    )


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    plan = w.prng("plan")
    keys, city, tiny = plan.randint(3, 4), plan.randint(2, 3), plan.randint(2, 3)
    # the fleet, harbour, ride-hail, aggregator, head units, port authority, island,
    # delivery, customs, guesthouse and shuttle; the city and tiny apps; the two hosts; the
    # sybil keys, the alternating sweeper, the booking scraper, the night scraper and the
    # tiny-key poller
    others = 11 + city + tiny + 2 + keys + 4
    cpo_apps = min(len(c.cpos), max(3, plan.randint(31, 34) - others))
    _fleet(w, g, c)
    _harbour_master(w, g, c)
    _ride_hail(w, g, c)
    _aggregator(w, g, c)
    sizes = [plan.uniform(250, 600), plan.uniform(900, 1600), plan.uniform(1800, 2800)][:city]
    for size in sizes:
        _ordinary(
            w,
            g,
            c,
            "honest",
            f"city app, ~{size:.0f} searches a day",
            "app",
            size,
            (plan.uniform(0.5, 2.0), 3.0, 0.2, plan.uniform(0.2, 0.8), 0.2, 0.2, 0.1),
        )
    for _ in range(tiny):
        _tiny(w, g, c, w.bap("honest", "tiny new app, a handful of users", "tiny"))
    _head_units(w, g, c)
    _port_authority(w, c)
    _island(w, g, c)
    _delivery(w, g, c)
    _customs(w, g, c)
    _guesthouse(w, g, c)
    _shuttle(w, g, c)
    for cpo in plan.sample(list(c.cpos), cpo_apps):
        _cpo_app(w, g, c, cpo)
    _hidden_lattice(w, g, c)
    _hidden_poll(w, g, c)
    _sybil(w, c, keys)
    _alternating(w, g)
    _booking_scraper(w, g, c)
    _night_slow(w, c)
    _tiny_key_poller(w, g, c)
    return w.done()
