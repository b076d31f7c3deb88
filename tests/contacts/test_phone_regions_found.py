"""The region validation finds for a number of a shared country code (+1, +44, +7) is
carried to the store's display forms (pressctl.contacts.phones.region_found), which then
do not match the number against each region's rules again: it must be the region they
would have found, phonenumbers' own, and the forms must not change."""

from __future__ import annotations

import phonenumbers as pn
import pytest

from pressctl.contacts import phones
from pressctl.contacts.phones import display_forms, parse_phone_field, region_found

SHARED = sorted(region for code, regions in pn.COUNTRY_CODE_TO_REGION_CODE.items()
                if len(regions) > 1 for region in regions if region != "001")


def _examples(region: str) -> list[str]:
    numbers = [pn.example_number_for_type(region, kind)
               for kind in (pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.MOBILE,
                            pn.PhoneNumberType.TOLL_FREE)]
    return sorted({pn.format_number(n, pn.PhoneNumberFormat.INTERNATIONAL)
                   for n in numbers if n is not None})


def test_the_regions_of_shared_codes_are_the_ones_phonenumbers_names():
    checked = 0
    for region in SHARED:
        for text in _examples(region):
            [phone] = parse_phone_field(text, None)
            number = pn.parse(phone.e164, None)
            assert region_found(phone.e164) == (pn.region_code_for_number(number) or ""), text
            checked += 1
    assert checked > 60  # every region of +1, +44, +7 (and the others shared)


def test_display_forms_with_the_region_found_are_the_forms_without_it():
    for region in SHARED:
        for text in _examples(region):
            [phone] = parse_phone_field(text, None)
            found = region_found(phone.e164)
            assert found is not None
            display_forms.cache_clear()
            assert display_forms(phone.e164, found) == display_forms(phone.e164), text
            assert display_forms(phone.e164, found)[2] == found  # type: ignore[index]


def test_a_number_of_a_code_of_one_region_notes_nothing():
    phones._FOUND_REGIONS.clear()
    [phone] = parse_phone_field("+33 1 44 76 75 39", None)
    assert region_found(phone.e164) is None


def test_the_regions_kept_stay_bounded(monkeypatch):
    monkeypatch.setattr(phones, "CACHE_SIZE", 3)
    phones._FOUND_REGIONS.clear()
    for n in range(10):
        phones._note_region(f"+1202555010{n}", "US")
    assert 0 < len(phones._FOUND_REGIONS) <= 3


@pytest.mark.parametrize("text", ["+1 416 555 0143", "+44 1534 456789", "+7 701 123 4567"])
def test_an_import_sends_the_region_found_with_each_number(text, monkeypatch):
    from pressctl.book import importer

    monkeypatch.setattr(importer, "_job", (lambda country, organization: None,
                                           "journalist", False))
    phones._parse_field.cache_clear()  # a field parsed before notes nothing again
    [(fields, _, _, _)] = importer._validate_rows([{"name": "A B", "phones": [text]}])
    assert fields is not None
    [(e164, _, _, _, region)] = fields[9]
    expected = pn.region_code_for_number(pn.parse(e164, None))
    assert region == expected
    # a field met again (its parse cached) after the regions kept were forgotten: no
    # region is sent, and the store looks it up as before
    phones._FOUND_REGIONS.clear()
    [(fields, _, _, _)] = importer._validate_rows([{"name": "A B", "phones": [text]}])
    assert fields is not None and fields[9][0][4] is None
