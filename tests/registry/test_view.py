"""The in-memory view: what lookups may return as time passes."""

from __future__ import annotations

import msgspec

from registry.model import Attempt
from registry.operations import challenge_passed, subscribe
from registry.policy import RegistryPolicy
from registry.view import LookupFilter, RegistryView
from tests.registry.factories import NOW, Participant

POLICY = RegistryPolicy()


def _view_with_one_key(valid_for: float) -> tuple[RegistryView, Participant]:
    p = Participant("cpo.example")
    req = p.request(valid_from=NOW, valid_until=NOW + valid_for)
    out = subscribe(None, req, POLICY, NOW, p.signed_by())
    passed = challenge_passed(
        out.subscriber, Attempt(1, NOW, p.keys.unique_key_id, "passed"), POLICY
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
