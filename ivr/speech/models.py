"""Vosk models: one per language per process, loaded once at start from explicit paths.

`Model(lang=...)` would go to the network; only `Model(path)` is used. A missing or broken model is
not fatal: its language falls back to keypad and Twilio speech, and `problems` says why.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import vosk

from ivr.speech.grammar import UNKNOWN_TOKENS

log = logging.getLogger(__name__)
# Kaldi's own logging goes to stderr; -1 keeps its warnings, drops the chatter of every recogniser.
vosk.SetLogLevel(-1)


@dataclass(frozen=True)
class LoadedModel:
    """A model with what grammars need from it: its words and its unknown-word token."""

    lang: str
    path: Path
    model: vosk.Model

    def knows(self, word: str) -> bool:
        return bool(self.model.vosk_model_find_word(word) >= 0)

    @functools.cached_property
    def unknown_token(self) -> str | None:
        return next((token for token in UNKNOWN_TOKENS if self.knows(token)), None)


@dataclass(frozen=True)
class SpeechModels:
    """The models that loaded, by language, and for the others the reason they did not."""

    loaded: Mapping[str, LoadedModel] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)

    def get(self, lang: str) -> LoadedModel | None:
        return self.loaded.get(lang)


# The Kaldi graph is read-only and shared by every recogniser; a second app in the same process
# (tests, `hotline serve --reload`) must not load another half gigabyte of the same file.
@functools.cache
def _model(path: Path) -> vosk.Model:
    return vosk.Model(str(path))


def load(paths: Mapping[str, Path | None]) -> SpeechModels:
    """Load each language's model from its path; a language without one is listed with the reason."""
    loaded: dict[str, LoadedModel] = {}
    problems: dict[str, str] = {}
    for lang, path in paths.items():
        setting = f"HOTLINE_VOSK_MODEL_PATH_{lang.upper()}"
        if path is None:
            problems[lang] = f"{setting} is not set"
        elif not (path / "am").is_dir() and not (path / "final.mdl").exists():
            problems[lang] = f"no Vosk model at {path} ({setting})"
        else:
            try:
                loaded[lang] = LoadedModel(lang, path, _model(path.resolve()))
            except Exception as exc:  # Kaldi reports only "Failed to create a model"; say where
                problems[lang] = f"the model at {path} failed to load: {exc}"
    for lang, problem in problems.items():
        log.warning("speech recognition for %s falls back to keypad and Twilio speech: %s", lang, problem)
    for lang, model in loaded.items():
        log.info("Vosk model for %s loaded from %s (unknown-word token %s)", lang, model.path, model.unknown_token)
    return SpeechModels(loaded=loaded, problems=problems)
