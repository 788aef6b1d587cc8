"""CSRF protection for staff pages: a per-session token, sent back in a form field or a header.

Pages put `csrf_token(request)` into forms (`<input type="hidden" name="csrf_token">`) and scripts
send it as `X-CSRF-Token`; every state-changing staff route depends on `verify_csrf`.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

SESSION_KEY = "csrf_token"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """This session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing request whose token is missing or not this session's (403)."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get(FIELD) or "")
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise HTTPException(status_code=403, detail="the form has expired: reload the page and try again")
