"""The browser fixtures of the end-to-end tests (one Chromium per module, a phone, a Russian phone)."""

from tests.e2e.conftest import browser, phone, russian_phone  # noqa: F401
