"""Non-payer protection: cases by status, the status verdicts given per day (from the audit
trail, shadow apart) and the dispute queue with each dispute's age against the policy's
deadline, overdue ones marked. Tokens only: the ledger holds no raw identifier to show.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from uei.antiabuse.defaulters.ledger import DAY
from uei.antiabuse.overview import AUDIT_SCAN, MIX_DAYS, Overview
from uei.app.dashboard.abuse_plots import case_status_figure, data_island, verdict_mix_figure
from uei.app.dashboard.kit import PAGE, PAGES, render
from uei.registry.records import iso

__all__ = ["nonpayers_page"]


def _days(seconds: float) -> str:
    return f"{seconds / DAY:.1f} d"


@get("/non-payers", opt=PAGE, include_in_schema=False)
async def nonpayers_page(
    request: Request[Any, Any, Any], overview: NamedDependency[Overview]
) -> Template:
    """The ledger at a glance, and what waits on creditors."""
    page = await overview.nonpayers()
    figures = {
        "statuses": case_status_figure(page.counts),
        "verdicts": verdict_mix_figure(page.mix),
    }
    return render(
        request,
        "nonpayers.html",
        active="non-payers",
        page=page,
        island=data_island(figures),
        figures=list(figures),
        total=sum(page.counts.values()),
        overdue=sum(d.overdue for d in page.disputes),
        mix_days=MIX_DAYS,
        audit_scan=AUDIT_SCAN,
        when=iso,
        days=_days,
    )


PAGES.append(nonpayers_page)
