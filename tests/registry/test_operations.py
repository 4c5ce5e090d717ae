"""Registry actions as pure functions: subscribe, key hygiene, challenges, operators."""

from __future__ import annotations

import re

import msgspec
import pytest

from uei.errors import Conflict, Forbidden, InvalidRequest, InvalidTransition, NotFound
from uei.registry.changelog import Actor
from uei.registry.lifecycle import Event
from uei.registry.model import (
    Attempt,
    AttemptOutcome,
    KeyState,
    ParticipantType,
    RoleGrant,
    Status,
    Subscriber,
)
from uei.registry.operations import (
    Reserved,
    allow,
    approve,
    challenge_passed,
    claim_attempt,
    operator_action,
    record_attempt,
    revoke_key,
    subscribe,
)
from uei.registry.policy import ChallengePolicy, KeyValidityPolicy, Onboarding, RegistryPolicy
from uei.trust import encode_key, generate_key_set
from uei_testing.factories import NOW, Participant

POLICY = RegistryPolicy()
OPS = Actor.operator("ops")
DAY = 86400


def _subscribed(p: Participant) -> Subscriber:
    out = subscribe(None, p.request(), POLICY, NOW, p.signed_by())
    passed = Attempt(1, NOW + 1, p.keys.unique_key_id, AttemptOutcome.PASSED, 200)
    return challenge_passed(out.subscriber, passed, POLICY).subscriber


def test_new_subscriber_is_under_subscription_with_a_pending_key_due_now() -> None:
    p = Participant("cpo.example")
    out = subscribe(None, p.request(), POLICY, NOW, p.signed_by())
    sub = out.subscriber
    assert sub.status is Status.UNDER_SUBSCRIPTION
    (key,) = sub.keys
    assert key.state is KeyState.PENDING
    assert key.next_attempt_at == NOW
    assert key.valid_until == NOW + 365 * DAY
    assert out.claim_key_ids == [p.keys.unique_key_id]
    assert [d.action for d in out.drafts] == [
        "subscribe",
        "key_added",
        "role_added:BPP:ev-charging:uei:IND:std:080",
    ]
    assert sub.subscriber_url == "https://cpo.example/beckn"


def test_passing_the_challenge_subscribes_and_validates_the_key() -> None:
    sub = _subscribed(Participant("cpo.example"))
    assert sub.status is Status.SUBSCRIBED
    assert sub.keys[0].state is KeyState.VALID
    assert sub.keys[0].usable_at(NOW + 10)
    assert sub.challenge_passed


def test_approval_policy_holds_the_subscriber_until_an_operator_approves() -> None:
    policy = RegistryPolicy(require_approval=True)
    p = Participant("cpo.example")
    out = subscribe(None, p.request(), policy, NOW, p.signed_by())
    with pytest.raises(Conflict, match="has not passed its on_subscribe challenge"):
        approve(out.subscriber, NOW, OPS, policy)
    passed = challenge_passed(
        out.subscriber, Attempt(1, NOW, p.keys.unique_key_id, AttemptOutcome.PASSED), policy
    )
    assert passed.subscriber.status is Status.UNDER_SUBSCRIPTION
    approved = approve(passed.subscriber, NOW, OPS, policy)
    assert approved.subscriber.status is Status.SUBSCRIBED
    assert approved.drafts[0].actor == OPS


def test_rotation_adds_a_pending_key_and_keeps_the_old_one() -> None:
    p = Participant("cpo.example")
    sub = _subscribed(p)
    new_keys = generate_key_set()
    out = subscribe(sub, p.request(new_keys), POLICY, NOW + 100, p.signed_by())
    assert out.subscriber.status is Status.SUBSCRIBED
    old, new = out.subscriber.keys
    assert (old.state, new.state) == (KeyState.VALID, KeyState.PENDING)
    assert [d.action for d in out.drafts] == ["key_added"]


def test_resubmitting_the_same_key_changes_nothing() -> None:
    p = Participant("cpo.example")
    sub = _subscribed(p)
    with pytest.raises(Conflict, match="nothing to change"):
        subscribe(sub, p.request(), POLICY, NOW + 5, p.signed_by())


