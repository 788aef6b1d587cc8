"""An engine reply as a chat shows it: its parts in reading order, without any keypad wording.

The options become the channel's buttons; a key ("1", "#") means nothing in a chat and is never shown.
"""

from __future__ import annotations

from intents.engine import Reply


def written(reply: Reply, *, short: bool = False, person: bool = True) -> str:
    """The greeting, the apology, the text (the long form unless `short`), and the promise of a person when
    one really comes (`person`), or the office's words when nobody can come now."""
    text = reply.text if short else reply.text_long or reply.text
    nobody = reply.unavailable.words if reply.unavailable else ""
    parts = (reply.greeting, reply.sorry, text, reply.promise if person else "", nobody)
    return "\n\n".join(part for part in parts if part)
