"""Subscribers: the list with filters, one subscriber in full, and the operator's actions.

Each action is a POST form with a required reason and a confirmation checkbox, and runs the
registry service call the signed ``/admin`` API runs (``Registry.operator_action``,
``change_grant``, ``revoke_key``), so the rules are the same and the change log records the
operator (the session's) and the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from uei.app.dashboard.kit import ACTION, PAGE, PAGES, PREFIX, render, session_of
from uei.app.errors import answer
from uei.errors import UeiError
from uei.registry.changelog import Actor, LogEntry
from uei.registry.model import ParticipantType, RoleGrant, Status, Subscriber
from uei.registry.records import iso
from uei.registry.service import Registry

__all__ = ["ACTIONS", "subscriber_action", "subscriber_page", "subscribers_page"]

Action = Literal["approve", "suspend", "reinstate", "revoke", "grant", "revoke-grant"]
ACTIONS: dict[str, str] = {
    "approve": "Approve (the subscriber and its pending roles)",
    "suspend": "Suspend",
    "reinstate": "Reinstate",
    "revoke": "Revoke (final)",
    "grant": "Grant the non-payer API (defaulters)",
    "revoke-grant": "Take the non-payer API grant back",
}
"""The actions a subscriber page offers, with their button labels."""
REASON_MAX = 500
_FILTER = QueryParameter(max_length=200)
_HISTORY = 200
"""The most recent change-log entries a subscriber page shows."""


def _when(at: float | None) -> str:
    return iso(at) if at is not None else ""


def _matches(sub: Subscriber, type_: str, domain: str, city: str, status: str) -> bool:
    return (
        (not status or sub.status.value == status)
        and (not type_ or any(r.type.value == type_ for r in sub.roles + sub.pending_roles))
        and (not domain or any(r.domain == domain for r in sub.roles + sub.pending_roles))
        and (not city or any(r.city == city for r in sub.roles + sub.pending_roles))
    )


@get("/subscribers", opt=PAGE, include_in_schema=False, sync_to_thread=False)
def subscribers_page(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    type: Annotated[str, _FILTER] = "",
    domain: Annotated[str, _FILTER] = "",
    city: Annotated[str, _FILTER] = "",
    status: Annotated[str, _FILTER] = "",
) -> Template:
    """Every subscriber (as this replica's view has it), filtered by role type, domain, city
    and status."""
    everyone = sorted(registry.view.subscribers(), key=lambda s: s.subscriber_id)
    shown = [s for s in everyone if _matches(s, type, domain, city, status)]
    return render(
        request,
        "subscribers.html",
        active="subscribers",
        subscribers=shown,
        total=len(everyone),
        filters={"type": type, "domain": domain, "city": city, "status": status},
        types=[t.value for t in ParticipantType if t is not ParticipantType.BREG],
        statuses=[s.value for s in Status],
        domains=sorted({r.domain for s in everyone for r in s.roles + s.pending_roles}),
        cities=sorted({r.city for s in everyone for r in s.roles + s.pending_roles}),
        when=_when,
    )


async def history(registry: Registry, subscriber_id: str) -> list[LogEntry]:
    """The subscriber's change-log entries, newest first (the most recent ``_HISTORY``).
    Reads the log from the start: the store indexes it by sequence number only."""
    found: list[LogEntry] = []
    after = 0
    while True:
        batch = await registry.store.log_after(after, 1000)
        if not batch:
            break
        found += [e for e in batch if e.subscriber_id == subscriber_id]
        after = batch[-1].seq
    return found[::-1][:_HISTORY]


async def _subscriber_page(
    request: Request[Any, Any, Any],
    registry: Registry,
    subscriber_id: str,
    *,
    done: str = "",
    error: str = "",
    status_code: int = 200,
) -> Template:
    sub = await registry.store.load(subscriber_id)
    if sub is None:
        return render(
            request, "refused.html", status_code=404, reason=f"no subscriber {subscriber_id}"
        )
    return render(
        request,
        "subscriber.html",
        status_code=status_code,
        active="subscribers",
        sub=sub,
        entries=await history(registry, subscriber_id),
        actions=ACTIONS,
        done=done,
        error=error,
        reason_max=REASON_MAX,
        now=registry.clock(),
        when=_when,
    )


@get("/subscribers/{subscriber_id:str}", opt=PAGE, include_in_schema=False)
async def subscriber_page(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: Annotated[str, PathParameter(max_length=255)],
    done: Annotated[str, QueryParameter(max_length=100)] = "",
) -> Template:
    """One subscriber: keys and their validity, roles, grants, its change-log history, its
    challenge attempts, and the actions."""
    return await _subscriber_page(request, registry, subscriber_id, done=done)


def _role(text: str) -> RoleGrant | None:
    """``TYPE:domain`` from the approve form's role choice (empty: none named)."""
    if not text:
        return None
    type_, _, domain = text.partition(":")
    try:
        return RoleGrant(ParticipantType(type_), domain or None)
    except ValueError:
        raise _FormError(f"no participant type {type_!r}") from None


class _FormError(Exception):
    pass


def _run(
    registry: Registry, subscriber_id: str, action: str, actor: Actor, reason: str, role: str
) -> Callable[[], Awaitable[Subscriber]]:
    if action in ("grant", "revoke-grant"):
        granted = action == "grant"
        return lambda: registry.change_grant(
            subscriber_id, "defaulters", actor, granted=granted, reason=reason
        )
    grant = _role(role) if action == "approve" else None
    return lambda: registry.operator_action(subscriber_id, action, actor, grant, reason=reason)


@post(
    "/subscribers/{subscriber_id:str}/actions/{action:str}",
    opt=ACTION,
    include_in_schema=False,
    status_code=303,
)
async def subscriber_action(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: Annotated[str, PathParameter(max_length=255)],
    action: FromPath[Action],
) -> Redirect | Template:
    """An operator action from the subscriber page: the reason is required, and so is the
    confirmation box; then the registry's own call, recorded with the operator and reason."""
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    problem, status = "", 400
    if not reason:
        problem = "give a reason: it is recorded in the change log"
    elif len(reason) > REASON_MAX:
        problem = f"the reason is longer than {REASON_MAX} characters"
    elif form.get("confirm") != "yes":
        problem = f"tick the box to confirm: {action} {subscriber_id}"
    if not problem:
        try:
            step = _run(
                registry,
                subscriber_id,
                action,
                session_of(request).operator,
                reason,
                str(form.get("role", "")),
            )
            await step()
        except UeiError as exc:
            problem, status = exc.message, answer(exc).status  # the admin API's status
        except _FormError as exc:
            problem = str(exc)
        else:
            return Redirect(f"{PREFIX}/subscribers/{subscriber_id}?done={action}", status_code=303)
    return await _subscriber_page(
        request, registry, subscriber_id, error=problem, status_code=status
    )


PAGES.extend([subscribers_page, subscriber_page, subscriber_action])
