"""The media stream end to end: Twilio's frames over a real WebSocket into Vosk, the turn's end, and
the `<Connect action>` webhook feeding what was heard to the engine."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from hotline.conversation_log import ConversationEvent
from intents.pack import DEMO_PACK, load_pack
from ivr.line import phone_of
from ivr.speech.codec import Media, Start
from ivr.speech.line import speech_of
from ivr.speech.listening import Decision, Ear, End
from ivr.speech.store import Listen, Listener
from ivr.speech.stream import Session
from ivr.speech.twilio_side import TwilioStream
from tests.ivr.phone import Doc, Phone, events_of
from tests.speech.audio import Audio, read_directly
from tests.speech.calls import Question, menu_turn, play, question
from tests.speech.conftest import NO_SPEECH, SpeechServer

# Korean words the test model knows; espeak-ng's robotic voice is understood for a few of them.
MENU = ("하나", "둘", "셋", "넷", "다섯", "오", "네", "예", "아니요")
NOT_HEARD = "Вибачте, я вас не почув."
POLICY_VIOLATION = 1008


def in_menu(server: SpeechServer) -> tuple[Phone, str]:
    """A call answered and taken into the Ukrainian top menu through the voice webhooks (step 2)."""
    phone = Phone(server.http)
    phone.twiml(f"{server.url}/twilio/voice")
    phone.twiml(f"{server.url}/twilio/gather?step=1", {"Digits": "1"})
    record = phone_of(server.parts).calls.find(phone.sid)
    assert record is not None
    return phone, record.conversation_id


def ask_menu(server: SpeechServer, *, open_question: bool = False) -> tuple[Phone, Question, TwilioStream]:
    """The top menu asked through our recogniser: the menu's words, or (open) the full vocabulary."""
    phone, conversation_id = in_menu(server)
    tree = load_pack(DEMO_PACK) if open_question else None
    turn = menu_turn(conversation_id, 2, tree=tree, top=open_question)
    q = question(speech_of(server.parts).ask(turn, ["Оберіть розділ."], MENU).to_xml())
    return phone, q, TwilioStream(call_sid=phone.sid)


def grammar_of(server: SpeechServer, q: Question) -> str | None:
    """The grammar the question's stream will use, as stored with its TwiML."""
    line = speech_of(server.parts)
    raw = line.store.client.get(f"{line.store.prefix}:speech:listen:{q.parameters['token']}")
    [listener] = json.loads(raw)["listeners"]
    grammar: str | None = listener["grammar"]
    return grammar


def direct(server: SpeechServer, q: Question, audio: Audio) -> str:
    model = speech_of(server.parts).models.get("uk")
    assert model is not None
    return read_directly(model.model, grammar_of(server, q), audio.pcm)


def frames(audio: Audio, *tail: Callable[[TwilioStream], str]) -> Callable[[TwilioStream], list[str]]:
    return lambda twilio: [*twilio.media(audio.ulaw), *(frame(twilio) for frame in tail)]


def reaches_engine(server: SpeechServer, phone: Phone, q: Question) -> tuple[Doc, ConversationEvent]:
    """Twilio's request to the `<Connect action>`, and the caller's input the engine logged for it."""
    doc = phone.twiml(q.action)
    inputs = [e for e in events_of(server.parts.sessions, phone) if e.kind.startswith("citizen_")]
    return doc, inputs[-1]


def test_a_menu_answer_reaches_the_engine_as_vosk_reads_it_directly(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server)
    audio = say("네").then_silence(2)
    expected = direct(server, q, audio)
    played = play(q.stream, q.parameters, frames(audio), twilio)
    doc, heard = reaches_engine(server, phone, q)
    assert played.close_code == 1000  # the server ended the turn at the end of the utterance
    assert expected and heard.kind == "citizen_speech" and heard.text == expected
    assert 0 < heard.data["confidence"] <= 1
    # Barge-in: the caller's first words cleared whatever was still queued to be played to them.
    assert played.received == [{"event": "clear", "streamSid": twilio.stream_sid}]
    assert doc.said  # the engine answered (the Korean word matches no intent: it asks to rephrase)


def test_an_open_question_uses_the_full_vocabulary_and_matches_the_direct_reading(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server, open_question=True)
    assert grammar_of(server, q) is None
    audio = say("오늘 날씨").then_silence(1)
    expected = direct(server, q, audio)
    played = play(q.stream, q.parameters, frames(audio), twilio)
    _, heard = reaches_engine(server, phone, q)
    assert played.close_code == 1000
    assert len(expected.split()) > 1 and heard.text == expected


