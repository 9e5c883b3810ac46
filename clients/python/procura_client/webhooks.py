"""For receivers of Procura's webhooks: check a delivery's Standard Webhooks
signature (docs/integrators/webhooks.md) and read its event, typed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ._generated.models.public_event_out import PublicEventOut


class InvalidSignature(Exception):
    """The delivery is not signed with any of the secrets, or is too old: answer 401."""


class WebhookVerifier:
    """Verifies deliveries signed with `secrets` (`whsec_...`; give the old
    and the new one while a rotation's old secret is still honoured)."""

    def __init__(self, secrets: str | Sequence[str]):
        names = [secrets] if isinstance(secrets, str) else list(secrets)
        if not names:
            raise ValueError("at least one webhook secret")
        self._hooks = [Webhook(secret) for secret in names]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> PublicEventOut:
        """The event in `body` (the request's exact bytes), once its
        `webhook-signature` matches and its `webhook-timestamp` is within 5
        minutes; InvalidSignature otherwise. Deliveries are at least once:
        drop a `webhook-id` you have already processed."""
        lowered = {name.lower(): value for name, value in headers.items()}
        for hook in self._hooks:
            try:
                hook.verify(body, lowered)
            except WebhookVerificationError:
                continue
            return PublicEventOut.from_dict(json.loads(body))
        raise InvalidSignature("no secret verifies this delivery")
