"""Application logs never carry personal data: a logging filter masks every record a handler writes.

The message, its arguments (the access log's request line, an exception given as an argument) and the
traceback (a database error quotes the row it could not write) all go through `privacy.masking`.
`hotline serve` puts the filter on every handler it configures, in every worker (`log_config`).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Mapping
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from privacy.masking import mask

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PersonalDataFilter(logging.Filter):
    """Masks personal data in a record's message, arguments and traceback; never drops a record."""

    def __init__(self) -> None:
        super().__init__()
        self._busy = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        # The masker's own libraries log while it works (pymorphy3 loading its dictionaries): those
        # records carry no citizen's words and are let through as they are, instead of masking again.
        if getattr(self._busy, "masking", False):
            return True
        self._busy.masking = True
        try:
            self._mask(record)
        finally:
            self._busy.masking = False
        return True

    def _mask(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_masked(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))


def _masked(value: Any) -> Any:
    """Numbers stay numbers (a format may say %d); anything else is masked as the text it prints."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))


def log_config() -> dict[str, Any]:
    """uvicorn's logging (its own formatters and handlers) plus the application's loggers on the same
    standard-error handler, every handler behind the filter: for `uvicorn.run(log_config=...)`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"personal_data": {"()": f"{__name__}.PersonalDataFilter"}}
    config["formatters"]["hotline"] = {"format": FORMAT}
    config["handlers"]["hotline"] = {
        "formatter": "hotline",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["personal_data"]
    config["root"] = {"handlers": ["hotline"], "level": "INFO"}
    return config
