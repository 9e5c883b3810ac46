"""The demo users of the embedded default and their tokens: what `procura
seed-demo` prints and the console's sign-in page offers. Apart from the demo
data (app.tools.demo) so that the console can name them without building
anything."""

from __future__ import annotations

from app.http.auth import mint_token

ORG = "acme-corp"
USERS: dict[str, dict] = {
    "alice": {"roles": ["requester"], "department": "engineering"},
    "bob": {"roles": ["approver"], "department": "engineering", "approval_limit": "5000.00"},
    "carol": {"roles": ["buyer"], "department": "purchasing"},
    "dave": {"roles": ["analyst"], "department": "finance"},
    "erin": {"roles": ["auditor"], "department": "finance"},
    "root": {"roles": ["admin"], "department": "it"},
}


def tokens(secret: str) -> dict[str, str]:
    return {name: mint_token(secret, sub=name, org=ORG, **user) for name, user in USERS.items()}
