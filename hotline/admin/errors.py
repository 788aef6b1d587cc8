"""Refusals of admin changes: a code the pages turn into a sentence in the admin's language."""

from __future__ import annotations


class AdminError(ValueError):
    """A change that cannot be made. `code` picks the sentence (hotline/admin/texts.py), `params`
    fill it in; the English message is for logs and API clients."""

    status_code = 400

    def __init__(self, code: str, message: str, **params: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class Conflict(AdminError):
    """Someone else changed the thing since the form was opened."""

    status_code = 409


class NotFound(AdminError):
    """The node, version, user or calendar day is not there (any more)."""

    status_code = 404
