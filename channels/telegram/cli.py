"""`hotline telegram set-webhook`: tell Telegram where our webhook is, with the secret and the updates we handle."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hotline.settings import Settings

telegram_app = typer.Typer(help="The Telegram channel.", no_args_is_help=True)


@telegram_app.command("set-webhook")
def set_webhook(
    url: Annotated[
        str, typer.Option(help="The webhook URL Telegram calls; default HOTLINE_PUBLIC_URL + /telegram/webhook.")
    ] = "",
) -> None:
    """Register our webhook with Telegram (setWebhook with the secret token and the update kinds we handle)."""
    from channels.telegram.client import TelegramError, make_http
    from channels.telegram.line import api_for
    from channels.telegram.routes import WEBHOOK
    from channels.telegram.wire import UPDATE_KINDS

    settings = Settings()
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not settings.telegram_bot_token.get_secret_value() or not secret:
        needed = "HOTLINE_TELEGRAM_BOT_TOKEN (from @BotFather) and HOTLINE_TELEGRAM_WEBHOOK_SECRET"
        typer.echo(f"set {needed} first", err=True)
        raise typer.Exit(code=2)
    target = url or settings.public_url.rstrip("/") + WEBHOOK
    if not target.startswith("https://"):
        typer.echo(f"warning: Telegram calls only https:// webhooks (ports 443, 80, 88, 8443): {target}", err=True)
    kinds = tuple(kind.value for kind in UPDATE_KINDS)

    async def register() -> bool:
        async with make_http(settings.telegram_timeout_seconds) as http:
            return await api_for(settings, http).set_webhook(target, secret=secret, kinds=kinds)

    try:
        asyncio.run(register())
    except TelegramError as exc:
        typer.echo(f"Telegram did not take the webhook: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"webhook set to {target}; Telegram will send: {', '.join(kinds)}")
