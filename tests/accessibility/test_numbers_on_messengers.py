"""On Viber (and Telegram) the phone numbers in answers stay plain text, whole inside one message: the
messenger's own app makes them tappable. Only the web chat draws its own call buttons."""

from __future__ import annotations

import re

from channels.viber import render
from channels.viber.wire import Look
from intents.engine import Reply
from intents.pack import DEMO_PACK, load_pack

NUMBER = re.compile(r"\b0 800 \d{3} \d{3}\b|\b1545\b|\b112\b")


def test_viber_sends_the_numbers_as_written_for_its_app_to_link() -> None:
    tree = load_pack(DEMO_PACK)
    for slug in ("fraud_warning", "crisis"):
        text = tree.index[slug].text("uk").long
        written = NUMBER.findall(text)
        assert written, slug
        out = render.messages([Reply(text="", text_long=text)], "uk", Look(name="Соцзахист"), receiver="u", turn="t")
        sent = "\n".join(message.body["text"] for message in out)
        assert NUMBER.findall(sent) == written  # every number whole, in order, inside one message
        assert "tel:" not in sent and "<a" not in sent
