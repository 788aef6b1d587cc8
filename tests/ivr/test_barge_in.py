"""Barge-in in `vosk` mode with Twilio's REST API: a question forks the caller's audio to our recogniser
(`<Start><Stream>`) while its prompt plays inside a keys-only `<Gather>`; the first words stop the prompt
and the end of the utterance redirects the call, both through the REST API (the local fake of it).

Real parts: the app under uvicorn with the Korean Vosk model, espeak-ng audio sent as Twilio frames over a
real WebSocket, webhooks signed as Twilio signs them, and the fake Twilio API over real HTTP."""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ivr import simulator
from ivr.line import phone_of
from ivr.speech import twiml
from ivr.speech.line import speech_of
from ivr.speech.listening import FORK_NO_SPEECH_MS, Decision, End, Hearing, Limits, TurnClock
from ivr.speech.steering import REST_TIMEOUT_SECONDS
from ivr.speech.store import Outcome, SpeechStore
from ivr.speech.twilio_side import TwilioStream
from tests.fakes.twilio_api import FakeTwilioApi
from tests.helpers import free_port
from tests.ivr.phone import ACCOUNT, TOKEN, Doc, Phone, events_of, xml
from tests.speech.audio import Audio, read_directly
from tests.speech.calls import menu_turn
from tests.speech.conftest import NO_SPEECH, SpeechServer, model_path, running, say, speech_settings  # noqa: F401

UK = 'language="uk-UA" voice="Google.uk-UA-Standard-A"'
RU = 'language="ru-RU" voice="Google.ru-RU-Standard-A"'
MENU = ("하나", "둘", "셋", "넷", "다섯", "오", "네", "예", "아니요")  # Korean words the test model knows
NOT_HEARD = "Вибачте, я вас не почув."
# The safety net waits for our redirect: the turn's limit (20 s by default) and a margin of 10 s.
NET_SECONDS = 30
XML = '<?xml version="1.0" encoding="UTF-8"?>'
Speaker = Callable[[str], Audio]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilioApi]:
    api = FakeTwilioApi(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    model_path: Path,  # noqa: F811 (the fixture imported above)
    fake: FakeTwilioApi,
) -> Iterator[SpeechServer]:
    """The app in `vosk` mode with Twilio's REST API (the fake) configured: questions are forked."""
    port = free_port()
    settings = speech_settings(
        tmp_path_factory.mktemp("barge-in"),
        redis_url,
        f"http://127.0.0.1:{port}",
        twilio_account_sid=ACCOUNT,
        twilio_api_url=fake.url,
        vosk_model_path_uk=model_path,
        vosk_model_path_ru=model_path,
        asr_no_speech_seconds=NO_SPEECH,
    )
    with running(settings, port) as served:
        yield served


@dataclass(frozen=True)
class Fork:
    """A forked question: the stream Twilio opens, and the action its Gather and Redirect go to."""

    doc: Doc
    stream: str
    name: str
    parameters: dict[str, str]
    action: str


def forked(doc: Doc) -> Fork:
    start, gather, redirect = (doc.root.find(tag) for tag in ("Start", "Gather", "Redirect"))
    assert start is not None and gather is not None and redirect is not None, doc.xml
    stream = start.find("Stream")
    parameters = {p.get("name"): p.get("value") for p in stream.iter("Parameter")}
    assert gather.get("input") == "dtmf" and gather.get("action") == redirect.text and doc.first("Connect") is None
    return Fork(doc, stream.get("url"), stream.get("name"), parameters, str(redirect.text))


def stops_first(doc: Doc, name: str) -> None:
    """The answer to a forked question's action begins by ending its fork."""
    first = doc.root[0]
    assert first.tag == "Stop" and [s.get("name") for s in first] == [name], doc.xml


class TwilioFork:
    """Twilio's side of a fork: the call's audio as frames, and the `stop` Twilio sends at `<Stop>`."""

    def __init__(self, fork: Fork, phone: Phone) -> None:
        self.twilio = TwilioStream(call_sid=phone.sid, account_sid=ACCOUNT)
        self.opened = ExitStack()
        self.socket: ClientConnection = self.opened.enter_context(connect(fork.stream, open_timeout=30))
        self.socket.send(self.twilio.connected())
        self.socket.send(self.twilio.start(fork.parameters))

    def send(self, audio: Audio) -> None:
        for frame in self.twilio.media(audio.ulaw):
            self.socket.send(frame)

    def closed(self, *, stop: bool) -> int | None:
        """Send `stop` (unless the server closes on its own) and read until the server closes: its code."""
        try:
            if stop:
                self.socket.send(self.twilio.stop())
            while True:
                self.socket.recv(timeout=60)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        finally:
            self.opened.close()


