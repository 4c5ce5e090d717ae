"""The anti-abuse pages' plots as plotly figure dicts (``data`` and ``layout``), made from the
pure views: JSON-serialisable (msgspec), drawn by the plotly.js the service serves itself.

Pure: a view in, a dict out. Times go out as ISO strings (plotly reads them as dates).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from uei.antiabuse.defaulters.ledger import CaseStatus
from uei.antiabuse.defaulters.overview import VerdictMix
from uei.antiabuse.defaulters.policy import Verdict
from uei.antiabuse.scraping.policy import Actions, ScrapingAction
from uei.antiabuse.scraping.timeline import Activity, Centre, QuotaUse
from uei.antiabuse.scraping.verdicts import BapVerdict

__all__ = [
    "Figure",
    "case_status_figure",
    "centres_figure",
    "data_island",
    "funnel_figure",
    "quota_figure",
    "score_figure",
    "searches_figure",
    "verdict_mix_figure",
]

Figure = dict[str, Any]

_VERDICT_COLOURS = {
    Verdict.ALLOW: "#3b8f5a",
    Verdict.PREPAID_ONLY: "#d99a1e",
    Verdict.BLOCK: "#c0392b",
}


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _times(starts: Sequence[float]) -> list[str]:
    return [_iso(s) for s in starts]


def _layout(title: str, y: str, **more: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": y}, "rangemode": "tozero"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "height": 300,
        "legend": {"orientation": "h"},
        **more,
    }


def searches_figure(activity: Activity) -> Figure:
    return {
        "data": [
            {
                "type": "bar",
                "name": "searches",
                "x": _times(activity.starts),
                "y": activity.searches,
                "marker": {"color": "#1f5fbf"},
            }
        ],
        "layout": _layout("Searches per interval", "searches"),
    }


def _share(units: Sequence[float], full: float) -> list[float]:
    return [round(100 * u / full, 2) if full > 0 else 0.0 for u in units]


def quota_figure(quota: QuotaUse) -> Figure:
    """Admitted and refused units as a share of what the rule admits per interval at its
    sustained rate (100%: the rule's rate, a burst may pass it; the dashed line drops while
    a throttle is in force); the units on hover."""
    x = _times(quota.starts)
    bars = [
        ("admitted", quota.allowed, "#3b8f5a"),
        ("refused", quota.refused, "#c0392b"),
    ]
    return {
        "data": [
            *(
                {
                    "type": "bar",
                    "name": name,
                    "x": x,
                    "y": _share(units, quota.full),
                    "customdata": units,
                    "hovertemplate": "%{customdata} units (%{y}% of the rule)",
                    "marker": {"color": colour},
                }
                for name, units, colour in bars
            ),
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"rule ({quota.rule}){' throttled' if any(quota.throttled) else ''}",
                "x": x,
                "y": _share(quota.capacity, quota.full),
                "line": {"color": "#1d2433", "dash": "dash", "shape": "hv"},
            },
        ],
        "layout": _layout(
            "Quota use against the search rule (replayed)",
            "% of the rule's rate",
            barmode="stack",
        ),
    }


def funnel_figure(activity: Activity) -> Figure:
    """Searches on the left axis, the funnel's steps on the right (far fewer)."""
    x = _times(activity.starts)
    steps = (
        ("select", activity.selects, "#d99a1e"),
        ("init", activity.inits, "#8e44ad"),
        ("confirm", activity.confirms, "#3b8f5a"),
    )
    return {
        "data": [
            {
                "type": "bar",
                "name": "search",
                "x": x,
                "y": activity.searches,
                "marker": {"color": "#1f5fbf", "opacity": 0.35},
            },
            *(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": name,
                    "x": x,
                    "y": ys,
                    "yaxis": "y2",
                    "line": {"color": colour},
                }
                for name, ys, colour in steps
            ),
        ],
        "layout": _layout(
            "Look-to-book: search, select, init, confirm",
            "searches",
            yaxis2={
                "title": {"text": "selects, inits, confirms"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
            },
            margin={"l": 60, "r": 70, "t": 40, "b": 40},
        ),
    }


