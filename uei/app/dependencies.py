"""What route handlers are handed (Litestar ``Provide``): each domain's API by the name its
handlers declare, typed, so that "go to definition" leads from a handler to the service.

The lifespan builds the services once the store is open and leaves them on the app's state;
these providers are the only readers of that state for handlers, but for the hottest routes:
the key path and the lookups read the registry off the app themselves, and the quota check and
the status query their API (``state.quotas``, ``state.abuse``; the quota check's API is read
nowhere else), since a dependency costs a resolution per request (about 2% of a quota check's
time, profiled under ``bench.load``).
"""

from __future__ import annotations

from typing import cast

from litestar.datastructures import State
from litestar.di import Provide

from uei.antiabuse.defaulters.http import AbuseApi
from uei.antiabuse.overview import Overview
from uei.antiabuse.review import ReviewApi
from uei.antiabuse.scraping.http import ScrapingApi
from uei.registry.service import Registry

__all__ = ["DEPENDENCIES"]


def _registry(state: State) -> Registry:
    return cast("Registry", state.registry)


def _abuse(state: State) -> AbuseApi:
    return cast("AbuseApi", state.abuse)


def _scraping(state: State) -> ScrapingApi:
    return cast("ScrapingApi", state.scraping)


def _review(state: State) -> ReviewApi:
    return cast("ReviewApi", state.review)


def _overview(state: State) -> Overview:
    return cast("Overview", state.overview)


DEPENDENCIES = {
    "registry": Provide(_registry, sync_to_thread=False),
    "abuse": Provide(_abuse, sync_to_thread=False),
    "scraping": Provide(_scraping, sync_to_thread=False),
    "review": Provide(_review, sync_to_thread=False),
    "overview": Provide(_overview, sync_to_thread=False),
}
