"""The TwiML of a question in `vosk` mode, and the fallback to the keypad and Twilio's speech when a
model is missing or broken (the line still answers, and /readyz says so)."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import redis
from fastapi.testclient import TestClient

from hotline.app import create_app
from intents.pack import DEMO_PACK, load_pack
from ivr import twiml as phone_twiml
from ivr.speech.line import SpeechLine
from ivr.speech.listening import Limits
from ivr.speech.models import load
from ivr.speech.store import SpeechStore
from tests.ivr.phone import PUBLIC_URL, Phone, xml
from tests.speech.calls import menu_turn, question
from tests.speech.conftest import speech_settings

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
RU = 'language="ru-RU" voice="Google.ru-RU-Standard-A"'
LIMITS = Limits(no_speech_ms=6000, silence_ms=400, pause_ms=1500, max_ms=20000)


def line(client: redis.Redis, paths: dict[str, Path | None], mode: str = "vosk") -> SpeechLine:
    models = load(paths) if mode == "vosk" else load({})
    store = SpeechStore(client, f"test-{uuid.uuid4().hex[:8]}", 600)
    return SpeechLine(mode, models, store, phone_twiml.Urls(PUBLIC_URL), LIMITS, executor=None)


def stored(speech: SpeechLine, token: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(speech.store.client.get(f"{speech.store.prefix}:speech:listen:{token}"))
    return found


def test_a_menu_is_said_then_streamed_to_our_server_with_its_parameters(redis_client, model_path: Path) -> None:
    speech = line(redis_client, {"uk": model_path})
    doc = speech.ask(menu_turn("c1", 3), ["Житлова субсидія — 1.", "Фахівець — 0."], ["하나", "субсидія"]).to_xml()
    token = question(doc).parameters["token"]
    assert doc == xml(
        f"<Say {UK}>Житлова субсидія — 1.</Say><Say {UK}>Фахівець — 0.</Say>"
        f'<Connect action="{PUBLIC_URL}/twilio/speech?step=3" method="POST">'
        '<Stream url="wss://hotline.example.org/twilio/stream">'
        f'<Parameter name="token" value="{token}" /><Parameter name="step" value="3" />'
        "</Stream></Connect>"
    )
    # The menu's words the model knows, then the unknown-word token; Cyrillic words are not in this model.
    assert stored(speech, token) == {"step": 3, "listeners": [{"lang": "uk", "grammar": '["하나", "<UNK>"]'}]}


def test_the_top_menu_is_an_open_question_for_the_full_vocabulary(redis_client, model_path: Path) -> None:
    speech = line(redis_client, {"uk": model_path})
    turn = menu_turn("c1", 2, tree=load_pack(DEMO_PACK), top=True)
    token = question(speech.ask(turn, ["Опишіть питання."], ["하나"]).to_xml()).parameters["token"]
    assert stored(speech, token)["listeners"] == [{"lang": "uk", "grammar": None}]


def test_the_language_question_listens_in_every_loaded_language(redis_client, model_path: Path, caplog) -> None:
    speech = line(redis_client, {"uk": model_path, "ru": model_path})
    with caplog.at_level(logging.WARNING, logger="ivr.speech.line"):
        q = question(speech.language_question(1).to_xml())
    token = q.parameters["token"]
    assert q.xml == xml(
        f"<Say {UK}>Оберіть мову: українська — 1.</Say>"
        f"<Say {RU}>Выберите язык: русский — 2.</Say>"
        f'<Connect action="{PUBLIC_URL}/twilio/speech?step=1&amp;ask=language" method="POST">'
        '<Stream url="wss://hotline.example.org/twilio/stream">'
        f'<Parameter name="token" value="{token}" /><Parameter name="step" value="1" />'
        "</Stream></Connect>"
    )
    # The Korean test model knows no language's name: it listens with its whole vocabulary rather than hear nothing.
    assert stored(speech, q.parameters["token"])["listeners"] == [
        {"lang": "uk", "grammar": None},
        {"lang": "ru", "grammar": None},
    ]
    assert "knows none of its words" in caplog.text


def test_a_language_without_a_model_and_twilio_mode_use_twilios_gather(redis_client, model_path: Path) -> None:
    texts, hints = ["Меню."], ["субсидия"]
    gather = phone_twiml.ask(texts, "ru", f"{PUBLIC_URL}/twilio/gather?step=2", hints).to_xml()
    only_uk = line(redis_client, {"uk": model_path, "ru": None})
    assert only_uk.ask(menu_turn("c1", 2, "ru"), texts, hints).to_xml() == gather
    twilio = line(redis_client, {"uk": model_path}, mode="twilio")
    assert twilio.ask(menu_turn("c1", 2, "ru"), texts, hints).to_xml() == gather
    assert (
        twilio.language_question(1).to_xml()
        == phone_twiml.language_question(f"{PUBLIC_URL}/twilio/gather?step=1&ask=language").to_xml()
    )
    assert twilio.readiness() == "twilio speech (HOTLINE_ASR=twilio)"


def test_missing_and_broken_models_fall_back_and_readyz_says_so(
    tmp_path: Path, redis_url: str, model_path: Path, caplog
) -> None:
    broken = tmp_path / "broken-model"
    (broken / "am").mkdir(parents=True)
    (broken / "am" / "final.mdl").write_bytes(b"not a model")
    settings = speech_settings(tmp_path, redis_url, PUBLIC_URL, vosk_model_path_uk=None, vosk_model_path_ru=broken)
    with (
        caplog.at_level(logging.WARNING, logger="ivr.speech.models"),
        TestClient(create_app(settings), base_url=PUBLIC_URL) as client,
    ):
        ready = client.get("/readyz")
        first = Phone(client).call()
    assert ready.status_code == 200 and ready.json()["ready"] is True
    speech = ready.json()["checks"]["speech"]
    assert speech.startswith("fallback to keypad and twilio speech (ru: the model at")
    assert "uk: HOTLINE_VOSK_MODEL_PATH_UK is not set" in speech and speech.endswith("vosk: none")
    assert "uk falls back to keypad and Twilio speech: HOTLINE_VOSK_MODEL_PATH_UK is not set" in caplog.text
    assert "ru falls back to keypad and Twilio speech: the model at" in caplog.text
    assert first.gather.get("input") == "dtmf speech"  # the call is answered all the same


def test_readyz_names_the_loaded_models(tmp_path: Path, redis_url: str, model_path: Path) -> None:
    settings = speech_settings(
        tmp_path, redis_url, PUBLIC_URL, vosk_model_path_uk=model_path, vosk_model_path_ru=model_path
    )
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        assert client.get("/readyz").json()["checks"]["speech"] == "vosk (ru, uk)"
