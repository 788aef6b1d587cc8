"""`hotline viber set-webhook`: tell Viber where our webhook is (and to send user names and photos)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hotline.settings import Settings

viber_app = typer.Typer(help="The Viber channel.", no_args_is_help=True)


@viber_app.command("set-webhook")
def set_webhook(
    url: Annotated[
        str, typer.Option(help="The webhook URL Viber calls; default HOTLINE_PUBLIC_URL + /viber/webhook.")
    ] = "",
) -> None:
    """Register our webhook with Viber (our server must already answer there: Viber calls it at once)."""
    from channels.viber.client import ViberError, make_http
    from channels.viber.line import api_for

    settings = Settings()
    token = settings.viber_auth_token.get_secret_value()
    if not token:
        typer.echo("set HOTLINE_VIBER_AUTH_TOKEN (the bot's token from Viber) first", err=True)
        raise typer.Exit(code=2)
    target = url or settings.public_url.rstrip("/") + "/viber/webhook"
    if not target.startswith("https://"):
        typer.echo(f"warning: Viber accepts only https:// webhooks with a CA-signed certificate ({target})", err=True)

    async def register() -> list[str]:
        async with make_http(token, settings.viber_timeout_seconds) as http:
            return await api_for(settings, http).set_webhook(target)

    try:
        events = asyncio.run(register())
    except ViberError as exc:
        typer.echo(f"Viber did not take the webhook: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"webhook set to {target}; Viber will send: {', '.join(events) or 'its default events'}")
