"""Every TwiML document the phone tests see is checked here: the extended schema, then what it cannot say."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "twiml_schema" / "TwiML.xsd")))
# Voices Twilio has for each language (Polly has no Ukrainian voice).
VOICES = {
    "uk-UA": re.compile(r"Google\.uk-UA-(Standard|Wavenet)-[A-Z]"),
    "ru-RU": re.compile(r"Polly\.(Tatyana|Maxim)|Google\.ru-RU-(Standard|Wavenet)-[A-Z]"),
}
# What Twilio runs in a waitUrl document.
WAIT_VERBS = {"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"}
MAX_DOCUMENT = 64 * 1024
MAX_SAY = 4000


def checked(xml: str, *, wait: bool = False) -> etree._Element:
    """The parsed document, or an assertion error saying what Twilio would not take."""
    assert len(xml.encode()) < MAX_DOCUMENT, "TwiML over Twilio's 64 kB"
    root = etree.fromstring(xml.encode())
    if not SCHEMA.validate(root):
        raise AssertionError(f"TwiML against the schema: {SCHEMA.error_log}\n{xml}")
    for say in root.iter("Say"):
        language, voice = say.get("language"), say.get("voice") or ""
        assert language in VOICES, f"<Say> without a supported language: {language!r}"
        assert VOICES[language].fullmatch(voice), f"no voice {voice!r} for {language}"
        assert 0 < len(say.text or "") <= MAX_SAY, "an empty or too long <Say>"
    for gather in root.iter("Gather"):
        if "speech" in (gather.get("input") or ""):
            assert gather.get("language") in VOICES, "a speech <Gather> without its language"
    if wait:
        assert {child.tag for child in root} <= WAIT_VERBS, f"verbs Twilio does not run while waiting: {xml}"
    return root
