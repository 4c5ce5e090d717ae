"""The in-memory view: what lookups may return as time passes."""

from __future__ import annotations

import msgspec

from uei.registry.known import KnownValues
from uei.registry.model import (
    Attempt,
    AttemptOutcome,
    Key,
    KeyState,
    ParticipantType,
    Role,
    Status,
    Subscriber,
)
from uei.registry.operations import challenge_passed, subscribe
from uei.registry.pagecache import ENTRY_OVERHEAD
from uei.registry.policy import RegistryPolicy
from uei.registry.view import LookupFilter, RegistryView
from uei.trust import encode_key
from uei_testing.factories import NOW, Participant

POLICY = RegistryPolicy()


def _view_with_one_key(valid_for: float) -> tuple[RegistryView, Participant]:
    p = Participant("cpo.example")
    req = p.request(valid_from=NOW, valid_until=NOW + valid_for)
    out = subscribe(None, req, POLICY, NOW, p.signed_by())
    passed = challenge_passed(
        out.subscriber, Attempt(1, NOW, p.keys.unique_key_id, AttemptOutcome.PASSED), POLICY
    )
    view = RegistryView()
    view.put(passed.subscriber)
    return view, p


def test_an_expired_key_is_never_returned() -> None:
    view, p = _view_with_one_key(valid_for=3600)
    kid = p.keys.unique_key_id
    assert len(view.lookup(LookupFilter(subscriber_id=p.subscriber_id), NOW + 3600)) == 1
    assert view.key_answer(p.subscriber_id, kid, NOW + 3600).body is not None
    assert view.lookup(LookupFilter(subscriber_id=p.subscriber_id), NOW + 3601) == []
    later = view.key_answer(p.subscriber_id, kid, NOW + 3601)
    assert later.body is None
    assert not later.gone
    assert "outside its validity" in later.reason


def test_filters_match_roles_and_cities() -> None:
    view, p = _view_with_one_key(valid_for=3600)
    assert len(view.lookup(LookupFilter(type="BPP", city="std:080"), NOW)) == 1
    assert view.lookup(LookupFilter(type="BAP"), NOW) == []
    assert view.lookup(LookupFilter(city="std:011"), NOW) == []
    assert view.lookup(LookupFilter(unique_key_id="other"), NOW) == []
    assert view.lookup(LookupFilter(status=None, domain="ev-charging:uei"), NOW)[0].ukId == (
        p.keys.unique_key_id
    )


def test_cached_pages_follow_changes() -> None:
    view, p = _view_with_one_key(valid_for=3600)
    wanted = LookupFilter(subscriber_id=p.subscriber_id)
    first, total = view.lookup_page(wanted, 0, 10, NOW)
    assert total == 1
    assert view.lookup_page(wanted, 0, 10, NOW)[0] is first  # served from the cache
    current = view.subscriber(p.subscriber_id)
    assert current is not None
    view.put(msgspec.structs.replace(current, keys=(), version=current.version + 1))
    assert view.lookup_page(wanted, 0, 10, NOW) == (b"[]", 0)


# --- the page cache: bounded in bytes, one entry for every value nobody has ---------------


def _passed(p: Participant, **overrides: object) -> Subscriber:
    out = subscribe(None, p.request(**overrides), POLICY, NOW, p.signed_by())
    return challenge_passed(
        out.subscriber, Attempt(1, NOW, p.keys.unique_key_id, AttemptOutcome.PASSED), POLICY
    ).subscriber


def _view_of(*subs: Subscriber, pinned: tuple[Subscriber, ...] = ()) -> RegistryView:
    view = RegistryView(pinned)
    for sub in subs:
        view.put(sub)
    return view


