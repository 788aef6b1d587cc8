"""An admin form posted without its fields (only the CSRF token) changes nothing: it neither closes the
office every day nor blanks the welcome texts (issue 18, item 10). An empty field the page sent is
still a choice (a blank welcome means the robot's standard greeting)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hotline.users import Role
from tests.abuse.conftest import staff

WEEK = {**{f"open_{d}": "1" for d in range(5)}, **{f"opens_{d}": "08:00" for d in range(7)}}
WEEK |= {f"closes_{d}": "17:00" for d in range(7)}


def _open_days(client: TestClient) -> list[str]:
    return re.findall(r'name="open_(\d)" value="1" checked', client.get("/admin/office").text)


def _welcome(client: TestClient, lang: str) -> str:
    found = re.search(rf'name="{lang}_welcome"[^>]*>([^<]*)</textarea>', client.get("/admin/tree").text)
    assert found, "the tree page has no welcome box"
    return found.group(1)


def test_an_empty_post_to_the_office_week_closes_nothing(client: TestClient) -> None:
    token = staff(client, Role.ADMIN)
    assert client.post("/admin/office/week", data={"csrf_token": token, **WEEK}).status_code == 200
    assert _open_days(client) == ["0", "1", "2", "3", "4"]
    refused = client.post("/admin/office/week", data={"csrf_token": token})
    assert refused.status_code == 400 and "нічого не змінено" in refused.text
    assert _open_days(client) == ["0", "1", "2", "3", "4"]
    closed_friday = {k: v for k, v in WEEK.items() if k != "open_4"}  # an unticked day is a choice
    assert client.post("/admin/office/week", data={"csrf_token": token, **closed_friday}).status_code == 200
    assert _open_days(client) == ["0", "1", "2", "3"]


def test_an_empty_post_to_the_welcome_blanks_nothing(client: TestClient) -> None:
    token = staff(client, Role.ADMIN)
    texts = {"uk_welcome": "Вітаємо на лінії!", "ru_welcome": "Добро пожаловать на линию!"}
    assert client.post("/admin/tree/welcome", data={"csrf_token": token, **texts}).status_code == 200
    refused = client.post("/admin/tree/welcome", data={"csrf_token": token})
    assert refused.status_code == 400
    assert (_welcome(client, "uk"), _welcome(client, "ru")) == ("Вітаємо на лінії!", "Добро пожаловать на линию!")
    cleared = {"uk_welcome": "", "ru_welcome": "Добро пожаловать на линию!"}
    assert client.post("/admin/tree/welcome", data={"csrf_token": token, **cleared}).status_code == 200
    assert (_welcome(client, "uk"), _welcome(client, "ru")) == ("", "Добро пожаловать на линию!")
