"""Identifiers: normalising, refusing what cannot be right, masking."""

from __future__ import annotations

from datetime import date

import pytest

from registry_client.identifiers import IdKind, InvalidIdentifier, fingerprint, mask, normalise
from registry_client.sandbox import PEOPLE


def test_a_tax_number_with_spaces_is_kept_as_ten_digits() -> None:
    assert normalise(IdKind.RNOKPP, " 28765 43211 ") == "2876543211"


@pytest.mark.parametrize(
    ("value", "key"),
    [("287654321", "rnokpp_digits"), ("28765432AB", "rnokpp_digits"), ("2876543212", "rnokpp_control")],
)
def test_a_wrong_tax_number_is_refused_with_the_reason(value: str, key: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise(IdKind.RNOKPP, value)
    assert caught.value.key == key


def test_unzr_must_carry_the_date_of_birth() -> None:
    assert normalise(IdKind.UNZR, "19780412 01234", birth_date=date(1978, 4, 12)) == "19780412-01234"
    with pytest.raises(InvalidIdentifier, match="not the date of birth"):
        normalise(IdKind.UNZR, "19780412-01234", birth_date=date(1978, 4, 13))
    with pytest.raises(InvalidIdentifier, match="does not exist"):
        normalise(IdKind.UNZR, "19780231-01234")
    with pytest.raises(InvalidIdentifier, match="YYYYMMDD"):
        normalise(IdKind.UNZR, "1978041201234X")


def test_passport_booklets_and_id_cards() -> None:
    assert normalise(IdKind.PASSPORT, "са 123456") == "СА123456"
    assert normalise(IdKind.PASSPORT, "CA123456") == "СА123456"  # typed on a Latin keyboard
    assert normalise(IdKind.PASSPORT, "001234567") == "001234567"
    with pytest.raises(InvalidIdentifier) as caught:
        normalise(IdKind.PASSPORT, "12345")
    assert caught.value.key == "passport_format"


def test_masking_hides_the_middle() -> None:
    assert mask("2876543211") == "28******11"
    assert mask("СА123456") == "СА****56"
    assert mask("123") == "***"


def test_fingerprints_depend_on_the_key_and_the_kind() -> None:
    one = fingerprint(IdKind.RNOKPP, "2876543211", key="k1")
    assert one == fingerprint(IdKind.RNOKPP, "2876543211", key="k1")
    assert one != fingerprint(IdKind.RNOKPP, "2876543211", key="k2")
    assert one != fingerprint(IdKind.PASSPORT, "2876543211", key="k1")
    assert "2876543211" not in one


def test_every_seeded_identifier_is_valid() -> None:
    for person in PEOPLE:
        for kind, value in person.ids.items():
            assert normalise(kind, value, birth_date=person.birth_date) == value
