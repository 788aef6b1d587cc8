"""When a caller's turn is over (pure: counted in audio, not on a clock), and a menu's grammar."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ivr.speech import grammar
from ivr.speech.listening import Decision, End, Heard, Hearing, Limits, TurnClock, whole_answers
from ivr.speech.models import LoadedModel, load

LIMITS = Limits(no_speech_ms=6000, silence_ms=400, pause_ms=1500, max_ms=20000)


def guess(text: str | None) -> list[Hearing]:
    return [Hearing(partial=text)]


def test_nothing_said_ends_the_turn_at_the_no_speech_limit() -> None:
    clock = TurnClock(LIMITS)
    assert clock.after(guess(""), 5980, quiet_ms=5980) == Decision()
    assert clock.after(guess("<UNK>"), 5990, quiet_ms=0) == Decision()  # noise decoded as the unknown word
    assert clock.after(guess(None), 6000, quiet_ms=10) == Decision(End.NO_SPEECH)


def test_the_first_words_barge_in_once_and_an_utterance_with_words_ends_the_turn() -> None:
    clock = TurnClock(LIMITS)
    assert clock.after(guess("네"), 800, quiet_ms=0) == Decision(barge_in=True)
    assert clock.after(guess("네 오"), 900, quiet_ms=0) == Decision()
    assert clock.after([Hearing(final=Heard("<UNK>"))], 1000, quiet_ms=0) == Decision()  # noise closed as an utterance
    final = Heard("네 오", 0.8)
    assert clock.after([Hearing(final=final)], 1100, quiet_ms=100) == Decision(End.SPEECH, final)


def test_a_quiet_line_after_words_ends_the_turn() -> None:
    clock = TurnClock(LIMITS)
    clock.after(guess(None), 300, quiet_ms=0)
    assert clock.after(guess("네"), 400, quiet_ms=100).barge_in  # the recogniser's guess lags the sound
    assert clock.after(guess(None), 699, quiet_ms=399) == Decision()
    assert clock.after(guess(None), 700, quiet_ms=400) == Decision(End.SILENCE)


def test_a_whole_answer_of_the_menu_needs_a_shorter_quiet_line() -> None:
    clock = TurnClock(LIMITS)
    assert clock.after([Hearing(partial="네", answer=True)], 400, quiet_ms=0).barge_in
    assert clock.after([], 649, quiet_ms=249) == Decision()  # between the recogniser's pieces: time and quiet only
    assert clock.after([], 650, quiet_ms=250) == Decision(End.SILENCE)


def test_a_guess_that_a_longer_answer_begins_with_waits_for_the_full_quiet_line() -> None:
    clock = TurnClock(LIMITS)
    clock.after([Hearing(partial="네", answer=True)], 400, quiet_ms=0)
    assert clock.after([Hearing(partial="네 오", answer=False)], 600, quiet_ms=0) == Decision()
    assert clock.after([], 900, quiet_ms=300) == Decision()
    assert clock.after([], 1000, quiet_ms=400) == Decision(End.SILENCE)


def test_whole_answers_are_the_phrases_no_other_phrase_begins_with() -> None:
    menu = '["по русски", "по", "русский", "на русском", "на", "<UNK>", "[unk]"]'
    assert whole_answers(menu) == {"по русски", "русский", "на русском"}


def test_a_quiet_line_before_any_words_is_not_the_end() -> None:
    clock = TurnClock(LIMITS)
    assert clock.after(guess(""), 3000, quiet_ms=3000) == Decision()


def test_on_a_line_never_quiet_a_guess_that_stops_changing_ends_the_turn() -> None:
    clock = TurnClock(LIMITS)
    assert clock.after(guess("하나"), 5000, quiet_ms=0).barge_in  # not cut off by the no-speech limit
    assert clock.after(guess("하나 둘"), 6500, quiet_ms=0) == Decision()
    assert clock.after(guess(None), 7999, quiet_ms=0) == Decision()  # no guess asked: nothing changed
    assert clock.after(guess("하나 둘"), 8000, quiet_ms=0) == Decision(End.PAUSE)


def test_a_caller_still_talking_at_the_limit_is_stopped() -> None:
    clock = TurnClock(LIMITS)
    for ms in range(1000, 20000, 1000):
        assert clock.after(guess(f"말 {ms}"), ms, quiet_ms=0).end is None
    assert clock.after(guess("말 끝"), 20000, quiet_ms=0).end is End.TIME_LIMIT


def test_the_first_ear_with_words_wins() -> None:
    clock = TurnClock(LIMITS)
    ru = Heard("네", 1.0)
    assert clock.after([Hearing(final=Heard("")), Hearing(final=ru)], 900, quiet_ms=0) == Decision(End.SPEECH, ru)


def test_words_are_written_as_a_recogniser_writes_them() -> None:
    assert grammar.words("Сім'ї з дітьми — 3.") == ["сім'ї", "з", "дітьми"]
    assert grammar.words("З’єднайте, будь ласка!") == ["з'єднайте", "будь", "ласка"]


@pytest.fixture(scope="module")
def korean(model_path: Path) -> LoadedModel:
    model = load({"uk": model_path}).get("uk")
    assert model is not None
    return model


def test_a_grammar_keeps_the_models_words_and_logs_the_rest(korean: LoadedModel, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="ivr.speech.grammar"):
        menu = grammar.build(["하나 둘", "하나 둘", "субсидія 셋", "Фахівець"], korean, name="test")
    assert menu.phrases == ("하나 둘", "셋")
    assert menu.dropped == ("субсидія", "фахівець")
    assert "grammar test: 2 words not in the model's vocabulary dropped: субсидія фахівець" in caplog.text
    # Vosk does not decode \\u escapes: the JSON carries the letters themselves.
    assert menu.to_json(korean.unknown_token) == '["하나 둘", "셋", "<UNK>"]'
    assert json.loads(menu.to_json(None)) == ["하나 둘", "셋"]


def test_the_unknown_word_token_is_the_models_own(korean: LoadedModel) -> None:
    assert korean.unknown_token == "<UNK>"  # Vosk's own models use [unk]; this repack does not
    assert korean.knows("하나") and not korean.knows("пенсія")
