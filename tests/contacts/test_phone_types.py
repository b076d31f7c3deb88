"""pressctl.contacts.phone_types: the region and type of a number in one walk over
precompiled metadata must be exactly phonenumbers' (region_code_for_number, number_type,
is_valid_number), for numbers as people write them, valid or not, and for every type of
every region's example numbers."""

from __future__ import annotations

import phonenumbers as pn
import pytest
from phonenumbers import PhoneNumberType

from pressctl.contacts.phone_types import region_and_type
from pressctl.contacts.phones import parse_phone_field
from pressctl.errors import InvalidPhone

# (as written, default region): real-world spellings first, then invalid ones.
WRITTEN = [
    ("01 44 76 75 39", "FR"),  # CNES switchboard
    ("+33 6 25 79 64 79", None),  # a French mobile
    ("+1 202-358-1600", None),  # NASA, +1 shared by 25 regions
    ("(416) 555-0199", "CA"),  # Canada inside +1
    ("+1 268 464 1234", None),  # Antigua: +1 with leading digits
    ("020 7946 0958", "GB"),  # London drama range
    ("07700 900123", "GB"),  # UK mobile drama range
    ("+44 1481 256789", None),  # Guernsey, inside +44
    ("030 1234567", "DE"),
    ("+39 06 1234 5678", None),  # Rome: the leading 0 is part of the number
    ("+39 312 345 6789", None),  # Italian mobile
    ("02 555 01 87", "BE"),
    ("+41 44 668 18 00", None),
    ("+7 495 123-45-67", None),  # Moscow, +7 shared with Kazakhstan
    ("+7 701 123 4567", None),  # Kazakh mobile inside +7
    ("03-1234-5678", "JP"),
    ("(02) 5550 1234", "AU"),
    ("0800 123 456", "FR"),  # toll free
    ("+800 1234 5678", None),  # international freephone: a non-geographic code
    ("+882 34 1234 5678", None),  # non-geographic satellite range
    ("0899 123 456", "FR"),  # premium rate
    ("01 44 76", "FR"),  # too short
    ("01 44 76 75 39 12", "FR"),  # too long
    ("+1 202 000 0000", None),  # not a valid US exchange
    ("+44 20 1234 567", None),  # one digit short
    ("+7 999 123 45 67 8", None),
    ("+39 0612", None),
    ("06 12 34 56 78", "US"),  # a French number read as American
]


@pytest.mark.parametrize(("text", "region"), WRITTEN)
def test_region_and_type_agree_with_phonenumbers_for_written_numbers(text, region):
    number = pn.parse(text, region)
    national = pn.national_significant_number(number)
    got = region_and_type(number.country_code, national)
    assert got == (pn.region_code_for_number(number), pn.number_type(number))
    assert (got[1] != PhoneNumberType.UNKNOWN) == pn.is_valid_number(number)


@pytest.mark.parametrize(("text", "region"), WRITTEN)
def test_a_field_gives_the_e164_and_type_phonenumbers_gives(text, region):
    number = pn.parse(text, region)
    try:
        [phone] = parse_phone_field(text, region)
    except InvalidPhone:
        assert not pn.is_valid_number(number)
        return
    assert pn.is_valid_number(number)
    assert phone.e164 == pn.format_number(number, pn.PhoneNumberFormat.E164)
    mobile = pn.number_type(number) == PhoneNumberType.MOBILE
    assert phone.type == ("mobile" if mobile else "work")


def _every_example():
    for region in sorted(pn.SUPPORTED_REGIONS):
        for kind in range(PhoneNumberType.FIXED_LINE, PhoneNumberType.UNKNOWN):
            number = pn.example_number_for_type(region, kind)
            if number is not None:
                yield number
    for code in sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = pn.example_number_for_non_geo_entity(code)
        if number is not None:
            yield number


def test_every_example_number_of_every_type_and_its_invalid_neighbours_agree():
    checked = 0
    for number in _every_example():
        variants = [number,
                    pn.PhoneNumber(country_code=number.country_code,
                                   national_number=number.national_number // 10),
                    pn.PhoneNumber(country_code=number.country_code,
                                   national_number=number.national_number * 10 + 7)]
        for variant in variants:
            national = pn.national_significant_number(variant)
            got = region_and_type(variant.country_code, national)
            assert got == (pn.region_code_for_number(variant), pn.number_type(variant)), variant
            checked += 1
    assert checked > 2_000  # every region's examples were there to compare


def test_an_unknown_country_code_is_not_valid():
    assert region_and_type(999, "1234567") == (None, PhoneNumberType.UNKNOWN)
