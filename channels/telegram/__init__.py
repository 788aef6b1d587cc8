"""The Telegram channel: Bot API updates in, the same engine and tree, Telegram messages and inline keyboards out.

`routes.router` is the webhook (`POST /telegram/webhook`); `line.TelegramLine` is what the app builds
once (the Bot API client, the sender, the update handling, voice recognition); `wire` reads updates
with python-telegram-bot's types; `render` turns engine replies into messages.
"""
