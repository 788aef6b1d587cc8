"""Voice messages with `HOTLINE_ASR=vosk`: espeak-ng speech encoded to OGG/Opus as Telegram's apps send it,
fetched from the fake Bot API, heard by the phone line's Vosk model (the Korean test model), handled as text."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile
import vosk
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline import conversation_log
from tests.fakes.telegram_api import FakeTelegramApi
from tests.speech.audio import missing_tools
from tests.speech.conftest import model_path  # noqa: F401  (the fixture)
from tests.telegram.conftest import app_client, message, new_user, post, telegram_settings, update


def opus_of(text: str, folder: Path) -> bytes:
    """`text` said by espeak-ng, at 16 kHz mono, encoded to OGG/Opus (libopus through libsndfile)."""
    wav, resampled = folder / "said.wav", folder / "said16.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "130", "-w", str(wav), text], check=True)
    subprocess.run(["sox", "-D", str(wav), "-r", "16000", "-c", "1", str(resampled)], check=True)
    samples, rate = soundfile.read(resampled, dtype="int16")
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format="OGG", subtype="OPUS")
    return out.getvalue()


def vosk_directly(model_dir: Path, ogg: bytes) -> str:
    """What Vosk makes of the same audio on its own (its documented loop, 4,000 frames at a time)."""
    samples, rate = soundfile.read(io.BytesIO(ogg), dtype="int16")
    pcm = samples.tobytes()
    recogniser = vosk.KaldiRecognizer(vosk.Model(str(model_dir)), rate)
    texts = []
    for offset in range(0, len(pcm), 8000):
        if recogniser.AcceptWaveform(pcm[offset : offset + 8000]):
            texts.append(json.loads(recogniser.Result())["text"])
    texts.append(json.loads(recogniser.FinalResult())["text"])
    return " ".join(t for t in texts if t)


@pytest.fixture(scope="module")
def voice_client(
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    fake_telegram: FakeTelegramApi,
    model_path: Path,  # noqa: F811
) -> Iterator[TestClient]:
    if missing := missing_tools():
        pytest.skip(f"{' and '.join(missing)} not installed: no speech audio")
    data = tmp_path_factory.mktemp("telegram-voice")
    settings = telegram_settings(
        f"sqlite:///{data / 'hotline.sqlite3'}", redis_url, data / "var", fake_telegram.url,
        asr="vosk", vosk_model_path_uk=model_path,
    )  # fmt: skip
    with app_client(settings) as client:
        yield client


def test_a_voice_message_is_heard_as_vosk_hears_it_and_answered(
    voice_client: TestClient,
    fake_telegram: FakeTelegramApi,
    model_path: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    ogg = opus_of("보조금을 신청하고 싶어요", tmp_path)
    expected = vosk_directly(model_path, ogg)
    assert expected  # the test model hears words in it
    user = new_user("uk")
    fake_telegram.add_file("AwACAgIAAxkBAAIBZ2", ogg)
    voice = {"file_id": "AwACAgIAAxkBAAIBZ2", "file_unique_id": "AgADZ2", "duration": 2, "mime_type": "audio/ogg",
             "file_size": len(ogg)}  # fmt: skip
    assert post(voice_client, update(message=message(user, voice=voice))).status_code == 200
    assert fake_telegram.wait_for(1, chat_id=user["id"])  # answered (Korean words match nothing: asked again)
    sessions: sessionmaker[Session] = voice_client.app.state.parts.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        (conversation,) = conversation_log.of_citizen(session, external_id=str(user["id"]))
        said = [
            e for e in conversation_log.events(session, conversation_id=conversation.id) if e.kind == "citizen_speech"
        ]
    assert [e.text for e in said] == [expected]
    assert said[0].data.get("confidence") is not None


def test_a_voice_message_that_is_not_audio_or_too_long_is_answered_politely(
    voice_client: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    user = new_user("ru")
    fake_telegram.add_file("not-audio", b"OggS but not really")
    broken = {"file_id": "not-audio", "file_unique_id": "x", "duration": 2, "mime_type": "audio/ogg"}
    long = {"file_id": "long", "file_unique_id": "y", "duration": 600, "mime_type": "audio/ogg"}
    assert post(voice_client, update(message=message(user, voice=broken))).status_code == 200
    assert post(voice_client, update(message=message(user, voice=long))).status_code == 200
    notes = [c.text for c in fake_telegram.wait_for(2, chat_id=user["id"])]
    assert "Не удалось разобрать" in notes[0] and "слишком длинное" in notes[1]
    assert "long" not in [c.body.get("file_id") for c in fake_telegram.calls("getFile")]  # not even fetched
