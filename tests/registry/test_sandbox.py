"""The sandbox registry: its register (pure lookup) and its documented API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from registry_client.identifiers import IdKind
from registry_client.sandbox import PEOPLE, Resident, create_sandbox_app, extract_of, lookup
from registry_client.wire import ExtractRequest, Problem, Subject
from tests.registry.conftest import Sandbox


def ask(kind: IdKind, value: str, name: str, born: date) -> Resident | tuple[int, Problem]:
    request = ExtractRequest(
        subject=Subject(id_kind=kind, id_value=value, full_name=name, birth_date=born), purpose="перевірка"
    )
    return lookup(PEOPLE, request)


def test_a_person_found_by_tax_number_comes_with_the_household() -> None:
    person = ask(IdKind.RNOKPP, "2876543211", "Шевченко Марія Іванівна", date(1978, 4, 12))
    assert isinstance(person, Resident)
    extract = extract_of(PEOPLE, person, extract_id="RTG-1", formed_at=datetime.now(UTC))
    assert extract.address == "м. Запоріжжя, вул. Садова, буд. 12, кв. 5"
    assert sorted(p.full_name for p in extract.household) == [
        "Шевченко Анна Петрівна",
        "Шевченко Петро Олексійович",
    ]


def test_namesakes_without_the_identifier_are_ambiguous_and_a_unzr_settles_it() -> None:
    answer = ask(IdKind.RNOKPP, "1998877660", "Коваленко  Олена Петрівна", date(1985, 3, 14))
    assert answer == (409, Problem(code="AMBIGUOUS_MATCH", message="Several persons match", matches=2))
    person = ask(IdKind.UNZR, "19850314-00012", "Коваленко Олена Петрівна", date(1985, 3, 14))
    assert isinstance(person, Resident) and "Перемоги" in person.address


@pytest.mark.parametrize(
    ("kind", "value", "name", "born", "code"),
    [
        (IdKind.RNOKPP, "1827364550", "Сидоренко Іван Миколайович", date(1949, 7, 22), "NEEDS_ACTUALIZATION"),
        (IdKind.RNOKPP, "2345678902", "Нема Такого Громадянина", date(1970, 1, 1), "NOT_FOUND"),
        (IdKind.RNOKPP, "2876543211", "Шевченко Марія Іванівна", date(1978, 4, 13), "NOT_FOUND"),
        (IdKind.RNOKPP, "2876543212", "Шевченко Марія Іванівна", date(1978, 4, 12), "INVALID_INPUT"),
    ],
)
def test_the_other_answers(kind: IdKind, value: str, name: str, born: date, code: str) -> None:
    answer = ask(kind, value, name, born)
    assert isinstance(answer, tuple) and answer[1].code == code


def test_the_api_is_documented_in_openapi() -> None:
    schema = create_sandbox_app().openapi()
    operation = schema["paths"]["/restapi"]["post"]
    assert {"200", "404", "409", "422"} <= set(operation["responses"])
    assert "/_sandbox/faults" in schema["paths"]


def test_identification_headers_are_required(sandbox: Sandbox) -> None:
    body = {
        "subject": {"id_kind": "rnokpp", "id_value": "2876543211", "full_name": "x", "birth_date": "1978-04-12"},
        "purpose": "перевірка",
    }
    response = httpx.post(sandbox.registry_url, json=body, timeout=5)
    assert response.status_code == 400
    assert response.headers["Uxp-Error"] == "Client.BadRequest"