@pytest.mark.parametrize(
    ("overrides", "path", "message"),
    [
        ({"signing_public_key": "AAAA"}, "signing_public_key", "3 bytes"),
        ({"encr_public_key": "not base64!"}, "encr_public_key", "not valid base64"),
        ({"subscriber_url": None}, "subscriber_url", "subscriber_url is required"),
        ({"domain": "nic2004:60212"}, "domain", "not open on this network"),
        ({"country": "USA"}, "country", "not served"),
        ({"valid_from": NOW - 3600}, "valid_from", "in the past"),
        ({"valid_until": NOW + 800 * DAY}, "valid_until", "at most 730 days"),
        ({"valid_from": NOW + 10, "valid_until": NOW + 5}, "valid_until", "after valid_from"),
        ({"subscriber_url": "ftp://x"}, "subscriber_url", "http(s) URL"),
    ],
)
def test_bad_subscribe_names_the_field(
    overrides: dict[str, object], path: str, message: str
) -> None:
    p = Participant("cpo.example")
    with pytest.raises(InvalidRequest, match=re.escape(message)) as caught:
        subscribe(None, p.request(**overrides), POLICY, NOW, p.signed_by())
    assert caught.value.path == path


def test_encryption_key_equal_to_signing_key_is_refused() -> None:
    p = Participant("cpo.example")
    same = encode_key(p.keys.verify_key)
    with pytest.raises(InvalidRequest, match="must differ") as caught:
        subscribe(None, p.request(encr_public_key=same), POLICY, NOW, p.signed_by())
    assert caught.value.path == "encr_public_key"


def test_key_id_of_another_subscriber_is_refused() -> None:
    p = Participant("cpo.example")
    with pytest.raises(Conflict, match="belongs to another subscriber"):
        subscribe(
            None,
            p.request(),
            POLICY,
            NOW,
            p.signed_by(),
            owner_of={p.keys.unique_key_id: "other.example"},
        )


def test_key_id_cannot_be_rebound_to_other_key_material() -> None:
    p = Participant("cpo.example")
    sub = _subscribed(p)
    other = generate_key_set(p.keys.unique_key_id)
    with pytest.raises(Conflict, match="already names other keys"):
        subscribe(sub, p.request(other), POLICY, NOW, p.signed_by())


def test_allowlist_onboarding_needs_an_operator_first() -> None:
    policy = RegistryPolicy(onboarding=Onboarding.ALLOWLIST)
    p = Participant("cpo.example")
    with pytest.raises(Forbidden, match="not on this network's allowlist"):
        subscribe(None, p.request(), policy, NOW, p.signed_by())
    allowed = allow(None, p.subscriber_id, [RoleGrant(ParticipantType.BPP)], NOW, OPS).subscriber
    assert allowed.status is Status.INITIATED
    out = subscribe(allowed, p.request(), policy, NOW, p.signed_by())
    assert out.subscriber.status is Status.UNDER_SUBSCRIPTION


def test_suspended_and_revoked_subscribers_cannot_subscribe() -> None:
    p = Participant("cpo.example")
    suspended = operator_action(_subscribed(p), Event.SUSPEND, NOW, OPS).subscriber
    with pytest.raises(InvalidTransition, match="SUSPENDED"):
        subscribe(suspended, p.request(generate_key_set()), POLICY, NOW, p.signed_by())
    reinstated = operator_action(suspended, Event.REINSTATE, NOW, OPS).subscriber
    assert reinstated.status is Status.SUBSCRIBED
    revoked = operator_action(reinstated, Event.REVOKE, NOW, OPS).subscriber
    with pytest.raises(InvalidTransition, match="REVOKED"):
        operator_action(revoked, Event.REINSTATE, NOW, OPS)


def test_challenge_schedule_follows_the_policy_then_stops() -> None:
    policy = RegistryPolicy(challenge=ChallengePolicy(retry_after_seconds=[0, 10, 60]))
    p = Participant("cpo.example")
    sub = subscribe(None, p.request(), policy, NOW, p.signed_by()).subscriber
    kid = p.keys.unique_key_id
    due = []
    for number in (1, 2, 3):
        key = sub.key(kid)
        assert key is not None
        assert key.next_attempt_at is not None
        at = key.next_attempt_at
        sub = claim_attempt(sub, kid, at, lease=30)
        sub = record_attempt(
            sub, Attempt(number, at, kid, AttemptOutcome.TIMEOUT, error="timed out"), policy
        )
        due.append(at)
    assert due == [NOW, NOW + 10, NOW + 60]
    key = sub.key(kid)
    assert key is not None
    assert key.next_attempt_at is None
    assert key.attempts_made == 3
    assert [a.outcome for a in sub.attempts] == ["timeout"] * 3
    restarted = subscribe(
        sub,
        msgspec.structs.replace(
            p.request(),
            **dict.fromkeys(
                (
                    "subscriber_url",
                    "type",
                    "domain",
                    "city",
                    "country",
                    "unique_key_id",
                    "signing_public_key",
                    "encr_public_key",
                )
            ),
        ),
        policy,
        NOW + 999,
        p.signed_by(),
    )
    key = restarted.subscriber.key(kid)
    assert key is not None
    assert (key.attempts_made, key.next_attempt_at) == (0, NOW + 999)
    assert restarted.drafts[0].action == "rechallenge"