def test_pages_leave_least_recently_used_first_within_the_bound() -> None:
    view = _view_of(*(_passed(Participant(f"cpo-{n}.example")) for n in range(3)))
    one = len(view.lookup_page(LookupFilter(), 0, 1, NOW)[0]) + ENTRY_OVERHEAD
    bound = 2 * one + ENTRY_OVERHEAD  # room for two one-record pages, not three
    first = view.lookup_page(LookupFilter(), 0, 1, NOW, cache_bytes=bound)[0]
    view.lookup_page(LookupFilter(), 1, 1, NOW, cache_bytes=bound)
    assert view.lookup_page(LookupFilter(), 0, 1, NOW, cache_bytes=bound)[0] is first  # a hit
    view.lookup_page(LookupFilter(), 2, 1, NOW, cache_bytes=bound)  # pushes out start=1
    assert len(view.page_cache) == 2
    assert view.page_cache.bytes <= bound
    assert view.lookup_page(LookupFilter(), 0, 1, NOW, cache_bytes=bound)[0] is first


def test_a_page_larger_than_the_bound_is_served_but_not_kept() -> None:
    view = _view_of(_passed(Participant("cpo.example")))
    body, total = view.lookup_page(LookupFilter(), 0, 10, NOW, cache_bytes=100)
    assert total == 1
    assert body == msgspec.json.encode(view.lookup(LookupFilter(), NOW))
    assert len(view.page_cache) == 0
    assert view.page_cache.bytes == 0
    view.lookup_page(LookupFilter(), 0, 10, NOW)
    assert len(view.page_cache) == 1
    view.lookup_page(LookupFilter(), 0, 10, NOW, cache_bytes=0)  # a lower bound applies at once
    assert (len(view.page_cache), view.page_cache.bytes) == (0, 0)


def test_unknown_filter_values_share_one_entry_and_answer_as_before() -> None:
    everywhere = _passed(Participant("everywhere.example"), city="*")
    bangalore = _passed(Participant("blr.example"))  # std:080
    view = _view_of(everywhere, bangalore)
    filters = [
        LookupFilter(city="*"),
        LookupFilter(city="std:080"),
        LookupFilter(city="nowhere"),
        LookupFilter(city="elsewhere", type="BPP"),
        LookupFilter(domain="unknown:domain"),
        LookupFilter(subscriber_id="nobody.example"),
        LookupFilter(type="SELLER"),
        LookupFilter(country="XXX"),
        LookupFilter(unique_key_id="no-such-key"),
        LookupFilter(status=Status.SUBSCRIBED),
        LookupFilter(),
    ]
    for wanted in filters:  # the answer is what an uncached lookup gives
        records = view.lookup(wanted, NOW)
        assert view.lookup_page(wanted, 0, 10, NOW) == (msgspec.json.encode(records), len(records))
    assert len(view.lookup(LookupFilter(city="nowhere"), NOW)) == 1  # the "*" role
    before = len(view.page_cache)
    for n in range(100):
        view.lookup_page(LookupFilter(city=f"made-up-{n}"), 0, 10, NOW)
        view.lookup_page(LookupFilter(domain=f"made-up-{n}"), 0, 10, NOW)
        view.lookup_page(LookupFilter(subscriber_id=f"made-up-{n}"), 0, 10, NOW)
    assert len(view.page_cache) == before


def test_known_values_follow_changes() -> None:
    p = Participant("cpo.example")
    view = _view_of(_passed(p, city="std:011"), _passed(Participant("all.example"), city="*"))
    assert len(view.lookup_page(LookupFilter(city="std:011"), 0, 10, NOW)[0]) > 0
    assert view.lookup_page(LookupFilter(city="std:011"), 0, 10, NOW)[1] == 2
    moved = view.subscriber(p.subscriber_id)
    assert moved is not None
    role = msgspec.structs.replace(moved.roles[0], city="std:022")
    view.put(msgspec.structs.replace(moved, roles=(role,), version=moved.version + 1))
    assert view.lookup_page(LookupFilter(city="std:011"), 0, 10, NOW)[1] == 1  # "*" only
    assert view.lookup_page(LookupFilter(city="std:022"), 0, 10, NOW)[1] == 2


