"""``deploy/``: the Grafana dashboard and the Prometheus alert rules use only metrics the
service exports, with labels and label values its series have (read from ``/metrics`` of the
real app), and each rule says what it means."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from uei_testing.harness import REPO, Harness, running

pytestmark = pytest.mark.anyio

DASHBOARD = REPO / "deploy" / "grafana" / "uei.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
_NAME = re.compile(r"\buei_[a-z_]+\b")
_SELECTOR = re.compile(r"\b(uei_[a-z_]+)\{([^}]*)\}")
_OPEN = ("status", "route", "method")
"""Labels whose values come from traffic (no series exists before the first such answer)."""
_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


async def exported(h: Harness) -> dict[str, list[dict[str, str]]]:
    """Sample name -> the label sets of its series, after a request (so that the request
    metrics have a series)."""
    assert (await h.client.get("/healthz")).status_code == 200
    text = (await h.client.get("/metrics")).text
    series: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, []).append(dict(sample.labels))
    return series


def dashboard_exprs() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    exprs = [
        target["expr"]
        for panel in doc["panels"]
        if panel["type"] != "row"
        for target in panel["targets"]
    ]
    assert len(exprs) >= 15
    return exprs


def alert_rules() -> list[dict[str, object]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def check(expr: str, series: dict[str, list[dict[str, str]]]) -> list[str]:
    """What in ``expr`` the service does not export: unknown metrics, labels, values."""
    wrong = [f"{name}: no such series" for name in _NAME.findall(expr) if name not in series]
    for name, matchers in _SELECTOR.findall(expr):
        for label, op, wanted in _MATCHER.findall(matchers):
            have = series.get(name, [])
            if not any(label in labels for labels in have):
                wrong.append(f"{name}: no label {label}")
            elif (
                op == "="
                and label not in _OPEN
                and not any(labels.get(label) == wanted for labels in have)
            ):
                wrong.append(f'{name}: no series with {label}="{wanted}"')
            elif op == "=~" and label not in _OPEN:
                for value in wanted.split("|"):
                    if not any(re.fullmatch(value, labels.get(label, "")) for labels in have):
                        wrong.append(f'{name}: no series matching {label}=~"{value}"')
    grouped = re.findall(r"by \(([^)]*)\)", expr)
    names = _NAME.findall(expr)
    for group in grouped:
        for label in (x.strip() for x in group.split(",")):
            if not any(label in labels for n in names for labels in series.get(n, [])):
                wrong.append(f"by ({label}): no metric of the expression has it")
    return wrong


async def test_the_dashboard_uses_only_exported_metrics(h: Harness) -> None:
    series = await exported(h)
    wrong = [f"{expr}: {w}" for expr in dashboard_exprs() for w in check(expr, series)]
    assert wrong == []


async def test_the_alert_rules_use_only_exported_metrics(h: Harness) -> None:
    series = await exported(h)
    rules = alert_rules()
    assert len(rules) >= 8
    wrong = [f"{r['alert']}: {w}" for r in rules for w in check(str(r["expr"]), series)]
    assert wrong == []


def test_each_alert_says_what_it_means() -> None:
    names = []
    for rule in alert_rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert isinstance(rule["labels"], dict)
        assert rule["labels"]["severity"] in ("page", "ticket"), rule
        assert isinstance(rule["annotations"], dict)
        assert rule["annotations"]["summary"], rule
        names.append(rule["alert"])
    assert len(names) == len(set(names))


def test_every_family_is_on_the_dashboard() -> None:
    """Nothing the service measures is left off the operators' view."""
    used = {n for expr in dashboard_exprs() for n in _NAME.findall(expr)}
    families = {re.sub(r"_(bucket|count|sum)$", "", n) for n in used}
    assert families >= {
        "uei_http_requests_total",
        "uei_http_request_duration_seconds",
        "uei_lookups_total",
        "uei_registry_commits_total",
        "uei_challenge_attempts_total",
        "uei_quota_decisions_total",
        "uei_status_verdicts_total",
        "uei_scraping_verdicts_total",
        "uei_scoring_passes_total",
        "uei_scoring_pass_duration_seconds",
        "uei_scoring_baps_scored_total",
        "uei_policy_reloads_total",
    }
