"""Small helpers shared by tests."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
METRICS = {"Authorization": "Bearer test-metrics-token"}  # as Prometheus scrapes /metrics (tests/conftest.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chat(client: Any, session_id: str, **body: Any) -> Any:
    """Send one web-chat message and return the JSON answer (asserting a 200)."""
    response = client.post(f"/api/chat/sessions/{session_id}/messages", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def intents_of(answer: Any) -> list[str | None]:
    return [reply["intent"] for reply in answer["replies"]]


def staff_login(client: Any, username: str, password: str, next: str = "") -> Any:
    """Log in through the form as a browser does: fetch it (for its CSRF token), then post it."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "the login form has no CSRF token"
    data = {"username": username, "password": password, "next": next, "csrf_token": token.group(1)}
    return client.post("/login", data=data, follow_redirects=False)


def staff_logout(client: Any) -> Any:
    """Log out as the pages' log-out button does, with the session's CSRF token (any staff page has it)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the page has no CSRF token"
    return client.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False)


@contextlib.contextmanager
def serving(
    data: Path, port: int, env: dict[str, str], *options: str, wait: float = 180
) -> Iterator[subprocess.Popen[bytes]]:
    """`hotline serve` on the port until /readyz answers; stopped (and its log closed) afterwards."""
    log_path = data / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "hotline"), "serve", "--port", str(port), *options],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError(f"server not ready in {wait:.0f} s: {log_path.read_text()[-2000:]}")
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def import_pack(sessions: Any, path: Path, *, author: str, publish: bool, note: str) -> int:
    """A pack made the draft and published as a new version (even when unchanged), without the checks:
    for tests that need another version of the same tree. The service publishes through
    `hotline.admin.drafts.publish` only."""
    from hotline.db import transaction
    from intents import versions
    from intents.pack import load_pack

    tree = load_pack(path)
    with transaction(sessions) as session:
        draft = versions.save_draft(session, tree=tree, author=author)
        if not publish:
            return draft.id
        return versions.publish(session, author=author, note=note).id