def until(check: Callable[[], bool], what: str) -> None:
    """Wait for what the server does on its own time (its REST requests); no speed is asserted."""
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def in_menu(server: SpeechServer) -> tuple[Phone, str]:
    """A call answered, its language chosen with key 1 in the language question's Gather (step 2 next)."""
    phone = Phone(server.http)
    language = forked(phone.twiml(f"{server.url}/twilio/voice"))
    menu = phone.twiml(language.action, {"Digits": "1"})
    stops_first(menu, "listen-1")
    record = phone_of(server.parts).calls.find(phone.sid)
    assert record is not None
    return phone, record.conversation_id


def ask_menu(server: SpeechServer) -> tuple[Phone, Fork]:
    """The menu at step 2 asked through our recogniser, with a grammar of Korean words."""
    phone, conversation_id = in_menu(server)
    doc = Doc(speech_of(server.parts).ask(menu_turn(conversation_id, 2), ["Оберіть розділ."], MENU).to_xml())
    return phone, forked(doc)


def direct(server: SpeechServer, fork: Fork, audio: Audio) -> str:
    """What Vosk reads from the audio on its own, with the grammar stored for the fork's stream."""
    line = speech_of(server.parts)
    stored = line.store.client.get(f"{line.store.prefix}:speech:listen:{fork.parameters['token']}")
    assert stored is not None
    [listener] = json.loads(stored)["listeners"]
    model = line.models.get("uk")
    assert model is not None
    return read_directly(model.model, listener["grammar"], audio.pcm)


def on(server: SpeechServer, phone: Phone, step: int) -> None:
    """Wait until the stream of `step` has started listening (its `start` read by the server)."""
    store = speech_of(server.parts).store
    key = f"{store.prefix}:speech:heard:{phone.sid}:{step}"
    until(lambda: store.client.get(key) == "listening", "the stream's start")


def inputs(server: SpeechServer, phone: Phone) -> list[tuple[str, str]]:
    return [(e.kind, e.text) for e in events_of(server.parts.sessions, phone) if e.kind.startswith("citizen_")]


def test_a_question_forks_the_callers_audio_over_a_prompt_that_keys_interrupt(server: SpeechServer) -> None:
    assert server.http.get(f"{server.url}/readyz").json()["checks"]["speech"] == (
        "vosk (ru, uk), forked over the prompt (barge-in)"
    )
    phone = Phone(server.http)
    doc = phone.twiml(f"{server.url}/twilio/voice")  # checked against the TwiML schema
    fork = forked(doc)
    action = f"{server.url}/twilio/speech?step=1&amp;ask=language"
    assert doc.xml == xml(
        f'<Start><Stream name="listen-1" url="{server.stream_url}">'
        f'<Parameter name="token" value="{fork.parameters["token"]}" /><Parameter name="step" value="1" />'
        "</Stream></Start>"
        f'<Gather action="{action}" finishOnKey="" input="dtmf" method="POST" numDigits="1" timeout="{int(NO_SPEECH)}">'
        f"<Say {UK}>Оберіть мову: українська — 1.</Say>"
        f"<Say {RU}>Выберите язык: русский — 2.</Say>"
        "</Gather>"
        f'<Redirect method="POST">{action}</Redirect>'
    )


def test_the_first_words_stop_the_prompt_and_the_end_of_the_utterance_redirects_to_the_engine(
    server: SpeechServer,
    fake: FakeTwilioApi,
    say: Speaker,  # noqa: F811 (the fixture imported above)
) -> None:
    phone, fork = ask_menu(server)
    audio = say("네").then_silence(2)
    expected = direct(server, fork, audio)
    line = TwilioFork(fork, phone)
    line.send(audio)
    until(lambda: len(fake.twiml_for(phone.sid)) == 2, "the prompt's stop and the redirect")
    action = fork.action.replace("&", "&amp;")
    assert fake.twiml_for(phone.sid) == [
        f'{XML}<Response><Gather action="{action}" finishOnKey="" input="dtmf" method="POST" numDigits="1" '
        f'timeout="{NET_SECONDS}" /><Redirect method="POST">{action}</Redirect></Response>',
        f'{XML}<Response><Redirect method="POST">{action}</Redirect></Response>',
    ]
    # Twilio follows the redirect: a signed request to the action; its answer first stops the fork.
    answer = phone.twiml(fork.action)
    stops_first(answer, "listen-2")
    assert expected and inputs(server, phone)[-1] == ("citizen_speech", expected)
    assert forked(answer).name == "listen-3"  # the engine asks again (Korean matches no intent), forked too
    assert line.closed(stop=True) == 1000
    # Twilio retries the action: the same answer, the engine moved once.
    assert phone.twiml(fork.action).said == answer.said
    assert [kind for kind, _ in inputs(server, phone)].count("citizen_speech") == 1


