"""Scraping protection: BAPs ranked by their score, and one BAP over time (searches, quota
use, look-to-book, query centres, score per pass) with its verdict's explanation and each
action enforced beside shadow.

Read-only, off the request path: ``Overview`` (``uei/antiabuse/overview.py``) reads bounded
amounts from the stores; the plots are figure dicts (``abuse_plots.py``) in a JSON data island
that the page's script hands to the plotly.js the service serves.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from uei.antiabuse.overview import MAX_CENTRES, MAX_EVENTS, Overview
from uei.app.dashboard.abuse_plots import (
    centres_figure,
    data_island,
    funnel_figure,
    quota_figure,
    score_figure,
    searches_figure,
)
from uei.app.dashboard.kit import PAGE, PAGES, render
from uei.registry.operations import SUBSCRIBER_ID
from uei.registry.records import iso

__all__ = ["bap_page", "scraping_page"]

_BAP_ID = re.compile(f"^{SUBSCRIBER_ID}$")


@get("/scraping", opt=PAGE, include_in_schema=False)
async def scraping_page(
    request: Request[Any, Any, Any],
    overview: NamedDependency[Overview],
    flagged: Annotated[bool, QueryParameter()] = False,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> Template:
    """Each scored BAP's latest verdict, the highest score first; ``flagged``: only those
    with an action, applied or in shadow."""
    ranked = await overview.ranking(limit)
    shown = [r for r in ranked if r.flagged or not flagged]
    return render(
        request,
        "scraping.html",
        active="scraping",
        ranked=shown,
        total=len(ranked),
        flagged=flagged,
        limit=limit,
        when=iso,
    )


@get("/scraping/{bap_id:str}", opt=PAGE, include_in_schema=False)
async def bap_page(
    request: Request[Any, Any, Any],
    overview: NamedDependency[Overview],
    bap_id: FromPath[str],
) -> Template:
    """One BAP over the events still kept: plots over time, the latest verdict's reasons and
    features against the network's range, and every action enforced, in shadow or withheld."""
    if len(bap_id) > 255 or not _BAP_ID.match(bap_id):
        return render(
            request,
            "refused.html",
            status_code=400,
            active="scraping",
            reason="bap_id: a BAP's subscriber id is a host name (letters, digits, '.', '-', "
            "'_'; at most 255, starting and ending with a letter or digit)",
        )
    page = await overview.bap(bap_id)
    if not page.known:
        return render(
            request,
            "refused.html",
            status_code=404,
            active="scraping",
            reason=f"nothing is recorded for BAP {bap_id}: no verdict, no events kept",
        )
    scraping = overview.scraping()
    figures = {
        "searches": searches_figure(page.activity),
        "quota": quota_figure(page.quota),
        "funnel": funnel_figure(page.activity),
        "centres": centres_figure(page.centres),
        "score": score_figure(
            [page.verdict, *page.history] if page.verdict else page.history, scraping.actions
        ),
    }
    return render(
        request,
        "bap.html",
        active="scraping",
        page=page,
        island=data_island(figures),
        figures=list(figures),
        totals=page.activity.totals,
        max_events=MAX_EVENTS,
        max_centres=MAX_CENTRES,
        when=iso,
    )


PAGES.extend([scraping_page, bap_page])
