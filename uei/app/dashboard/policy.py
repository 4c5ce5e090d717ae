"""The policy in force: its file, digest, when it was loaded, the last reload and its error."""

from __future__ import annotations

from typing import Any

import msgspec
import yaml
from litestar import Request, get
from litestar.response import Template

from uei.app.dashboard.kit import PAGE, PAGES, render
from uei.app.reload import PolicyHolder, ReloadOutcome
from uei.registry.records import iso

__all__ = ["policy_page"]


@get("/policy", opt=PAGE, include_in_schema=False, sync_to_thread=False)
def policy_page(request: Request[Any, Any, Any]) -> Template:
    """The decoded policy this process applies, as YAML (every default filled in), and what
    the holder knows of the file."""
    holder: PolicyHolder = request.app.state.policy
    last = holder.last_reload
    return render(
        request,
        "policy.html",
        active="policy",
        path=str(holder.path),
        digest=holder.digest,
        loaded_at=iso(holder.loaded_at),
        last=last,
        failed=last is not None and last.outcome is ReloadOutcome.FAILED,
        last_at=iso(last.at) if last is not None else "",
        text=yaml.safe_dump(msgspec.to_builtins(holder.current), sort_keys=False),
    )


PAGES.append(policy_page)