def test_a_key_in_the_gather_ends_the_turn_and_the_stream_hears_no_more(
    server: SpeechServer,
    fake: FakeTwilioApi,
    say: Speaker,  # noqa: F811 (the fixture imported above)
) -> None:
    phone, fork = ask_menu(server)
    line = TwilioFork(fork, phone)
    line.send(Audio(b"", b"").then_silence(1))
    on(server, phone, 2)
    answer = phone.twiml(fork.action, {"Digits": "1"})  # the prompt's Gather took key 1
    stops_first(answer, "listen-2")
    assert inputs(server, phone)[-1] == ("citizen_digit", "1")
    assert "Житлова субсидія" in " ".join(answer.said)
    # Words on the fork before Twilio stops it: the turn is over, so the call is neither stopped nor moved.
    line.send(say("네").then_silence(2))
    assert line.closed(stop=False) == 1000  # the server closed it at the end of those words
    assert fake.twiml_for(phone.sid) == []


def test_a_stream_that_starts_after_its_turn_ended_is_closed_at_once(server: SpeechServer, fake: FakeTwilioApi) -> None:
    phone, fork = ask_menu(server)
    phone.twiml(fork.action, {"Digits": "1"})  # a key at the very start of the prompt, before the fork's `start`
    assert TwilioFork(fork, phone).closed(stop=False) == 1000
    assert fake.twiml_for(phone.sid) == []


def test_silence_past_the_prompt_asks_again(server: SpeechServer, fake: FakeTwilioApi) -> None:
    phone, fork = ask_menu(server)
    line = TwilioFork(fork, phone)
    line.send(Audio(b"", b"").then_silence(NO_SPEECH + 0.5))
    on(server, phone, 2)
    again = phone.twiml(fork.action)  # the Gather timed out with no key: Twilio follows the <Redirect>
    stops_first(again, "listen-2")
    assert again.said[0].startswith(NOT_HEARD) and "Житлова субсидія — 1." in again.said[0]
    assert forked(again).name == "listen-3"
    assert inputs(server, phone)[-1] == ("citizen_no_input", "")
    assert line.closed(stop=True) == 1000
    assert fake.twiml_for(phone.sid) == []