def centres_figure(centres: Sequence[Centre]) -> Figure:
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "query centres",
                "x": [c.lon for c in centres],
                "y": [c.lat for c in centres],
                "text": [f"{_iso(c.at)} radius {c.radius_km:g} km" for c in centres],
                "hoverinfo": "text+x+y",
                "marker": {
                    "size": 6,
                    "color": [c.at - centres[0].at for c in centres] if centres else [],
                    "colorscale": "Viridis",
                    "colorbar": {"title": {"text": "s after first"}},
                    "opacity": 0.8,
                },
            }
        ],
        "layout": {
            "title": {"text": "Query centres"},
            "xaxis": {"title": {"text": "longitude"}},
            "yaxis": {"title": {"text": "latitude"}, "scaleanchor": "x"},
            "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
            "height": 420,
        },
    }


def score_figure(history: Sequence[BapVerdict], actions: Actions) -> Figure:
    """Scores of the verdicts (oldest first) against each action's band."""
    ordered = sorted(history, key=lambda v: v.scored_at)
    x = [_iso(v.scored_at) for v in ordered]
    bands = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": band.at,
            "y1": band.at,
            "line": {"dash": "dot", "color": "#888", "width": 1},
        }
        for band in (actions.band(a) for a in ScrapingAction)
    ]
    labels = [
        {
            "xref": "paper",
            "x": 1,
            "y": actions.band(a).at,
            "xanchor": "right",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 10, "color": "#666"},
            "text": f"{a.value}{' (shadow)' if actions.band(a).shadow else ''}",
        }
        for a in ScrapingAction
    ]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "score",
                "x": x,
                "y": [v.score for v in ordered],
                "line": {"color": "#1f5fbf"},
            },
        ],
        "layout": _layout(
            "Score per pass",
            "score",
            yaxis={"title": {"text": "score"}, "range": [0, 1.05]},
            shapes=bands,
            annotations=labels,
        ),
    }


def case_status_figure(counts: dict[CaseStatus, int]) -> Figure:
    return {
        "data": [
            {
                "type": "bar",
                "name": "cases",
                "x": [s.value for s in CaseStatus],
                "y": [counts.get(s, 0) for s in CaseStatus],
                "marker": {"color": "#1f5fbf"},
            },
        ],
        "layout": {
            "title": {"text": "Cases by status"},
            "yaxis": {"title": {"text": "cases"}, "rangemode": "tozero"},
            "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
            "height": 280,
        },
    }


def verdict_mix_figure(mix: VerdictMix) -> Figure:
    x = _times(mix.days)
    enforced = [
        {
            "type": "bar",
            "name": v.value,
            "x": x,
            "y": mix.enforced[v],
            "marker": {"color": _VERDICT_COLOURS[v]},
        }
        for v in Verdict
    ]
    shadow = [
        {
            "type": "bar",
            "name": f"{v.value} (shadow)",
            "x": x,
            "y": mix.shadow[v],
            "marker": {"color": _VERDICT_COLOURS[v], "pattern": {"shape": "/"}, "opacity": 0.6},
        }
        for v in Verdict
        if any(mix.shadow[v])
    ]
    refused = (
        [
            {
                "type": "bar",
                "name": "refused (query quota)",
                "x": x,
                "y": mix.refused,
                "marker": {"color": "#777"},
            }
        ]
        if any(mix.refused)
        else []
    )
    return {
        "data": [*enforced, *shadow, *refused],
        "layout": _layout(
            "Status verdicts per day",
            "queries",
            barmode="stack",
            xaxis={"type": "date", "dtick": 86_400_000},
        ),
    }


_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def data_island(figures: dict[str, Figure]) -> str:
    """The figures as JSON for a ``<script type="application/json">`` element: every ``<``,
    ``>`` and ``&`` escaped, so no value (a BAP id, a reason) can close the element or open
    another; the page's script reads it with ``JSON.parse``."""
    return msgspec.json.encode(figures).decode().translate(_ESCAPES)