def test_the_known_values_index_holds_what_subscribers_have() -> None:
    """Rebuilding the view at start puts every subscriber: its index of known values costs
    each put that subscriber's own values (counted here, not timed), and forgets replaced
    ones."""
    subs = [_passed(Participant(f"cpo-{n}.example"), city=f"std:{n}") for n in range(300)]
    known = KnownValues()
    for sub in subs:
        known.add(sub)
    for sub in subs:  # each replaced by a newer copy with another city, as ``put`` does
        known.remove(sub)
        role = msgspec.structs.replace(sub.roles[0], city=f"std:{sub.subscriber_id}")
        known.add(msgspec.structs.replace(sub, roles=(role,)))
    assert len(known) == 300 * 3 + 3  # sid, city, key id each; one type, domain, country
    assert not known.has("city", "std:7")
    assert known.has("city", "std:cpo-7.example")
    assert known.has("domain", "ev-charging:uei")


# --- pinned subscribers: the registry's own record ----------------------------------------


def _registry_record() -> tuple[Subscriber, Participant]:
    me = Participant("registry.uei", type=ParticipantType.BREG)
    keys = me.keys
    key = Key(
        keys.unique_key_id,
        encode_key(keys.verify_key),
        encode_key(keys.encryption_public_key),
        NOW - 60,
        NOW + 86400,
        KeyState.VALID,
        NOW,
        NOW,
    )
    role = Role(ParticipantType.BREG, "ev-charging:uei", "IND")
    return Subscriber("registry.uei", me.url, Status.SUBSCRIBED, NOW, NOW, (role,), (key,)), me


def test_a_pinned_subscriber_is_served_and_never_replaced() -> None:
    mine, me = _registry_record()
    kid = me.keys.unique_key_id
    view = RegistryView([mine])
    assert len(view) == 0  # not one the store holds
    impostor = Participant("registry.uei")
    forged = _passed(impostor)
    view.put(msgspec.structs.replace(forged, version=mine.version + 100))
    assert view.subscriber("registry.uei") is mine
    records = view.lookup(LookupFilter(subscriber_id="registry.uei"), NOW)
    assert [(r.type, r.ukId) for r in records] == [("BREG", kid)]
    body, total = view.lookup_page(LookupFilter(type="BREG"), 0, 10, NOW)
    assert total == 1
    assert kid.encode() in body
    assert impostor.keys.unique_key_id.encode() not in body
    assert view.key_answer("registry.uei", kid, NOW).body is not None
    assert view.key_answer("registry.uei", impostor.keys.unique_key_id, NOW).body is None
    assert view.verify_key("registry.uei", kid, NOW) == me.keys.verify_key
    rebuilt = RegistryView(view.pinned)
    assert rebuilt.pinned == (mine,)
    assert rebuilt.subscriber("registry.uei") is mine


def test_a_pinned_subscriber_is_never_challenged() -> None:
    mine, _ = _registry_record()
    pending = msgspec.structs.replace(
        mine.keys[0], unique_key_id="next", state=KeyState.PENDING, next_attempt_at=NOW
    )
    pinned = msgspec.structs.replace(mine, keys=(*mine.keys, pending))
    view = RegistryView([pinned])
    assert view.due_challenges(NOW + 3600) == []
    view.put(_pending_subscriber(Participant("registry.uei")))  # ignored
    assert view.due_challenges(NOW + 3600) == []


# --- challenges: never for suspended or revoked subscribers --------------------------------


def _pending_subscriber(p: Participant) -> Subscriber:
    return subscribe(None, p.request(), POLICY, NOW, p.signed_by()).subscriber


def test_suspended_and_revoked_subscribers_are_not_challenged() -> None:
    p = Participant("cpo.example")
    sub = _pending_subscriber(p)
    view = _view_of(sub)
    due = [(p.subscriber_id, p.keys.unique_key_id)]
    assert view.due_challenges(NOW) == due
    for status in (Status.SUSPENDED, Status.REVOKED, Status.UNDER_SUBSCRIPTION):
        sub = msgspec.structs.replace(sub, status=status, version=sub.version + 1)
        view.put(sub)
        called = status is Status.UNDER_SUBSCRIPTION  # e.g. after a reinstate
        assert view.due_challenges(NOW) == (due if called else []), status
