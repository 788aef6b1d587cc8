"""A caller for tests: webhook posts signed with the twilio library's RequestValidator, as Twilio signs them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from hotline import conversation_log
from hotline.conversation_log import Conversation, ConversationEvent
from tests.ivr.twiml_check import checked

TOKEN = "test-auth-token"
ACCOUNT = "AC" + "1" * 32
PUBLIC_URL = "https://hotline.example.org"
ALWAYS_OPEN = "mon-sun 00:00-23:59:59.999999"


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class Doc:
    """A TwiML answer, checked against the schema, with the bits tests look at."""

    xml: str
    root: Any = field(init=False)
    wait: bool = False

    def __post_init__(self) -> None:
        self.root = checked(self.xml, wait=self.wait)

    @property
    def said(self) -> list[str]:
        return [say.text for say in self.root.iter("Say")]

    @property
    def gather(self) -> Any:
        return next(self.root.iter("Gather"))

    def first(self, tag: str) -> Any:
        return next(self.root.iter(tag), None)

    def tags(self) -> list[str]:
        return [element.tag for element in self.root.iter() if isinstance(element.tag, str)]


@dataclass
class Phone:
    """One call: its CallSid and number, posting through a TestClient to the public URLs of the TwiML."""

    client: Any
    sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    number: str = "+380501112233"

    def params(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        base = {
            "CallSid": self.sid,
            "AccountSid": ACCOUNT,
            "From": self.number,
            "To": "+380612223344",
            "CallStatus": "in-progress",
            "ApiVersion": "2010-04-01",
            "Direction": "inbound",
        }
        return {**base, **(extra or {})}

    def post(self, url: str, extra: dict[str, str] | None = None, *, signature: str | None = None) -> httpx.Response:
        url = url if url.startswith("http") else PUBLIC_URL + url
        params = self.params(extra)
        headers = {"X-Twilio-Signature": sign(url, params) if signature is None else signature}
        response: httpx.Response = self.client.post(url, data=params, headers=headers)
        return response

    def twiml(self, url: str, extra: dict[str, str] | None = None, *, wait: bool = False) -> Doc:
        response = self.post(url, extra)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        return Doc(response.text, wait=wait)

    def call(self) -> Doc:
        return self.twiml("/twilio/voice")

    def answer(self, doc: Doc, **form: str) -> Doc:
        """Answer the document's Gather (keys, words or silence) the way Twilio posts it."""
        return self.twiml(doc.gather.get("action"), form)


EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def xml(body: str) -> str:
    """A whole TwiML document as the twilio library writes it."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


def events_of(sessions: sessionmaker[Session], phone: Phone) -> list[ConversationEvent]:
    """The call's conversation log, after checking the call is a phone conversation keyed by its CallSid."""
    with sessions() as session:
        conversation = session.scalars(select(Conversation).where(Conversation.external_id == phone.sid)).one()
        assert conversation.channel == "phone"
        return conversation_log.events(session, conversation_id=conversation.id)
