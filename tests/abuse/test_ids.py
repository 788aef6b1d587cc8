"""Ids beyond PostgreSQL's integer range are a 422 on every route that takes one, never a 500 from SQL
(issue 18, item 7: 241 of the 251 5xx schemathesis found). SQLite takes any integer, so the variant
that matters is PostgreSQL; the sweep runs on both."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hotline.users import Role
from tests.abuse.conftest import staff

HUGE = 99_999_999_999
FROM_THE_ATTACK_RUN = [
    ("GET", "/api/registry/cases/99999999999"),
    ("GET", "/api/registry/audit?before=99999999999"),
    ("GET", "/api/admin/versions/diff?a=-72339287596420&b=1"),
    ("POST", "/api/chat/blocks/9223372036854775808/lift"),
]


def _routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _routes(included.routes)


def _int_paths(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) with an integer in its path, the integers set to HUGE."""
    found = []
    for route in _routes(client.app.router.routes):  # type: ignore[attr-defined]
        ints = [p.name for p in route.dependant.path_params if "int" in str(p.field_info.annotation)]
        if ints:
            path = re.sub(r"\{(\w+)\}", lambda m, ints=ints: str(HUGE) if m.group(1) in ints else "x", route.path)
            found += [(method, path) for method in sorted(route.methods)]
    return found


@pytest.mark.parametrize(("method", "path"), FROM_THE_ATTACK_RUN)
def test_the_attack_runs_ids_are_refused_with_422(client: TestClient, method: str, path: str) -> None:
    token = staff(client, Role.ADMIN)
    answer = client.request(method, path, headers={"X-CSRF-Token": token})
    assert answer.status_code == 422, answer.text
    assert "less than or equal to 2147483647" in answer.text or "greater than or equal" in answer.text


def test_every_route_with_an_id_in_its_path_refuses_one_out_of_range(client: TestClient) -> None:
    paths = _int_paths(client)
    assert len(paths) >= 15  # cases, certificates, users, days, versions, blocks…
    for role in (Role.OPERATOR, Role.ADMIN):
        token = staff(client, role)
        for method, path in paths:
            answer = client.request(method, path, headers={"X-CSRF-Token": token}, follow_redirects=False)
            assert answer.status_code < 500, (role, method, path, answer.text)
    token = staff(client, Role.ADMIN)
    assert {client.request(m, p, headers={"X-CSRF-Token": token}).status_code for m, p in paths} == {422}
