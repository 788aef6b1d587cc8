"""The logging filter: no personal data in a log line, its arguments or its traceback."""

from __future__ import annotations

import io
import logging

from privacy.logs import PersonalDataFilter, log_config


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("tests.privacy.logs")
    logger.handlers = [handler]
    logger.propagate = False
    return logger


def test_message_arguments_and_traceback_are_masked() -> None:
    out = io.StringIO()
    log = _logger(out)
    log.warning("citizen %s wrote %r (%d times)", "+380501234567", "мій РНОКПП 2876543211", 3)
    try:
        raise ValueError("could not store {'text': 'картка 4149 4936 6712 7683'}")
    except ValueError:
        log.exception("turn of %s failed", "olena.k@ukr.net")
    written = out.getvalue()
    for secret in ("380501234567", "2876543211", "4149 4936", "olena.k@ukr.net"):
        assert secret not in written
    assert "[телефон]" in written and "[РНОКПП]" in written and "[картка]" in written and "(3 times)" in written
    assert "Traceback" in written and "ValueError" in written


def test_the_serve_configuration_filters_every_handler() -> None:
    config = log_config()
    assert all(handler["filters"] == ["personal_data"] for handler in config["handlers"].values())
    assert config["root"]["handlers"] == ["hotline"]
