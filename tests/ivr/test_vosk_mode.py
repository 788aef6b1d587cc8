"""`HOTLINE_ASR=vosk` on the phone line's own webhooks, without Twilio's REST API (no account SID): questions
are `<Connect><Stream>` to our recogniser (a real Vosk model for Ukrainian; none for Russian, whose questions
fall back to Twilio's `<Gather>`), and the `<Connect action>` goes on through the engine like a `<Gather action>`.
With the REST API questions are forked over their prompt: `tests/ivr/test_barge_in.py`.

The stream itself (audio, keys, the recogniser) is `tests/speech/`; here its outcome is written where the
stream writes it (`SpeechStore.heard`), and the webhooks are signed as Twilio signs them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline.app import create_app
from hotline.deps import Parts
from hotline.pronunciation import Pronouncer
from intents.pack import DEMO_PACK, load_pack
from ivr import simulator
from ivr.speech.line import speech_of
from ivr.speech.listening import End
from ivr.speech.store import Outcome
from tests.ivr.conftest import phone_settings
from tests.ivr.phone import ACCOUNT, PUBLIC_URL, TOKEN, Doc, Phone, events_of, xml
from tests.ivr.test_call_flow import LISTEN, MENU_ITEMS
from tests.speech.conftest import SpeechServer, model_path  # noqa: F401 (a fixture: the test model)
from tests.speech.conftest import server as speech_server  # noqa: F401 (a fixture: the app in vosk mode, live)

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
RU = 'language="ru-RU" voice="Google.ru-RU-Standard-A"'
STREAM = "wss://hotline.example.org/twilio/stream"
TREE = load_pack(DEMO_PACK)


@pytest.fixture(scope="module")
def vosk_client(tmp_path_factory: pytest.TempPathFactory, redis_url: str, model_path: Path) -> Iterator[TestClient]:  # noqa: F811
    data = tmp_path_factory.mktemp("phone-vosk")
    database_url = f"sqlite:///{data / 'hotline.sqlite3'}"
    settings = phone_settings(database_url, redis_url, data, asr="vosk", vosk_model_path_uk=model_path)
    settings = settings.model_copy(update={"twilio_account_sid": ""})  # no REST client: `<Connect><Stream>`
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        yield client


@pytest.fixture
def parts(vosk_client: TestClient) -> Parts:
    found: Parts = vosk_client.app.state.parts  # type: ignore[attr-defined]
    return found


def streamed(doc: Doc, action: str) -> str:
    """The document's `<Connect>`, checked to stream to us at `action`; its one-time token."""
    connect = doc.first("Connect")
    assert connect is not None and connect.get("action") == action and doc.first("Gather") is None
    parameters = {p.get("name"): p.get("value") for p in connect.iter("Parameter")}
    assert connect.find("Stream").get("url") == STREAM and set(parameters) == {"token", "step"}
    return str(parameters["token"])


def heard(parts: Parts, phone: Phone, step: int, **outcome: str | float) -> None:
    """What the media stream of `step` heard, written where the stream writes it."""
    write(parts, phone, step, Outcome(End.DTMF if "digits" in outcome else End.SPEECH, **outcome))  # type: ignore[arg-type]


def write(parts: Parts, phone: Phone, step: int, outcome: Outcome) -> None:
    """A stream's turn: on, then over with `outcome`."""
    assert speech_of(parts).store.listening(phone.sid, step) and speech_of(parts).store.heard(phone.sid, step, outcome)


def test_the_first_question_streams_to_our_recogniser(vosk_client: TestClient, parts: Parts) -> None:
    doc = Phone(vosk_client).call()
    token = streamed(doc, f"{PUBLIC_URL}/twilio/speech?step=1&ask=language")
    assert speech_of(parts).readiness().startswith("fallback to keypad and twilio speech (ru: ")
    assert doc.xml == xml(
        f"<Say {UK}>Оберіть мову: українська — 1.</Say>"
        f"<Say {RU}>Выберите язык: русский — 2.</Say>"
        f'<Connect action="{PUBLIC_URL}/twilio/speech?step=1&amp;ask=language" method="POST">'
        f'<Stream url="{STREAM}"><Parameter name="token" value="{token}" /><Parameter name="step" value="1" />'
        "</Stream></Connect>"
    )


