"""Demo data for the embedded default: a few users and POs in every status a
newcomer wants to try commands on. Seeding uses fixed Idempotency-Keys, so
running it twice changes nothing (and shows idempotency at work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from aggregates.policy import Principal
from aggregates.purchase_order import Draft, Line
from app.bootstrap import Services
from app.console.demo_users import ORG, USERS
from app.http.render import HttpRenderer
from app.service.command_service import Command
from app.service.idempotency import fingerprint


def principal(name: str) -> Principal:
    user = USERS[name]
    limit = user.get("approval_limit")
    return Principal(name, ORG, frozenset(user["roles"]), user.get("department"),
                     Decimal(limit) if limit else None)


@dataclass
class _Seeder:
    services: Services
    renderer: HttpRenderer = HttpRenderer()

    def run(self, who: str, action: str, key: str, po_id=None, if_match=None, **arguments):
        """Execute `action` as `who`; `arguments` are its intent's (content=, reason=)."""
        command = Command(
            principal=principal(who), action=action, key=f"demo-seed-{key}",
            fingerprint=fingerprint(method="POST", route=action, path_params={"key": key},
                                    body=None, if_match=None),
            request_id=f"demo-seed-{key}", correlation_id="demo-seed", po_id=po_id,
            if_match=if_match, arguments=arguments,
        )
        return self.services.commands.execute(command, self.renderer)


def _draft(title: str, *lines: tuple[str, str, int, str]) -> Draft:
    return Draft(title, "acme", "EUR", date.today() + timedelta(days=30),
                 tuple(Line(sku, desc, qty, Decimal(price)) for sku, desc, qty, price in lines))


def seed(services: Services) -> list[str]:
    """Create the demo POs (once); returns their ids."""
    import json

    seeder = _Seeder(services)
    drafts = [
        _draft("Laptops for new hires", ("LAP-14", "14-inch laptop", 3, "1249.00")),
        _draft("Standing desks", ("DSK-1", "Standing desk", 2, "499.50"), ("MAT-1", "Desk mat", 2, "19.90")),
        _draft("Lab oscilloscope", ("OSC-4", "4-channel oscilloscope", 1, "7800.00")),
    ]
    ids = []
    for i, content in enumerate(drafts):
        reply = seeder.run("alice", "create", f"create-{i}", content=content)
        ids.append(json.loads(reply.body)["id"])
    from uuid import UUID

    desks, scope = UUID(ids[1]), UUID(ids[2])
    seeder.run("alice", "submit", "submit-1", po_id=desks, if_match=1)
    seeder.run("bob", "approve", "approve-1", po_id=desks, if_match=2)
    seeder.run("alice", "submit", "submit-2", po_id=scope, if_match=1)
    return ids