def test_a_key_cannot_revoke_itself_while_it_is_the_only_valid_key() -> None:
    p = Participant("cpo.example")
    sub = _subscribed(p)
    kid = p.keys.unique_key_id
    with pytest.raises(Conflict, match="only valid key and cannot revoke itself"):
        revoke_key(sub, kid, NOW + 5, p.signed_by().actor, p.signed_by())
    out = revoke_key(sub, kid, NOW + 5, OPS)
    assert out.subscriber.keys[0].state is KeyState.REVOKED
    assert out.drafts[0].new_status == "REVOKED"
    with pytest.raises(NotFound):
        revoke_key(sub, "nope", NOW, OPS)


def test_a_write_rechecks_the_signing_key_on_the_copy_it_changes() -> None:
    """The signature was checked against an older copy; the copy being saved has the key
    revoked (by another replica): the write is refused."""
    p = Participant("cpo.example")
    sub = _subscribed(p)
    revoked = revoke_key(sub, p.keys.unique_key_id, NOW + 5, OPS).subscriber
    with pytest.raises(Forbidden, match="must sign with"):
        subscribe(revoked, p.request(generate_key_set()), POLICY, NOW + 6, p.signed_by())
    other = generate_key_set()
    with pytest.raises(Forbidden, match="not valid now"):
        revoke_key(revoked, "k", NOW + 6, p.signed_by().actor, p.signed_by(other))


def test_reserved_ids_and_breg_are_refused() -> None:
    p = Participant("registry.uei")
    reserved = Reserved(frozenset({"registry.uei"}), frozenset({"reg-key-1"}))
    with pytest.raises(Forbidden, match="registry's own subscriber_id"):
        subscribe(None, p.request(), POLICY, NOW, p.signed_by(), reserved=reserved)
    q = Participant("cpo.example", keys=generate_key_set("reg-key-1"))
    with pytest.raises(Forbidden, match="registry's own key ids") as refused:
        subscribe(None, q.request(), POLICY, NOW, q.signed_by(), reserved=reserved)
    assert refused.value.path == "unique_key_id"
    with pytest.raises(Forbidden, match="BREG"):
        subscribe(None, q.request(type=ParticipantType.BREG), POLICY, NOW, q.signed_by())


@pytest.mark.parametrize("sid", ["operator:ops", "a|b", "a/b", "", "-x", "x" * 256, "a b"])
def test_subscriber_ids_look_like_host_names(sid: str) -> None:
    p = Participant(sid)
    with pytest.raises(InvalidRequest) as refused:
        subscribe(None, p.request(), POLICY, NOW, p.signed_by())
    assert refused.value.path == "subscriber_id"


def test_at_most_max_pending_keys_wait_for_their_challenge() -> None:
    p = Participant("cpo.example")
    sub = _subscribed(p)
    policy = RegistryPolicy(keys=KeyValidityPolicy(max_pending=2))
    for _ in range(2):
        sub = subscribe(sub, p.request(generate_key_set()), policy, NOW, p.signed_by()).subscriber
    with pytest.raises(InvalidRequest, match="already has 2 keys waiting") as refused:
        subscribe(sub, p.request(generate_key_set()), policy, NOW, p.signed_by())
    assert refused.value.path == "unique_key_id"


def test_suspended_subscribers_are_not_challenged() -> None:
    p = Participant("cpo.example")
    sub = subscribe(None, p.request(), POLICY, NOW, p.signed_by()).subscriber
    suspended = msgspec.structs.replace(sub, status=Status.SUSPENDED)
    with pytest.raises(Conflict, match="not challenged"):
        claim_attempt(suspended, p.keys.unique_key_id, NOW, lease=30)


def test_a_gateway_role_waits_and_only_a_named_approve_grants_it() -> None:
    p = Participant("gw.example", ParticipantType.BG)
    sub = _subscribed(p)
    assert sub.roles == ()
    assert [r.type for r in sub.pending_roles] == [ParticipantType.BG]
    with pytest.raises(Conflict, match="name it with --type"):
        approve(sub, NOW, OPS, POLICY)
    with pytest.raises(Conflict, match="no role BPP"):
        approve(sub, NOW, OPS, POLICY, RoleGrant(ParticipantType.BPP))
    out = approve(sub, NOW, OPS, POLICY, RoleGrant(ParticipantType.BG, "ev-charging:uei"))
    assert [r.type for r in out.subscriber.roles] == [ParticipantType.BG]
    assert out.subscriber.pending_roles == ()
    assert [d.action for d in out.drafts] == ["role_approved:BG:ev-charging:uei:IND:std:080"]
