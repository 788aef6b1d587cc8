"""Which failures of a call to a messenger's API say the request never reached it (so sending it again is safe).

A messenger's "send a message" has no idempotency key: a second request is a second message. Whether a
failed request may be made again therefore depends on where it failed:

- not connected (`ConnectError`, `ConnectTimeout`), no free connection (`PoolTimeout`), or the request
  not written whole (`WriteError`, `WriteTimeout`: the server cannot act on half a body): it never
  reached the messenger — safe to send again;
- written whole, then no answer (`ReadTimeout`, `ReadError`, `RemoteProtocolError`): it may have been
  delivered. A slow answer is the usual story (that is how a message came twice under load), so a
  send is not made again; its outcome is `unknown`.

An answer that says it was not done (429, 5xx) is also safe to repeat; the clients decide that from the
answer itself.
"""

from __future__ import annotations

import httpx

NEVER_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.ProxyError,
)

CONNECT_SECONDS = 5.0  # connecting, writing, waiting for a pooled connection: a healthy API takes far less


def timeout(answer_seconds: float) -> httpx.Timeout:
    """Wait `answer_seconds` for an answer (the settings' timeout: long, so that a slow answer is not taken
    for a lost one), but give up connecting or writing sooner, where trying again is safe."""
    return httpx.Timeout(min(answer_seconds, CONNECT_SECONDS), read=answer_seconds)