def test_a_key_ends_the_turn_and_reaches_the_engine_as_the_key(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server)
    played = play(q.stream, q.parameters, frames(say("하나"), lambda t: t.dtmf("1")), twilio)
    doc, heard = reaches_engine(server, phone, q)
    assert played.close_code == 1000
    assert (heard.kind, heard.text) == ("citizen_digit", "1")
    assert "Житлова субсидія" in " ".join(doc.said)  # key 1 of the demo menu


def test_stop_ends_the_turn_with_what_was_heard_so_far(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server)
    audio = say("아니요")  # no silence after it: the stream stops before any end of utterance
    expected = direct(server, q, audio)
    played = play(q.stream, q.parameters, frames(audio, lambda t: t.stop()), twilio)
    _, heard = reaches_engine(server, phone, q)
    assert played.close_code == 1000
    assert expected and heard.text == expected


def test_silence_gets_the_prompt_again(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server)
    silence = Audio(b"", b"").then_silence(NO_SPEECH + 0.5)
    played = play(q.stream, q.parameters, frames(silence), twilio)
    doc, heard = reaches_engine(server, phone, q)
    assert played.close_code == 1000 and played.received == []
    assert heard.kind == "citizen_no_input"
    assert doc.said[0].startswith(NOT_HEARD) and "Житлова субсидія — 1." in doc.said[0]


def test_four_concurrent_calls_stay_independent(server: SpeechServer, say) -> None:
    words = ("네", "오", "예", "아니요")
    calls = [ask_menu(server) for _ in words]
    audios = [say(word).then_silence(2) for word in words]
    expected = [direct(server, q, audio) for (_, q, _), audio in zip(calls, audios, strict=True)]
    assert len(set(expected)) >= 3, expected  # different answers, so a mix-up would show

    def run(index: int) -> str:
        phone, q, twilio = calls[index]
        play(q.stream, q.parameters, frames(audios[index]), twilio)
        return reaches_engine(server, phone, q)[1].text

    with ThreadPoolExecutor(max_workers=len(words)) as pool:
        heard = list(pool.map(run, range(len(words))))
    assert heard == expected


def test_a_stream_without_a_token_from_our_twiml_is_refused(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server)
    forged = play(q.stream, {**q.parameters, "token": "forged"}, frames(say("네")), twilio)
    assert forged.close_code == POLICY_VIOLATION
    first = play(q.stream, q.parameters, frames(say("네").then_silence(2)), twilio)
    replayed = play(q.stream, q.parameters, frames(say("네")), TwilioStream(call_sid=phone.sid))
    assert (first.close_code, replayed.close_code) == (1000, POLICY_VIOLATION)


@pytest.mark.parametrize(
    "frame",
    ["not json", "[1, 2]", '{"event": "media", "media": {"payload": "%%%"}}', '{"event": "future-event"}', b"\x00\x01"],
)
def test_frames_we_do_not_understand_are_skipped(server: SpeechServer, say, frame: str | bytes) -> None:
    phone, q, twilio = ask_menu(server)
    audio = say("네").then_silence(2)
    expected = direct(server, q, audio)
    played = play(q.stream, q.parameters, lambda t: [frame, *t.media(audio.ulaw)], twilio)
    _, heard = reaches_engine(server, phone, q)
    assert played.close_code == 1000 and heard.text == expected


def test_a_caller_who_hangs_up_mid_answer_leaves_what_was_heard(server: SpeechServer, say) -> None:
    phone, q, twilio = ask_menu(server)
    audio = say("아니요")
    expected = direct(server, q, audio)
    with connect(q.stream, open_timeout=30) as socket:  # Twilio goes away without a `stop`
        for frame in [twilio.connected(), twilio.start(q.parameters), *twilio.media(audio.ulaw)]:
            socket.send(frame)
    _, heard = reaches_engine(server, phone, q)  # the action waits for the outcome being written
    assert heard.text == expected


def test_a_socket_that_never_starts_is_simply_closed(server: SpeechServer) -> None:
    with connect(server.stream_url, open_timeout=30) as socket:
        socket.send(TwilioStream().connected())
    with connect(server.stream_url, open_timeout=30) as socket:
        socket.send(TwilioStream().start({"token": "", "step": "1"}))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == POLICY_VIOLATION


def test_the_connect_action_must_be_signed_by_twilio(server: SpeechServer) -> None:
    phone, q, _ = ask_menu(server)
    refused = phone.post(q.action, signature="forged")
    assert refused.status_code == 403 and "X-Twilio-Signature" in refused.json()["message"]


