"""The Viber channel: Viber's webhook in, the same engine and tree, Viber keyboards and messages out.

`routes.router` is the webhook (`POST /viber/webhook`) and `routes.admin_router` the block list API
(`/api/viber/blocks`); `line.ViberLine` is what the app builds once (the async sender, the event
handling); `relay.ViberRelay` is the specialists' side (operator messages out, closing, ratings).
"""