def test_when_twilio_refuses_the_updates_the_call_stays_on_its_safety_net(
    server: SpeechServer,
    fake: FakeTwilioApi,
    say: Speaker,  # noqa: F811 (the fixture imported above)
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone, fork = ask_menu(server)
    audio = say("아니요").then_silence(2)
    expected = direct(server, fork, audio)
    fake.fail_next(503, 20500, "Service unavailable")  # the prompt's stop
    fake.fail_next(400, 21220, "Call is not in-progress. Cannot redirect.")  # the redirect
    line = TwilioFork(fork, phone)
    with caplog.at_level(logging.WARNING, logger="ivr.speech.steering"):
        line.send(audio)
        assert line.closed(stop=False) == 1000  # no redirect, so no `stop` will come: the server closes
    assert len(fake.twiml_for(phone.sid)) == 2 and not fake.failures
    assert "could not stop the prompt: Twilio failed with HTTP 503" in caplog.text
    assert "could not go on at the action: Twilio refused (400, code 21220)" in caplog.text
    # The prompt's Gather (or the safety net) times out and Twilio goes to the action: what was heard stands.
    answer = phone.twiml(fork.action)
    stops_first(answer, "listen-2")
    assert expected and inputs(server, phone)[-1] == ("citizen_speech", expected)


def test_hotline_call_walks_a_line_whose_questions_are_forked(server: SpeechServer, fake: FakeTwilioApi) -> None:
    """The simulator opens each fork, takes keys in its Gather, follows the Redirect in silence, and stops
    the fork when the next document says so."""
    out = io.StringIO()
    lines = iter(["1", "say: субсидія", "0"])
    updates = len(fake.received)
    done = simulator.run(server.url, TOKEN, lines, out, queue_rounds=1, account_sid=ACCOUNT)
    heard = out.getvalue()
    assert done == 0, heard
    assert "robot (uk-UA): Оберіть мову: українська — 1." in heard
    assert "Житлова субсидія — 1." in heard  # key 1 went to the Gather
    assert "caller says: субсидія (the simulator has no voice for our recogniser: press keys)" in heard
    assert "robot (uk-UA): Вибачте, я вас не почув." in heard  # the Gather's silence, then the Redirect
    assert "-- in the queue general-uk" in heard and "does not play" not in heard
    assert len(fake.received) == updates  # a silent caller's call is never moved by the REST API


def test_twilio_s_timeout_meeting_the_first_words_keeps_the_call_listening(
    server: SpeechServer,
    fake: FakeTwilioApi,
    say: Speaker,  # noqa: F811 (the fixture imported above)
) -> None:
    phone, fork = ask_menu(server)
    words, half = say("아니요 아니요 아니요"), 8 * 1200  # the first word is guessed in its first 1.2 s
    expected = direct(server, fork, words.then_silence(2))
    line = TwilioFork(fork, phone)
    line.send(Audio(words.ulaw[:half], b""))  # the caller is mid-sentence
    until(lambda: len(fake.twiml_for(phone.sid)) == 1, "the prompt's stop")
    # The prompt's Gather timed out just as the caller began: the call listens on, the engine is not asked.
    listening = phone.twiml(fork.action)
    assert listening.xml == fake.twiml_for(phone.sid)[0] and inputs(server, phone)[-1] == ("citizen_digit", "1")
    line.send(Audio(words.ulaw[half:], b"").then_silence(2))
    until(lambda: len(fake.twiml_for(phone.sid)) == 2, "the redirect")
    answer = phone.twiml(fork.action)
    stops_first(answer, "listen-2")
    assert expected and inputs(server, phone)[-1] == ("citizen_speech", expected)
    assert line.closed(stop=True) == 1000


def test_a_forked_turn_is_timed_from_the_first_words_and_silence_is_left_to_twilio() -> None:
    limits = Limits(no_speech_ms=6000, silence_ms=400, pause_ms=1500, max_ms=20000).forked()
    clock = TurnClock(limits)
    assert clock.after([Hearing(partial="")], 60_000, quiet_ms=60_000) == Decision()  # a long prompt, then silence
    assert clock.after([Hearing(partial="네")], 61_000, quiet_ms=0).barge_in
    assert clock.after([Hearing(partial="네 오")], 80_900, quiet_ms=0) == Decision()
    assert clock.after([Hearing(partial="네 오 셋")], 81_000, quiet_ms=0) == Decision(End.TIME_LIMIT)
    assert TurnClock(limits).after([], FORK_NO_SPEECH_MS, quiet_ms=FORK_NO_SPEECH_MS) == Decision(End.NO_SPEECH)


def test_a_twilio_that_does_not_answer_is_given_up_on_and_the_safety_net_holds(
    server: SpeechServer,
    fake: FakeTwilioApi,
    say: Speaker,  # noqa: F811 (the fixture imported above)
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone, fork = ask_menu(server)
    audio = say("네").then_silence(2)
    expected = direct(server, fork, audio)
    fake.hang_seconds = REST_TIMEOUT_SECONDS + 2
    try:
        line = TwilioFork(fork, phone)
        with caplog.at_level(logging.WARNING, logger="ivr.speech.steering"):
            line.send(audio)
            assert line.closed(stop=False) == 1000
    finally:
        fake.hang_seconds = 0
    assert len(fake.twiml_for(phone.sid)) == 2
    assert caplog.text.count("Twilio did not answer in time (ReadTimeout); the call stays on its TwiML") == 2
    answer = phone.twiml(fork.action)  # the safety net's own timeout
    assert expected and inputs(server, phone)[-1] == ("citizen_speech", expected)
    stops_first(answer, "listen-2")


def test_a_turn_is_ended_once_by_the_stream_or_by_the_action(redis_client: redis.Redis) -> None:
    store = SpeechStore(redis_client, f"test-{uuid.uuid4().hex[:8]}", 600)
    words, key, silence = (
        Outcome(End.SILENCE, transcript="네", confidence=0.9),
        Outcome(End.DTMF, digits="1"),
        Outcome(End.NO_SPEECH),
    )
    # The stream first: the action reads what it heard.
    assert store.listening("CA1", 2) and store.speaking("CA1", 2, 30) and store.heard("CA1", 2, words)
    assert store.end("CA1", 2, silence, over_speech=False) == words
    # Silence at the action while the caller talks: not the end; a key is, and the stream learns it.
    assert store.listening("CA2", 2) and store.speaking("CA2", 2, 30)
    assert store.end("CA2", 2, silence, over_speech=False) is None
    assert store.end("CA2", 2, key, over_speech=True) == key and not store.heard("CA2", 2, words)
    # Silence before any words; a stream that starts after its turn ended does not listen.
    assert store.end("CA3", 2, silence, over_speech=False) == silence
    assert not store.listening("CA3", 2) and not store.speaking("CA3", 2, 30)


def test_the_actions_answer_stops_the_fork_first_even_when_it_is_empty() -> None:
    assert (
        twiml.with_stop(f"{XML}<Response />", "listen-4")
        == f'{XML}<Response><Stop><Stream name="listen-4" /></Stop></Response>'
    )
    said = f"{XML}<Response><Say>Так</Say></Response>"
    assert (
        twiml.with_stop(said, "listen-4")
        == f'{XML}<Response><Stop><Stream name="listen-4" /></Stop><Say>Так</Say></Response>'
    )
