"""The webhooks' lean path (ivr/webhooks.py): served without FastAPI around them, yet counted, documented
and refused exactly as FastAPI would; and the SQL pool without its pre-ping."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from hotline.deps import Parts
from ivr import routes
from ivr.webhooks import TwilioWebhooks, hook_of
from tests.helpers import METRICS
from tests.ivr.phone import PUBLIC_URL, Phone, sign


def _requests(client: TestClient) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(client.get("/metrics", headers=METRICS).text)
        for s in family.samples
        if s.name == "hotline_http_requests_total"
    }


def test_every_signed_webhook_takes_the_lean_path_and_the_rest_do_not() -> None:
    lean = {route.path for route in routes.router.routes if hook_of(route) is not None}
    assert lean == {
        "/twilio/voice",
        "/twilio/gather",
        "/twilio/choices",
        "/twilio/queue",
        "/twilio/wait",
        "/twilio/wait/keys",
        "/twilio/recorded",
        "/twilio/recording",
        "/twilio/transcription",
        "/twilio/status",
    }  # GET /twilio/hold.wav is FastAPI's


def test_the_lean_path_is_the_one_that_answers(client: TestClient) -> None:
    middleware = [m.cls for m in client.app.user_middleware]  # type: ignore[attr-defined]
    assert TwilioWebhooks in middleware
    assert "set-cookie" not in Phone(client).post("/twilio/voice").headers  # no session middleware on the way


def test_webhooks_are_counted_under_their_route_template(client: TestClient) -> None:
    before = _requests(client)
    phone = Phone(client)
    phone.answer(phone.call(), Digits="1")
    phone.post("/twilio/gather?step=x")
    after = _requests(client)
    for key in [("POST", "/twilio/voice", "200"), ("POST", "/twilio/gather", "200"), ("POST", "/twilio/gather", "422")]:
        assert after.get(key, 0) - before.get(key, 0) == 1, key


def test_webhooks_are_still_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    gather = paths["/twilio/gather"]["post"]
    assert {p["name"] for p in gather["parameters"]} == {"step", "ask"}
    assert {"/twilio/voice", "/twilio/status", "/twilio/wait", "/twilio/speech"} <= paths.keys()


def test_the_lean_path_validates_each_query_as_documented(client: TestClient) -> None:
    """The model a hook validates with is made of the parameters the route declares: same names, same
    required ones, same bounds as /docs shows."""
    paths = client.get("/openapi.json").json()["paths"]
    for route in routes.router.routes:
        hook = hook_of(route)
        if hook is None:
            continue
        documented = {p["name"]: p for p in paths[hook.route.path]["post"].get("parameters", [])}
        schema = hook.query.model_json_schema()
        assert set(schema["properties"]) == set(documented), hook.route.path
        assert set(schema.get("required", [])) == {n for n, p in documented.items() if p.get("required")}
        for name, parameter in documented.items():
            assert _bounds(parameter["schema"]) == _bounds(schema["properties"][name]), (hook.route.path, name)


def _bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's minimum, maximum and pattern, also from inside `anyOf` (an optional one)."""
    found = {k: v for k, v in schema.items() if k in {"minimum", "maximum", "pattern"}}
    for option in schema.get("anyOf", []):
        found.update(_bounds(option))
    return found


def test_a_missing_call_sid_and_a_missing_query_value_read_as_before(client: TestClient) -> None:
    url = f"{PUBLIC_URL}/twilio/wait?queue=general"
    params = {"AccountSid": Phone(client).params()["AccountSid"]}
    refused = client.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params)})
    assert refused.status_code == 400 and refused.json()["message"] == "CallSid is missing"
    missing = Phone(client).post("/twilio/wait?queue=general")
    assert missing.status_code == 422 and missing.json()["message"] == "query.lang: Field required"


def test_a_form_that_is_not_urlencoded_goes_the_long_way_and_is_refused(client: TestClient) -> None:
    response = client.post(f"{PUBLIC_URL}/twilio/voice", json={"CallSid": "CA1"}, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 415  # Twilio posts urlencoded forms only: refused unread


def test_a_connection_the_database_closed_is_replaced_without_a_failed_turn(client: TestClient, parts: Parts) -> None:
    """What pool_pre_ping was for: after PostgreSQL ends the pooled connections (a restart), the next turns
    still go through (SQLite has no server to close them)."""
    engine = parts.sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    others = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    killer = create_engine(engine.url)
    with killer.connect() as connection:
        ended = connection.execute(text(f"SELECT count(pg_terminate_backend(pid)) FROM ({others}) AS o")).scalar()
    killer.dispose()
    assert ended
    doc = phone.answer(menu, Digits="1")
    assert not doc.said[0].startswith("Вибачте")  # no apology: the turn went on
