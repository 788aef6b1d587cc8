"""The registry's REST exchange as typed models, shared by our client and the sandbox registry.

One call: `POST <registry URL>` with an `ExtractRequest`; the answer is `200 Found`, or an error
status with a `Problem` body (`404 NOT_FOUND`, `409 AMBIGUOUS_MATCH` / `NEEDS_ACTUALIZATION`,
`422 INVALID_INPUT`, `403 ACCESS_DENIED`), or a security-server failure flagged by the `<prefix>Error`
header. Identification travels in headers (see `client.py`), as Trembita and X-Road want it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from registry_client.identifiers import IdKind


class Subject(BaseModel):
    """Whom the certificate is about: an identifier plus name and date of birth to cross-check."""

    id_kind: IdKind
    id_value: str = Field(min_length=1, max_length=32)
    full_name: str = Field(min_length=1, max_length=200)
    birth_date: date


class ExtractRequest(BaseModel):
    subject: Subject
    purpose: str = Field(min_length=1, max_length=500, description="Why we ask; the citizen sees it in Diia.")


class Person(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    birth_date: date


class Extract(BaseModel):
    """A residence-registration certificate: a snapshot as of `formed_at`."""

    id: str = Field(min_length=1, max_length=64, description="The registry's number of this extract.")
    formed_at: AwareDatetime
    person: Person
    address: str = Field(min_length=1, max_length=500)
    registered_on: date
    household: list[Person] = Field(default_factory=list, description="Everyone registered at the address.")


class Found(BaseModel):
    status: Literal["found"]
    extract: Extract


class Problem(BaseModel):
    code: str
    message: str = ""
    matches: int | None = None
