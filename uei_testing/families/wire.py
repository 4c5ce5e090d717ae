"""How an app reaches the network in the families with three gateways (``ring``, ``twin``,
``plateau``, ``valley``, ``port``): ``bg`` always reports transaction ids, ``bg2`` never,
``bg3`` as the app chooses; an app goes through one gateway or splits its traffic over two,
and some, all or none of its users send a user reference. Each family keeps its own gateway
names and odds (a ``Wiring``). Also an ordinary person's session through an app
(``Wire.session``, with the app's ``Habits``; ``ring``, ``twin`` and ``plateau``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from uei_testing.families.world import Sites, World


@dataclass(frozen=True, slots=True)
class Wire:
    """An app's gateways (with its share through each), whether ``bg3`` sends its transaction
    ids, and which of its users send a user reference."""

    gateways: tuple[str, str, str]
    """The family's ``bg``, ``bg2`` and ``bg3``."""
    bap: str
    vias: tuple[str, ...]
    weights: tuple[float, ...]
    txn3: bool
    users: int
    user_share: float
    """Users ``u < users * user_share`` send a reference (the others run an old version)."""

    def via(self, prng: random.Random) -> str:
        return prng.choices(self.vias, self.weights)[0]

    def txn(self, w: World, via: str, key: str) -> str:
        on = via == self.gateways[0] or (via == self.gateways[2] and self.txn3)
        return w.txn(key) if on else ""

    def user(self, u: int) -> str:
        return f"{self.bap}/u{u}" if u < self.users * self.user_share else ""

    def session(
        self,
        w: World,
        bap: str,
        prng: random.Random,
        t: float,
        lat: float,
        lon: float,
        u: int,
        h: Habits,
        s: Sites,
        book: float,
        *,
        widen: float = 0.25,
    ) -> int:
        """A search or a few at a spot at one of the app's radii (doubled with odds ``widen``
        after each), and with odds ``book`` a booking at the nearest site. Returns the searches
        made."""
        via = self.via(prng)
        user = self.user(u)
        txn = self.txn(w, via, "a")
        r = prng.choice(h.radii)
        n = prng.choice(h.repeat)
        for _ in range(n):
            w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
            t += prng.uniform(8, 120)
            if prng.random() < widen:
                r = min(50.0, r * 2)
        if prng.random() < book:
            k = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=h.confirm, user=user, txn=txn)
        return n


@dataclass(frozen=True, slots=True)
class Wiring:
    """A family's gateways and the odds of its apps' setups."""

    gateways: tuple[str, str, str]
    picks: tuple[tuple[int, ...], ...]
    """The gateway choices an app draws from (indices into ``gateways``)."""
    split: float
    """The least share of an app's traffic through the first of two gateways."""
    partial: tuple[float, float]
    """The range of the share of users sending a reference, when not all of them do."""

    def wire(
        self,
        prng: random.Random,
        bap: str,
        users: int,
        *,
        refs: float = 0.6,
        always: bool = False,
        pick: tuple[int, ...] | None = None,
        txn3: bool | None = None,
    ) -> Wire:
        """A random gateway setup (or the gateways ``pick``); ``refs``: the odds the app sends
        user references at all, ``always``: every user does; ``txn3``: whether ``bg3`` sends
        transaction ids (drawn when None)."""
        if pick is None:
            pick = prng.choice(self.picks)
        vias = tuple(self.gateways[i] for i in pick)
        weights: tuple[float, ...] = (1.0,)
        if len(pick) == 2:
            w0 = prng.uniform(self.split, 0.9)
            weights = (w0, 1 - w0)
        if always:
            share = 1.0
        elif prng.random() < refs:
            share = prng.choice((1.0, 1.0, prng.uniform(*self.partial)))
        else:
            share = 0.0
        three = prng.random() < 0.5 if txn3 is None else txn3
        return Wire(self.gateways, bap, vias, weights, three, users, share)


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    """Share of sessions that select a charger."""
    confirm: float
    repeat: tuple[int, ...]
    shape: tuple[float, ...]