def test_the_language_question_asked_twice_in_silence_takes_the_caller_on_in_ukrainian(server: SpeechServer) -> None:
    phone = Phone(server.http)
    phone.twiml(f"{server.url}/twilio/voice")
    silence = Audio(b"", b"").then_silence(NO_SPEECH + 0.5)
    for step in (1, 2):  # the answer to a language question asked again carries ask=language, as a Gather's does
        q = question(speech_of(server.parts).language_question(step).to_xml())
        assert q.action.endswith(f"/twilio/speech?step={step}&ask=language")
        play(q.stream, q.parameters, frames(silence), TwilioStream(call_sid=phone.sid))
        doc = phone.twiml(q.action)
    menu = question(doc.xml)  # the menu, asked through our recogniser too
    assert menu.action.endswith("/twilio/speech?step=3") and doc.first("Say").get("language") == "uk-UA"
    assert "Житлова субсидія — 1." in " ".join(menu.said)


def test_a_call_in_vosk_mode_from_the_first_webhook_to_the_engines_answer(server: SpeechServer, say) -> None:
    """The phone line's own webhooks choose the stream: the language question and the menu are
    `<Connect><Stream>`, a key on the stream answers one, the caller's words the other."""
    phone = Phone(server.http)
    first = phone.twiml(f"{server.url}/twilio/voice")
    language = question(first.xml)
    assert first.first("Gather") is None and language.action.endswith("/twilio/speech?step=1&ask=language")
    assert language.stream == server.stream_url
    pressed = play(language.stream, language.parameters, lambda t: [t.dtmf("1")], TwilioStream(call_sid=phone.sid))
    assert pressed.close_code == 1000
    menu_doc = phone.twiml(language.action)
    menu = question(menu_doc.xml)
    assert menu_doc.first("Say").get("language") == "uk-UA" and "Житлова субсидія — 1." in " ".join(menu.said)
    assert menu.action.endswith("/twilio/speech?step=2") and grammar_of(server, menu) is None  # an open question
    audio = say("오늘 날씨").then_silence(1)
    expected = direct(server, menu, audio)
    twilio = TwilioStream(call_sid=phone.sid)
    played = play(menu.stream, menu.parameters, frames(audio), twilio)
    answer, heard = reaches_engine(server, phone, menu)
    assert played.close_code == 1000 and played.received == [{"event": "clear", "streamSid": twilio.stream_sid}]
    assert expected and (heard.kind, heard.text) == ("citizen_speech", expected)
    # Korean words match no intent: the engine asks again, through the stream, at the next step.
    again = question(answer.xml)
    assert again.action.endswith("/twilio/speech?step=3") and again.said


async def test_a_hearing_whose_wait_is_cut_short_ends_before_the_turn_s_outcome_reads_the_same_ears(
    server: SpeechServer, say
) -> None:
    """The idle timeout cancels the wait for a hearing, not the hearing in its thread: the outcome's last
    reading waits for it (one Kaldi recogniser in two threads at once aborts the whole process) and reads
    what a hearing left whole then finished would."""
    line = speech_of(server.parts)
    model = line.models.get("uk")
    assert model is not None
    audio = say("하나 둘 셋 넷 다섯")
    speech = Media(audio.ulaw * 8, 0)  # long enough to keep a thread busy while the wait is cancelled
    alone = Ear("uk", model.model, None)
    whole = await asyncio.to_thread(lambda: (alone.hear(audio.pcm * 8), alone.finish()))
    listen = Listen(step=2, listeners=(Listener("uk", None),))
    start = Start(stream_sid="MZ" + "0" * 32, call_sid="CA" + "0" * 32, account_sid="AC" + "0" * 32)
    session = Session(line, start, listen, [Ear("uk", model.model, None)])
    hearing = asyncio.create_task(session.hear(speech))
    deadline = time.monotonic() + 30
    while not session.ears_busy.locked():  # the hearing is in its thread
        assert time.monotonic() < deadline and not hearing.done(), "the hearing never reached its thread"
        await asyncio.sleep(0.01)
    hearing.cancel()  # as `_listen`'s idle timeout does
    with pytest.raises(asyncio.CancelledError):
        await hearing
    outcome = await session.outcome(Decision(End.STOP))
    assert whole[1].has_words  # so an outcome that lost the hearing's audio reads differently
    assert outcome.end == End.STOP and outcome.transcript == whole[1].text
