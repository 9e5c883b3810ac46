"""`procura fake-supplier`: the fake Acme partner as a command, added to
Procura's CLI through the `procura.commands` entry point (setup.cfg)."""

from __future__ import annotations

import contextlib

import click

from app.config import DEV_SUPPLIER_API_KEY, DEV_WEBHOOK_SECRET


@click.command("fake-supplier")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="FAKE_SUPPLIER_HOST")
@click.option("--port", default=8100, show_default=True, type=int, envvar="FAKE_SUPPLIER_PORT")
@click.option("--api-key", envvar="FAKE_SUPPLIER_API_KEY", default=DEV_SUPPLIER_API_KEY,
              show_default=True, help="the X-Api-Key callers must send")
@click.option("--callback-url", envvar="FAKE_SUPPLIER_CALLBACK_URL",
              default="http://127.0.0.1:8000/callbacks/suppliers/acme", show_default=True)
@click.option("--webhook-secret", envvar="FAKE_SUPPLIER_WEBHOOK_SECRET",
              default=DEV_WEBHOOK_SECRET, help="whsec_... used to sign callbacks")
def fake_supplier(host: str, port: int, api_key: str, callback_url: str, webhook_secret: str) -> None:
    """Serve a fake Acme Supplies partner API (partners/acme_fake.py) for demos and tests."""
    from partners.acme_fake import AcmeFake

    fake = AcmeFake(api_key=api_key, callback_url=callback_url, webhook_secret=webhook_secret,
                    host=host, port=port)
    click.echo(f"fake Acme supplier on {fake.url}, callbacks to {callback_url}")
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()
