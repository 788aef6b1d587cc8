"""Registry fixtures: the sandbox registry served by uvicorn on a free port (a real socket), staff
logins, and the app configured to use the sandbox."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from hotline.db import transaction
from hotline.settings import Settings
from hotline.users import Role, create
from registry_client.sandbox import SandboxState, create_sandbox_app
from tests.e2e.conftest import browser  # noqa: F401  (the shared headless Chromium, for test_browser.py)
from tests.helpers import free_port, staff_login

PASSWORD = "a long test password"


@dataclass
class Sandbox:
    url: str
    state: SandboxState

    @property
    def registry_url(self) -> str:
        return f"{self.url}/restapi"

    def faults(self, **settings: Any) -> None:
        """Switch faults through the sandbox's own control API, as a developer would."""
        response = httpx.put(f"{self.url}/_sandbox/faults", json=settings, timeout=5)
        assert response.status_code == 200, response.text

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_sandbox/stats", timeout=5).json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox registry per test module, served over a real socket from a thread."""
    app = create_sandbox_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the sandbox registry did not start"
    yield Sandbox(f"http://127.0.0.1:{port}", app.state.sandbox)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def clean_sandbox(sandbox: Sandbox) -> Sandbox:
    """The module's sandbox with no faults and nothing remembered (answers are kept per idempotency key)."""
    sandbox.faults(fault="none", latency_ms=0)
    state = sandbox.state
    state.answers.clear()
    state.keys.clear()
    state.requests = state.formed = 0
    return sandbox


def fast_settings(settings: Settings, sandbox: Sandbox, **extra: Any) -> Settings:
    """Settings that use the sandbox with short timeouts and waits, so fault tests take seconds."""
    values: dict[str, Any] = {
        "registry_url": sandbox.registry_url,
        "registry_read_timeout_seconds": 5.0,
        "registry_connect_timeout_seconds": 1.0,
        "registry_backoff_seconds": 0.01,
        "registry_retry_seconds": 0.2,
        "registry_circuit_threshold": 3,
        "registry_circuit_reset_seconds": 0.5,
        "registry_poll_seconds": 0.1,
        "load_demo_pack": False,
    }
    return settings.model_copy(update=values | extra)


def add_user(client: TestClient, name: str, role: Role) -> None:
    parts = client.app.state.parts  # type: ignore[attr-defined]
    with transaction(parts.sessions) as session:
        create(session, username=name, password=PASSWORD, role=role)


def log_in(client: TestClient, name: str) -> str:
    """Log `client` in as `name` and return the session's CSRF token."""
    client.cookies.clear()
    response = staff_login(client, name, PASSWORD)
    assert response.status_code == 303, response.text
    page = client.get("/operator/cases/new")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


@pytest.fixture
def app_client(settings: Settings, clean_sandbox: Sandbox) -> Iterator[TestClient]:
    """The whole app (its request worker running) pointed at the sandbox."""
    from hotline.app import create_app

    with TestClient(create_app(fast_settings(settings, clean_sandbox))) as client:
        yield client
