"""The service's metrics, read from ``/metrics`` of the real app after real requests: quota
decisions by outcome and path, status verdicts, scoring passes and their verdicts by action,
challenge outcomes, policy reloads; every name Prometheus-conventional, no ``_created``.
(Several workers summed: ``tests/test_serve_workers.py``.)"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.antiabuse.test_http import VPA, cpo, ids
from tests.antiabuse.test_quota_http import APP, QUOTAS, Relay, iso, participant
from uei.app.policy import Policies
from uei.app.reload import PolicyHolder
from uei.registry.model import ParticipantType
from uei.trust import encode_key
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, quotas=QUOTAS) as harness:
        await harness.enrol(APP)
        yield harness


@pytest.fixture
async def bg(h: Harness) -> Relay:
    return Relay(h, await participant(h, "bg.example", ParticipantType.BG))


async def scrape(h: Harness) -> tuple[str, Samples]:
    answer = await h.client.get("/metrics")
    assert answer.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    return answer.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum over series of ``name`` whose labels include ``labels``."""
    return sum(
        v for (n, have), v in samples.items() if n == name and set(labels.items()) <= set(have)
    )


async def test_quota_decisions_count_by_outcome_path_and_kind(h: Harness, bg: Relay) -> None:
    _, before = await scrape(h)
    answers = [await bg.check(f"m{i}") for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert (await bg.check("m0")).json()["duplicate"]
    _, after = await scrape(h)

    def delta(outcome: str, kind: str = "bap", path: str = "store") -> float:
        labels = {"outcome": outcome, "path": path, "kind": kind}
        return value(after, "uei_quota_decisions_total", **labels) - value(
            before, "uei_quota_decisions_total", **labels
        )

    assert (delta("allowed"), delta("refused"), delta("duplicate")) == (3, 1, 1)
    # each of the gateway's five calls went through its own meter first, this replica's
    # share of its rule (relays.shared is off by default)
    assert delta("allowed", "relay", "replica") == 5


async def test_status_verdicts_count_by_verdict_shadow_and_path(h: Harness) -> None:
    asker = await cpo(h, "cpo-one.example")
    _, before = await scrape(h)
    await asker.status(ids(upi_vpa=VPA))
    _, after = await scrape(h)
    labels = {"verdict": "allow", "shadow": "false", "path": "store"}
    assert (
        value(after, "uei_status_verdicts_total", **labels)
        - value(before, "uei_status_verdicts_total", **labels)
        == 1
    )


async def test_a_scoring_pass_is_timed_and_its_verdicts_counted_by_action(
    h: Harness, bg: Relay
) -> None:
    start = h.clock() - 3000
    sweep = [
        {
            "type": "search",
            "bap_id": APP.subscriber_id,
            "message_id": f"sweep-{i}",
            "at": iso(start + i * 5),
            "search": {
                "gps": f"{12.9 + (i % 10) * 0.01:.4f},{77.5 + (i // 10) * 0.01:.4f}",
                "radius_km": 1,
            },
        }
        for i in range(200)
    ]
    assert (await bg.post("/abuse/events", {"events": sweep})).status_code == 200
    _, before = await scrape(h)
    verdicts = await h.app.state.score()
    _, after = await scrape(h)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("uei_scoring_passes_total", outcome="ok") == 1
    assert delta("uei_scoring_pass_duration_seconds_count") == 1
    assert delta("uei_scoring_pass_duration_seconds_sum") > 0
    assert delta("uei_scoring_baps_scored_total") == len(verdicts) >= 1
    for mode, field in (("enforced", "actions"), ("shadow", "shadow_actions")):
        for action in ("flag", "coarsen", "throttle", "block"):
            expected = sum(action in getattr(v, field) for v in verdicts)
            assert delta("uei_scraping_verdicts_total", action=action, mode=mode) == expected
    quiet = sum(not v.actions and not v.shadow_actions for v in verdicts)
    assert delta("uei_scraping_verdicts_total", action="none") == quiet


async def test_challenge_outcomes_are_counted(h: Harness) -> None:
    newcomer = Participant("newcomer.example", type=ParticipantType.BPP)
    body = {
        "subscriber_id": newcomer.subscriber_id,
        "url": "https://newcomer.example/beckn",  # no DNS in tests: it cannot be reached
        "type": "BPP",
        "domain": "ev-charging:uei",
        "city": "std:080",
        "country": "IND",
        "ukId": newcomer.keys.unique_key_id,
        "signing_public_key": encode_key(newcomer.keys.verify_key),
        "encr_public_key": encode_key(newcomer.keys.encryption_public_key),
    }
    subscribed = await h.signed(
        "POST",
        "/subscribe",
        newcomer.keys,
        newcomer.subscriber_id,
        json.dumps(body).encode(),
    )
    assert subscribed.status_code == 200, subscribed.text
    _, before = await scrape(h)
    assert await h.registry.run_due_challenges() == 1
    _, after = await scrape(h)
    history = await h.as_operator("GET", f"/subscribers/{newcomer.subscriber_id}/challenges")
    assert history.status_code == 200, history.text
    outcome = history.json()["attempts"][-1]["outcome"]
    assert outcome != "passed"
    assert (
        value(after, "uei_challenge_attempts_total", outcome=outcome)
        - value(before, "uei_challenge_attempts_total", outcome=outcome)
        == 1
    )


async def test_policy_reloads_are_counted_by_outcome(h: Harness) -> None:
    holder: PolicyHolder = h.app.state.policy
    _, before = await scrape(h)
    text = holder.path.read_text()
    stamp = holder.path.stat().st_mtime_ns
    holder.path.write_text("registry: [not, a, mapping]\n")
    os.utime(holder.path, ns=(stamp + 10**9, stamp + 10**9))
    holder.check()
    holder.path.write_text(text)
    os.utime(holder.path, ns=(stamp + 2 * 10**9, stamp + 2 * 10**9))
    holder.check()
    assert isinstance(holder.current, Policies)
    _, after = await scrape(h)
    for outcome in ("failed", "ok"):
        assert (
            value(after, "uei_policy_reloads_total", outcome=outcome)
            - value(before, "uei_policy_reloads_total", outcome=outcome)
            == 1
        )


async def test_names_follow_prometheus_conventions(h: Harness, bg: Relay) -> None:
    await bg.check("m1")
    text, samples = await scrape(h)
    assert "_created" not in text
    families = list(text_string_to_metric_families(text))
    ours = [f for f in families if f.name.startswith("uei_")]
    assert {f.name for f in ours} >= {
        "uei_http_requests",
        "uei_http_request_duration_seconds",
        "uei_lookups",
        "uei_registry_commits",
        "uei_challenge_attempts",
        "uei_quota_decisions",
        "uei_status_verdicts",
        "uei_scraping_verdicts",
        "uei_scoring_passes",
        "uei_scoring_pass_duration_seconds",
        "uei_scoring_baps_scored",
        "uei_policy_reloads",
    }
    for family in ours:
        if family.type == "histogram":
            assert family.name.endswith("_duration_seconds"), family.name
        else:
            assert family.type == "counter", family.name
        assert family.documentation, family.name
    # labelled series with known labels exist before their first event
    assert (
        "uei_quota_decisions_total",
        (("kind", "bap"), ("outcome", "blocked"), ("path", "local")),
    ) in samples
