"""Roles are granted, never claimed: a property over any sequence of subscribes, allows and
approves, under any onboarding policy."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from uei.errors import UeiError
from uei.registry.changelog import Actor, ActorKind
from uei.registry.model import Attempt, AttemptOutcome, ParticipantType, Role, RoleGrant, Subscriber
from uei.registry.operations import allow, approve, challenge_passed, subscribe
from uei.registry.policy import Onboarding, RegistryPolicy
from uei_testing.factories import NOW, Participant

OPS = Actor.operator("ops")
TYPES = [ParticipantType.BAP, ParticipantType.BPP, ParticipantType.BG]
DOMAINS = ["ev-charging:uei", "mobility:uei"]

policies = st.builds(
    RegistryPolicy,
    onboarding=st.sampled_from(list(Onboarding)),
    require_approval=st.booleans(),
    approve_types=st.lists(st.sampled_from(TYPES), unique=True),
    domains=st.just(DOMAINS),
)
grants = st.builds(RoleGrant, st.sampled_from(TYPES), st.sampled_from([None, *DOMAINS]))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.sampled_from(TYPES), st.sampled_from(DOMAINS)),
        st.tuples(st.just("allow"), grants),
        st.tuples(st.just("approve"), st.one_of(st.none(), grants)),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, script=steps)
def test_every_granted_role_passed_the_gate(policy: RegistryPolicy, script: list[Any]) -> None:
    p = Participant("cpo.example", ParticipantType.BAP)
    sub: Subscriber | None = None
    approved: set[Role] = set()
    """Roles an operator approved: the only way past approve_types and require_approval."""
    for step in script:
        try:
            if step[0] == "ask":
                fresh = sub is None or not sub.keys
                req = p.request(type=step[1], domain=step[2])
                if not fresh:
                    req = p.request(
                        type=step[1],
                        domain=step[2],
                        unique_key_id=None,
                        signing_public_key=None,
                        encr_public_key=None,
                        subscriber_url=None,
                    )
                out = subscribe(sub, req, policy, NOW, p.signed_by())
                if fresh:  # the first key passes its challenge
                    attempt = Attempt(1, NOW, p.keys.unique_key_id, AttemptOutcome.PASSED)
                    out = challenge_passed(out.subscriber, attempt, policy)
            elif step[0] == "allow":
                out = allow(sub, p.subscriber_id, [step[1]], NOW, OPS)
            else:
                if sub is None:
                    continue
                out = approve(sub, NOW, OPS, policy, step[1])
                approved |= {r for r in out.subscriber.roles if r not in sub.roles}
                assert all(d.actor.kind is ActorKind.OPERATOR for d in out.drafts)
        except UeiError:
            continue
        sub = out.subscriber
        for role in sub.roles:
            if role.type in policy.approve_types or policy.require_approval:
                assert role in approved, (role, policy)
            if policy.onboarding is Onboarding.ALLOWLIST:
                assert any(g.covers(role) for g in sub.allowed), (role, sub.allowed)
            assert role.type is not ParticipantType.BREG
        assert not set(sub.roles) & set(sub.pending_roles)
    event(f"granted roles: {len(sub.roles) if sub else 0}, approved: {len(approved)}")
