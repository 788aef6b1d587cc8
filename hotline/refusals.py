"""The one shape of a refused request (a sentence in `message`, the details in `detail`), for the app's
exception handlers and for the phone webhooks' lean path (`ivr.webhooks`), which answers without them."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


def refused(exc: HTTPException) -> JSONResponse:
    """An HTTP error as every API client reads it."""
    body = {"message": str(exc.detail), "detail": exc.detail}
    return JSONResponse(status_code=exc.status_code, content=body, headers=exc.headers)


def invalid(exc: RequestValidationError) -> JSONResponse:
    """A 422 naming each field that was wrong and why, in a sentence a person can act on."""
    errors = [_plain_error(e) for e in exc.errors()]
    message = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return JSONResponse(status_code=422, content={"message": message or "invalid request", "detail": errors})


def _plain_error(error: Any) -> dict[str, str]:
    """A validation error as a field name and a sentence a person can act on."""
    field = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    return {"field": field, "message": str(error.get("msg", "")).removeprefix("Value error, ")}
