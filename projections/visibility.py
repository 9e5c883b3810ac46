"""The write side's visibility rule (`aggregates.policy.can_see`) as SQL.

Kept next to the policy's own words so the two cannot drift: same org always;
org-wide readers see everything; others see their own POs, and approvers also
their department's (a missing department matches a missing department, as
`None == None` does in the policy).
"""

from __future__ import annotations

from typing import Any

from aggregates.policy import ORG_WIDE_READERS, Principal


def visible_to(who: Principal, params: dict[str, Any]) -> str:
    """A WHERE fragment over columns org, requester, department; fills `params`."""
    params["v_org"] = who.org
    if who.roles & ORG_WIDE_READERS:
        return "org = %(v_org)s"
    params["v_sub"] = who.sub
    alternatives = ["requester = %(v_sub)s"]
    if who.has("approver"):
        if who.department is None:
            alternatives.append("department IS NULL")
        else:
            params["v_department"] = who.department
            alternatives.append("department = %(v_department)s")
    return f"org = %(v_org)s AND ({' OR '.join(alternatives)})"
