"""The key that signs session cookies: configured, or generated once and kept under var/."""

from __future__ import annotations

import secrets
from pathlib import Path


def session_key(configured: str, data_dir: Path) -> str:
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