def test_a_menu_is_a_stream_and_the_connect_action_goes_on_through_the_engine(
    vosk_client: TestClient, parts: Parts, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(vosk_client)
    phone.call()
    heard(parts, phone, 1, digits="1")
    menu = phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=1&ask=language")
    token = streamed(menu, f"{PUBLIC_URL}/twilio/speech?step=2")
    assert menu.xml == xml(
        f"<Say {UK}>{TREE.welcome['uk']} {MENU_ITEMS}</Say>"
        f'<Connect action="{PUBLIC_URL}/twilio/speech?step=2" method="POST">'
        f'<Stream url="{STREAM}"><Parameter name="token" value="{token}" /><Parameter name="step" value="2" />'
        "</Stream></Connect>"
    )
    heard(parts, phone, 2, transcript="Як мені оформити житлову субсидію", confidence=0.92)
    answer = phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=2")
    short = Pronouncer().say(TREE.index["housing_subsidy_apply"].text("uk").short, "uk")  # "ЦНАП" as said
    assert answer.said == [f"{short} Повторити — 1. Головне меню — 2. Назад — решітка. Фахівець — 0."]
    streamed(answer, f"{PUBLIC_URL}/twilio/speech?step=3")
    # Twilio retries the action: the same words, the engine moved once.
    again = phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=2")
    assert again.said == answer.said
    assert [e.kind for e in events_of(sessions, phone)].count("citizen_speech") == 1
    # A key on the stream is a key: 0 puts the caller through as in Twilio mode.
    heard(parts, phone, 3, digits="0")
    assert phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=3").first("Enqueue").text == "subsidies-uk"


def test_nothing_heard_on_the_stream_asks_again(vosk_client: TestClient, parts: Parts) -> None:
    phone = Phone(vosk_client)
    phone.call()
    heard(parts, phone, 1, digits="1")
    phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=1&ask=language")
    write(parts, phone, 2, Outcome(End.NO_SPEECH))
    again = phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=2")
    assert again.said[0].startswith("Вибачте, я вас не почув. Житлова субсидія — 1.")
    streamed(again, f"{PUBLIC_URL}/twilio/speech?step=3")


def test_a_language_without_its_model_falls_back_to_twilio_s_gather(vosk_client: TestClient, parts: Parts) -> None:
    phone = Phone(vosk_client)
    phone.call()
    heard(parts, phone, 1, digits="2")
    menu = phone.twiml(f"{PUBLIC_URL}/twilio/speech?step=1&ask=language")
    assert menu.first("Connect") is None
    gather = menu.gather
    listen = LISTEN.format(hints=gather.get("hints"), language="ru-RU")
    assert menu.xml == xml(
        f'<Gather action="{PUBLIC_URL}/twilio/gather?step=2" {listen}><Say {RU}>{menu.said[0]}</Say></Gather>'
    )
    assert menu.said[0].startswith(TREE.welcome["ru"]) and "Жилищная субсидия — 1." in menu.said[0]
    # Its answer comes back to the Gather's own webhook and goes on in Russian.
    answer = phone.answer(menu, Digits="0")
    assert answer.first("Enqueue").text == "general-ru"


@pytest.fixture
def sessions(parts: Parts) -> sessionmaker[Session]:
    return parts.sessions


def test_hotline_call_plays_the_media_stream_of_a_vosk_mode_server(speech_server: SpeechServer) -> None:  # noqa: F811
    """The simulator against a real server in `vosk` mode: keys go as `dtmf` frames on the stream,
    silence as silent audio, and the `<Connect action>` takes the call on."""
    out = io.StringIO()
    lines = iter(["1", "say: субсидія", "0"])
    done = simulator.run(speech_server.url, TOKEN, lines, out, queue_rounds=1, account_sid=ACCOUNT)
    heard = out.getvalue()
    assert done == 0, heard
    assert "robot (uk-UA): Оберіть мову: українська — 1." in heard
    assert "Житлова субсидія — 1." in heard  # key 1 went on the stream
    assert "caller says: субсидія (the simulator has no voice for our recogniser: press keys)" in heard
    assert "robot (uk-UA): Вибачте, я вас не почув." in heard  # the silence it streamed instead
    assert "-- in the queue general-uk" in heard and heard.rstrip().endswith("s")
