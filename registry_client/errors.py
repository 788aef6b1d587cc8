"""What can go wrong when we ask the registry, as one hierarchy of typed errors.

```
RegistryError
├── RegistryUnavailable          the registry (or the way to it) failed: the job is retried later
│   ├── RegistryTimeout          no answer within the configured timeouts
│   ├── RegistryConnectionError  the connection broke or could not be made
│   ├── RegistryServerError      5xx from the registry or its security server
│   ├── MalformedResponse        an answer we cannot read
│   ├── GatewayError             our own security server or TLS set-up failed: ops must look, no quick retry
│   └── CircuitOpen              too many failures in a row: we do not call at all for a while
├── Refused                      the registry will not answer this request: never retried
│   ├── InvalidRequest           400/422 (a bad identifier, a protocol error)
│   └── AccessDenied             401/403 (our client or purpose id is not allowed)
└── NoExtract                    the registry answered, but there is no certificate to give
    ├── PersonNotFound           nobody with these data is registered
    ├── AmbiguousMatch           several people match: ask for a stronger identifier
    └── NeedsActualization       the person's record must be updated at a ЦНАП first
```

Every error carries a stable `code` (stored with the job and in the audit) and a message that never
contains the citizen's personal data, so errors may be logged as they are.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every registry error; `code` is stable and stored, the message is safe to log."""

    code = "REGISTRY_ERROR"

    def __init__(self, message: str = "", *, request_hash: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.request_hash = request_hash


class RegistryUnavailable(RegistryError):
    """The registry could not be asked or did not answer; asking again later may work."""

    code = "UNAVAILABLE"
    # Whether the client itself tries again at once (with backoff) before giving the error back.
    retry_now = True


class RegistryTimeout(RegistryUnavailable):
    """No answer within the configured timeouts."""

    code = "TIMEOUT"


class RegistryConnectionError(RegistryUnavailable):
    """The connection to the registry could not be made or broke."""

    code = "CONNECTION"


class RegistryServerError(RegistryUnavailable):
    """The registry or its security server failed (5xx)."""

    code = "SERVER_ERROR"


class MalformedResponse(RegistryUnavailable):
    """The registry's answer could not be read."""

    code = "MALFORMED"


class GatewayError(RegistryUnavailable):
    """Our side of the exchange (security server, TLS certificates) failed: an operations problem."""

    code = "GATEWAY"
    retry_now = False


class CircuitOpen(RegistryUnavailable):
    """Calls are paused after repeated failures; nothing was sent."""

    code = "CIRCUIT_OPEN"
    retry_now = False


class Refused(RegistryError):
    """The registry refused the request; sending it again will not help."""

    code = "REFUSED"


class InvalidRequest(Refused):
    """The registry found the request invalid."""

    code = "INVALID_REQUEST"


class AccessDenied(Refused):
    """Our client or purpose is not allowed to use this service."""

    code = "ACCESS_DENIED"


class NoExtract(RegistryError):
    """The registry answered without a certificate."""

    code = "NO_EXTRACT"


class PersonNotFound(NoExtract):
    """No registered person matches."""

    code = "NOT_FOUND"


class AmbiguousMatch(NoExtract):
    """Several registered people match."""

    code = "AMBIGUOUS"

    def __init__(self, message: str = "", *, matches: int = 2, request_hash: str | None = None) -> None:
        super().__init__(message, request_hash=request_hash)
        self.matches = matches


class NeedsActualization(NoExtract):
    """The person's record needs updating before a certificate can be formed."""

    code = "NEEDS_UPDATE"
