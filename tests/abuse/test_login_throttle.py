"""Login throttling per username and address with growing waits, which nobody can turn into a lockout
of an account, or of an office, from the address it works from (issue 18, item 5)."""

from __future__ import annotations

import uuid

import pytest
import redis
from fastapi.testclient import TestClient

from hotline.db import transaction
from hotline.login_throttle import LoginThrottle
from hotline.users import Role, create
from tests.abuse.conftest import PASSWORD, browser_at
from tests.helpers import staff_login

SQLITE = pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # Redis holds the counts: one database will do
OFFICE = "198.51.100.7"  # the office's NAT address


def _user(client: TestClient, role: Role = Role.ADMIN) -> str:
    name = f"{role.value}-{uuid.uuid4().hex[:8]}"
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        create(session, username=name, password=PASSWORD, role=role)
    return name


def _from(client: TestClient, address: str) -> TestClient:
    return browser_at(client, address)


@pytest.fixture
def throttle(redis_client: redis.Redis) -> LoginThrottle:
    return LoginThrottle(redis_client, f"test-{uuid.uuid4().hex[:8]}")


def test_waits_grow_with_every_failure_past_the_free_ones(throttle: LoginThrottle) -> None:
    waits = []
    for _ in range(9):
        throttle.failed("olena", "203.0.113.5")
        waits.append(throttle.wait_seconds("olena", "203.0.113.5"))
    assert waits == [0, 0, 0, 0, 0, 2, 4, 8, 16]
    assert throttle.wait_seconds("olena", OFFICE) == 0  # olena elsewhere: her own count is not past its free tries
    throttle.succeeded("olena", "203.0.113.5")
    assert throttle.wait_seconds("olena", "203.0.113.5") == 0


def test_guessing_from_many_places_slows_strangers_not_a_known_address(throttle: LoginThrottle) -> None:
    throttle.succeeded("admin", OFFICE)
    for n in range(11):
        throttle.failed("admin", f"203.0.113.{n}")  # one guess from each of eleven addresses
    assert throttle.wait_seconds("admin", "203.0.113.99") == 2  # the username's own count, from a stranger
    assert throttle.wait_seconds("admin", OFFICE) == 0


@SQLITE
def test_six_wrong_passwords_elsewhere_do_not_lock_the_admin_out_of_the_office(client: TestClient) -> None:
    admin = _user(client)
    office, attacker = _from(client, OFFICE), _from(client, "203.0.113.66")
    assert staff_login(office, admin, PASSWORD).status_code == 303  # the office is known for this admin
    for _ in range(12):
        attacker.cookies.clear()
        staff_login(attacker, admin, "a wrong guess")
    refused = staff_login(attacker, admin, PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 2  # even the right password
    office.cookies.clear()
    assert staff_login(office, admin, PASSWORD).status_code == 303


@SQLITE
def test_trying_many_accounts_from_the_offices_address_does_not_keep_its_staff_out(client: TestClient) -> None:
    staff = [_user(client, Role.OPERATOR) for _ in range(3)]
    colleague = _from(client, OFFICE)
    for name in staff:
        colleague.cookies.clear()
        assert staff_login(colleague, name, PASSWORD).status_code == 303
    sprayer = _from(client, OFFICE)  # someone on the office's network trying other accounts
    for n in range(25):
        sprayer.cookies.clear()
        staff_login(sprayer, f"nobody-{n}", "a wrong guess")
    stranger = _user(client, Role.OPERATOR)  # never logged in from here: the address's count applies
    assert staff_login(sprayer, stranger, PASSWORD).status_code == 429
    for name in staff:
        colleague.cookies.clear()
        assert staff_login(colleague, name, PASSWORD).status_code == 303
