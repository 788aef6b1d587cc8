"""The Twilio REST client against a local server speaking Twilio's API, over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest

from ivr.twilio_rest import TwilioRefused, TwilioRest, TwilioUnavailable
from tests.fakes.twilio_api import FakeTwilioApi
from tests.helpers import free_port
from tests.queue.conftest import ACCOUNT, TOKEN

CALL = "CA" + "0f" * 16
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>+380441234567</Number></Dial></Response>'


@pytest.fixture
def fake() -> Iterator[FakeTwilioApi]:
    server = FakeTwilioApi(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield server
    server.stop()


def update(base_url: str, *, token: str = TOKEN, timeout: float = 5.0, call: str = CALL) -> dict[str, object]:
    async def run() -> dict[str, object]:
        client = TwilioRest(account_sid=ACCOUNT, auth_token=token, base_url=base_url, timeout=timeout)
        try:
            return await client.update_call(call, TWIML)
        finally:
            await client.aclose()

    return anyio.run(run)


def test_the_call_is_updated_with_the_twiml_and_the_account_s_credentials(fake: FakeTwilioApi) -> None:
    assert update(fake.url)["status"] == "in-progress"
    [received] = fake.received
    assert (received.account_sid, received.call_sid, received.form) == (ACCOUNT, CALL, {"Twiml": TWIML})


def test_twilio_s_refusals_and_failures_are_told_apart(fake: FakeTwilioApi) -> None:
    with pytest.raises(TwilioRefused) as refused:
        update(fake.url, token="wrong")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    fake.gone.add(CALL)
    with pytest.raises(TwilioRefused) as gone:
        update(fake.url)
    assert (gone.value.status, gone.value.code) == (400, 21220)
    fake.fail_next(500, 20500, "Internal Server Error")
    with pytest.raises(TwilioUnavailable, match="HTTP 500"):
        update(fake.url)
    with pytest.raises(ValueError, match="not a Twilio call SID"):
        update(fake.url, call="CA-../../Accounts")


def test_a_hanging_or_absent_api_fails_in_time(fake: FakeTwilioApi) -> None:
    fake.hang_seconds = 2.0
    with pytest.raises(TwilioUnavailable, match="in time"):
        update(fake.url, timeout=0.3)
    with pytest.raises(TwilioUnavailable, match="cannot be reached"):
        update(f"http://127.0.0.1:{free_port()}")
